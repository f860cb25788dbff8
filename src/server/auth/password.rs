//! Password hashing with argon2id, off the async runtime and bounded in parallelism.

use crate::server::ServerError;
use argon2::password_hash::{
    PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
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

/// Requests that may wait for a hashing slot, per slot: enough for a morning rush of logins,
/// few enough that a flood is answered "busy" at once instead of piling up memory and time.
const WAITING_PER_SLOT: usize = 8;
/// Longest wait for a hashing slot, after which the request is answered "busy" (at 50 ms a
/// hash, about 40 hashes' time per slot).
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Runs argon2 on tokio's blocking pool, at most one hash per core at a time: each hash takes
/// 19 MiB and tens of milliseconds, so unbounded it would let a burst of logins eat memory and
/// starve other requests. The number of requests waiting for a slot is bounded too
/// ([`ServerError::Busy`] beyond it), so a flood cannot queue without limit.
#[derive(Clone)]
pub struct PasswordHasher {
    /// One per hash allowed to run at once.
    permits: Arc<Semaphore>,
    /// One per request running or waiting; taken without waiting.
    places: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(parallel: usize) -> Self {
        Self::with_queue(parallel, parallel.max(1) * WAITING_PER_SLOT)
    }

    /// `parallel` hashes at a time and at most `waiting` more waiting for one.
    pub fn with_queue(parallel: usize, waiting: usize) -> Self {
        let parallel = parallel.max(1);
        PasswordHasher {
            permits: Arc::new(Semaphore::new(parallel)),
            places: Arc::new(Semaphore::new(parallel + waiting)),
        }
    }

    /// A hasher that refuses all work (`busy`): a test of a rule "refused before any hashing"
    /// then shows by its answer, not by a timing, that no hash was asked for.
    #[cfg(test)]
    pub(crate) fn unavailable() -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(1)),
            places: Arc::new(Semaphore::new(0)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let _place = self.places.try_acquire().map_err(|_| ServerError::Busy)?;
        let _permit = tokio::time::timeout(MAX_WAIT, self.permits.acquire())
            .await
            .map_err(|_| ServerError::Busy)?
            .map_err(|_| ServerError::Context("hasher closed"))?;
        tokio::task::spawn_blocking(work).await?
    }

    /// Runs the new-password policy (`work`: zxcvbn's estimate takes up to about 5 ms for 256
    /// characters) in the same bounded slots, off the async runtime: the strength meter asks on
    /// every pause in typing, and a flood of such requests must not starve the others.
    pub async fn judge<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        self.run(move || Ok(work())).await
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
    async fn a_full_queue_answers_busy_at_once_instead_of_waiting() {
        let hasher = PasswordHasher::with_queue(1, 1);
        // Two places (one running, one waiting), both taken by requests in flight.
        let _running = hasher.places.try_acquire().unwrap();
        let _waiting = hasher.places.try_acquire().unwrap();
        let started = std::time::Instant::now();
        let refused = hasher.hash("oikea hevonen patteri niitti".into()).await;
        assert!(matches!(refused, Err(ServerError::Busy)), "{refused:?}");
        assert!(started.elapsed() < Duration::from_millis(100));
        drop(_waiting);
        assert!(
            hasher
                .hash("oikea hevonen patteri niitti".into())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_long_wait_for_a_slot_answers_busy() {
        let hasher = PasswordHasher::with_queue(1, 4);
        let _slot = hasher.permits.try_acquire().unwrap();
        let refused = hasher.verify("anything".into(), None).await;
        assert!(matches!(refused, Err(ServerError::Busy)), "{refused:?}");
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_policy_is_judged_off_the_runtime_in_the_same_slots() {
        let hasher = PasswordHasher::with_queue(1, 0);
        let here = std::thread::current().id();
        let there = hasher.judge(|| std::thread::current().id()).await.unwrap();
        assert_ne!(here, there, "ran on the async thread");
        // While the only slot is hashing, the meter's request is answered "busy".
        let _running = hasher.places.try_acquire().unwrap();
        assert!(matches!(
            hasher.judge(|| 3_u8).await,
            Err(ServerError::Busy)
        ));
    }
}
