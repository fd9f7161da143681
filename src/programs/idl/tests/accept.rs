//! Every construct of the language, with the schema it must give.

use super::*;
use crate::programs::schema::{EnumDef, Field};

#[test]
fn constants_in_every_radix_sign_and_by_name() {
    let s = ok("
        const DEC = 1024;
        const HEX = 0x7FFFffff;
        const OCT = 0755;
        const ZERO = 0;
        const NEG = -2147483648;
        const ALIAS = LATER;     /* used before it is defined */
        const LATER = DEC;
        const BIG = 0xffffffff;
        const HUGE = 0xffffffffffffffff;
        const LOW = -9223372036854775808;
        const S = \"not a number\";
    ");
    let c = &s.consts;
    assert_eq!(c["DEC"], 1024);
    assert_eq!(c["HEX"], 0x7fff_ffff);
    assert_eq!(c["OCT"], 0o755);
    assert_eq!(c["ZERO"], 0);
    assert_eq!(c["NEG"], -2147483648);
    assert_eq!(c["ALIAS"], 1024);
    assert_eq!(c["LATER"], 1024);
    assert_eq!(c["BIG"], 4294967295);
    assert_eq!(c["HUGE"], -1); // u64::MAX kept as its 64 bits
    assert_eq!(c["LOW"], i64::MIN);
    assert!(!c.contains_key("S"));
    assert_eq!(c.len(), 10);
}

#[test]
fn typedefs_of_primitives_and_shapes_are_named_types_of_that_shape() {
    let s = ok("
        const FHSIZE = 32;
        typedef opaque fhandle[FHSIZE];
        typedef opaque blob<>;
        typedef opaque small<16>;
        typedef string filename3<>;
        typedef string name<255>;
        typedef int i;
        typedef unsigned u1;
        typedef unsigned int u2;
        typedef hyper h;
        typedef unsigned hyper uint64;
        typedef float f;
        typedef double d;
        typedef quadruple q;
        typedef bool b;
        typedef fhandle fharr[4];
        typedef fhandle fhlist<8>;
        typedef fhandle fhs<>;
        typedef int *maybe;
    ");
    let fh = s.lookup("fhandle").unwrap();
    for (name, want) in [
        ("fhandle", Kind::FixedOpaque(32)),
        ("blob", Kind::VarOpaque(None)),
        ("small", Kind::VarOpaque(Some(16))),
        ("filename3", Kind::String(None)),
        ("name", Kind::String(Some(255))),
        ("i", Kind::Int),
        ("u1", Kind::UInt),
        ("u2", Kind::UInt),
        ("h", Kind::Hyper),
        ("uint64", Kind::UHyper),
        ("f", Kind::Float),
        ("d", Kind::Double),
        ("q", Kind::Quadruple),
        ("b", Kind::Bool),
        ("fharr", Kind::FixedArray { elem: fh, len: 4 }),
        (
            "fhlist",
            Kind::VarArray {
                elem: fh,
                max: Some(8),
            },
        ),
        (
            "fhs",
            Kind::VarArray {
                elem: fh,
                max: None,
            },
        ),
        ("maybe", Kind::Optional(TypeId::INT)),
    ] {
        assert_eq!(kind(&s, name), &want, "{name}");
        assert_eq!(s.name(s.lookup(name).unwrap()), Some(name));
    }
    // Named types only: no anonymous type was needed.
    assert_eq!(s.types.len(), TypeId::FIRST_DECLARED as usize + 18);
}

#[test]
fn typedef_of_a_named_type_is_an_alias_and_of_a_tagged_pointer_an_optional() {
    let s = ok("
        typedef dirfh alias2;          /* an alias of an alias, used first */
        typedef nfs_fh3 dirfh;
        struct nfs_fh3 { opaque data<64>; };
        typedef struct entry *entryptr;
        struct entry { int x; entryptr next; };
        typedef struct nfs_fh3 nfs_fh3;  /* names nothing new */
    ");
    let fh = s.lookup("nfs_fh3").unwrap();
    let dirfh = s.lookup("dirfh").unwrap();
    assert_eq!(kind(&s, "dirfh"), &Kind::Alias(fh));
    assert_eq!(kind(&s, "alias2"), &Kind::Alias(dirfh));
    assert_eq!(s.resolve(s.lookup("alias2").unwrap()).0, fh);
    assert_eq!(
        kind(&s, "entryptr"),
        &Kind::Optional(s.lookup("entry").unwrap())
    );
    assert!(matches!(kind(&s, "nfs_fh3"), Kind::Struct(_)));
}

#[test]
fn typedefs_of_inline_types_name_them() {
    let s = ok("
        typedef struct { int a; hyper b; } pair;
        typedef enum { RED, GREEN = 5, BLUE } color;
        typedef union switch (color c) { case RED: int r; default: void; } paint;
        typedef struct { int v; } *node;
    ");
    assert_eq!(fields(&s, "pair"), [("a", &Kind::Int), ("b", &Kind::Hyper)]);
    let Kind::Enum(e) = kind(&s, "color") else {
        panic!()
    };
    assert_eq!(
        e.values,
        [
            ("RED".to_string(), 0),
            ("GREEN".into(), 5),
            ("BLUE".into(), 6)
        ]
    );
    let Kind::Union(u) = kind(&s, "paint") else {
        panic!()
    };
    assert_eq!(u.discriminant.ty, s.lookup("color").unwrap());
    assert_eq!(u.cases, [(0, 0)]);
    let Kind::Optional(inner) = kind(&s, "node") else {
        panic!()
    };
    let def = s.get(*inner);
    assert_eq!(def.name, None);
    assert!(matches!(&def.kind, Kind::Struct(st) if st.fields[0].name == "v"));
}

#[test]
fn c_integer_names_are_32_bit_as_xdr_encodes_them() {
    let s = ok("
        struct c {
            char a; short b; short int b2; long c; long int c2;
            unsigned char d; unsigned short e; unsigned long f;
            u_char g; u_short h; u_int i; u_long j;
            int32_t k; uint32_t l; u_int32_t m;
            int64_t n; uint64_t o; u_int64_t p; quad_t q; u_quad_t r;
            bool_t s;
        };
    ");
    let kinds: Vec<&Kind> = fields(&s, "c").into_iter().map(|(_, k)| k).collect();
    use Kind::*;
    assert_eq!(
        kinds,
        [
            &Int, &Int, &Int, &Int, &Int, &UInt, &UInt, &UInt, &UInt, &UInt, &UInt, &UInt, &Int,
            &UInt, &UInt, &Hyper, &UHyper, &UHyper, &Hyper, &UHyper, &Bool
        ]
    );
}

#[test]
fn builtins_of_rpc_h_and_shadowing_by_the_file() {
    let s = ok("
        typedef string netname<MAXNETNAMELEN>;
        struct k { netobj key; des_block block; netobj other; };
        union yes switch (bool b) { case TRUE: int x; case FALSE: void; };
    ");
    let netobj = s.lookup("netobj").unwrap();
    assert_eq!(s.get(netobj).kind, Kind::VarOpaque(Some(1024)));
    assert_eq!(kind(&s, "des_block"), &Kind::FixedOpaque(8));
    let Kind::Struct(k) = kind(&s, "k") else {
        panic!()
    };
    assert_eq!((k.fields[0].ty, k.fields[2].ty), (netobj, netobj));
    assert_eq!(kind(&s, "netname"), &Kind::String(Some(255)));
    // The file's own netobj and TRUE win.
    let s = ok("
        typedef opaque netobj<16>;
        const TRUE = 7;
        union u switch (int d) { case TRUE: netobj n; };
    ");
    assert_eq!(kind(&s, "netobj"), &Kind::VarOpaque(Some(16)));
    let Kind::Union(u) = kind(&s, "u") else {
        panic!()
    };
    assert_eq!(u.cases, [(7, 0)]);
}

#[test]
fn enums_values_explicit_implicit_and_by_name() {
    let s = ok("
        const BASE = 10;
        enum e { A, B, C = BASE, D, E = -3, F, G = A, H = Z };
        enum other { Z = 0x7fffffff };
    ");
    let Kind::Enum(e) = kind(&s, "e") else {
        panic!()
    };
    let want: Vec<(String, i32)> = [
        ("A", 0),
        ("B", 1),
        ("C", 10),
        ("D", 11),
        ("E", -3),
        ("F", -2),
        ("G", 0),
        ("H", i32::MAX),
    ]
    .iter()
    .map(|&(n, v)| (n.to_string(), v))
    .collect();
    assert_eq!(e, &EnumDef::new(want));
    assert_eq!(e.name_of(0), Some("A")); // first declared of A and G
                                         // Enum values are constants.
    assert_eq!(s.consts["D"], 11);
    assert_eq!(s.consts["F"], -2);
    assert_eq!(s.consts["Z"], 2147483647);
}

#[test]
fn long_enums_evaluate_in_linear_time() {
    // A constant naming the last member of a long implicit enum, before the
    // enum, then every member: each is computed once.
    let n = 20_000;
    let mut text = format!("const LAST = M{};\nenum big {{ M0 = 5", n - 1);
    for i in 1..n {
        text.push_str(&format!(", M{i}"));
    }
    text.push_str(" };\n");
    let t = std::time::Instant::now();
    let s = ok(&text);
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    assert_eq!(s.consts["LAST"], 5 + n - 1);
    assert_eq!(s.consts["M7"], 12);
}

#[test]
fn structs_fields_inline_types_and_shared_anonymous_shapes() {
    let s = ok("
        struct s {
            int a;
            opaque data<>;
            opaque more<>;
            string str<32>;
            struct { int x; } *next;
            enum { ONE = 1, TWO } num;
            union switch (int d) { case 0: int zero; default: void; } u;
            struct s2 by_tag;
            t2 by_name[2];
            bool flags<>;
        };
        struct s2 { int y; };
        typedef s2 t2;
    ");
    let f = fields(&s, "s");
    let names: Vec<&str> = f.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["a", "data", "more", "str", "next", "num", "u", "by_tag", "by_name", "flags"]
    );
    let Kind::Struct(st) = kind(&s, "s") else {
        panic!()
    };
    let ty = |i: usize| st.fields[i].ty;
    assert_eq!(ty(0), TypeId::INT);
    assert_eq!(ty(1), ty(2), "equal anonymous shapes share an id");
    assert_eq!(
        s.get(ty(1)),
        &crate::programs::schema::TypeDef {
            name: None,
            kind: Kind::VarOpaque(None)
        }
    );
    assert_eq!(f[3].1, &Kind::String(Some(32)));
    let Kind::Optional(inner) = f[4].1 else {
        panic!()
    };
    assert_eq!(
        s.get(*inner).kind,
        Kind::Struct(crate::programs::schema::StructDef {
            fields: vec![Field {
                name: "x".into(),
                ty: TypeId::INT
            }]
        })
    );
    assert!(matches!(f[5].1, Kind::Enum(e) if e.value_of("TWO") == Some(2)));
    assert_eq!(s.consts["ONE"], 1); // inline enum values are constants too
    assert!(matches!(f[6].1, Kind::Union(u) if u.default == Some(1)));
    assert_eq!(ty(7), s.lookup("s2").unwrap());
    assert_eq!(
        f[8].1,
        &Kind::FixedArray {
            elem: s.lookup("t2").unwrap(),
            len: 2
        }
    );
    assert_eq!(
        f[9].1,
        &Kind::VarArray {
            elem: TypeId::BOOL,
            max: None
        }
    );
}

#[test]
fn unions_share_arms_take_void_and_default_and_read_cases_by_type() {
    let s = ok("
        const C5 = 5;
        enum st { OK = 0, ERR1 = 1, ERR2 = 2, ERR3 = 3 };
        union r switch (st status) {
        case OK:
            int value;
        case ERR1:
        case ERR2:
            string why<>;
        case ERR3: case C5: case -7:
            void;
        default:
            opaque raw<>;
        };
        union un switch (unsigned int d) { case -1: int a; case 0x80000000: int b; };
        union si switch (int d) { case 0xffffffff: int a; case -2147483648: int b; };
        typedef unsigned int count3;
        typedef count3 count;
        union td switch (count c) { case 1: void; };
        union bo switch (bool b) { case FALSE: void; case TRUE: hyper h; };
    ");
    let Kind::Union(u) = kind(&s, "r") else {
        panic!()
    };
    assert_eq!(u.discriminant.name, "status");
    assert_eq!(u.discriminant.ty, s.lookup("st").unwrap());
    let arms: Vec<&str> = u.arms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(arms, ["value", "why", "", "raw"]);
    assert_eq!(u.arms[2].ty, TypeId::VOID);
    assert_eq!(u.cases, [(-7, 2), (0, 0), (1, 1), (2, 1), (3, 2), (5, 2)]);
    assert_eq!(u.default, Some(3));
    assert_eq!(u.arm(99).unwrap().name, "raw");
    // Case values are the discriminant's 32 bits read as its type.
    let Kind::Union(un) = kind(&s, "un") else {
        panic!()
    };
    assert_eq!(un.cases, [(0x8000_0000, 1), (0xffff_ffff, 0)]);
    let Kind::Union(si) = kind(&s, "si") else {
        panic!()
    };
    assert_eq!(si.cases, [(-2147483648, 1), (-1, 0)]);
    let Kind::Union(td) = kind(&s, "td") else {
        panic!()
    };
    assert_eq!((td.cases.as_slice(), td.default), (&[(1, 0)][..], None));
    let Kind::Union(bo) = kind(&s, "bo") else {
        panic!()
    };
    assert_eq!(bo.cases, [(0, 0), (1, 1)]);
}

#[test]
fn recursion_through_optional_data_or_variable_arrays_is_fine() {
    let s = ok("
        struct list { int v; list *next; };
        struct tree { int v; tree kids<>; };
        union chain switch (bool more) { case TRUE: chain rest<1>; case FALSE: void; };
        struct a { b *other; };
        struct b { a inner; };
    ");
    let list = s.lookup("list").unwrap();
    assert_eq!(fields(&s, "list")[1].1, &Kind::Optional(list));
}

#[test]
fn programs_versions_procedures_and_their_types() {
    let s = ok("
        const PROG = 0x20000001;
        const V2 = 2;
        typedef string path<>;
        struct pair { int a; int b; };
        program TESTPROG {
            version TESTVERS2 {
                void TESTPROC_NULL(void) = 0;
                int TESTPROC_ADD(int, int) = 1;              /* rpcgen -N */
                unsigned int TESTPROC_COUNT(path p) = 3;     /* a named argument */
                pair TESTPROC_SWAP(struct pair) = 2;
                path TESTPROC_ECHO(string s<64>, int *opt) = 4;
                string TESTPROC_NAME(string) = 5;
                unsigned hyper TESTPROC_BIG(unsigned) = 6;
            } = V2;
            version TESTVERS1 { void TESTPROC_NULL(void) = 0; } = 1;
        } = PROG;
        program OTHER { version OV { bool OTHERPROC3_X(void) = 7; } = 9; } = 300000;
    ");
    assert_eq!(
        s.programs.iter().map(|p| p.number).collect::<Vec<_>>(),
        [0x2000_0001, 300000],
        "programs stay in file order"
    );
    let p = s.program(0x2000_0001).unwrap();
    assert_eq!(p.name, "TESTPROG");
    assert_eq!(
        p.versions
            .iter()
            .map(|v| (v.number, v.name.as_str()))
            .collect::<Vec<_>>(),
        [(1, "TESTVERS1"), (2, "TESTVERS2")]
    );
    let v2 = p.version(2).unwrap();
    let nums: Vec<u32> = v2.procedures.iter().map(|p| p.number).collect();
    assert_eq!(nums, [0, 1, 2, 3, 4, 5, 6]);
    let pr = |n| v2.procedure(n).unwrap();
    assert_eq!(
        (pr(0).display.as_str(), pr(0).args.len(), pr(0).result),
        ("NULL", 0, TypeId::VOID)
    );
    assert_eq!(pr(1).args, [TypeId::INT, TypeId::INT]);
    assert_eq!(
        (pr(1).name.as_str(), pr(1).display.as_str()),
        ("TESTPROC_ADD", "ADD")
    );
    let path = s.lookup("path").unwrap();
    assert_eq!(
        (pr(3).args.as_slice(), pr(3).result),
        (&[path][..], TypeId::UINT)
    );
    let pair = s.lookup("pair").unwrap();
    assert_eq!((pr(2).args.as_slice(), pr(2).result), (&[pair][..], pair));
    assert_eq!(s.get(pr(4).args[0]).kind, Kind::String(Some(64)));
    assert_eq!(s.get(pr(4).args[1]).kind, Kind::Optional(TypeId::INT));
    assert_eq!(pr(4).result, path);
    assert_eq!(s.get(pr(5).args[0]).kind, Kind::String(None));
    assert_eq!(s.get(pr(5).result).kind, Kind::String(None));
    assert_eq!(
        (pr(6).args.as_slice(), pr(6).result),
        (&[TypeId::UINT][..], TypeId::UHYPER)
    );
    let o = s
        .program(300000)
        .unwrap()
        .version(9)
        .unwrap()
        .procedure(7)
        .unwrap();
    assert_eq!((o.display.as_str(), o.result), ("X", TypeId::BOOL));
}

#[test]
fn comments_and_pass_through_lines_are_skipped() {
    let s = ok("
%#include <rpc/rpc.h>
%/* C comment with struct x { and junk @#$ */
// a line comment with struct y {
struct /* inside */ z { int a; /* multi
line */ int b; }; // trailing
%static int f(void) { return 0; }
");
    assert_eq!(fields(&s, "z").len(), 2);
    assert!(s.lookup("x").is_none() && s.lookup("y").is_none());
}

#[test]
fn keywords_are_case_sensitive_and_names_may_contain_them() {
    let s = ok("struct Int { int integer; unsigned unsignedness; }; typedef Int STRUCT;");
    assert_eq!(kind(&s, "STRUCT"), &Kind::Alias(s.lookup("Int").unwrap()));
}
