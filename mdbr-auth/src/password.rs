//! Password hashing with argon2id, off the async runtime and bounded in
//! concurrency (each hash holds `memory_kib` of memory while it runs).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::PasswordParams;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes and verifies passwords with one set of argon2id parameters.
#[derive(Debug)]
pub(crate) struct PasswordHasher {
    argon: Argon2<'static>,
    params: PasswordParams,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against for unknown accounts
    /// so that they take as long as known ones.
    dummy: OnceCell<String>,
    /// argon2 verifications run so far (real and dummy alike).
    verifications: AtomicU64,
}

impl PasswordHasher {
    pub(crate) fn new(params: PasswordParams) -> Result<Self> {
        let p = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|e| Error::config(format!("invalid argon2 parameters ({params}): {e}")))?;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
        Ok(Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
            params,
            permits: Arc::new(Semaphore::new(workers)),
            dummy: OnceCell::new(),
            verifications: AtomicU64::new(0),
        })
    }

    /// Checks the password rules: length only (NIST SP 800-63B).
    pub(crate) fn check_strength(password: &Secret) -> Result<()> {
        let p = password.expose();
        if p.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::input(format!(
                "`password` must be at least {MIN_PASSWORD_CHARS} characters long"
            )));
        }
        if p.len() > MAX_PASSWORD_BYTES {
            return Err(Error::input(format!(
                "`password` must be at most {MAX_PASSWORD_BYTES} bytes long"
            )));
        }
        Ok(())
    }

    /// The PHC string of `password` with a fresh random salt.
    pub(crate) async fn hash(&self, password: &Secret) -> Result<String> {
        let argon = self.argon.clone();
        let password = password.clone();
        let salt = crate::crypto::random_bytes(16)?;
        self.run(move || {
            argon
                .hash_password_with_salt(password.expose().as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Hash { reason: e.to_string() })
        })
        .await
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown
    /// account, or an account without a password) the password is checked
    /// against a dummy hash and the answer is `false`, in about the same time.
    pub(crate) async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<bool> {
        let (phc, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.dummy().await?.to_owned(), false),
        };
        let argon = self.argon.clone();
        let password = password.clone();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let ok = self
            .run(move || {
                let parsed = PasswordHash::new(&phc).map_err(|e| Error::Hash {
                    reason: format!("stored hash is unreadable: {e}"),
                })?;
                Ok(argon.verify_password(password.expose().as_bytes(), &parsed).is_ok())
            })
            .await?;
        Ok(ok && real)
    }

    /// How many argon2 verifications have run (against real and dummy hashes).
    pub(crate) fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Whether a stored hash was made with other parameters than the current ones.
    pub(crate) fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else { return true };
        let get = |name: &str| parsed.params.get_decimal(name);
        parsed.algorithm.as_str() != "argon2id"
            || get("m") != Some(self.params.memory_kib)
            || get("t") != Some(self.params.iterations)
            || get("p") != Some(self.params.parallelism)
    }

    async fn dummy(&self) -> Result<&str> {
        self.dummy
            .get_or_try_init(|| async {
                let random = Secret::new(crate::crypto::random_token(24)?);
                self.hash(&random).await
            })
            .await
            .map(String::as_str)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("the password hashing pool is closed"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::internal(format!("password hashing task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = PasswordHasher::new(PasswordParams::insecure_for_tests()).unwrap();
        let pw = Secret::new("correct horse");
        let stored = h.hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{stored}");
        assert!(h.verify(&pw, Some(&stored)).await.unwrap());
        assert!(!h.verify(&Secret::new("wrong horse"), Some(&stored)).await.unwrap());
        assert!(!h.verify(&pw, None).await.unwrap());
        assert!(!h.needs_rehash(&stored));
        let owasp = PasswordHasher::new(PasswordParams::OWASP).unwrap();
        assert!(owasp.needs_rehash(&stored));
    }

    #[test]
    fn bad_params_and_weak_passwords_are_refused() {
        assert!(PasswordHasher::new(PasswordParams::new(1, 0, 0)).is_err());
        assert!(PasswordHasher::check_strength(&Secret::new("short")).is_err());
        assert!(PasswordHasher::check_strength(&Secret::new("x".repeat(2000))).is_err());
        assert!(PasswordHasher::check_strength(&Secret::new("long enough")).is_ok());
    }
}
