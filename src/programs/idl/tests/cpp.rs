//! The preprocessor subset: conditionals, defines, includes.

use super::*;
use crate::limits::{IDL_MAX_IF_DEPTH, IDL_MAX_INCLUDE_DEPTH, IDL_MAX_INPUT};

/// The names of the types `text` defines, sorted.
fn type_names(text: &str) -> Vec<String> {
    let mut v: Vec<String> = ok(text).by_name.keys().cloned().collect();
    v.sort();
    v
}

#[test]
fn conditionals_pick_branches_like_cpp() {
    let text = "
#define ONE 1
#define EMPTY
#ifdef ONE
struct a { int x; };
#else
struct not_a { int x; };
#endif
#ifndef ONE
struct not_b { int x; };
#elif ONE + 1 == 2
struct b { int x; };
#else
struct not_b2 { int x; };
#endif
#if UNDEFINED
struct not_c { int x; };
#elif defined(EMPTY) && !defined UNDEFINED
struct c { int x; };
#elif 1
struct not_c2 { int x; };
#endif
#if 0
#if 1
struct not_d { int x; };
#else
struct not_d2 { int x; };
#endif
garbage @ that is skipped ' \"
#elif 1
struct d { int x; };
#endif
  #  if RPC_HDR  /* rpcgen -h defines RPC_HDR */
struct e { int x; };
# endif
#ifdef RPC_XDR
struct not_f { int x; };
#endif
#undef ONE
#ifdef ONE
struct not_g { int x; };
#endif
#pragma ident \"whatever\"
#ident \"x\"
# 12 \"file.x\"
#
";
    assert_eq!(type_names(text), ["a", "b", "c", "d", "e"]);
}

#[test]
fn defines_are_constants_and_macros_for_if() {
    let s = ok("
#define SIZE 16
#define DOUBLE (SIZE * 2)
#if DOUBLE != 32
#error wrong
#endif
%#define LM_MAXSTRLEN 1024
%#define MAXNAMELEN LM_MAXSTRLEN+1
%#define NOT_A_NUMBER \"text\"
%#define FUNC(x) ((x) + 1)
const SIZE2 = SIZE;
struct s {
    opaque a[SIZE];
    string b<MAXNAMELEN>;
    int c[DOUBLE];
};
");
    assert_eq!(
        fields(&s, "s"),
        [
            ("a", &Kind::FixedOpaque(16)),
            ("b", &Kind::String(Some(1025))),
            (
                "c",
                &Kind::FixedArray {
                    elem: TypeId::INT,
                    len: 32
                }
            ),
        ]
    );
    assert_eq!(s.consts["SIZE2"], 16);
    assert_eq!(s.consts["DOUBLE"], 32);
    assert_eq!(s.consts["MAXNAMELEN"], 1025);
    assert!(!s.consts.contains_key("NOT_A_NUMBER"));
    assert!(!s.consts.contains_key("RPC_HDR")); // predefined, not the file's
                                                // A const of the same name wins over a #define.
    let s = ok("%#define N 5\nconst N = 7;\ntypedef int a[N];");
    assert_eq!(
        kind(&s, "a"),
        &Kind::FixedArray {
            elem: TypeId::INT,
            len: 7
        }
    );
    // Inactive defines do not count; #undef removes.
    err_at(
        "#if 0\n#define Z 3\n#endif\ntypedef int a[Z];",
        4,
        15,
        "unknown constant `Z`",
    );
    err_at(
        "#define Z 3\n#undef Z\ntypedef int a[Z];",
        3,
        15,
        "unknown constant `Z`",
    );
    // A define that is not a number says so where it is used.
    err_at(
        "%#define W \"str\"\ntypedef int a[W];",
        2,
        15,
        "`W` (from the #define at t.x:1:1) is not an integer constant",
    );
}

#[test]
fn includes_go_through_the_callback_with_positions_in_their_file() {
    let s = with_files(
        "#include \"types.x\"\n#include <sub/more.x>\nstruct top { fh f; m g; };",
        &[
            ("types.x", "const FHSIZE = 8;\ntypedef opaque fh[FHSIZE];\n"),
            ("sub/more.x", "typedef int m;"),
        ],
    )
    .unwrap();
    assert_eq!(fields(&s, "top")[0].1, &Kind::FixedOpaque(8));
    assert_eq!(fields(&s, "top")[1].1, &Kind::Int);
    // An error inside an included file names that file.
    let e = with_files(
        "\n#include \"bad.x\"\n",
        &[("bad.x", "struct x {\n  int;\n};")],
    )
    .unwrap_err();
    assert_eq!((e.file.as_str(), e.line, e.col), ("bad.x", 2, 6));
    assert!(e.message.contains("expected a name"), "{e}");
    // The callback learns which file includes.
    let mut seen = Vec::new();
    let _ = parse_with("#include \"a.x\"", "top.x", &mut |name, from| {
        seen.push((name.to_string(), from.to_string()));
        if name == "a.x" {
            Ok(("A".to_string(), "#include \"b.x\"".to_string()))
        } else {
            Ok(("B".to_string(), String::new()))
        }
    })
    .unwrap();
    assert_eq!(
        seen,
        [("a.x".into(), "top.x".into()), ("b.x".into(), "A".into())]
    );
}

#[test]
fn a_c_include_of_an_rpcgen_header_reads_its_x_file_once() {
    let files = [
        ("nis.x", "struct nis_object { int x; };"),
        ("rpcsvc/nis.x", "struct nis_object { int x; };"),
    ];
    let s = with_files(
        "%#include <rpc/types.h>\n%#include \"nis.h\"\n%#include \"nis.h\"\ntypedef nis_object *obj_p;",
        &files,
    )
    .unwrap();
    assert!(matches!(kind(&s, "obj_p"), Kind::Optional(_)));
    // Inside an inactive block, the C include is not read.
    let e = with_files(
        "#if 0\n%#include \"nis.h\"\n#endif\ntypedef nis_object *p;",
        &files,
    )
    .unwrap_err();
    assert!(e.message.contains("unknown type `nis_object`"), "{e}");
    // Without a callback the line is C and ignored.
    err_at(
        "%#include \"nis.h\"\ntypedef nis_object *p;",
        2,
        9,
        "unknown type",
    );
}

#[test]
fn preprocessor_errors_say_where() {
    err_at(
        "struct a { int x; };\n#include \"x.x\"\n",
        2,
        1,
        "no include callback",
    );
    err_at("#endif\n", 1, 1, "#endif without #if");
    err_at("#else\n", 1, 1, "#else without #if");
    err_at("#elif 1\n", 1, 1, "#elif without #if");
    err_at("#if 1\n#else\n#else\n#endif\n", 3, 1, "#else after #else");
    err_at("#if 1\n#else\n#elif 1\n#endif\n", 3, 1, "#elif after #else");
    err_at("\n  #ifdef X\nstruct a { int x; };\n", 2, 3, "no #endif");
    err_at("#if 1 +\n#endif\n", 1, 1, "#if: expression ends early");
    err_at("#if (2\n#endif\n", 1, 1, "expected `)`");
    err_at(
        "#define E\n#if E\n#endif\n",
        2,
        1,
        "`E` is defined as nothing",
    );
    err_at(
        "#if 0\n#else\n#error stop here\n#endif",
        3,
        1,
        "#error stop here",
    );
    err_at(
        "#define F(x) x\n",
        1,
        1,
        "function-like macros are not supported",
    );
    err_at("#define\n", 1, 1, "#define needs a name");
    err_at("#ifdef\n#endif\n", 1, 1, "#ifdef needs a name");
    err_at("#include x.x\n", 1, 1, "#include expects");
    err_at(
        "#if 0\n#elif 1 / 0\n#endif",
        2,
        1,
        "#elif: division by zero",
    );
    // A taken branch leaves later #elif unevaluated, as in cpp.
    ok("#if 1\n#elif 1 / 0\n#endif");
    // A self-referential macro ends at the depth bound, not in a loop.
    err_at("#define A A + 1\n#if A\n#endif", 2, 1, "macros nest deeper");
    // An #if in a file must end in that file.
    let e = with_files("#include \"a.x\"\n#endif\n", &[("a.x", "#if 1\n")]).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("a.x", 1));
}

#[test]
fn include_errors_cycles_and_bounds() {
    let e = with_files("#include \"nope.x\"", &[]).unwrap_err();
    assert_eq!((e.line, e.col), (1, 1));
    assert_eq!(e.message, "cannot include \"nope.x\": no file nope.x");
    let e = with_files(
        "\n#include \"a.x\"",
        &[("a.x", "#include \"b.x\""), ("b.x", "#include \"a.x\"")],
    )
    .unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("b.x", 1));
    assert_eq!(e.message, "include cycle: main.x -> a.x -> b.x -> a.x");
    let e = with_files("#include \"main.x\"", &[("main.x", "")]).unwrap_err();
    assert!(e.message.contains("include cycle: main.x -> main.x"), "{e}");
    // Depth: each file includes the next, all distinct.
    let mut depth = 0;
    let e = parse_with("#include \"f0\"", "main.x", &mut |name, _| {
        depth += 1;
        let n: usize = name[1..].parse().unwrap();
        Ok((name.to_string(), format!("#include \"f{}\"", n + 1)))
    })
    .unwrap_err();
    assert!(e.message.contains("nest deeper than"), "{e}");
    assert_eq!(depth, IDL_MAX_INCLUDE_DEPTH + 1);
    // Total size: the same file included again and again.
    let big = "/*".to_string() + &" ".repeat(IDL_MAX_INPUT / 4) + "*/";
    let main = "#include \"big.x\"\n".repeat(5);
    let e = with_files(&main, &[("big.x", &big)]).unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.message.contains("passes"), "{e}");
}

#[test]
fn if_nesting_is_bounded() {
    let ok_text = "#if 1\n".repeat(IDL_MAX_IF_DEPTH) + &"#endif\n".repeat(IDL_MAX_IF_DEPTH);
    ok(&ok_text);
    let deep = "#if 1\n".repeat(IDL_MAX_IF_DEPTH + 1);
    err_at(&deep, IDL_MAX_IF_DEPTH as u32 + 1, 1, "nest deeper than");
}

#[test]
fn spliced_lines_in_directives_and_pass_through() {
    let s = ok(
        "#define N \\\n  4\n%#define M (N + \\\n 1) << 16\nstruct s { int a[N]; };\nconst K = M;",
    );
    assert_eq!(
        fields(&s, "s")[0].1,
        &Kind::FixedArray {
            elem: TypeId::INT,
            len: 4
        }
    );
    assert_eq!(s.consts["K"], 5 << 16);
}
