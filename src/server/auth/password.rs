//! Password hashing with argon2id on threads of its own ([`super::hashing_workers`]), bounded
//! in parallelism and in the requests that may wait.

use super::argon2id::{hash_with, verify_with};
use super::hashing_workers::{Memory, Workers};
use crate::server::ServerError;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

#[cfg(test)]
mod tests {
    use super::*;

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
        // Refused without waiting out MAX_WAIT (the rule; half of it leaves room for any
        // machine, as a busy one takes microseconds, not seconds, to fail a `try_acquire`).
        assert!(started.elapsed() < MAX_WAIT / 2, "{:?}", started.elapsed());
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
