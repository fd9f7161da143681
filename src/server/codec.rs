//! The wire form of every served procedure, from the built-in `.x`
//! definitions (`src/programs/x/rpcbind.x`, `rpcscope_test.x`) through the
//! program registry.
//!
//! A procedure's arguments are decoded into a [`Value`] and its results
//! encoded from one with the schema the analyzer walks and `rpcscope call`
//! encodes with: the server, the client and the analyzer share one
//! description, so they cannot disagree about a byte. The procedures in
//! [`super::portmap`] and [`super::testprog`] see only values; no XDR is
//! written by hand there.
//!
//! What the `.x` files do not say is the server's own policy and is checked
//! by the procedures: bounds smaller than the declared ones ([`Limits`] may
//! be set lower than the defaults the `.x` records), and lengths the `.x`
//! leaves open (`string r_netid<>`).
//!
//! Contract: decoding is bounded by the walk limits and by the message (a
//! value holds at most the bytes of the call); bytes after the arguments
//! are ignored, as ONC RPC servers do (libtirpc's `svc_getargs` reads what
//! the procedure needs); never panics.

use crate::limits::Limits;
use crate::programs::registry::{Registry, VersionEntry};
use crate::programs::schema::{ProcDef, Schema};
use crate::programs::value::{self, Value, ValueError};
use crate::programs::walk::{BodyBytes, BodyErrorKind, Malformation, WalkLimits};

/// The served programs' definitions, taken from the built-in registry once
/// (a handful of versions, so a lookup is a short scan and a binary search).
#[derive(Debug, Clone)]
pub(super) struct Codecs {
    versions: Vec<VersionEntry>,
    walk: WalkLimits,
}

impl Codecs {
    /// The built-in definitions of `programs`, walked within `limits`.
    pub fn new(limits: &Limits, programs: &[u32]) -> Self {
        let versions = Registry::builtin()
            .versions()
            .iter()
            .filter(|e| programs.contains(&e.program))
            .cloned()
            .collect();
        Codecs {
            versions,
            walk: WalkLimits::from(limits),
        }
    }

    /// The codec of a procedure, when its program's `.x` defines it.
    pub fn procedure(&self, program: u32, version: u32, procedure: u32) -> Option<ProcCodec<'_>> {
        let entry = self
            .versions
            .iter()
            .find(|e| (e.program, e.version) == (program, version))?;
        Some(ProcCodec {
            schema: entry.schema(),
            def: entry.procedure(procedure)?,
            walk: self.walk,
        })
    }
}

/// The arguments of a call did not decode: GARBAGE_ARGS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Garbage;

/// One procedure's argument and result types.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProcCodec<'a> {
    schema: &'a Schema,
    def: &'a ProcDef,
    walk: WalkLimits,
}

impl ProcCodec<'_> {
    /// The arguments in `args` (bytes after them ignored): one argument
    /// type gives its value, `void` [`Value::Void`].
    pub fn decode_args(&self, args: &[u8]) -> Result<Value, Garbage> {
        let decode = |b: &[u8]| {
            value::decode(
                self.schema,
                &self.def.args,
                &BodyBytes::whole(b),
                &self.walk,
            )
        };
        match decode(args) {
            Ok(v) => Ok(v),
            Err(e) if e.kind == BodyErrorKind::Malformed(Malformation::TrailingBytes) => {
                // The values ended at `e.offset`: decode just them.
                let end = usize::try_from(e.offset).map_err(|_| Garbage)?;
                decode(args.get(..end).ok_or(Garbage)?).map_err(|_| Garbage)
            }
            Err(_) => Err(Garbage),
        }
    }

    /// Appends the encoding of `result` as the procedure's result type.
    pub fn encode_result(&self, result: &Value, out: &mut Vec<u8>) -> Result<(), ValueError> {
        value::encode(self.schema, self.def.result, result, out)
    }
}

/// Reads a value decoded through a served procedure's `.x` type: the
/// shape is known, so a mismatch is a bug in the server (tests exercise
/// every procedure), answered SYSTEM_ERR rather than blamed on the caller.
pub(super) trait Shape {
    /// A `u32` member.
    fn u32(&self) -> Result<u32, Bug>;
    /// The bytes of a string or opaque member.
    fn bytes(&self) -> Result<&[u8], Bug>;
    /// A struct of exactly `N` members.
    fn members<const N: usize>(&self) -> Result<&[Value; N], Bug>;
}

/// A value did not have the shape its `.x` type gives it (a server bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bug;

impl Shape for Value {
    fn u32(&self) -> Result<u32, Bug> {
        self.as_u32().ok_or(Bug)
    }
    fn bytes(&self) -> Result<&[u8], Bug> {
        self.as_bytes().ok_or(Bug)
    }
    fn members<const N: usize>(&self) -> Result<&[Value; N], Bug> {
        self.fields().ok_or(Bug)
    }
}

/// Value constructors for results, named as the XDR types they fill.
pub(super) mod make {
    use super::Value;

    /// `unsigned int`.
    pub fn uint(n: u32) -> Value {
        Value::UInt(n.into())
    }
    /// `int`, from a counter kept as `u32` (bits kept, as C's cast does).
    pub fn int_bits(n: u32) -> Value {
        Value::Int((n as i32).into())
    }
    /// `bool`.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }
    /// `string`.
    pub fn string(s: impl Into<Vec<u8>>) -> Value {
        Value::Str(s.into())
    }
    /// `opaque<>`.
    pub fn opaque(b: impl Into<Vec<u8>>) -> Value {
        Value::Opaque(b.into())
    }
    /// A struct of these members.
    pub fn record(members: Vec<Value>) -> Value {
        Value::Struct(members)
    }
    /// An array, or a recursive optional list, of these elements.
    pub fn list(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::xdr::XdrWriter;

    fn codecs() -> Codecs {
        Codecs::new(&Limits::default(), &[100000, 0x2000_0099])
    }

    #[test]
    fn every_served_procedure_has_a_codec() {
        let c = codecs();
        for (prog, vers, procs) in [
            (100000, 2, 6),
            (100000, 3, 9),
            (100000, 4, 13),
            (0x2000_0099, 1, 9),
        ] {
            for p in 0..procs {
                assert!(
                    c.procedure(prog, vers, p).is_some(),
                    "{prog} v{vers} proc {p}"
                );
            }
            assert!(
                c.procedure(prog, vers, procs).is_none(),
                "{prog} v{vers} proc {procs}"
            );
        }
    }

    #[test]
    fn arguments_decode_and_trailing_bytes_are_ignored() {
        let c = codecs();
        let getport = c.procedure(100000, 2, 3).unwrap();
        let mut args = Vec::new();
        XdrWriter::new(&mut args)
            .put_u32(100003)
            .put_u32(3)
            .put_u32(6)
            .put_u32(0);
        let v = getport.decode_args(&args).unwrap();
        let [prog, vers, prot, port] = v.members().unwrap();
        assert_eq!(
            (prog.u32(), vers.u32(), prot.u32(), port.u32()),
            (Ok(100003), Ok(3), Ok(6), Ok(0))
        );
        args.extend_from_slice(&[9, 9, 9, 9, 9]);
        assert_eq!(getport.decode_args(&args), Ok(v));
        assert_eq!(getport.decode_args(&args[..15]), Err(Garbage), "cut");
        let null = c.procedure(100000, 2, 0).unwrap();
        assert_eq!(null.decode_args(&[]), Ok(Value::Void));
        assert_eq!(null.decode_args(&[1, 2, 3, 4]), Ok(Value::Void));
        // ECHO past its declared bound (opaque data<32768>).
        let echo = c.procedure(0x2000_0099, 1, 1).unwrap();
        let mut big = Vec::new();
        XdrWriter::new(&mut big).put_opaque_var(&[0; 32769]);
        assert_eq!(echo.decode_args(&big), Err(Garbage));
    }

    #[test]
    fn results_encode_through_the_result_type() {
        let c = codecs();
        let mut out = Vec::new();
        let getaddr = c.procedure(100000, 4, 3).unwrap();
        getaddr
            .encode_result(&make::string("::1.0.111"), &mut out)
            .unwrap();
        assert_eq!(
            out,
            [0, 0, 0, 9, b':', b':', b'1', b'.', b'0', b'.', b'1', b'1', b'1', 0, 0, 0]
        );
        out.clear();
        let e = getaddr.encode_result(&make::uint(1), &mut out).unwrap_err();
        assert_eq!(e.to_string(), "expected a string, got an integer");
        assert_eq!(make::int_bits(u32::MAX), Value::Int(-1));
        assert_eq!(Value::Bool(true).u32(), Err(Bug));
        assert_eq!(make::uint(1).bytes(), Err(Bug));
        assert_eq!(make::record(vec![]).members::<1>(), Err(Bug));
    }
}
