//! Hostile input: mutated and random text never panics, every schema that
//! loads passes [`invariants::check`], every error points at a real place,
//! and all of it finishes fast. A small deterministic PRNG drives the
//! mutations, so a failure names a reproducible case.

use super::*;
use std::time::{Duration, Instant};

/// A file that uses every construct the parser knows.
pub(super) const SEED: &str = r#"
/* a protocol using every construct */
%#include <rpc/rpc.h>
%#define C_MAX 64
#define LOCAL 3
#ifdef RPC_HDR
const MAXNAME = 255;
#else
const MAXNAME = 1;
#endif
#if LOCAL > 2 && !defined(NOPE)
const HEXC = 0x10;
#elif 1
#endif
const OCTC = 017;
const NEGC = -5;
const NAMED = MAXNAME;
typedef opaque handle[HEXC];
typedef string name<MAXNAME>;
typedef string anyname<>;
typedef unsigned hyper u64;
typedef handle dirh;
typedef struct node *nodeptr;
enum status { OK = 0, ENOENT = 2, EIO, EBIG = NEGC };
enum implicit { FIRST, SECOND, THIRD };
struct node {
    name n;
    unsigned int flags;
    int counts[LOCAL];
    opaque blob<C_MAX>;
    hyper h; float f; double d; quadruple q; bool b;
    char c; u_int ui; uint32_t u32;
    struct { int a; } *inner;
    enum { IN_A = 40, IN_B } inl;
    nodeptr next;
    node kids<>;
};
union result switch (status st) {
case OK:
    node value;
case ENOENT:
case EIO:
    void;
case -5:
    string why<>;
default:
    opaque raw<>;
};
union flag switch (bool set) { case TRUE: int v; case FALSE: void; };
typedef union switch (unsigned d) { case 0: int x; case 0xffffffff: void; } tagged;
typedef struct node node;
program DEMO_PROG {
    version DEMO_V1 {
        void DEMOPROC_NULL(void) = 0;
        result DEMOPROC_GET(dirh) = 1;
        int DEMOPROC_ADD(int a, int) = 2;
        unsigned int DEMOPROC_LEN(string s<MAXNAME>) = 3;
        struct node DEMOPROC_NODE(node *maybe) = 4;
    } = 1;
    version DEMO_V2 { flag DEMOPROC_FLAG(netobj) = 7; } = 2;
} = 0x20000123;
"#;

/// xorshift64*: small, fast, deterministic.
pub(super) struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Splits text into tokens and the blanks between them, so mutations
/// keep most of the structure.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let class = |c: char| {
        if c.is_ascii_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut prev = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        if prev.is_some() && (prev != Some(k) || k == 2) {
            out.push(&text[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    out.push(&text[start..]);
    out
}

/// Tokens worth inserting: the language's punctuation and keywords, and
/// the characters that open or close comments, strings and directives.
const SPICE: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ";",
    ",",
    "=",
    ":",
    "*",
    "-",
    "struct",
    "union",
    "enum",
    "typedef",
    "const",
    "switch",
    "case",
    "default",
    "void",
    "opaque",
    "string",
    "program",
    "version",
    "unsigned",
    "hyper",
    "int",
    "bool",
    "TRUE",
    "0",
    "-1",
    "0x",
    "08",
    "4294967296",
    "\n#if 1\n",
    "\n#else\n",
    "\n#endif\n",
    "\n#ifdef X\n",
    "\n#define X 1\n",
    "\n#include \"inc.x\"\n",
    "\n%#include \"inc.h\"\n",
    "\n%",
    "/*",
    "*/",
    "//",
    "\"",
    "'",
    "\\\n",
    "node",
    "status",
    "OK",
    "MAXNAME",
    "é",
    "\0",
    "@",
];

/// One mutation of `text`: delete, duplicate, swap or insert tokens.
pub(super) fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut p: Vec<String> = pieces(text).into_iter().map(str::to_string).collect();
    for _ in 0..1 + rng.below(4) {
        let n = p.len();
        let i = rng.below(n);
        match rng.below(5) {
            0 => {
                p.remove(i.min(n.saturating_sub(1)));
            }
            1 => {
                let t = p[i].clone();
                p.insert(i, t);
            }
            2 => p.swap(i, rng.below(n)),
            3 => p.insert(i, SPICE[rng.below(SPICE.len())].to_string()),
            _ => {
                // Duplicate a whole run: repeated definitions, nesting.
                let j = (i + rng.below(40)).min(n);
                let run: Vec<String> = p[i..j].to_vec();
                p.splice(i..i, run);
            }
        }
        if p.is_empty() {
            p.push(String::new());
        }
    }
    p.concat()
}

/// Parses `text` (with `inc.x` served as `inc`): never a panic; a schema
/// passes the invariants; an error points at a real place.
pub(super) fn survive(text: &str, inc: &str) {
    let r = std::panic::catch_unwind(|| {
        parse_with(text, "m.x", &mut |name, _| {
            if name == "inc.x" {
                Ok(("inc.x".into(), inc.into()))
            } else {
                Err("absent".into())
            }
        })
    });
    match r {
        Err(_) => panic!("panicked on:\n{text}"),
        Ok(Ok(s)) => {
            if let Err(e) = invariants::check(&s) {
                panic!("{e} on:\n{text}");
            }
        }
        Ok(Err(e)) => {
            assert!(e.line >= 1 && e.col >= 1 && !e.message.is_empty(), "{e}");
            assert!(e.file == "m.x" || e.file == "inc.x", "{e}");
        }
    }
}

#[test]
fn the_seed_loads() {
    let s = ok(SEED);
    assert_eq!(s.program(0x20000123).unwrap().versions.len(), 2);
    assert_eq!(s.consts["MAXNAME"], 255);
    assert_eq!(s.consts["HEXC"], 16);
}

#[test]
fn mutated_text_never_panics_and_finishes_fast() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = Instant::now();
    let mut loaded = 0;
    for round in 0..4000 {
        let text = mutate(SEED, &mut rng);
        let inc = if round % 3 == 0 {
            mutate(SEED, &mut rng)
        } else {
            String::new()
        };
        let t = Instant::now();
        survive(&text, &inc);
        assert!(t.elapsed() < Duration::from_secs(1), "slow:\n{text}");
        loaded += parse(&text, "m.x").is_ok() as u32;
    }
    // Some mutations (a swapped comment, a duplicated blank) still load:
    // the test reaches the schema checks, not only the syntax errors.
    assert!(loaded > 100, "{loaded}");
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(42);
    for _ in 0..3000 {
        let n = rng.below(200);
        let text: String = (0..n)
            .map(|_| SPICE[rng.below(SPICE.len())])
            .collect::<Vec<_>>()
            .join(" ");
        survive(&text, &text);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..3000 {
        let bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        survive(&String::from_utf8_lossy(&bytes), "");
    }
}

#[test]
fn pathological_shapes_finish_fast() {
    let cases = [
        "{".repeat(1 << 20),
        "struct a { ".repeat(1 << 16),
        "#if 1\n".repeat(1 << 16),
        "#if 0\n".to_string() + &"#if 1\n".repeat(60) + &"x\n".repeat(1 << 18),
        "/*".repeat(1 << 20),
        "%".repeat(1 << 20),
        "const A = -".repeat(1 << 16),
        "typedef int a".to_string() + &"[1]".repeat(1 << 16),
        "enum e { ".to_string() + &"A, ".repeat(1 << 16),
        // Each macro twice its successor: 2^60 expansions without memos.
        {
            let mut s = String::new();
            for i in 0..60 {
                s.push_str(&format!("#define M{i} (M{} + M{})\n", i + 1, i + 1));
            }
            s + "#define M60 1\n#if M0\n#endif\n%#define P M0\nconst Q = P;\n"
        },
        "#include \"inc.x\"\n".repeat(1 << 14),
        "\\\n".repeat(1 << 18),
    ];
    for text in &cases {
        let t = Instant::now();
        survive(text, "");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{:?} took {:?}",
            &text[..40.min(text.len())],
            t.elapsed()
        );
    }
}
