//! Placeholder: stand-ins for the rpc layer's owned status types, replaced at merge.
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptStat(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RejectStat(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthStat(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthFlavor(pub u32);
impl AuthStat { pub fn name(self) -> Option<&'static str> { None } }
impl AuthFlavor { pub fn name(self) -> Option<&'static str> { None } }
impl AcceptStat { pub fn name(self) -> Option<&'static str> { None } }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptBody { Success, ProgUnavail, ProgMismatch { low: u32, high: u32 }, ProcUnavail, GarbageArgs, SystemErr }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectBody { RpcMismatch { low: u32, high: u32 }, AuthError(AuthStat) }
