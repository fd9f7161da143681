/*
 * demo_json.c: JSON printers for demo.x (see demo_json.h).
 *
 * The rules (rpcscope's XDR-to-JSON contract):
 *   struct -> object with the .x field names, in .x order
 *   enum -> its name, or the number when the value is not in the enum
 *   union -> object with the discriminant under its .x name and the chosen
 *            arm under the arm's name; a void arm gives the discriminant only
 *   optional data -> null or the value
 *   fixed/variable arrays -> arrays; a recursive optional list (entry *next)
 *            -> array of its elements, without the link field ([] when empty)
 *   opaque -> lowercase hex; over 256 bytes -> {"len": N}
 *   string -> JSON string; each byte of an invalid UTF-8 sequence -> \xNN
 *   hyper, float, double -> number; bool -> true/false; void -> null
 */
#include <stdlib.h>
#include <string.h>
#include "demo_json.h"

void j_int(FILE *o, int v) { fprintf(o, "%d", v); }
void j_uint(FILE *o, u_int v) { fprintf(o, "%u", v); }
void j_hyper(FILE *o, quad_t v) { fprintf(o, "%lld", (long long)v); }
void j_uhyper(FILE *o, u_quad_t v) { fprintf(o, "%llu", (unsigned long long)v); }
void j_bool(FILE *o, bool_t v) { fputs(v ? "true" : "false", o); }

/* The shortest %g form that reads back as the same double. */
void j_double(FILE *o, double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, o);
}

/* A float is printed as the double it widens to (exact). */
void j_float(FILE *o, float v) { j_double(o, (double)v); }

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlongs */
        if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* no overlongs */
        if (c == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

void j_string(FILE *o, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    fputc('"', o);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0) {
            /* Invalid byte: the six characters \\xNN in JSON. */
            fprintf(o, "\\\\x%02x", s[i]);
            i++;
            continue;
        }
        if (k == 1) {
            unsigned char c = s[i];
            if (c == '"' || c == '\\')
                fprintf(o, "\\%c", c);
            else if (c < 0x20)
                fprintf(o, "\\u%04x", c);
            else
                fputc(c, o);
        } else
            fwrite(s + i, 1, k, o);
        i += k;
    }
    fputc('"', o);
}

void j_opaque(FILE *o, const char *p, u_int len)
{
    if (len > J_OPAQUE_MAX) {
        fprintf(o, "{\"len\":%u}", len);
        return;
    }
    fputc('"', o);
    for (u_int i = 0; i < len; i++)
        fprintf(o, "%02x", (unsigned char)p[i]);
    fputc('"', o);
}

/* ---- enums ---- */

void print_color(FILE *o, color v)
{
    switch (v) {
    case RED: fputs("\"RED\"", o); return;
    case GREEN: fputs("\"GREEN\"", o); return;
    case BLUE: fputs("\"BLUE\"", o); return;
    case BLACK: fputs("\"BLACK\"", o); return;
    }
    j_int(o, (int)v);
}

void print_level(FILE *o, level v)
{
    switch (v) {
    case LOW: fputs("\"LOW\"", o); return;
    case BELOW: fputs("\"BELOW\"", o); return;
    case MID: fputs("\"MID\"", o); return;
    case HIGH: fputs("\"HIGH\"", o); return;
    }
    j_int(o, (int)v);
}

void print_demostat(FILE *o, demostat v)
{
    switch (v) {
    case DEMO_OK: fputs("\"DEMO_OK\"", o); return;
    case DEMO_ENOENT: fputs("\"DEMO_ENOENT\"", o); return;
    case DEMO_EACCES: fputs("\"DEMO_EACCES\"", o); return;
    case DEMO_EINVAL: fputs("\"DEMO_EINVAL\"", o); return;
    }
    j_int(o, (int)v);
}

/* ---- typedefs ---- */

void print_uint32(FILE *o, uint32 v) { j_uint(o, v); }
void print_counter(FILE *o, counter v) { print_uint32(o, v); }

void print_counters(FILE *o, const counters *v)
{
    fputc('[', o);
    for (u_int i = 0; i < v->counters_len; i++) {
        if (i)
            fputc(',', o);
        print_counter(o, v->counters_val[i]);
    }
    fputc(']', o);
}

void print_shortname(FILE *o, const shortname v) { j_string(o, v); }
void print_ident(FILE *o, const ident v) { j_opaque(o, v, IDLEN); }

/* ---- structs and unions ---- */

void print_scalars(FILE *o, const scalars *v)
{
    fputs("{\"i\":", o); j_int(o, v->i);
    fputs(",\"u\":", o); j_uint(o, v->u);
    fputs(",\"h\":", o); j_hyper(o, v->h);
    fputs(",\"uh\":", o); j_uhyper(o, v->uh);
    fputs(",\"f\":", o); j_float(o, v->f);
    fputs(",\"d\":", o); j_double(o, v->d);
    fputs(",\"b\":", o); j_bool(o, v->b);
    fputs(",\"lv\":", o); print_level(o, v->lv);
    fputs(",\"c\":", o); print_color(o, v->c);
    fputc('}', o);
}

void print_point(FILE *o, const point *v)
{
    fputs("{\"x\":", o); j_int(o, v->x);
    fputs(",\"y\":", o); j_int(o, v->y);
    fputc('}', o);
}

void print_inner(FILE *o, const inner *v)
{
    fputs("{\"p\":", o); print_point(o, &v->p);
    fputs(",\"c\":", o); print_color(o, v->c);
    fputc('}', o);
}

void print_outer(FILE *o, const outer *v)
{
    fputs("{\"in\":", o); print_inner(o, &v->in);
    fputs(",\"lv\":", o); print_level(o, v->lv);
    fputs(",\"corner\":", o); print_point(o, &v->corner);
    fputc('}', o);
}

void print_shape(FILE *o, const shape *v)
{
    fputs("{\"kind\":", o); print_color(o, v->kind);
    switch (v->kind) {
    case RED:
    case GREEN:
        fputs(",\"intensity\":", o); j_int(o, v->shape_u.intensity);
        break;
    case BLUE:
        fputs(",\"label\":", o); j_string(o, v->shape_u.label);
        break;
    case BLACK:
        break;
    default:
        fputs(",\"raw\":", o);
        j_opaque(o, v->shape_u.raw.raw_val, v->shape_u.raw.raw_len);
        break;
    }
    fputc('}', o);
}

void print_maybe_name(FILE *o, const maybe_name *v)
{
    fputs("{\"present\":", o); j_bool(o, v->present);
    if (v->present) {
        fputs(",\"name\":", o); print_shortname(o, v->maybe_name_u.name);
    }
    fputc('}', o);
}

void print_number(FILE *o, const number *v)
{
    fputs("{\"kind\":", o); j_int(o, v->kind);
    switch (v->kind) {
    case -1:
        break;
    case 0:
    case 1:
        fputs(",\"big\":", o); j_hyper(o, v->number_u.big);
        break;
    default:
        fputs(",\"small\":", o); j_uint(o, v->number_u.small);
        break;
    }
    fputc('}', o);
}

void print_record(FILE *o, const record *v)
{
    fputs("{\"id\":", o); print_ident(o, v->id);
    fputs(",\"data\":", o); j_opaque(o, v->data.data_val, v->data.data_len);
    fputs(",\"tag\":", o); j_opaque(o, v->tag.tag_val, v->tag.tag_len);
    fputs(",\"name\":", o); print_shortname(o, v->name);
    fputs(",\"note\":", o); j_string(o, v->note);
    fputs(",\"triple\":[", o);
    for (int i = 0; i < TRIPLE; i++) {
        if (i)
            fputc(',', o);
        j_int(o, v->triple[i]);
    }
    fputs("],\"ints\":[", o);
    for (u_int i = 0; i < v->ints.ints_len; i++) {
        if (i)
            fputc(',', o);
        j_int(o, v->ints.ints_val[i]);
    }
    fputs("],\"counts\":", o); print_counters(o, &v->counts);
    fputs(",\"corners\":[", o);
    for (int i = 0; i < 2; i++) {
        if (i)
            fputc(',', o);
        print_point(o, &v->corners[i]);
    }
    fputs("],\"path\":[", o);
    for (u_int i = 0; i < v->path.path_len; i++) {
        if (i)
            fputc(',', o);
        print_point(o, &v->path.path_val[i]);
    }
    fputs("],\"origin\":", o);
    if (v->origin)
        print_point(o, v->origin);
    else
        fputs("null", o);
    fputs(",\"nested\":", o); print_outer(o, &v->nested);
    fputs(",\"sh\":", o); print_shape(o, &v->sh);
    fputs(",\"alias\":", o); print_maybe_name(o, &v->alias);
    fputs(",\"num\":", o); print_number(o, &v->num);
    fputc('}', o);
}

void print_storeok(FILE *o, const storeok *v)
{
    fputs("{\"stored\":", o); print_counter(o, v->stored);
    fputs(",\"total\":", o); j_uhyper(o, v->total);
    fputs(",\"id\":", o); print_ident(o, v->id);
    fputs(",\"echo\":", o); print_shape(o, &v->echo);
    fputc('}', o);
}

void print_storeres(FILE *o, const storeres *v)
{
    fputs("{\"status\":", o); print_demostat(o, v->status);
    if (v->status == DEMO_OK) {
        fputs(",\"ok\":", o); print_storeok(o, &v->storeres_u.ok);
    }
    fputc('}', o);
}

void print_lookupargs(FILE *o, const lookupargs *v)
{
    fputs("{\"name\":", o); print_shortname(o, v->name);
    fputs(",\"minlevel\":", o); print_level(o, v->minlevel);
    fputc('}', o);
}

void print_lookupok(FILE *o, const lookupok *v)
{
    fputs("{\"attrs\":", o); print_scalars(o, &v->attrs);
    fputs(",\"where\":", o);
    if (v->where)
        print_point(o, v->where);
    else
        fputs("null", o);
    fputc('}', o);
}

void print_lookupres(FILE *o, const lookupres *v)
{
    fputs("{\"status\":", o); print_demostat(o, v->status);
    switch (v->status) {
    case DEMO_OK:
        fputs(",\"resok\":", o); print_lookupok(o, &v->lookupres_u.resok);
        break;
    case DEMO_EACCES:
        fputs(",\"needed\":", o); print_level(o, v->lookupres_u.needed);
        break;
    default:
        break;
    }
    fputc('}', o);
}

/* One element of the list: its fields without the link `next`. */
void print_entry(FILE *o, const entry *v)
{
    fputs("{\"id\":", o); j_uint(o, v->id);
    fputs(",\"name\":", o); j_string(o, v->name);
    fputs(",\"lv\":", o); print_level(o, v->lv);
    fputc('}', o);
}

/* The recursive optional list, flattened. */
void print_entrylist(FILE *o, const entrylist v)
{
    fputc('[', o);
    for (const entry *e = v; e; e = e->next) {
        if (e != v)
            fputc(',', o);
        print_entry(o, e);
    }
    fputc(']', o);
}

void print_dirlist(FILE *o, const dirlist *v)
{
    fputs("{\"entries\":", o); print_entrylist(o, v->entries);
    fputs(",\"eof\":", o); j_bool(o, v->eof);
    fputc('}', o);
}

void print_listres(FILE *o, const listres *v)
{
    fputs("{\"status\":", o); print_demostat(o, v->status);
    if (v->status == DEMO_OK) {
        fputs(",\"list\":", o); print_dirlist(o, &v->listres_u.list);
    }
    fputc('}', o);
}

void print_listargs(FILE *o, const listargs *v)
{
    fputs("{\"count\":", o); j_uint(o, v->count);
    fputs(",\"prefix\":", o); j_string(o, v->prefix);
    fputc('}', o);
}

void print_sumres(FILE *o, const sumres *v)
{
    fputs("{\"total\":", o); j_hyper(o, v->total);
    fputs(",\"n\":", o); j_uint(o, v->n);
    fputc('}', o);
}

/* rpcgen -N's wrapper of a two-argument call: fields arg1, arg2. */
void print_demo2_add_2_argument(FILE *o, const demo2_add_2_argument *v)
{
    fputs("{\"arg1\":", o); j_int(o, v->arg1);
    fputs(",\"arg2\":", o); j_hyper(o, v->arg2);
    fputc('}', o);
}
