"""Reads rpcscope's Parquet and CSV exports back with pyarrow and DuckDB and
compares them with the JSON Lines output of the same capture.

Usage: check_export.py MANIFEST.json
MANIFEST: {"columns": [[name, kind], ...], "schema_version": N,
           "cases": [{"name", "jsonl", "flat", "hour", "csv"}, ...]}
Prints one line per case; exits 1 on the first mismatch (with the reason).
"""
import csv
import datetime as dt
import json
import sys

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ARROW = {
    "Str": pa.string(), "Json": pa.string(), "I64": pa.int64(), "I32": pa.int32(),
    "F64": pa.float64(), "Bool": pa.bool_(), "Timestamp": pa.timestamp("us", tz="UTC"),
}
SAMPLES = 400  # rows compared value by value per capture (evenly spaced)


def fail(case, msg):
    print(f"FAIL {case}: {msg}")
    sys.exit(1)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def epoch_us(ts):
    return None if ts is None else (ts - EPOCH) // dt.timedelta(microseconds=1)


def split_ep(ep):
    addr, port = ep.rsplit(":", 1)
    return addr.strip("[]"), int(port)


def expected(j):
    """The row values the export should hold for one JSON Lines object."""
    c_addr, c_port = split_ep(j["client"])
    s_addr, s_port = split_ep(j["server"])
    auth = j.get("auth") or {}
    flavor = auth.get("flavor")
    args = j.get("args")
    offset = args.get("offset") if isinstance(args, dict) else None
    count = args.get("count") if isinstance(args, dict) else None
    return {
        "type": j["type"], "file": j["file"], "transport": j["transport"],
        "client_addr": c_addr, "client_port": c_port, "server_addr": s_addr,
        "server_port": s_port, "xid": j["xid"], "call_frame": j["call_frame"],
        "reply_frame": j["reply_frame"], "rpcvers": j["rpcvers"], "program": j["program"],
        "version": j["version"], "procedure": j["procedure"],
        "program_name": j["program_name"], "procedure_name": j["procedure_name"],
        "auth_flavor": None if flavor is None else str(flavor),
        "auth_uid": auth.get("uid") if flavor == "sys" else None,
        "auth_gid": auth.get("gid") if flavor == "sys" else None,
        "auth_machine": auth.get("machine_name") if flavor == "sys" else None,
        "reply_stat": j["reply_stat"], "accept_stat": j["accept_stat"],
        "reject_stat": j["reject_stat"],
        "auth_stat": None if j["auth_stat"] is None else str(j["auth_stat"]),
        "call_bytes": j["call_bytes"], "reply_bytes": j["reply_bytes"],
        "retransmission": j["retransmission"], "retransmissions": len(j["retransmit_frames"]),
        "duplicate_reply": j["duplicate_reply"], "truncated": j["truncated"], "gap": j["gap"],
        "body_status": j["body_status"], "path": j["path"],
        "main_op": None if j.get("main_op") is None else str(j["main_op"]),
        "offset": offset if isinstance(offset, int) else None,
        "count": count if isinstance(count, int) else None,
    }


def compare_row(case, i, row, j):
    for k, want in expected(j).items():
        if row[k] != want:
            fail(case, f"row {i} column {k}: parquet {row[k]!r}, json {want!r}")
    for k in ("call_time", "reply_time"):
        t = j[k]
        got = epoch_us(row[k])
        if (t is None) != (got is None) or (t is not None and abs(got - t * 1e6) > 1.5):
            fail(case, f"row {i} {k}: parquet {row[k]!r}, json {t!r}")
    lat, got = j["latency_us"], row["latency_us"]
    if (lat is None) != (got is None) or (lat is not None and abs(lat - got) > 1e-3):
        fail(case, f"row {i} latency_us: parquet {got!r}, json {lat!r}")
    for k in ("args", "result"):
        got = None if row[k] is None else json.loads(row[k])
        if got != j[k]:
            fail(case, f"row {i} {k}: parquet {row[k]!r}, json {j[k]!r}")
    if row["fh_hash"] is not None:
        hash_ = f"0x{row['fh_hash']:08x}"
        if hash_ not in json.dumps(j.get("args")) + json.dumps(j.get("result")):
            fail(case, f"row {i} fh_hash {hash_} appears in neither args nor result")


def check(case, columns, version, con):
    name = case["name"]
    lines = [json.loads(l) for l in open(case["jsonl"], encoding="utf-8")]
    # Exchange objects only: `anomaly` records and the summary are no rows.
    objs = [o for o in lines if o["type"] in ("exchange", "call", "reply")]
    n = len(objs)

    # pyarrow: schema, metadata, row count, values.
    table = ds.dataset(case["flat"], format="parquet").to_table()
    want_schema = [(c, ARROW[k]) for c, k in columns]
    got_schema = [(f.name, f.type) for f in table.schema]
    if got_schema != want_schema:
        fail(name, f"schema {got_schema} != {want_schema}")
    for f in ds.dataset(case["flat"], format="parquet").files:
        meta = pq.read_metadata(f).metadata
        if meta.get(b"rpcscope.schema_version") != str(version).encode():
            fail(name, f"{f}: schema_version {meta!r}")
    if table.num_rows != n:
        fail(name, f"pyarrow reads {table.num_rows} rows, JSON Lines has {n}")
    rows = table.to_pylist()
    step = max(1, n // SAMPLES)
    for i in range(0, n, step):
        compare_row(name, i, rows[i], objs[i])
    if n:
        compare_row(name, n - 1, rows[n - 1], objs[n - 1])

    # DuckDB over the flat files: counts and sums agree with JSON.
    flat = case["flat"] + "/*.parquet"
    got = con.execute(
        f"SELECT count(*), count(reply_frame), coalesce(sum(xid), 0), "
        f"count(DISTINCT procedure_name) FROM read_parquet('{flat}')").fetchone()
    want = (n, sum(o["reply_frame"] is not None for o in objs), sum(o["xid"] for o in objs),
            len({o["procedure_name"] for o in objs if o["procedure_name"] is not None}))
    if tuple(got) != want:
        fail(name, f"duckdb flat {got} != json {want}")

    # DuckDB over the hour partitions: the hive columns match the row times.
    part = case["hour"] + "/**/*.parquet"
    rows = con.execute(
        f"SELECT date, hour, epoch_us(coalesce(call_time, reply_time)), xid "
        f"FROM read_parquet('{part}', hive_partitioning = true)").fetchall() if n else []
    if len(rows) != n:
        fail(name, f"duckdb partitions: {len(rows)} rows, JSON Lines has {n}")
    for date, hour, us, xid in rows:
        t = dt.datetime.fromtimestamp(us / 1e6, dt.timezone.utc)
        if str(date) != t.strftime("%Y-%m-%d") or int(hour) != t.hour:
            fail(name, f"xid {xid}: partition date={date}/hour={hour}, time {t}")
    if sorted(r[3] for r in rows) != sorted(o["xid"] for o in objs):
        fail(name, "partitioned xids differ from JSON Lines")

    # CSV: header, row count, a few columns as text.
    with open(case["csv"], newline="", encoding="utf-8") as f:
        recs = list(csv.reader(f))
    if recs[0] != [c for c, _ in columns]:
        fail(name, f"CSV header {recs[0]}")
    if len(recs) - 1 != n:
        fail(name, f"CSV has {len(recs) - 1} rows, JSON Lines has {n}")
    col = {c: i for i, (c, _) in enumerate(columns)}
    for i in range(0, n, step):
        r, o = recs[i + 1], objs[i]
        if int(r[col["xid"]]) != o["xid"] or (r[col["procedure_name"]] or None) != o["procedure_name"]:
            fail(name, f"CSV row {i}: {r[:12]}")
        a = r[col["args"]]
        if (json.loads(a) if a else None) != o["args"]:
            fail(name, f"CSV row {i} args {a!r}")
    if n:
        got = con.execute(f"SELECT count(*) FROM read_csv('{case['csv']}')").fetchone()[0]
        if got != n:
            fail(name, f"duckdb read_csv: {got} rows, JSON Lines has {n}")
    print(f"ok {name}: {n} rows")
    return n


def main():
    manifest = json.load(open(sys.argv[1], encoding="utf-8"))
    con = duckdb.connect()
    total = 0
    for case in manifest["cases"]:
        total += check(case, manifest["columns"], manifest["schema_version"], con)
    print(f"ok: {len(manifest['cases'])} captures, {total} rows")


main()
