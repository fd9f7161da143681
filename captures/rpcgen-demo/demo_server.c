/*
 * demo_server.c: the procedures of demo.x, linked with rpcgen's demo_svc.c
 * (whose main() registers versions 1 and 2 over UDP and TCP with rpcbind
 * and runs svc_run()). Every answer depends only on the arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo.h"

void *demo_null_1_svc(struct svc_req *rq)
{
    static char res;
    (void)rq;
    return &res;
}

/* Each value changed in a fixed way, so a reply differs from its call. */
scalars *demo_scalars_1_svc(scalars a, struct svc_req *rq)
{
    static scalars r;
    (void)rq;
    r.i = (int)(~(u_int)a.i);           /* -i - 1, no overflow */
    r.u = a.u / 2;
    r.h = (quad_t)(~(u_quad_t)a.h);     /* -h - 1 */
    r.uh = a.uh / 3;
    r.f = a.f * 2;
    r.d = -a.d;
    r.b = !a.b;
    r.lv = (a.lv == HIGH) ? LOW : HIGH;
    r.c = (color)((int)a.c + 1);       /* BLACK + 1 is not in the enum */
    return &r;
}

lookupres *demo_lookup_1_svc(lookupargs a, struct svc_req *rq)
{
    static lookupres r;
    static point where;
    size_t n = strlen(a.name);
    (void)rq;
    memset(&r, 0, sizeof r);
    if (strcmp(a.name, "missing") == 0) {
        r.status = DEMO_ENOENT;
        return &r;
    }
    if (strcmp(a.name, "secret") == 0) {
        r.status = DEMO_EACCES;
        r.lookupres_u.needed = HIGH;
        return &r;
    }
    r.status = DEMO_OK;
    lookupok *ok = &r.lookupres_u.resok;
    ok->attrs.i = (int)n;
    ok->attrs.u = (u_int)n * 1000u;
    ok->attrs.h = -(quad_t)n << 33;
    ok->attrs.uh = (u_quad_t)n << 40;
    ok->attrs.f = (float)n + 0.25f;
    ok->attrs.d = (double)n / 8;
    ok->attrs.b = n % 2 == 1;
    ok->attrs.lv = a.minlevel;
    ok->attrs.c = (color)(n % 4);
    /* The first byte of the name says where, unless it is empty. */
    if (n > 0) {
        where.x = (unsigned char)a.name[0];
        where.y = -(int)n;
        ok->where = &where;
    } else
        ok->where = NULL;
    return &r;
}

storeres *demo_store_1_svc(record a, struct svc_req *rq)
{
    static storeres r;
    static char label[64];
    (void)rq;
    memset(&r, 0, sizeof r);
    if (a.nested.lv == LOW) {
        r.status = DEMO_EACCES;
        return &r;
    }
    r.status = DEMO_OK;
    storeok *ok = &r.storeres_u.ok;
    ok->stored = a.data.data_len + a.ints.ints_len + a.counts.counters_len + a.path.path_len;
    ok->total = 0;
    for (u_int i = 0; i < a.data.data_len; i++)
        ok->total += (unsigned char)a.data.data_val[i];
    for (u_int i = 0; i < a.counts.counters_len; i++)
        ok->total += a.counts.counters_val[i];
    for (int i = 0; i < IDLEN; i++)
        ok->id[i] = a.id[IDLEN - 1 - i];
    /* The shape comes back, RED turned GREEN and BLUE relabelled. */
    ok->echo = a.sh;
    if (a.sh.kind == RED) {
        ok->echo.kind = GREEN;
        ok->echo.shape_u.intensity = a.sh.shape_u.intensity + 1;
    } else if (a.sh.kind == BLUE) {
        snprintf(label, sizeof label, "re:%s", a.sh.shape_u.label);
        ok->echo.shape_u.label = label;
    }
    return &r;
}

listres *demo_list_1_svc(listargs a, struct svc_req *rq)
{
    static listres r;
    static entry entries[1000];
    static char names[1000][48];
    static const level levels[] = {LOW, BELOW, MID, HIGH};
    (void)rq;
    memset(&r, 0, sizeof r);
    if (a.count > 1000) {
        r.status = DEMO_EINVAL;
        return &r;
    }
    r.status = DEMO_OK;
    for (u_int i = 0; i < a.count; i++) {
        snprintf(names[i], sizeof names[i], "%.40s%u", a.prefix, i);
        entries[i].id = i * 7;
        entries[i].name = names[i];
        entries[i].lv = levels[i % 4];
        entries[i].next = (i + 1 < a.count) ? &entries[i + 1] : NULL;
    }
    r.listres_u.list.entries = a.count ? &entries[0] : NULL;
    r.listres_u.list.eof = TRUE;
    return &r;
}

sumres *demo_sum_1_svc(entrylist a, struct svc_req *rq)
{
    static sumres r;
    (void)rq;
    r.total = 0;
    r.n = 0;
    for (entry *e = a; e; e = e->next) {
        r.total += e->id;
        r.total -= (quad_t)strlen(e->name);
        r.n++;
    }
    return &r;
}

level *demo_ping_1_svc(struct svc_req *rq)
{
    static level r = BELOW;
    (void)rq;
    return &r;
}

void *demo_reset_1_svc(number a, struct svc_req *rq)
{
    static char res;
    (void)a;
    (void)rq;
    return &res;
}

void *demo2_null_2_svc(struct svc_req *rq)
{
    static char res;
    (void)rq;
    return &res;
}

quad_t *demo2_add_2_svc(int a, quad_t b, struct svc_req *rq)
{
    static quad_t r;
    (void)rq;
    r = b + a;
    return &r;
}
