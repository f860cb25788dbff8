//! Password hashing with argon2id on threads of its own ([`super::hashing_workers`]), bounded
//! in parallelism and in the requests that may wait.

use super::hashing_workers::{Memory, Workers};
use crate::server::ServerError;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use subtle::ConstantTimeEq as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use unicode_normalization::UnicodeNormalization as _;

/// Memory cost in KiB, iterations and lanes: OWASP's argon2id minimum (m=19 MiB, t=2, p=1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn params() -> Result<Params, ServerError> {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(hash_error)
}

fn hash_error(error: impl std::fmt::Display) -> ServerError {
    ServerError::Hash(error.to_string())
}

/// The form a password is hashed and compared in: Unicode NFKC (NIST SP 800-63B), so that
/// "é" typed as one character or as "e" + combining accent, or full-width letters from an
/// Asian keyboard, are the same password on every device.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Runs argon2 with `argon2`'s parameters in the slot's `memory`: the slot keeps one block of
/// our own parameters' size; a stored hash that asks for more (none that we write) gets a
/// block of its own for that one hash.
fn hash_in(
    memory: &mut Memory,
    argon2: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), ServerError> {
    let needed = argon2.params().block_count();
    let ours = params()?.block_count();
    let password = normalize(password);
    if needed > ours {
        let mut own = vec![Block::default(); needed];
        return argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut own)
            .map_err(hash_error);
    }
    if memory.len() < ours {
        memory.resize(ours, Block::default());
    }
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..needed])
        .map_err(hash_error)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`, the same text
/// argon2's own `hash_password` writes.
fn hash_with(memory: &mut Memory, password: &str) -> Result<String, ServerError> {
    let params = params()?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(hash_error)?;
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    hash_in(memory, &argon2, password, raw_salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(hash_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, with the stored hash's own algorithm
/// and parameters, compared in constant time.
fn verify_with(memory: &mut Memory, password: &str, stored: &str) -> Result<bool, ServerError> {
    let parsed = PasswordHash::new(stored).map_err(hash_error)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(hash_error)?;
    let version = match parsed.version {
        Some(version) => Version::try_from(version).map_err(hash_error)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(hash_error)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(ServerError::Hash(
            "stored hash without salt or output".into(),
        ));
    };
    let mut salt_bytes = [0_u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    let mut out = vec![0_u8; expected.len()];
    hash_in(
        memory,
        &Argon2::new(algorithm, version, params),
        password,
        raw_salt,
        &mut out,
    )?;
    Ok(expected.as_bytes().ct_eq(&out).into())
}

/// Requests that may wait for a hashing slot, per slot: enough for a morning rush of logins,
/// few enough that a flood is answered "busy" at once instead of piling up memory and time.
const WAITING_PER_SLOT: usize = 8;
/// Longest wait for a hashing slot, after which the request is answered "busy" (at 50 ms a
/// hash, about 40 hashes' time per slot).
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Runs argon2 on the hashing threads, at most one hash per slot at a time (one slot per core
/// by default): each hash takes 19 MiB and tens of milliseconds, so unbounded it would let a
/// burst of logins eat memory and starve other requests. The requests waiting for a slot are
/// bounded too ([`ServerError::Busy`] beyond them), so a flood cannot queue without limit.
#[derive(Clone)]
pub struct PasswordHasher {
    /// One per hash allowed to run at once.
    permits: Arc<Semaphore>,
    /// One per request running or waiting; taken without waiting.
    places: Arc<Semaphore>,
    workers: Workers,
}

/// A request's place in the hashing queue, taken without waiting ([`PasswordHasher::reserve`]):
/// a login takes it before it records its attempt, so a full queue refuses it before anything
/// is written. The place is held until the hash is done, even if the request goes away.
pub struct HashingPlace {
    hasher: PasswordHasher,
    place: OwnedSemaphorePermit,
}

impl PasswordHasher {
    /// `parallel` hashing threads (at least one), each with up to [`WAITING_PER_SLOT`] requests
    /// waiting.
    pub fn new(parallel: usize) -> Result<Self, ServerError> {
        Self::with_queue(parallel, parallel.max(1) * WAITING_PER_SLOT)
    }

    /// `parallel` hashes at a time and at most `waiting` more waiting for one.
    pub fn with_queue(parallel: usize, waiting: usize) -> Result<Self, ServerError> {
        let parallel = parallel.max(1);
        Ok(PasswordHasher {
            permits: Arc::new(Semaphore::new(parallel)),
            places: Arc::new(Semaphore::new(parallel + waiting)),
            workers: Workers::spawn(parallel)?,
        })
    }

    /// A hasher that refuses all work (`busy`): a test of a rule "refused before any hashing"
    /// then shows by its answer, not by a timing, that no hash was asked for.
    #[cfg(test)]
    pub(crate) fn unavailable() -> Self {
        let mut hasher = Self::with_queue(1, 0).expect("a hashing thread");
        hasher.places = Arc::new(Semaphore::new(0));
        hasher
    }

    /// A hasher whose slots never come free: every hash asked for waits [`MAX_WAIT`], then is
    /// answered `busy`; places in the queue are still given.
    #[cfg(test)]
    pub(crate) fn stalled() -> Self {
        let mut hasher = Self::with_queue(1, 8).expect("a hashing thread");
        hasher.permits = Arc::new(Semaphore::new(0));
        hasher
    }

    /// A place in the queue now, or [`ServerError::Busy`].
    pub fn reserve(&self) -> Result<HashingPlace, ServerError> {
        let place = self.places.clone().try_acquire_owned();
        Ok(HashingPlace {
            hasher: self.clone(),
            place: place.map_err(|_| ServerError::Busy)?,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        self.reserve()?.run(work).await
    }

    /// Runs the new-password policy (`work`: zxcvbn's estimate takes up to about 5 ms for 256
    /// characters) in the same bounded slots, off the async runtime: the strength meter asks on
    /// every pause in typing, and a flood of such requests must not starve the others.
    pub async fn judge<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        self.run(move |_| Ok(work())).await
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a new password.
    pub async fn hash(&self, password: String) -> Result<String, ServerError> {
        self.run(move |memory| hash_with(memory, &password)).await
    }

    /// Whether `password` matches `stored` (see [`HashingPlace::verify`]).
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, ServerError> {
        self.reserve()?.verify(password, stored).await
    }
}

impl HashingPlace {
    /// Waits at most [`MAX_WAIT`] for a slot, then runs `work` on a hashing thread. The slot
    /// and the place go back when the work is done, not when the caller stops waiting: a
    /// request dropped mid-hash cannot let more hashes run than there are slots.
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut Memory) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let permits = self.hasher.permits.clone();
        let slot = tokio::time::timeout(MAX_WAIT, permits.acquire_owned())
            .await
            .map_err(|_| ServerError::Busy)?
            .map_err(|_| ServerError::Context("hasher closed"))?;
        let place = self.place;
        self.hasher
            .workers
            .run(move |memory| {
                let _held = (slot, place);
                work(memory)
            })
            .await?
    }

    /// Whether `password` matches `stored`. With no stored hash (no such account, or no
    /// password yet) it still spends the same work on a dummy hash, so timing does not tell
    /// them apart.
    pub async fn verify(
        self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, ServerError> {
        self.run(move |memory| match stored {
            Some(stored) => verify_with(memory, &password, &stored),
            None => {
                let dummy = dummy_hash(memory)?;
                let _ = verify_with(memory, &password, dummy);
                Ok(false)
            }
        })
        .await
    }
}

/// A hash of a random password, made once, used only to spend the time of a real verification.
fn dummy_hash(memory: &mut Memory) -> Result<&'static str, ServerError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_with(memory, &super::token::new_token().0)?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// Password hashes per second on this machine with `threads` threads hashing at once, each
/// with its own memory, for about `duration`: the bound that the service's logins per second
/// are measured against (`asiointi hashing-rate`, `scripts/bench.sh`).
pub fn hashes_per_second(threads: usize, duration: Duration) -> Result<f64, ServerError> {
    let stored = hash_with(&mut Memory::new(), "the bound of logins per second")?;
    let started = std::time::Instant::now();
    let counts = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut memory = Memory::new();
                    let mut done = 0_u64;
                    while started.elapsed() < duration {
                        verify_with(&mut memory, "the bound of logins per second", &stored)?;
                        done += 1;
                    }
                    Ok::<_, ServerError>(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().map_err(|_| ServerError::Hash("panicked".into()))?)
            .sum::<Result<u64, ServerError>>()
    })?;
    Ok(counts as f64 / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    #[test]
    fn our_hashes_and_argon2s_own_are_the_same_text_and_verify_both_ways() {
        let mut memory = Memory::new();
        let ours = hash_with(&mut memory, "oikea hevonen patteri niitti").unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2
                .verify_password("oikea hevonen patteri niitti".as_bytes(), &parsed)
                .is_ok()
        );
        // The same salt through argon2's own hasher gives the very same string.
        let again = argon2
            .hash_password(
                "oikea hevonen patteri niitti".as_bytes(),
                parsed.salt.unwrap(),
            )
            .unwrap();
        assert_eq!(again.to_string(), ours);
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2
            .hash_password(b"toinen salasana", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&mut memory, "toinen salasana", &theirs).unwrap());
        assert!(!verify_with(&mut memory, "toinen salasanA", &theirs).unwrap());
        assert_eq!(
            memory.len(),
            params().unwrap().block_count(),
            "one block, kept"
        );
    }

    #[test]
    fn a_stored_hash_with_other_parameters_verifies_without_growing_the_slot() {
        let mut memory = Memory::new();
        for (m, t) in [(32_768, 1), (8_192, 3)] {
            let params = Params::new(m, t, 1, None).unwrap();
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let salt = SaltString::generate(&mut OsRng);
            let stored = argon2
                .hash_password(b"vanha salasana", &salt)
                .unwrap()
                .to_string();
            assert!(
                verify_with(&mut memory, "vanha salasana", &stored).unwrap(),
                "{stored}"
            );
            assert!(!verify_with(&mut memory, "uusi salasana", &stored).unwrap());
        }
        assert!(memory.len() <= params().unwrap().block_count());
        assert!(matches!(
            verify_with(
                &mut memory,
                "x",
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"
            ),
            Err(ServerError::Hash(_))
        ));
    }

    #[tokio::test]
    async fn hashes_with_the_required_parameters_and_verifies() {
        let hasher = PasswordHasher::new(2).unwrap();
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
        let hasher = PasswordHasher::new(1).unwrap();
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
        let hasher = PasswordHasher::with_queue(1, 1).unwrap();
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
        let hasher = PasswordHasher::with_queue(1, 4).unwrap();
        let _slot = hasher.permits.try_acquire().unwrap();
        let refused = hasher.verify("anything".into(), None).await;
        assert!(matches!(refused, Err(ServerError::Busy)), "{refused:?}");
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_policy_is_judged_off_the_runtime_in_the_same_slots() {
        let hasher = PasswordHasher::with_queue(1, 0).unwrap();
        let here = std::thread::current().id();
        let there = hasher.judge(|| std::thread::current().id()).await.unwrap();
        assert_ne!(here, there, "ran on the async thread");
        let name = hasher
            .judge(|| std::thread::current().name().map(str::to_owned))
            .await;
        assert!(name.unwrap().unwrap().starts_with("hashing-"));
        // While the only slot is hashing, the meter's request is answered "busy".
        let _running = hasher.places.try_acquire().unwrap();
        assert!(matches!(
            hasher.judge(|| 3_u8).await,
            Err(ServerError::Busy)
        ));
    }
}
