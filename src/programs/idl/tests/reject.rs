//! One broken input per check, each with the place the error must point
//! at and what it must say.

use super::*;
use crate::limits::{IDL_MAX_CONST_DEPTH, IDL_MAX_INPUT, IDL_MAX_NESTING, IDL_MAX_TYPES};

#[test]
fn syntax_errors_say_what_was_expected_and_found() {
    err_at(
        "struct a { int x; }",
        1,
        20,
        "expected `;` at the end of the definition, found end of input",
    );
    err_at(
        "struct a { int x; };\n;",
        2,
        1,
        "expected a definition (`const`, `typedef`",
    );
    err_at("struct a { int x; } @", 1, 21, "unexpected character `@`");
    err_at(
        "struct a {\n  int x\n};",
        3,
        1,
        "expected `;` after the struct field, found `}`",
    );
    err_at(
        "struct a { int int; };",
        1,
        16,
        "expected a name in the declaration, found keyword `int`",
    );
    err_at(
        "struct program { int x; };",
        1,
        8,
        "expected a name after `struct`, found keyword `program`",
    );
    err_at("struct a { };", 1, 12, "expected a type, found `}`");
    err_at(
        "struct a { case x; };",
        1,
        12,
        "expected a type, found keyword `case`",
    );
    err_at(
        "const X = ;",
        1,
        11,
        "expected a number, a constant name or a string, found `;`",
    );
    err_at(
        "const X = -Y;",
        1,
        12,
        "expected a number after `-`, found `Y`",
    );
    err_at("const X = 08;", 1, 11, "malformed number `08`");
    err_at("const X = 99999999999999999999;", 1, 11, "too large");
    err_at("const X = \"open;\n", 1, 11, "unterminated string");
    err_at(
        "typedef int a[3;",
        1,
        16,
        "expected `]` after the array size, found `;`",
    );
    err_at(
        "typedef int a<3;",
        1,
        16,
        "expected `>` after the maximum size",
    );
    err_at(
        "enum e { A, };",
        1,
        13,
        "expected an enum value name, found `}`",
    );
    err_at(
        "enum e { A B };",
        1,
        12,
        "expected `}` or `,` in the enum, found `B`",
    );
    err_at("enum e A, B };", 1, 8, "expected `{` to open the enum");
    err_at(
        "union u { case 1: int x; };",
        1,
        9,
        "expected `switch` to start the union",
    );
    err_at(
        "union u switch (int d) { default: void; };",
        1,
        26,
        "expected `case`, found keyword `default`",
    );
    err_at(
        "union u switch (int d) { case 1: void; default: void; case 2: void; };",
        1,
        55,
        "expected `}` to close the union (`default` comes last), found keyword `case`",
    );
    err_at(
        "union u switch (int d) { case 1 void; };",
        1,
        33,
        "expected `:` after the case value",
    );
}

#[test]
fn unterminated_comments_and_input_ending_inside_a_definition() {
    err_at(
        "struct a { int x; };\n  /* never closed\n",
        2,
        3,
        "unterminated comment",
    );
    err_at("struct a {\n  int x;", 2, 9, "found end of input");
    err_at(
        "program P { version V { void F(void) = 0;",
        1,
        42,
        "found end of input",
    );
    err_at(
        "const",
        1,
        6,
        "expected a constant name after `const`, found end of input",
    );
    err_at("#if 0\n/* open\n#endif\n", 2, 1, "unterminated comment");
}

#[test]
fn void_opaque_and_string_only_where_they_belong() {
    err_at(
        "struct a { void; };",
        1,
        12,
        "`void` is only allowed as a union arm",
    );
    err_at("typedef void v;", 1, 9, "`void` is only allowed");
    err_at(
        "union u switch (void) { case 1: int x; };",
        1,
        17,
        "`void` is only allowed",
    );
    err_at("struct a { opaque o; };", 1, 19, "opaque `o` needs a size");
    err_at(
        "struct a { string s; };",
        1,
        19,
        "string `s` needs a maximum length",
    );
    err_at(
        "struct a { string s[4]; };",
        1,
        19,
        "string `s` needs a maximum length",
    );
    err_at(
        "struct a { opaque *o; };",
        1,
        12,
        "optional data (`*`) of opaque or string",
    );
    err_at(
        "struct a { int *p[3]; };",
        1,
        18,
        "no arrays of optional data",
    );
    err_at(
        "struct a { int *p<>; };",
        1,
        18,
        "no arrays of optional data",
    );
}

#[test]
fn unknown_names() {
    err_at("struct a {\n  fh3 f;\n};", 2, 3, "unknown type `fh3`");
    err_at("struct a { struct b x; };", 1, 12, "unknown struct `b`");
    err_at(
        "const N = 3;\nstruct a { N x; };",
        2,
        12,
        "`N` is a constant (at t.x:1:7), not a type",
    );
    err_at(
        "enum e { A };\nstruct a { A x; };",
        2,
        12,
        "`A` is an enum value (at t.x:1:10), not a type",
    );
    err_at("typedef int a[SIZE];", 1, 15, "unknown constant `SIZE`");
    err_at(
        "struct s { int x; };\ntypedef int a[s];",
        2,
        15,
        "`s` is a type, not a constant",
    );
    err_at("const A = B;", 1, 11, "unknown constant `B`");
    err_at(
        "const H = \"x\";\ntypedef int a<H>;",
        2,
        15,
        "`H` is a string constant, not a number",
    );
    err_at(
        "union u switch (int d) { case NOPE: void; };",
        1,
        31,
        "unknown constant `NOPE`",
    );
    err_at(
        "program P { version V { void F(void) = 0; } = VERS; } = 1;",
        1,
        47,
        "unknown constant `VERS`",
    );
    err_at(
        "program P { version V { missing F(void) = 0; } = 1; } = 1;",
        1,
        25,
        "unknown type `missing`",
    );
    err_at(
        "program P { version V { void F(missing) = 0; } = 1; } = 1;",
        1,
        32,
        "unknown type `missing`",
    );
}

#[test]
fn names_defined_twice() {
    err_at(
        "struct a { int x; };\nstruct a { int y; };",
        2,
        8,
        "`a` is already defined, as a type at t.x:1:8",
    );
    err_at(
        "const a = 1;\ntypedef int a;",
        2,
        13,
        "`a` is already defined, as a constant at t.x:1:7",
    );
    err_at(
        "enum e { A, B };\nenum f { C, A };",
        2,
        13,
        "`A` is already defined, as an enum value at t.x:1:10",
    );
    err_at(
        "const X = 1;\nenum e { X };",
        2,
        10,
        "already defined, as a constant",
    );
    err_at("enum e { A, A };", 1, 13, "`A` is already defined");
    err_at(
        "struct s { enum { IN } a; };\nconst IN = 2;",
        2,
        7,
        "`IN` is already defined, as an enum value",
    );
    err_at(
        "typedef int x;\nenum x { Q };",
        2,
        6,
        "`x` is already defined",
    );
}

#[test]
fn duplicate_fields_arms_and_case_values() {
    err_at(
        "struct a {\n  int x;\n  hyper x;\n};",
        3,
        9,
        "duplicate field `x` in the struct (first at t.x:2:7)",
    );
    err_at(
        "union u switch (int d) {\ncase 1: int x;\ncase 2: hyper x;\n};",
        3,
        15,
        "duplicate name `x` in the union (first at t.x:2:13)",
    );
    err_at(
        "union u switch (int d) { case 1: int d; };",
        1,
        38,
        "duplicate name `d` in the union",
    );
    err_at(
        "union u switch (int d) { case 1: void; default: int d; };",
        1,
        53,
        "duplicate name `d`",
    );
    err_at(
        "union u switch (int d) {\ncase 1: int x;\ncase 1: int y;\n};",
        3,
        6,
        "duplicate case value 1 in the union (first at t.x:2:6)",
    );
    err_at(
        "const ONE = 1;\nunion u switch (int d) { case 1: case ONE: void; };",
        2,
        39,
        "duplicate case value 1",
    );
    // -1 and 0xffffffff are the same bits of an unsigned discriminant.
    err_at(
        "union u switch (unsigned d) { case -1: void; case 0xffffffff: void; };",
        1,
        51,
        "duplicate case value 4294967295",
    );
    err_at(
        "enum e { A = 1, B = 1 };\nunion u switch (e d) { case A: void; case B: void; };",
        2,
        43,
        "duplicate case value 1",
    );
}

#[test]
fn discriminants_must_be_int_unsigned_bool_or_enum() {
    err_at(
        "union u switch (hyper d) { case 1: void; };",
        1,
        17,
        "union discriminant `d` must be int, unsigned int, bool or an enum, not hyper",
    );
    err_at(
        "union u switch (float d) { case 1: void; };",
        1,
        17,
        "not float",
    );
    err_at(
        "union u switch (string d<>) { case 1: void; };",
        1,
        17,
        "not a string",
    );
    err_at(
        "struct s { int x; };\nunion u switch (s d) { case 1: void; };",
        2,
        17,
        "not a struct",
    );
    err_at(
        "typedef hyper h;\ntypedef h h2;\nunion u switch (h2 d) { case 1: void; };",
        3,
        17,
        "not hyper",
    );
    err_at(
        "union u switch (int d[2]) { case 1: void; };",
        1,
        17,
        "not a fixed-size array",
    );
    err_at(
        "union u switch (int *d) { case 1: void; };",
        1,
        17,
        "not optional data",
    );
}

#[test]
fn case_values_must_fit_the_discriminant() {
    err_at(
        "union u switch (bool b) { case 2: void; };",
        1,
        32,
        "case value 2 does not fit a bool discriminant (TRUE or FALSE)",
    );
    err_at(
        "union u switch (int d) { case 0x100000000: void; };",
        1,
        31,
        "does not fit an int discriminant",
    );
    err_at(
        "union u switch (int d) { case -2147483649: void; };",
        1,
        31,
        "does not fit an int",
    );
    err_at(
        "union u switch (unsigned d) { case -2147483649: void; };",
        1,
        36,
        "does not fit an unsigned int",
    );
    err_at(
        "enum e { A };\nunion u switch (e d) { case 0x1ffffffff: void; };",
        2,
        29,
        "does not fit an enum discriminant",
    );
}

#[test]
fn array_sizes_must_be_positive_32_bit_constants() {
    err_at(
        "typedef int a[0];",
        1,
        15,
        "array size must be a positive 32-bit constant, not 0",
    );
    err_at("typedef opaque a[-4];", 1, 18, "not -4");
    err_at(
        "const Z = 0;\ntypedef opaque a<Z>;",
        2,
        18,
        "array maximum must be a positive 32-bit constant, not `Z` = 0",
    );
    err_at("typedef string s<4294967296>;", 1, 18, "not 4294967296");
    err_at("struct a { int v[0x100000000]; };", 1, 18, "not 4294967296");
    err_at("enum e { A };\ntypedef int a[A];", 2, 15, "not `A` = 0");
    err_at(
        "program P { version V { void F(string<0>) = 0; } = 1; } = 1;",
        1,
        39,
        "not 0",
    );
    ok("typedef int a[4294967295];");
}

#[test]
fn constants_out_of_range_and_in_cycles() {
    err_at(
        "const A = B;\nconst B = A;",
        2,
        11,
        "constant `A` is defined in terms of itself",
    );
    err_at(
        "const A = A;",
        1,
        11,
        "constant `A` is defined in terms of itself",
    );
    err_at(
        "enum e { A = C, B, C };",
        1,
        14,
        "defined in terms of itself",
    );
    err_at(
        "const A = -9223372036854775809;",
        1,
        7,
        "does not fit 64 bits",
    );
    err_at(
        "enum e { A = 0x80000000 };",
        1,
        10,
        "enum value `A` = 2147483648 does not fit a 32-bit int",
    );
    err_at(
        "enum e { A = 0x7fffffff, B };",
        1,
        26,
        "enum value `B` = 2147483648",
    );
    err_at(
        "enum e { A = -2147483649 };",
        1,
        10,
        "does not fit a 32-bit int",
    );
    err_at(
        "%#define X Y\n%#define Y X\ntypedef int a[X];",
        3,
        15,
        "defined in terms of itself",
    );
    // A long chain, written last-first so that the first constant's value
    // goes through all the others, passes the depth bound.
    let chain = |n: usize| {
        let mut text = String::new();
        for i in (1..=n).rev() {
            text.push_str(&format!("const C{i} = C{};\n", i - 1));
        }
        text + "const C0 = 1;\n"
    };
    let e = err(&chain(IDL_MAX_CONST_DEPTH + 2));
    assert_eq!((e.line, e.col), (IDL_MAX_CONST_DEPTH as u32 + 1, 12));
    assert!(e.message.contains("defined through more than"), "{e}");
    let s = ok(&chain(IDL_MAX_CONST_DEPTH - 1));
    assert_eq!(s.consts[&format!("C{}", IDL_MAX_CONST_DEPTH - 1)], 1);
}

#[test]
fn types_containing_themselves_by_value() {
    err_at(
        "struct s {\n  int v;\n  s next;\n};",
        1,
        8,
        "`s` contains itself (s -> s) through struct fields, union arms or fixed-size arrays",
    );
    err_at(
        "struct a { b x; };\nstruct b { c y; };\nstruct c { a z; };",
        1,
        8,
        "`a` contains itself (a -> b -> c -> a)",
    );
    err_at(
        "union u switch (bool more) { case TRUE: u next; case FALSE: void; };",
        1,
        7,
        "`u` contains itself (u -> u)",
    );
    err_at(
        "struct s { s arr[2]; };",
        1,
        8,
        "`s` contains itself (s -> (fixed-size array) -> s)",
    );
    err_at(
        "typedef s t;\nstruct s { t x; };",
        1,
        11,
        "`t` contains itself (t -> s -> t)",
    );
    err_at(
        "struct s { struct { s inner; } wrap; };",
        1,
        8,
        "`s` contains itself (s -> (inline struct) -> s)",
    );
}

#[test]
fn typedef_cycles_and_self_typedefs() {
    err_at(
        "typedef b a;\ntypedef a b;",
        1,
        11,
        "typedef cycle: a -> b -> a",
    );
    err_at(
        "typedef a b;\ntypedef c a;\ntypedef b c;",
        1,
        11,
        "typedef cycle: b -> a -> c -> b",
    );
    err_at(
        "typedef x x;",
        1,
        9,
        "`typedef x x;` names itself, and `x` is not defined elsewhere",
    );
    err_at(
        "typedef struct x x;",
        1,
        9,
        "`typedef struct x x;` names itself",
    );
    err_at(
        "union x switch (int d) { case 1: void; };\ntypedef struct x x;",
        2,
        9,
        "`struct x`: `x` is a union, not a struct",
    );
    err_at(
        "struct x { int a; };\nstruct y { enum x e; };",
        2,
        12,
        "`enum x`: `x` is a struct, not an enum",
    );
    ok("typedef netobj netobj;");
}

#[test]
fn programs_with_duplicates_and_bad_numbers() {
    let v = |body: &str| format!("program P {{ version V {{ {body} }} = 1; }} = 1;");
    err_at(
        &v("void A(void) = 1; void B(void) = 1;"),
        1,
        58,
        "duplicate procedure number 1 (first at t.x:1:40)",
    );
    err_at(
        &v("void A(void) = 1; void A(void) = 2;"),
        1,
        48,
        "duplicate procedure `A`",
    );
    err_at(
        "program P { version V { void A(void) = 1; } = 1; version W { void A(void) = 1; } = 1; } = 1;",
        1,
        84,
        "duplicate version number 1",
    );
    err_at(
        "program P { version V { void A(void) = 1; } = 1; version V { void A(void) = 1; } = 2; } = 1;",
        1,
        58,
        "duplicate version `V`",
    );
    err_at(
        "program P { version V { void A(void) = 1; } = 1; } = 7;\nprogram Q { version V { void A(void) = 1; } = 1; } = 7;",
        2,
        54,
        "duplicate program number 7 (first at t.x:1:54)",
    );
    err_at(
        "program P { version V { void A(void) = 1; } = 1; } = 7;\nprogram P { version V { void A(void) = 1; } = 1; } = 8;",
        2,
        9,
        "duplicate program `P`",
    );
    err_at(
        &v("void A(void) = -1;"),
        1,
        40,
        "procedure number -1 is not an unsigned 32-bit value",
    );
    err_at(
        "program P { version V { void A(void) = 1; } = 0x100000000; } = 1;",
        1,
        47,
        "version number 4294967296",
    );
    err_at(
        &v("void A(int, void) = 1;"),
        1,
        37,
        "`void` cannot be one of several arguments",
    );
    err_at(
        &v("void A(void, int) = 1;"),
        1,
        32,
        "`void` cannot be one of several arguments",
    );
    err_at(
        &v("void A(opaque) = 1;"),
        1,
        32,
        "opaque cannot be a procedure's argument or result",
    );
    err_at(
        &v("void A(struct { int x; }) = 1;"),
        1,
        39,
        "an inline `struct` definition is not allowed in a procedure",
    );
    err_at(
        &v("void A(int x[2]) = 1;"),
        1,
        37,
        "arrays cannot be procedure arguments",
    );
    err_at(
        &v("void A(string *s) = 1;"),
        1,
        32,
        "no optional string arguments",
    );
    err_at(
        &v("void A(void) = 1"),
        1,
        42,
        "expected `;` after the procedure number",
    );
    err_at(
        "program P { } = 1;",
        1,
        13,
        "expected `version` in the program, found `}`",
    );
    err_at(
        "program P { version V { } = 1; } = 1;",
        1,
        25,
        "expected a type, found `}`",
    );
}

#[test]
fn bounds_are_errors_not_crashes() {
    // Nesting of inline types.
    let deep = |n: usize| {
        let mut t = String::from("typedef ");
        for _ in 0..n {
            t.push_str("struct { ");
        }
        t.push_str("int x; ");
        for _ in 0..n {
            t.push_str("} y; ");
        }
        t.replace_range(t.len() - 5.., "} z;");
        t
    };
    ok(&deep(IDL_MAX_NESTING));
    let e = err(&deep(IDL_MAX_NESTING + 1));
    assert!(e.message.contains("nest deeper than"), "{e}");
    assert_eq!((e.line, e.col), (1, 9 + 9 * IDL_MAX_NESTING as u32 + 7));
    // Number of types.
    let mut many = String::new();
    for i in 0..IDL_MAX_TYPES {
        many.push_str(&format!("typedef int t{i};\n"));
    }
    let e = err(&many);
    assert!(
        e.message
            .contains(&format!("more than {IDL_MAX_TYPES} types")),
        "{e}"
    );
    assert_eq!(
        e.line as usize,
        IDL_MAX_TYPES - crate::programs::schema::TypeId::FIRST_DECLARED as usize + 1
    );
    // Input size.
    let big = " ".repeat(IDL_MAX_INPUT + 1);
    err_at(&big, 1, 1, "at most");
}
