//! The operation that names a compound: tshark's `nfs.main_opcode` rule.
//!
//! A COMPOUND is one RPC procedure whatever it does, so tools name it by
//! its "main" operation. TShark 4.0 gives each operation a tier and
//! reports as `nfs.main_opcode` every operation of the best (lowest) tier
//! present in the compound. The tiers, checked operation by operation
//! against TShark 4.0.17 (`tests/nfs4_tshark.rs` pairs every operation with
//! ACCESS, GETATTR and PUTFH in a compound and reads tshark's answer):
//!
//! | tier | operations |
//! |---|---|
//! | 4 | PUTFH, GETFH, SAVEFH, RESTOREFH, SEQUENCE |
//! | 3 | GETATTR, PUTPUBFH, PUTROOTFH |
//! | 2 | ACCESS, NVERIFY |
//! | 1 | every other operation of RFC 7862 and RFC 8276 (3 to 75) |
//! | 0 | OP_ILLEGAL (10044) and any number past the table |
//!
//! (OP_ILLEGAL wins over every operation in tshark, READ included: its
//! table ends at 75, and an operation past it ranks first; rpcscope does
//! the same for any number past 75, which only OP_ILLEGAL reaches in a
//! compound it decodes.)
//! rpcscope reports the first operation of the best tier ([`main_op`]);
//! [`main_ops`] gives all of them, as tshark lists them. TShark has no
//! main operation for CB_COMPOUND; rpcscope uses the same rule there with
//! CB_SEQUENCE in tier 4 and every other callback operation in tier 1.

use super::op;

/// The last operation number of tshark's tier table (REMOVEXATTR).
const LAST_OP: u32 = 75;

/// The tier of operation `op` (1 is the most meaningful); `callback`:
/// a CB_COMPOUND operation.
pub fn tier(callback: bool, op: u32) -> u8 {
    if callback {
        return if op == op::CB_SEQUENCE { 4 } else { 1 };
    }
    match op {
        op::PUTFH | op::GETFH | op::SAVEFH | op::RESTOREFH | op::SEQUENCE => 4,
        op::GETATTR | op::PUTPUBFH | op::PUTROOTFH => 3,
        op::ACCESS | op::NVERIFY => 2,
        0..=LAST_OP => 1,
        _ => 0,
    }
}

/// The first operation of the best tier in `ops` (`None` when empty).
pub fn main_op(callback: bool, ops: impl IntoIterator<Item = u32>) -> Option<u32> {
    let mut best: Option<(u8, u32)> = None;
    for o in ops {
        let t = tier(callback, o);
        if best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, o));
        }
    }
    best.map(|(_, o)| o)
}

/// Every operation of the best tier in `ops`, in order (tshark's list).
pub fn main_ops(callback: bool, ops: &[u32]) -> Vec<u32> {
    let Some(best) = ops.iter().map(|&o| tier(callback, o)).min() else {
        return Vec::new();
    };
    ops.iter()
        .copied()
        .filter(|&o| tier(callback, o) == best)
        .collect()
}
