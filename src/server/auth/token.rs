//! Random secrets for links and sessions. Only their SHA-256 is stored.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 bits of entropy: beyond guessing, whatever the rate limits.
const TOKEN_BYTES: usize = 32;

/// A new token for a URL or a cookie (43 URL-safe characters) and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_256_bit_and_hashed() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(hash, hash_token(&token));
        assert_eq!(hash.len(), 32);
        assert_ne!(new_token().0, token);
    }
}
