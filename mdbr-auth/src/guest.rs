//! Anonymous guest sessions: a random guest id in an HMAC-signed cookie,
//! bound to the app and to an expiry. Nothing is stored; a guest is never
//! looked up by email.

use std::time::Duration;

use mdbr_core::AppSlug;

use crate::crypto::{Signer, random_token};
use crate::error::{Error, Result};
use crate::identity::{Identity, IdentityKind};
use crate::jwt::unix_now;

/// Signs and checks guest cookies.
#[derive(Debug, Clone)]
pub(crate) struct GuestSigner {
    signer: Signer,
}

impl GuestSigner {
    pub(crate) fn new(server_secret: &[u8]) -> Self {
        Self { signer: Signer::derive(server_secret, "mdbr-auth guest v1") }
    }

    /// A new guest id `<prefix>_<random>` and its cookie value
    /// `<id>.<expiry>.<mac>`.
    pub(crate) fn issue(
        &self,
        app: &AppSlug,
        prefix: &str,
        ttl: Duration,
    ) -> Result<(String, String)> {
        let id = format!("{prefix}_{}", random_token(16)?);
        let exp = unix_now().saturating_add(ttl.as_secs());
        let mac = self.signer.sign(&message(app, &id, exp));
        Ok((id.clone(), format!("{id}.{exp}.{mac}")))
    }

    /// The guest id of a cookie value, if its signature, app and expiry hold.
    pub(crate) fn verify(&self, app: &AppSlug, value: &str) -> Result<String> {
        let malformed = || Error::credential("malformed guest cookie");
        let (rest, mac) = value.rsplit_once('.').ok_or_else(malformed)?;
        let (id, exp) = rest.rsplit_once('.').ok_or_else(malformed)?;
        let exp: u64 = exp.parse().map_err(|_| malformed())?;
        if !self.signer.verify(&message(app, id, exp), mac) {
            return Err(Error::credential("the guest cookie's signature does not match"));
        }
        if exp <= unix_now() {
            return Err(Error::credential("the guest session has expired"));
        }
        Ok(id.to_owned())
    }
}

fn message(app: &AppSlug, id: &str, exp: u64) -> Vec<u8> {
    format!("guest\0{app}\0{id}\0{exp}").into_bytes()
}

/// The identity of guest `id` on `app`.
pub(crate) fn guest_identity(app: &AppSlug, id: String) -> Identity {
    Identity {
        app: app.clone(),
        kind: IdentityKind::Guest,
        subject: id,
        email: None,
        roles: Vec::new(),
        permissions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampering_and_other_apps_are_refused() {
        let s = GuestSigner::new(b"0123456789abcdef0123456789abcdef");
        let a = AppSlug::parse("a").unwrap();
        let b = AppSlug::parse("b").unwrap();
        let (id, cookie) = s.issue(&a, "guest", Duration::from_secs(60)).unwrap();
        assert!(id.starts_with("guest_"));
        assert_eq!(s.verify(&a, &cookie).unwrap(), id);
        assert!(s.verify(&b, &cookie).is_err(), "bound to the app");
        let forged = cookie.replacen("guest_", "guest_x", 1);
        assert!(s.verify(&a, &forged).is_err());
        let (rest, mac) = cookie.rsplit_once('.').unwrap();
        let (id_part, _) = rest.rsplit_once('.').unwrap();
        let later = format!("{id_part}.{}.{mac}", unix_now() + 100_000);
        assert!(s.verify(&a, &later).is_err(), "expiry is signed");
        assert!(s.verify(&a, "garbage").is_err());
        let other_key = GuestSigner::new(b"fedcba9876543210fedcba9876543210");
        assert!(other_key.verify(&a, &cookie).is_err());
    }

    #[test]
    fn expired_cookies_are_refused() {
        let s = GuestSigner::new(b"0123456789abcdef0123456789abcdef");
        let a = AppSlug::parse("a").unwrap();
        let (_, cookie) = s.issue(&a, "guest", Duration::ZERO).unwrap();
        assert!(s.verify(&a, &cookie).unwrap_err().to_string().contains("expired"));
    }
}
