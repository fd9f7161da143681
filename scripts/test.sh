#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every test.
#
#   ./scripts/test.sh
#
# - Debian packages: libpcap-dev (live capture), tshark (reference decoder),
#   rpcbind (real rpcbind and rpcinfo peers), tcpdump, rpcsvc-proto and
#   libtirpc-dev (rpcgen and libtirpc: the demo program of
#   captures/make-rpcgen.sh, built from source by tests/idl_rpcgen.rs),
#   python3-venv (tests/export.rs reads Parquet back with pyarrow and DuckDB
#   from PyPI, in a venv under target/), chromium (tests/report.rs opens the
#   HTML report headless), tmux (tests/top.rs runs the full-screen view),
#   man-db (tests/cli_look.rs renders the man page with `man -l`), jq
#   (tests/readme.rs runs the README examples that pipe into jq).
#   Installed with apt-get when missing (as root, or through sudo).
# - cargo test for the library, the binary and the integration tests (the
#   committed fuzz corpora replay there too), with and without the default
#   `live` feature; the benchmarks are built.
# - every cargo-fuzz target for 20 s under AddressSanitizer (scripts/fuzz-smoke.sh;
#   installs cargo-fuzz when missing; FUZZ_SECONDS changes the time).
# Tests that need ../shared (the public capture corpus), root (private
# network namespaces for live capture), tshark, rpcbind or tcpdump say so and
# skip where those are absent, except under CI=true (set by .ci/run), where
# scripts/ci-prereqs.sh checks them first and a missing one fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in libpcap-dev tshark rpcbind tcpdump rpcsvc-proto libtirpc-dev python3-venv chromium tmux man-db jq; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "==> installing ${need_pkgs[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections || true
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# The build (release, with the fuzz targets: ~5 GB under target/ and
# fuzz/target/) and the flood tests' captures (~300 MB in the temporary
# directory) need room; say how much there is, so that a full disk is seen
# before it becomes a confusing test failure.
free_kb=$(df -Pk . | awk 'NR==2 {print $4}')
echo "==> disk: $((free_kb / 1024)) MB free here, $(df -Pk "${TMPDIR:-/tmp}" | awk 'NR==2 {print int($4/1024)}') MB in ${TMPDIR:-/tmp}"
if [ "${free_kb:-0}" -lt $((6 * 1024 * 1024)) ]; then
    echo "warning: less than 6 GB free; the build and the flood tests may run out of disk" >&2
fi

if [ "${CI:-}" = true ]; then
    echo "==> CI=true: checking that every test can run (no skips in CI)"
    ./scripts/ci-prereqs.sh
fi

echo "==> cargo test (default features: live capture through libpcap)"
cargo test --release
echo "==> benchmarks build"
cargo bench --no-run --quiet
echo "==> fuzz smoke: every cargo-fuzz target for a short bounded time (AddressSanitizer)"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" ./scripts/fuzz-smoke.sh
echo "==> cargo test --no-default-features (the decoder without libpcap)"
cargo test --release --no-default-features --lib
