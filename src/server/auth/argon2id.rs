//! Argon2id in the PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`): hashing
//! and verifying in memory the caller keeps (a hashing thread's one block), so that a login
//! allocates nothing. [`super::password`] runs these on the hashing threads.

use super::hashing_workers::Memory;
use crate::server::ServerError;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::time::Duration;
use subtle::ConstantTimeEq as _;
use unicode_normalization::UnicodeNormalization as _;

/// Memory cost in KiB, iterations and lanes: OWASP's argon2id minimum (m=19 MiB, t=2, p=1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

pub(super) fn params() -> Result<Params, ServerError> {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(hash_error)
}

pub(super) fn hash_error(error: impl std::fmt::Display) -> ServerError {
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
pub(super) fn hash_with(memory: &mut Memory, password: &str) -> Result<String, ServerError> {
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
pub(super) fn verify_with(
    memory: &mut Memory,
    password: &str,
    stored: &str,
) -> Result<bool, ServerError> {
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
}
