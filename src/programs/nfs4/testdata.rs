//! NFSv4 bodies for tests, written field by field as RFC 7863 lays them
//! out (one `X::` call per XDR field).

/// The XDR byte writer (by value, one call per field).
pub use crate::rpc::xdr::XdrBuf as X;

pub const SESSION: [u8; 16] = *b"session-id-16byt";
pub const ROOT_FH: &[u8] = b"root-fh!";
pub const EXPORT_FH: &[u8] = b"export-fh-12";
pub const DIR_FH: &[u8] = b"dir-handle!!";
pub const FILE_FH: &[u8] = b"file-handle-0001";

/// SEQUENCE4args (op 53).
fn sequence(x: X, seq: u32) -> X {
    x.u32(53) // argop OP_SEQUENCE
        .fixed(&SESSION) // sa_sessionid
        .u32(seq) // sa_sequenceid
        .u32(0) // sa_slotid
        .u32(0) // sa_highest_slotid
        .u32(0) // sa_cachethis false
}

/// A 4.1 mount: SEQUENCE PUTROOTFH LOOKUP "export" GETFH GETATTR.
pub fn mount_call() -> Vec<u8> {
    let x = X::new()
        .opaque(b"mount") // tag
        .u32(1) // minorversion
        .u32(5); // argarray<> count
    sequence(x, 2)
        .u32(24) // OP_PUTROOTFH (void)
        .u32(15) // OP_LOOKUP
        .opaque(b"export") // objname
        .u32(10) // OP_GETFH (void)
        .u32(9) // OP_GETATTR
        .u32(2) // attr_request<> count
        .u32(0x0010_0012) // bits 1 type, 4 size, 20 fileid
        .u32(0x0000_0002) // bit 33 mode
        .done()
}

/// The 4.1 mount's results: GETFH gives EXPORT_FH, GETATTR a directory.
pub fn mount_reply() -> Vec<u8> {
    X::new()
        .u32(0) // status NFS4_OK
        .opaque(b"mount") // tag
        .u32(5) // resarray<> count
        .u32(53) // resop OP_SEQUENCE
        .u32(0) // sr_status NFS4_OK
        .fixed(&SESSION) // sr_sessionid
        .u32(2) // sr_sequenceid
        .u32(0) // sr_slotid
        .u32(7) // sr_highest_slotid
        .u32(7) // sr_target_highest_slotid
        .u32(0) // sr_status_flags
        .u32(24) // resop OP_PUTROOTFH
        .u32(0) // status
        .u32(15) // resop OP_LOOKUP
        .u32(0) // status
        .u32(10) // resop OP_GETFH
        .u32(0) // status
        .opaque(EXPORT_FH) // object
        .u32(9) // resop OP_GETATTR
        .u32(0) // status
        .bytes(&dir_attrs()) // obj_attributes
        .done()
}

/// fattr4 of a directory: type NF4DIR, size 4096, fileid 7, mode 0755.
pub fn dir_attrs() -> Vec<u8> {
    let vals = X::new()
        .u32(2) // fattr4_type NF4DIR
        .u64(4096) // fattr4_size
        .u64(7) // fattr4_fileid
        .u32(0o755) // fattr4_mode
        .done();
    X::new()
        .u32(2) // attrmask<> count
        .u32(0x0010_0012) // bits 1, 4, 20
        .u32(0x0000_0002) // bit 33
        .opaque(&vals) // attr_vals
        .done()
}

/// 4.0: PUTFH DIR_FH, LOOKUP `name`, GETFH, READ 4096 @ 0.
pub fn lookup_read_call(name: &[u8]) -> Vec<u8> {
    X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(4) // argarray<> count
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(15) // OP_LOOKUP
        .opaque(name) // objname
        .u32(10) // OP_GETFH
        .u32(25) // OP_READ
        .u32(0) // stateid.seqid
        .fixed(&[0; 12]) // stateid.other
        .u64(0) // offset
        .u32(4096) // count
        .done()
}

/// Its results: GETFH gives FILE_FH, READ 30 bytes at eof.
pub fn lookup_read_reply() -> Vec<u8> {
    X::new()
        .u32(0) // status NFS4_OK
        .opaque(b"") // tag
        .u32(4) // resarray<> count
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(15) // OP_LOOKUP
        .u32(0) // status
        .u32(10) // OP_GETFH
        .u32(0) // status
        .opaque(FILE_FH) // object
        .u32(25) // OP_READ
        .u32(0) // status
        .u32(1) // eof true
        .opaque(&[b'x'; 30]) // data
        .done()
}

/// The results when the LOOKUP fails: PUTFH OK, LOOKUP NFS4ERR_NOENT.
pub fn lookup_noent_reply() -> Vec<u8> {
    X::new()
        .u32(2) // status NFS4ERR_NOENT
        .opaque(b"") // tag
        .u32(2) // resarray<> count
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(15) // OP_LOOKUP
        .u32(2) // status NFS4ERR_NOENT
        .done()
}

/// PUTFH DIR_FH then an operation number no version defines (99).
pub fn unknown_op_call() -> Vec<u8> {
    X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(3) // argarray<> count
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(99) // no such operation
        .u32(0) // (what it would have carried)
        .u32(10) // OP_GETFH
        .done()
}

/// SAVEFH-based RENAME: PUTFH DIR_FH, SAVEFH, PUTFH DIR_FH, RENAME old new.
pub fn rename_call(old: &[u8], new: &[u8]) -> Vec<u8> {
    X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(4) // argarray<> count
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(32) // OP_SAVEFH
        .u32(22) // OP_PUTFH
        .opaque(DIR_FH) // object
        .u32(29) // OP_RENAME
        .opaque(old) // oldname
        .opaque(new) // newname
        .done()
}

/// RENAME's results, all OK.
pub fn rename_reply() -> Vec<u8> {
    X::new()
        .u32(0) // status
        .opaque(b"") // tag
        .u32(4) // resarray<> count
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(32) // OP_SAVEFH
        .u32(0) // status
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(29) // OP_RENAME
        .u32(0) // status
        .u32(1) // source_cinfo.atomic
        .u64(1) // before
        .u64(2) // after
        .u32(1) // target_cinfo.atomic
        .u64(1) // before
        .u64(2) // after
        .done()
}

/// SETCLIENTID announcing callback program `prog` (4.0).
pub fn setclientid_call(prog: u32) -> Vec<u8> {
    X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(1) // argarray<> count
        .u32(35) // OP_SETCLIENTID
        .fixed(&[1; 8]) // client.verifier
        .opaque(b"client-id") // client.id
        .u32(prog) // callback.cb_program
        .opaque(b"tcp") // callback.cb_location.na_r_netid
        .opaque(b"10.1.0.1.3.33") // callback.cb_location.na_r_addr
        .u32(1) // callback_ident
        .done()
}

/// CB_COMPOUND (4.1): CB_SEQUENCE, CB_RECALL of FILE_FH.
pub fn cb_recall_call() -> Vec<u8> {
    X::new()
        .opaque(b"") // tag
        .u32(1) // minorversion
        .u32(1) // callback_ident
        .u32(2) // argarray<> count
        .u32(11) // OP_CB_SEQUENCE
        .fixed(&SESSION) // csa_sessionid
        .u32(1) // csa_sequenceid
        .u32(0) // csa_slotid
        .u32(0) // csa_highest_slotid
        .u32(0) // csa_cachethis
        .u32(0) // csa_referring_call_lists<> count
        .u32(4) // OP_CB_RECALL
        .u32(1) // stateid.seqid
        .fixed(&[7; 12]) // stateid.other
        .u32(0) // truncate
        .opaque(FILE_FH) // fh
        .done()
}

/// CB_COMPOUND results: CB_SEQUENCE OK, CB_RECALL OK.
pub fn cb_recall_reply() -> Vec<u8> {
    X::new()
        .u32(0) // status
        .opaque(b"") // tag
        .u32(2) // resarray<> count
        .u32(11) // OP_CB_SEQUENCE
        .u32(0) // csr_status
        .fixed(&SESSION) // csr_sessionid
        .u32(1) // csr_sequenceid
        .u32(0) // csr_slotid
        .u32(0) // csr_highest_slotid
        .u32(0) // csr_target_highest_slotid
        .u32(4) // OP_CB_RECALL
        .u32(0) // status
        .done()
}
