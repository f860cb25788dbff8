//! Password hashing with argon2id, off the async runtime and bounded in parallelism.

use crate::server::ServerError;
use argon2::password_hash::{
    PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization as _;

/// Memory cost in KiB, iterations and lanes: OWASP's argon2id minimum (m=19 MiB, t=2, p=1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>, ServerError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|e| ServerError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The form a password is hashed and compared in: Unicode NFKC (NIST SP 800-63B), so that
/// "é" typed as one character or as "e" + combining accent, or full-width letters from an
/// Asian keyboard, are the same password on every device.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

fn hash_blocking(password: &str) -> Result<String, ServerError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()?
        .hash_password(normalize(password).as_bytes(), &salt)
        .map_err(|e| ServerError::Hash(e.to_string()))?
        .to_string())
}

fn verify_blocking(password: &str, stored: &str) -> Result<bool, ServerError> {
    let parsed = PasswordHash::new(stored).map_err(|e| ServerError::Hash(e.to_string()))?;
    Ok(argon2()?
        .verify_password(normalize(password).as_bytes(), &parsed)
        .is_ok())
}

/// Requests that may wait for a hashing permit, per permit. Beyond that a flood is refused at
/// once (the resident reads "try again in a moment") instead of piling up connections; 32 waits
/// of some tens of milliseconds each is still well under a second for a real resident.
const QUEUE_PER_PERMIT: usize = 32;

/// Runs argon2 on tokio's blocking pool, at most one hash per core at a time: each hash takes
/// 19 MiB and tens of milliseconds, so unbounded it would let a burst of logins eat memory and
/// starve other requests. The queue in front of it is bounded too.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Places for hashing and waiting to hash.
    places: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(parallel: usize) -> Self {
        Self::with_queue(parallel, parallel.max(1) * QUEUE_PER_PERMIT)
    }

    fn with_queue(parallel: usize, waiting: usize) -> Self {
        let parallel = parallel.max(1);
        PasswordHasher {
            permits: Arc::new(Semaphore::new(parallel)),
            places: Arc::new(Semaphore::new(parallel + waiting)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let _place = self
            .places
            .try_acquire()
            .map_err(|_| ServerError::Context("password hashing queue full"))?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ServerError::Context("hasher closed"))?;
        tokio::task::spawn_blocking(work).await?
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a new password.
    pub async fn hash(&self, password: String) -> Result<String, ServerError> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Whether `password` matches `stored`. With no stored hash (no such account, or no password
    /// yet) it still spends the same work on a dummy hash, so timing does not tell them apart.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, ServerError> {
        self.run(move || match stored {
            Some(stored) => verify_blocking(&password, &stored),
            None => {
                let _ = verify_blocking(&password, dummy_hash()?);
                Ok(false)
            }
        })
        .await
    }
}

/// A hash of a random password, made once, used only to spend the time of a real verification.
fn dummy_hash() -> Result<&'static str, ServerError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_blocking(&super::token::new_token().0)?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_the_required_parameters_and_verifies() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher
            .hash("oikea hevonen patteri niitti".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("oikea hevonen patteri niitti".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("väärä hevonen patteri".into(), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn composed_and_decomposed_forms_are_the_same_password() {
        let hasher = PasswordHasher::new(1);
        let composed = "kahvi café \u{e9}t\u{e9} kuusi".to_owned();
        let decomposed = "kahvi cafe\u{301} e\u{301}te\u{301} kuusi".to_owned();
        assert_ne!(composed, decomposed);
        let from_composed = hasher.hash(composed.clone()).await.unwrap();
        let from_decomposed = hasher.hash(decomposed.clone()).await.unwrap();
        assert!(
            hasher
                .verify(decomposed, Some(from_composed))
                .await
                .unwrap()
        );
        assert!(
            hasher
                .verify(composed, Some(from_decomposed.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("kahvi cafe ete kuusi".into(), Some(from_decomposed))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_flood_beyond_the_queue_is_refused_at_once() {
        // One hashing, one waiting: of four at the same time, two are refused without work.
        let hasher = PasswordHasher::with_queue(1, 1);
        let attempt = || hasher.verify("kuusi vihreää hevosta".into(), None);
        let (a, b, c, d) = tokio::join!(attempt(), attempt(), attempt(), attempt());
        let results = [a, b, c, d];
        let refused = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(refused, 2, "{results:?}");
        assert!(results.iter().filter_map(|r| r.as_ref().ok()).all(|ok| !ok));
        // Once the flood has passed, there is room again.
        assert!(!hasher.verify("x".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
    }
}
