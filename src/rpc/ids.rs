//! Newtypes for the open number spaces of ONC RPC (RFC 5531, RFC 2203,
//! RFC 9289): transaction ids, program/version/procedure numbers, message and
//! status discriminants, auth flavors and RPCSEC_GSS procedure/service codes.
//!
//! Each is a `u32` newtype with named constants for the values we know,
//! `name()` giving the lower-case name used in JSON output (`None` when the
//! number is unknown), and `Display`/`Debug` showing name and number. Unknown
//! numbers are representable: whether one is an error is decided by the parser
//! that reads it, not by the type.

use core::fmt;

macro_rules! number_space {
    ($(#[$doc:meta])* $name:ident { $($(#[$cdoc:meta])* $konst:ident = $val:literal => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub u32);

        impl $name {
            $( $(#[$cdoc])* pub const $konst: $name = $name($val); )*

            /// The lower-case name of this number, if it is a known one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($text), )*
                    _ => None,
                }
            }
        }

        impl From<u32> for $name {
            fn from(v: u32) -> Self {
                $name(v)
            }
        }

        impl From<$name> for u32 {
            fn from(v: $name) -> u32 {
                v.0
            }
        }

        impl fmt::Display for $name {
            /// `name(number)` when known (`prog_unavail(1)`), else the number.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}

/// Transaction id chosen by the caller; it matches a reply to its call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Xid(pub u32);

impl Xid {
    /// Transaction ids have no names.
    pub const fn name(self) -> Option<&'static str> {
        None
    }
}

impl From<u32> for Xid {
    fn from(v: u32) -> Self {
        Xid(v)
    }
}

impl fmt::Display for Xid {
    /// Hexadecimal, as Wireshark and tcpdump print it: `0x0000abcd`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl fmt::Debug for Xid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Xid({self})")
    }
}

number_space! {
    /// RPC program number (RFC 5531 section 7.3; assignments in the IANA
    /// "ONC RPC program numbers" registry).
    Program {
        /// Port mapper / rpcbind (RFC 1833).
        PORTMAP = 100000 => "portmap",
        /// Remote statistics.
        RSTAT = 100001 => "rstat",
        /// Remote users.
        RUSERS = 100002 => "rusers",
        /// Network File System (RFC 1813, RFC 7530, RFC 8881).
        NFS = 100003 => "nfs",
        /// NIS server.
        YPSERV = 100004 => "ypserv",
        /// NFS MOUNT protocol (RFC 1813 appendix I).
        MOUNT = 100005 => "mount",
        /// NIS binder.
        YPBIND = 100007 => "ypbind",
        /// Write-to-all daemon.
        WALLD = 100008 => "walld",
        /// NIS password update.
        YPPASSWD = 100009 => "yppasswd",
        /// Disk quota.
        RQUOTA = 100011 => "rquota",
        /// Network Lock Manager.
        NLM = 100021 => "nlm",
        /// Network Status Monitor.
        NSM = 100024 => "nsm",
        /// NFS ACL side protocol.
        NFS_ACL = 100227 => "nfs_acl",
    }
}

number_space! {
    /// Program version number. Versions are per-program, so none have names.
    Version {}
}

number_space! {
    /// Procedure number within a program version.
    Procedure {
        /// Procedure 0 of every program: takes and returns nothing (RFC 5531 section 12).
        NULL = 0 => "null",
    }
}

number_space! {
    /// `msg_type` (RFC 5531 section 9): the discriminant of `rpc_msg.body`.
    MsgType {
        /// A call message.
        CALL = 0 => "call",
        /// A reply message.
        REPLY = 1 => "reply",
    }
}

number_space! {
    /// `reply_stat` (RFC 5531 section 9).
    ReplyStat {
        /// The call was accepted (it may still have failed: see [`AcceptStat`]).
        MSG_ACCEPTED = 0 => "msg_accepted",
        /// The call was rejected (see [`RejectStat`]).
        MSG_DENIED = 1 => "msg_denied",
    }
}

number_space! {
    /// `accept_stat` (RFC 5531 section 9).
    AcceptStat {
        /// Executed successfully.
        SUCCESS = 0 => "success",
        /// The program is not available here.
        PROG_UNAVAIL = 1 => "prog_unavail",
        /// The program version is not supported.
        PROG_MISMATCH = 2 => "prog_mismatch",
        /// The procedure is not supported.
        PROC_UNAVAIL = 3 => "proc_unavail",
        /// The arguments could not be decoded.
        GARBAGE_ARGS = 4 => "garbage_args",
        /// A server error such as a failed allocation.
        SYSTEM_ERR = 5 => "system_err",
    }
}

number_space! {
    /// `reject_stat` (RFC 5531 section 9).
    RejectStat {
        /// The RPC version is not 2.
        RPC_MISMATCH = 0 => "rpc_mismatch",
        /// Authentication failed (see [`AuthStat`]).
        AUTH_ERROR = 1 => "auth_error",
    }
}

number_space! {
    /// `auth_stat` (RFC 5531 section 9, RFC 2203 section 5.3.3.3, RFC 7861).
    AuthStat {
        /// Success.
        OK = 0 => "ok",
        /// Bad credential (seal broken).
        BADCRED = 1 => "badcred",
        /// The client must begin a new session.
        REJECTEDCRED = 2 => "rejectedcred",
        /// Bad verifier (seal broken).
        BADVERF = 3 => "badverf",
        /// Verifier expired or replayed.
        REJECTEDVERF = 4 => "rejectedverf",
        /// Rejected for security reasons.
        TOOWEAK = 5 => "tooweak",
        /// Bogus response verifier.
        INVALIDRESP = 6 => "invalidresp",
        /// Reason unknown.
        FAILED = 7 => "failed",
        /// Kerberos generic error.
        KERB_GENERIC = 8 => "kerb_generic",
        /// Time of credential expired.
        TIMEEXPIRE = 9 => "timeexpire",
        /// Problem with the ticket file.
        TKTFILE = 10 => "tktfile",
        /// Cannot decode the authenticator.
        DECODE = 11 => "decode",
        /// Wrong net address in the ticket.
        NET_ADDR = 12 => "net_addr",
        /// RPCSEC_GSS: no credentials for the user.
        RPCSEC_GSS_CREDPROBLEM = 13 => "rpcsec_gss_credproblem",
        /// RPCSEC_GSS: problem with the context.
        RPCSEC_GSS_CTXPROBLEM = 14 => "rpcsec_gss_ctxproblem",
        /// RPCSEC_GSSv3 (RFC 7861): inner context credential problem.
        RPCSEC_GSS_INNER_CREDPROBLEM = 15 => "rpcsec_gss_inner_credproblem",
        /// RPCSEC_GSSv3: label problem.
        RPCSEC_GSS_LABEL_PROBLEM = 16 => "rpcsec_gss_label_problem",
        /// RPCSEC_GSSv3: privilege problem.
        RPCSEC_GSS_PRIVILEGE_PROBLEM = 17 => "rpcsec_gss_privilege_problem",
        /// RPCSEC_GSSv3: unknown message.
        RPCSEC_GSS_UNKNOWN_MESSAGE = 18 => "rpcsec_gss_unknown_message",
    }
}

number_space! {
    /// `auth_flavor` (RFC 5531 section 8.2; IANA "RPC Authentication Flavor Numbers").
    AuthFlavor {
        /// AUTH_NONE: no authentication.
        NONE = 0 => "none",
        /// AUTH_SYS (AUTH_UNIX): uid, gid, gids, machine name.
        SYS = 1 => "sys",
        /// AUTH_SHORT: server-issued shorthand for an earlier credential.
        SHORT = 2 => "short",
        /// AUTH_DH (RFC 2695): Diffie-Hellman.
        DH = 3 => "dh",
        /// AUTH_KERB4: Kerberos 4.
        KERB4 = 4 => "kerb4",
        /// RPCSEC_GSS (RFC 2203).
        RPCSEC_GSS = 6 => "rpcsec_gss",
        /// AUTH_TLS (RFC 9289): STARTTLS probe.
        TLS = 7 => "tls",
    }
}

number_space! {
    /// `rpc_gss_proc_t` (RFC 2203 section 5).
    GssProc {
        /// Data exchange on an established context.
        DATA = 0 => "data",
        /// Context creation.
        INIT = 1 => "init",
        /// Context creation continued.
        CONTINUE_INIT = 2 => "continue_init",
        /// Context destruction.
        DESTROY = 3 => "destroy",
    }
}

number_space! {
    /// `rpc_gss_service_t` (RFC 2203 section 5).
    GssService {
        /// Authentication only.
        NONE = 1 => "none",
        /// Integrity: arguments and results carry a checksum.
        INTEGRITY = 2 => "integrity",
        /// Privacy: arguments and results are encrypted.
        PRIVACY = 3 => "privacy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display_show_name_and_number() {
        assert_eq!(AcceptStat::PROG_UNAVAIL.name(), Some("prog_unavail"));
        assert_eq!(AcceptStat::PROG_UNAVAIL.to_string(), "prog_unavail(1)");
        assert_eq!(
            format!("{:?}", AcceptStat::SYSTEM_ERR),
            "AcceptStat(system_err(5))"
        );
        assert_eq!(AcceptStat(9).name(), None);
        assert_eq!(AcceptStat(9).to_string(), "9");
        assert_eq!(format!("{:?}", Program(100003)), "Program(nfs(100003))");
        assert_eq!(Xid(0xabcd).to_string(), "0x0000abcd");
        assert_eq!(format!("{:?}", Xid(1)), "Xid(0x00000001)");
        assert_eq!(Version(3).to_string(), "3");
    }

    #[test]
    fn json_names_match_the_brief() {
        let accept: Vec<_> = (0..6).map(|v| AcceptStat(v).name().unwrap()).collect();
        assert_eq!(
            accept,
            [
                "success",
                "prog_unavail",
                "prog_mismatch",
                "proc_unavail",
                "garbage_args",
                "system_err"
            ]
        );
        assert_eq!(RejectStat::RPC_MISMATCH.name(), Some("rpc_mismatch"));
        assert_eq!(RejectStat::AUTH_ERROR.name(), Some("auth_error"));
        let auth: Vec<_> = (0..8).map(|v| AuthStat(v).name().unwrap()).collect();
        assert_eq!(
            auth,
            [
                "ok",
                "badcred",
                "rejectedcred",
                "badverf",
                "rejectedverf",
                "tooweak",
                "invalidresp",
                "failed"
            ]
        );
        assert!((8..=18).all(|v| AuthStat(v).name().is_some()));
        for (v, n) in [
            (0, "none"),
            (1, "sys"),
            (2, "short"),
            (3, "dh"),
            (6, "rpcsec_gss"),
            (7, "tls"),
        ] {
            assert_eq!(AuthFlavor(v).name(), Some(n));
        }
        assert_eq!(AuthFlavor(5).name(), None);
    }
}
