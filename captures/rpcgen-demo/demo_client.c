/*
 * demo_client.c: a fixed sequence of calls to the demo.x server through
 * rpcgen's stubs (demo_clnt.c), first over TCP and then over UDP (the same
 * sequence on both). For each call it prints one line of JSON ground truth:
 *
 *   {"proc":"NAME","transport":"tcp"|"udp","xid":N,"args":...,"result":...}
 *
 * with the arguments it sent and the results it received, written by the
 * printers of demo_json.c. The xids are set (CLSET_XID) before each call
 * and read back (CLGET_XID) after it, which gives what went on the wire:
 * udp 0x7d000001.., and over tcp 0x7b000002.. for 0x7c000001.. asked
 * (libtirpc's clnt_vc steps the xid word in network byte order).
 *
 * Usage: demo_client HOST
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo_json.h"

static const char *transport;
static u_int32_t next_xid;

/* Fixes the xid of the next call on `cl`. */
static void set_xid(CLIENT *cl)
{
    u_int32_t x = next_xid++;
    if (!clnt_control(cl, CLSET_XID, (char *)&x)) {
        fprintf(stderr, "demo_client: CLSET_XID failed\n");
        exit(1);
    }
}

/* Starts the line of a call that returned `res`; exits if it failed. */
static void begin(CLIENT *cl, const char *proc, const void *res)
{
    u_int32_t x = 0;
    if (res == NULL) {
        clnt_perror(cl, proc);
        exit(1);
    }
    if (!clnt_control(cl, CLGET_XID, (char *)&x)) {
        fprintf(stderr, "demo_client: CLGET_XID failed\n");
        exit(1);
    }
    printf("{\"proc\":\"%s\",\"transport\":\"%s\",\"xid\":%u,\"args\":", proc, transport, x);
}

static void mid(void) { fputs(",\"result\":", stdout); }
static void end(void) { fputs("}\n", stdout); fflush(stdout); }

/* A list of n entries (ids i * 3 + 1, names from `name_of`). */
static entry *make_list(u_int n, const char *(*name_of)(u_int))
{
    entry *e = calloc(n ? n : 1, sizeof *e);
    for (u_int i = 0; i < n; i++) {
        e[i].id = i * 3 + 1;
        e[i].name = (char *)name_of(i);
        e[i].lv = (i % 3 == 0) ? LOW : HIGH;
        e[i].next = (i + 1 < n) ? &e[i + 1] : NULL;
    }
    return n ? e : NULL;
}

static const char *sparse_name(u_int i) { return i % 100 == 99 ? "x" : ""; }

static void bytes(char *p, u_int n, unsigned seed)
{
    for (u_int i = 0; i < n; i++)
        p[i] = (char)((i * 31u + seed) & 0xff);
}

static void v1_calls(CLIENT *cl)
{
    FILE *o = stdout;

    /* DEMO_NULL: void -> void. */
    set_xid(cl);
    void *vres = demo_null_1(cl);
    begin(cl, "DEMO_NULL", vres);
    fputs("null", o); mid(); fputs("null", o); end();

    /* DEMO_SCALARS: ordinary values, then extremes and unnamed enums. */
    scalars s1 = {-123456, 4000000000u, -9000000000000000000LL, 18446744073709551615ULL,
                  1.5f, -2.718281828459045, TRUE, LOW, BLUE};
    scalars s2 = {INT_MIN, 0, INT64_MIN, 0, -1048576.5f, 1e300, FALSE, (level)42, (color)-5};
    scalars *sargs[] = {&s1, &s2};
    for (int k = 0; k < 2; k++) {
        set_xid(cl);
        scalars *r = demo_scalars_1(*sargs[k], cl);
        begin(cl, "DEMO_SCALARS", r);
        print_scalars(o, sargs[k]); mid(); print_scalars(o, r); end();
    }

    /* DEMO_LOOKUP: success, two error statuses (one with a body),
     * non-ASCII UTF-8, invalid UTF-8, the empty name. */
    lookupargs la[] = {
        {"hello", MID},
        {"missing", HIGH},
        {"secret", LOW},
        {"h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5", BELOW},          /* héllo ✓ 日 */
        {"ab\xff\xfe" "cd\xe2\x82" "\xc0\xaf" "\xed\xa0\x80" "z", MID}, /* invalid */
        {"", MID},
    };
    for (size_t k = 0; k < sizeof la / sizeof la[0]; k++) {
        set_xid(cl);
        lookupres *r = demo_lookup_1(la[k], cl);
        begin(cl, "DEMO_LOOKUP", r);
        print_lookupargs(o, &la[k]); mid(); print_lookupres(o, r); end();
    }

    /* DEMO_STORE: everything filled (a 300-byte opaque), everything empty,
     * the 256-byte boundary with the union's default arm, an error, and
     * the union's string arm. */
    static char data300[300], data256[256];
    bytes(data300, 300, 7);
    bytes(data256, 256, 200);
    static int ints[] = {-1, 0, 1, 2147483647};
    static u_int counts[] = {0, 1, 4294967295u};
    static point path4[] = {{1, 2}, {-3, 4}, {5, -6}, {0, 0}};
    static point org = {-100, 100};
    static char raw8[] = {0, 1, 2, (char)0xfe, (char)0xff, 0x7f, (char)0x80, 9};
    static char tag5[] = {(char)0xde, (char)0xad, (char)0xbe, (char)0xef, 0};

    record full;
    memset(&full, 0, sizeof full);
    memcpy(full.id, "\x01\x23\x45\x67\x89\xab\xcd\xef", IDLEN);
    full.data.data_len = 300; full.data.data_val = data300;
    full.tag.tag_len = 5; full.tag.tag_val = tag5;
    full.name = "record-1";
    full.note = "quote \" newline \n tab \t ctl \x01 del \x7f caf\xc3\xa9";
    full.triple[0] = 10; full.triple[1] = -20; full.triple[2] = 30;
    full.ints.ints_len = 4; full.ints.ints_val = ints;
    full.counts.counters_len = 3; full.counts.counters_val = counts;
    full.corners[0] = (point){7, 8}; full.corners[1] = (point){-9, -10};
    full.path.path_len = 2; full.path.path_val = path4;
    full.origin = &org;
    full.nested = (outer){{{11, 12}, GREEN}, HIGH, {13, 14}};
    full.sh.kind = RED; full.sh.shape_u.intensity = 200;
    full.alias.present = TRUE; full.alias.maybe_name_u.name = "alias";
    full.num.kind = 0; full.num.number_u.big = -5000000000LL;

    record empty;
    memset(&empty, 0, sizeof empty);
    empty.name = "";
    empty.note = "";
    empty.nested.lv = MID;
    empty.sh.kind = BLACK;
    empty.alias.present = FALSE;
    empty.num.kind = -1;

    record edge = full;
    edge.data.data_len = 256; edge.data.data_val = data256;
    edge.tag.tag_len = IDLEN; edge.tag.tag_val = raw8;
    edge.name = "sixteen-bytes-16";
    edge.path.path_len = 4;
    edge.origin = NULL;
    edge.nested.lv = BELOW;
    edge.sh.kind = (color)9; edge.sh.shape_u.raw.raw_len = 8; edge.sh.shape_u.raw.raw_val = raw8;
    edge.alias.maybe_name_u.name = "bad\xff\x80";
    edge.num.kind = 7; edge.num.number_u.small = 4294967295u;

    record denied = full;
    denied.nested.lv = LOW;                 /* the server answers DEMO_EACCES */
    denied.sh.kind = BLUE; denied.sh.shape_u.label = "na\xc3\xafve caf\xc3\xa9";
    denied.num.kind = 1; denied.num.number_u.big = INT64_MAX;

    record blue = full;
    blue.sh.kind = BLUE; blue.sh.shape_u.label = "na\xc3\xafve caf\xc3\xa9";

    record *recs[] = {&full, &empty, &edge, &denied, &blue};
    for (int k = 0; k < 5; k++) {
        set_xid(cl);
        storeres *r = demo_store_1(*recs[k], cl);
        begin(cl, "DEMO_STORE", r);
        print_record(o, recs[k]); mid(); print_storeres(o, r); end();
    }

    /* DEMO_LIST: empty, short non-ASCII, 300 entries, invalid UTF-8, error. */
    listargs ls[] = {
        {0, "none"},
        {3, "\xc3\xa9-"},
        {300, "n"},
        {2, "\xc3("},
        {5000, "too-many"},
    };
    for (size_t k = 0; k < sizeof ls / sizeof ls[0]; k++) {
        set_xid(cl);
        listres *r = demo_list_1(ls[k], cl);
        begin(cl, "DEMO_LIST", r);
        print_listargs(o, &ls[k]); mid(); print_listres(o, r); end();
    }

    /* DEMO_SUM: a recursive list as the argument: empty, then 400 entries. */
    u_int sums[] = {0, 400};
    for (int k = 0; k < 2; k++) {
        entrylist l = make_list(sums[k], sparse_name);
        set_xid(cl);
        sumres *r = demo_sum_1(l, cl);
        begin(cl, "DEMO_SUM", r);
        print_entrylist(o, l); mid(); print_sumres(o, r); end();
        free(l);
    }

    /* DEMO_PING: void -> enum (a negative value). */
    set_xid(cl);
    level *lv = demo_ping_1(cl);
    begin(cl, "DEMO_PING", lv);
    fputs("null", o); mid(); print_level(o, *lv); end();

    /* DEMO_RESET: union -> void. */
    number n = {1, {.big = -1}};
    set_xid(cl);
    vres = demo_reset_1(n, cl);
    begin(cl, "DEMO_RESET", vres);
    print_number(o, &n); mid(); fputs("null", o); end();
}

static void v2_calls(CLIENT *cl)
{
    FILE *o = stdout;
    set_xid(cl);
    void *vres = demo2_null_2(cl);
    begin(cl, "DEMO2_NULL", vres);
    fputs("null", o); mid(); fputs("null", o); end();

    /* Two arguments (rpcgen -N): shown as rpcgen's wrapper, arg1 and arg2. */
    demo2_add_2_argument a = {-7, 1099511627776LL};
    set_xid(cl);
    quad_t *r = demo2_add_2(a.arg1, a.arg2, cl);
    begin(cl, "DEMO2_ADD", r);
    print_demo2_add_2_argument(o, &a); mid(); j_hyper(o, *r); end();
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    const char *protos[] = {"tcp", "udp"};
    const u_int32_t bases[] = {0x7c000001u, 0x7d000001u};
    for (int t = 0; t < 2; t++) {
        transport = protos[t];
        next_xid = bases[t];
        CLIENT *v1 = clnt_create(host, DEMO_PROG, DEMO_VERS, transport);
        if (v1 == NULL) {
            clnt_pcreateerror(host);
            return 1;
        }
        v1_calls(v1);
        clnt_destroy(v1);
        CLIENT *v2 = clnt_create(host, DEMO_PROG, DEMO_VERS2, transport);
        if (v2 == NULL) {
            clnt_pcreateerror(host);
            return 1;
        }
        v2_calls(v2);
        clnt_destroy(v2);
    }
    return 0;
}
