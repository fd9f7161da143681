//! Roles that program semantics give to schema types: which type is a file
//! handle, a file name, bulk data, a status. The walker's visitors (JSON,
//! text, facts) look a type's roles up by its [`TypeId`]: one byte per
//! type, no string compares while walking.

use super::schema::TypeId;

/// One role (a bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role(u8);

impl Role {
    /// A file handle: rendered as `{"hex", "hash"}`, tracked for paths.
    pub const FILE_HANDLE: Role = Role(1);
    /// Bulk data (READ/WRITE payloads): rendered as `{"len": N}`.
    pub const BULK: Role = Role(2);
    /// The status enum that heads a result (`nfsstat3`, ...).
    pub const STATUS: Role = Role(4);
    /// One path component: a name within a directory (`filename3`).
    pub const FILE_NAME: Role = Role(8);
    /// An absolute path (MOUNT's `dirpath`).
    pub const PATH_NAME: Role = Role(16);
}

/// Roles of every type of one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    bits: Vec<u8>,
}

impl Roles {
    /// No roles, for a schema of `types` types (grows as needed).
    pub fn new(types: usize) -> Self {
        Roles {
            bits: vec![0; types],
        }
    }

    /// Gives `ty` the role.
    pub fn set(&mut self, ty: TypeId, role: Role) {
        let i = ty.index();
        if i >= self.bits.len() {
            self.bits.resize(i + 1, 0);
        }
        self.bits[i] |= role.0;
    }

    /// True when `ty` has the role.
    #[inline]
    pub fn has(&self, ty: TypeId, role: Role) -> bool {
        self.bits.get(ty.index()).is_some_and(|b| b & role.0 != 0)
    }

    /// True when any type has the role.
    pub fn any(&self, role: Role) -> bool {
        self.bits.iter().any(|b| b & role.0 != 0)
    }
}
