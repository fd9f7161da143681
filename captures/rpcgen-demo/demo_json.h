/*
 * demo_json.h: hand-written JSON printers for the types of demo.x, one per
 * type, following rpcscope's XDR-to-JSON contract (docs in
 * captures/README.md). They are the ground truth that `rpcscope --idl`
 * is checked against, so they share nothing with rpcscope.
 */
#ifndef DEMO_JSON_H
#define DEMO_JSON_H

#include <stdio.h>
#include "demo.h"

/* Opaques longer than this print as {"len": N}. */
#define J_OPAQUE_MAX 256

/* Scalars. */
void j_int(FILE *o, int v);
void j_uint(FILE *o, u_int v);
void j_hyper(FILE *o, quad_t v);
void j_uhyper(FILE *o, u_quad_t v);
void j_float(FILE *o, float v);
void j_double(FILE *o, double v);
void j_bool(FILE *o, bool_t v);
/* A string: valid UTF-8 as is (JSON-escaped), each byte of an invalid
 * sequence as the text \xNN (lowercase hex). NULL prints as "". */
void j_string(FILE *o, const char *s);
/* Opaque bytes: lowercase hex, or {"len": N} past J_OPAQUE_MAX. */
void j_opaque(FILE *o, const char *p, u_int len);

/* One printer per type of demo.x. */
void print_color(FILE *o, color v);
void print_level(FILE *o, level v);
void print_demostat(FILE *o, demostat v);
void print_uint32(FILE *o, uint32 v);
void print_counter(FILE *o, counter v);
void print_counters(FILE *o, const counters *v);
void print_shortname(FILE *o, const shortname v);
void print_ident(FILE *o, const ident v);
void print_scalars(FILE *o, const scalars *v);
void print_point(FILE *o, const point *v);
void print_inner(FILE *o, const inner *v);
void print_outer(FILE *o, const outer *v);
void print_shape(FILE *o, const shape *v);
void print_maybe_name(FILE *o, const maybe_name *v);
void print_number(FILE *o, const number *v);
void print_record(FILE *o, const record *v);
void print_storeok(FILE *o, const storeok *v);
void print_storeres(FILE *o, const storeres *v);
void print_lookupargs(FILE *o, const lookupargs *v);
void print_lookupok(FILE *o, const lookupok *v);
void print_lookupres(FILE *o, const lookupres *v);
void print_entry(FILE *o, const entry *v);
void print_entrylist(FILE *o, const entrylist v);
void print_dirlist(FILE *o, const dirlist *v);
void print_listres(FILE *o, const listres *v);
void print_listargs(FILE *o, const listargs *v);
void print_sumres(FILE *o, const sumres *v);
void print_demo2_add_2_argument(FILE *o, const demo2_add_2_argument *v);

#endif
