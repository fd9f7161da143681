//! RPCSEC_GSS protection of bodies (RFC 2203 section 5.3.2): what of a
//! call's arguments or a reply's results the program decoders can read.
//!
//! The call's credential decides, for the call and for its reply (a reply
//! carries only a verifier):
//! - `gss_proc` DATA with service `none` (and every other flavor): the body
//!   is the program's, as it is;
//! - service `integrity`: the body is `rpc_gss_integ_data { opaque
//!   databody_integ<>; opaque checksum<>; }` where `databody_integ` holds
//!   `unsigned int seq_num` and then the program's arguments or results:
//!   those are handed on (the checksum is not verified: that needs the
//!   context's keys);
//! - service `privacy`: `rpc_gss_priv_data { opaque databody_priv<>; }` is
//!   encrypted: reported as [`SealedKind::Encrypted`] with its length;
//! - `gss_proc` INIT, CONTINUE_INIT and DESTROY: context control, whose
//!   bodies (GSS tokens) are not the program's: nothing to decode.
//!
//! A wrapper that does not parse (a `databody_integ` length past the body,
//! or too short to hold its sequence number) is [`SealedKind::Malformed`].
//!
//! Contract: never panics, never copies: the inner body borrows the outer
//! one (or owns a copy only where the outer one was owned).

use std::borrow::Cow;

use crate::event::{AuthSummary, Body, BodyPart, Missing, Sealed, SealedKind};
use crate::rpc::{GssProc, GssService};

/// What the decoders get of a body: the body to decode (if any), and why
/// there is none where the message had one.
pub type Unwrapped<'a> = (Option<Body<'a>>, Option<Sealed>);

/// The body `part` of a message whose call had the credential `auth`.
pub fn unwrap<'a>(
    auth: Option<&AuthSummary>,
    body: Option<Body<'a>>,
    part: BodyPart,
) -> Unwrapped<'a> {
    let Some(body) = body else {
        return (None, None);
    };
    let Some(AuthSummary::Gss {
        gss_proc, service, ..
    }) = auth
    else {
        return (Some(body), None);
    };
    if GssProc(*gss_proc) != GssProc::DATA {
        return (None, None);
    }
    match GssService(*service) {
        GssService::INTEGRITY => integrity(body, part),
        GssService::PRIVACY => {
            // `opaque databody_priv<>`: its length if held, else the body's.
            let len = word(&body.data, 0).map_or(body.len, u64::from);
            let sealed = Sealed {
                part,
                kind: SealedKind::Encrypted,
                offset: 4,
                len,
            };
            (None, Some(sealed))
        }
        // `none`, and services RFC 2203 does not define: as sent.
        _ => (Some(body), None),
    }
}

/// The big-endian word at `at`, if held.
fn word(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// `databody_integ`: the length word, the sequence number, then the body.
fn integrity(body: Body<'_>, part: BodyPart) -> Unwrapped<'_> {
    let malformed = |offset: u64| {
        let sealed = Sealed {
            part,
            kind: SealedKind::Malformed,
            offset,
            len: body.len,
        };
        (None, Some(sealed))
    };
    // Both words must be held to find the body; a capture cut before them
    // leaves nothing to decode.
    let Some(inner_len) = word(&body.data, 0) else {
        return if body.len < 8 {
            malformed(0)
        } else {
            (None, None)
        };
    };
    let inner_len = u64::from(inner_len);
    if inner_len < 4 || inner_len > body.len.saturating_sub(4) {
        return malformed(0);
    }
    if word(&body.data, 4).is_none() {
        return (None, None);
    }
    // The program's bytes: [8, 4 + inner_len) of the body, as far as held.
    let end = 4 + inner_len;
    let held_end = usize::try_from(end).map_or(body.data.len(), |e| e.min(body.data.len()));
    let len = inner_len - 4;
    let missing = if (held_end as u64) < end {
        body.missing
    } else {
        Missing::None
    };
    let data = match body.data {
        Cow::Borrowed(b) => Cow::Borrowed(&b[8..held_end]),
        Cow::Owned(mut v) => {
            v.truncate(held_end);
            v.drain(..8);
            Cow::Owned(v)
        }
    };
    (Some(Body { data, len, missing }), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::InlineBytes;

    fn gss(gss_proc: u32, service: u32) -> AuthSummary {
        AuthSummary::Gss {
            version: 1,
            gss_proc,
            seq_num: 7,
            service,
            handle: InlineBytes::new(b"ctx"),
        }
    }

    /// `rpc_gss_integ_data` around `args`: databody_integ (seq_num, args),
    /// then a 12-byte checksum.
    fn integ(args: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(4 + args.len() as u32).to_be_bytes()); // databody_integ length
        v.extend_from_slice(&7u32.to_be_bytes()); // seq_num
        v.extend_from_slice(args); // the procedure's arguments
        v.extend_from_slice(&12u32.to_be_bytes()); // checksum length
        v.extend_from_slice(&[0xcc; 12]); // checksum (MIC)
        v
    }

    const ARGS: [u8; 12] = [0, 0, 0, 4, 0xab, 0xcd, 0xef, 0x01, 0, 0, 0, 9];

    #[test]
    fn other_flavors_and_service_none_pass_as_they_are() {
        let b = Body::borrowed(&ARGS, 12, Missing::None);
        for auth in [
            None,
            Some(AuthSummary::None),
            Some(gss(0, 1)),
            Some(gss(0, 9)),
        ] {
            let (out, sealed) = unwrap(auth.as_ref(), Some(b.clone()), BodyPart::Args);
            assert_eq!(out.as_ref(), Some(&b));
            assert_eq!(sealed, None);
        }
        assert_eq!(unwrap(Some(&gss(0, 2)), None, BodyPart::Args), (None, None));
    }

    #[test]
    fn integrity_hands_on_the_arguments_inside() {
        let wire = integ(&ARGS);
        let (out, sealed) = unwrap(
            Some(&gss(0, 2)),
            Some(Body::borrowed(&wire, wire.len() as u64, Missing::None)),
            BodyPart::Result,
        );
        assert_eq!(sealed, None);
        let out = out.unwrap();
        assert_eq!(&out.data[..], &ARGS);
        assert_eq!((out.len, out.missing), (12, Missing::None));
        // An owned (kept) body gives the same bytes.
        let owned = Body::borrowed(&wire, wire.len() as u64, Missing::None).into_owned();
        let (o2, _) = unwrap(Some(&gss(0, 2)), Some(owned), BodyPart::Args);
        assert_eq!(o2.unwrap().data, out.data);
    }

    #[test]
    fn integrity_cut_short_keeps_the_prefix_and_the_reason() {
        let wire = integ(&ARGS);
        for held in 0..wire.len() {
            let b = Body::borrowed(&wire[..held], wire.len() as u64, Missing::Snaplen);
            let (out, sealed) = unwrap(Some(&gss(0, 2)), Some(b), BodyPart::Args);
            assert_eq!(sealed, None, "held {held}");
            match held {
                0..=7 => assert_eq!(out, None, "held {held}"),
                _ => {
                    let out = out.unwrap();
                    let n = (held - 8).min(12);
                    assert_eq!(&out.data[..], &ARGS[..n]);
                    assert_eq!(out.len, 12);
                    let want = if n < 12 {
                        Missing::Snaplen
                    } else {
                        Missing::None
                    };
                    assert_eq!(out.missing, want, "held {held}");
                }
            }
        }
    }

    #[test]
    fn integrity_wrappers_that_do_not_fit_are_malformed() {
        for (wire, offset) in [
            // databody_integ longer than the body.
            (vec![0, 0, 0, 200, 0, 0, 0, 7], 0),
            // Too short to hold the sequence number.
            (vec![0, 0, 0, 2, 0, 0, 0, 0], 0),
            (vec![0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 7, 1, 2, 3, 4], 0),
            // A body shorter than the two words.
            (vec![0, 0, 0], 0),
        ] {
            let len = wire.len() as u64;
            let (out, sealed) = unwrap(
                Some(&gss(0, 2)),
                Some(Body::borrowed(&wire, len, Missing::None)),
                BodyPart::Result,
            );
            assert_eq!(out, None);
            assert_eq!(
                sealed,
                Some(Sealed {
                    part: BodyPart::Result,
                    kind: SealedKind::Malformed,
                    offset,
                    len,
                }),
                "{wire:?}"
            );
        }
    }

    #[test]
    fn privacy_is_reported_encrypted_with_its_length() {
        let mut wire = 40u32.to_be_bytes().to_vec(); // databody_priv length
        wire.extend_from_slice(&[0x5a; 40]); // the encrypted data
        let (out, sealed) = unwrap(
            Some(&gss(0, 3)),
            Some(Body::borrowed(&wire, 44, Missing::None)),
            BodyPart::Args,
        );
        assert_eq!(out, None);
        assert_eq!(
            sealed,
            Some(Sealed {
                part: BodyPart::Args,
                kind: SealedKind::Encrypted,
                offset: 4,
                len: 40,
            })
        );
        // Cut before the length: the body's length stands in.
        let (_, sealed) = unwrap(
            Some(&gss(0, 3)),
            Some(Body::borrowed(&wire[..2], 44, Missing::Snaplen)),
            BodyPart::Result,
        );
        assert_eq!(
            sealed.map(|s| (s.part, s.len)),
            Some((BodyPart::Result, 44))
        );
    }

    #[test]
    fn context_control_bodies_are_not_the_programs() {
        // RPCSEC_GSS_INIT carries a GSS token to NULLPROC: not NFS's void.
        for p in [1, 2, 3] {
            let b = Body::borrowed(&ARGS, 12, Missing::None);
            assert_eq!(
                unwrap(Some(&gss(p, 2)), Some(b), BodyPart::Args),
                (None, None)
            );
        }
    }
}
