//! The few primitives the crate needs, all from `aws-lc-rs`: random tokens,
//! SHA-256, HMAC-SHA256 with per-purpose keys, constant-time comparison.

use aws_lc_rs::{constant_time, digest, hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// `n` random bytes from the system's secure generator.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    rand::fill(&mut buf).map_err(|_| Error::internal("the system random generator failed"))?;
    Ok(buf)
}

/// A random URL-safe token carrying `bytes * 8` bits of entropy.
pub(crate) fn random_token(bytes: usize) -> Result<String> {
    Ok(b64(&random_bytes(bytes)?))
}

/// Unpadded base64url.
pub(crate) fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes unpadded base64url.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// SHA-256 of `data`, hex-encoded (how session tokens and OAuth states are stored).
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two byte strings.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// An HMAC-SHA256 key for one purpose, derived from the server secret so
/// that a value signed for one purpose (a guest cookie) is never accepted
/// for another (a CSRF token).
#[derive(Clone)]
pub(crate) struct Signer {
    key: hmac::Key,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    /// The key for `purpose`, derived as HMAC(server_secret, purpose).
    pub(crate) fn derive(server_secret: &[u8], purpose: &str) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, server_secret);
        let derived = hmac::sign(&root, purpose.as_bytes());
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) }
    }

    /// The base64url MAC of `data`.
    pub(crate) fn sign(&self, data: &[u8]) -> String {
        b64(hmac::sign(&self.key, data).as_ref())
    }

    /// Whether `mac` (base64url) is the MAC of `data`, in constant time.
    pub(crate) fn verify(&self, data: &[u8], mac: &str) -> bool {
        match b64_decode(mac) {
            Some(tag) => hmac::verify(&self.key, data, &tag).is_ok(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token(32).unwrap();
        let b = random_token(32).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn signer_is_bound_to_its_purpose() {
        let guest = Signer::derive(b"0123456789abcdef0123456789abcdef", "guest");
        let csrf = Signer::derive(b"0123456789abcdef0123456789abcdef", "csrf");
        let mac = guest.sign(b"data");
        assert!(guest.verify(b"data", &mac));
        assert!(!guest.verify(b"datb", &mac));
        assert!(!csrf.verify(b"data", &mac));
        assert!(!guest.verify(b"data", "not base64 !"));
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
