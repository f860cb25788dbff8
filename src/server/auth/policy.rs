//! What a new password must be (NIST SP 800-63B, OWASP ASVS 5.0 §6.2): long enough, not too
//! long, typed twice alike, not one of the most common passwords, not made of the resident's
//! address or name, and not easy to guess by zxcvbn's estimate. No composition rules.
//!
//! Every place that sets a password calls [`check_new_password`]; the strength meter calls
//! [`strength`], which runs the same checks, so the meter and the server agree.

use super::argon2id::normalize;
use crate::model::{AppError, PASSWORD_MAX_CHARS};
use std::collections::HashSet;
use std::sync::OnceLock;

/// SecLists' 100,000 most common passwords, one a line (see `data/README.md`).
const COMMON_PASSWORDS: &str = include_str!("../../../data/common-passwords-100k.txt");

/// Parts of the address's local part or of the name shorter than this, in characters, are not
/// refused inside a password: "li" or "jo" occur in countless words, and refusing "Ari" would
/// refuse "variaatio". They still count as words an attacker knows (zxcvbn's user inputs).
const PERSONAL_MIN_CHARS: usize = 4;

/// zxcvbn's lowest acceptable score: 3 means more than 10^8 guesses ("safely unguessable:
/// moderate protection from offline slow-hash scenario").
const MIN_SCORE: u8 = 3;

/// Words of this service that an attacker tries first (ASVS 5.0 6.1.2 and 6.2.11): the names
/// of the service and the city, and the words of the login page, in its three languages. A
/// password that is little more than these (fewer than [`OWN_LETTERS_MIN`] other letters) is
/// weak, and zxcvbn knows them too.
pub const CONTEXT_WORDS: &[&str] = &[
    "asiointi",
    "asiointipalvelu",
    "easiointi",
    "heinola",
    "kaupunki",
    "kunta",
    "palvelu",
    "kirjaudu",
    "kirjautuminen",
    "salasana",
    "käyttäjätunnus",
    "tunnus",
    "stad",
    "kommun",
    "tjänst",
    "inloggning",
    "lösenord",
    "login",
    "password",
    "service",
    "city",
];

/// Letters a password needs besides the service's words, digits and punctuation: fewer, and
/// "Asiointipalvelu2025!" would pass on length alone.
const OWN_LETTERS_MIN: usize = 6;

/// Whether `lower` (normalized, lowercased) is little more than the service's own words.
fn built_on_context_words(lower: &str) -> bool {
    let mut rest = lower.to_owned();
    for word in CONTEXT_WORDS {
        rest = rest.replace(word, " ");
    }
    rest.chars().filter(|c| c.is_alphabetic()).count() < OWN_LETTERS_MIN
}

/// Whom the password belongs to: words an attacker who targets this resident would try.
#[derive(Debug, Clone, Default)]
pub struct Owner<'a> {
    /// The address (the username).
    pub email: &'a str,
    /// The full name; empty when not known.
    pub full_name: &'a str,
}

impl Owner<'_> {
    /// The address's local part, its pieces (`esimerkki.erkki` → `esimerkki`, `erkki`) and the
    /// words of the name, lowercased and normalized.
    fn words(&self) -> Vec<String> {
        let local = self.email.rsplit_once('@').map_or(self.email, |(l, _)| l);
        let local = normalize(local).to_lowercase();
        let name = normalize(self.full_name).to_lowercase();
        let mut words = vec![local.clone()];
        words.extend(
            local
                .split(|c: char| !c.is_alphanumeric())
                .chain(name.split(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
        words.sort();
        words.dedup();
        words.retain(|w| !w.is_empty());
        words
    }
}

/// Checks a new password and its confirmation, in this order: too short (`min_chars`), too
/// long, confirmation differs, common, personal, weak. Counts characters of the NFKC form.
pub fn check_new_password(
    password: &str,
    confirm: &str,
    min_chars: usize,
    owner: &Owner,
) -> Result<(), AppError> {
    check_length(password, min_chars)?;
    if normalize(password) != normalize(confirm) {
        return Err(AppError::PasswordMismatch);
    }
    check_guessability(password, owner).map(|_| ())
}

/// [`check_new_password`] for `email` and `full_name`'s account, run in the hasher's bounded
/// slots off the async runtime (see [`super::password::PasswordHasher::judge`]).
pub async fn judge_new_password(
    hasher: &super::password::PasswordHasher,
    password: &str,
    confirm: String,
    min_chars: usize,
    email: &str,
    full_name: String,
) -> Result<(), AppError> {
    // A length refusal costs nothing and is told even while the slots are busy.
    check_length(password, min_chars)?;
    let (password, email) = (password.to_owned(), email.to_owned());
    hasher
        .judge(move || {
            let owner = Owner {
                email: &email,
                full_name: &full_name,
            };
            check_new_password(&password, &confirm, min_chars, &owner)
        })
        .await?
}

/// The strength meter's score, 0–4: zxcvbn's estimate, but 0 for a common or personal
/// password and at most 2 for one of the wrong length, so that 3 ("good") on the meter means
/// the server will accept it.
pub fn strength(password: &str, min_chars: usize, owner: &Owner) -> u8 {
    // Too long is refused before any scoring: it bounds the work a request can cause.
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return 0;
    }
    match (
        guessability(password, owner),
        check_length(password, min_chars),
    ) {
        (Err(_), _) => 0,
        (Ok(score), Err(_)) => score.min(MIN_SCORE - 1),
        (Ok(score), Ok(())) => score,
    }
}

fn check_length(password: &str, min_chars: usize) -> Result<(), AppError> {
    // The raw length bounds the work before normalizing; the login refuses the same way.
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::PasswordTooLong);
    }
    let chars = normalize(password).chars().count();
    if chars < min_chars {
        Err(AppError::PasswordTooShort {
            min: u32::try_from(min_chars).unwrap_or(u32::MAX),
        })
    } else if chars > PASSWORD_MAX_CHARS {
        Err(AppError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// Common, personal or weak; otherwise zxcvbn's score.
fn check_guessability(password: &str, owner: &Owner) -> Result<u8, AppError> {
    let score = guessability(password, owner)?;
    if score < MIN_SCORE {
        Err(AppError::PasswordWeak)
    } else {
        Ok(score)
    }
}

/// Common or personal; otherwise zxcvbn's score with the owner's words as known inputs.
fn guessability(password: &str, owner: &Owner) -> Result<u8, AppError> {
    let normalized = normalize(password);
    let lower = normalized.to_lowercase();
    if common_passwords().contains(lower.as_str()) {
        return Err(AppError::PasswordCommon);
    }
    let words = owner.words();
    let personal = words
        .iter()
        .filter(|w| w.chars().count() >= PERSONAL_MIN_CHARS)
        .any(|w| lower.contains(w.as_str()));
    if personal {
        return Err(AppError::PasswordPersonal);
    }
    if built_on_context_words(&lower) {
        return Ok(0);
    }
    let inputs: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .chain(CONTEXT_WORDS.iter().copied())
        .collect();
    Ok(zxcvbn::zxcvbn(&normalized, &inputs).score().into())
}

/// The blocklist, lowercased, parsed on first use (about 100,000 short strings, ~3 MB).
fn common_passwords() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(|line| normalize(line.trim_end_matches('\r')).to_lowercase())
            .filter(|line| !line.is_empty())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_password_of_the_wrong_length_is_refused_without_a_hashing_slot() {
        // The hasher refuses all work, so an answer other than "busy" was given without it.
        let refusing = super::super::password::PasswordHasher::unavailable();
        let long = "a".repeat(PASSWORD_MAX_CHARS + 1);
        let judged = judge_new_password(&refusing, &long, long.clone(), 12, "e@x.fi", "E".into());
        assert_eq!(judged.await, Err(AppError::PasswordTooLong));
        let judged =
            judge_new_password(&refusing, "lyhyt", "lyhyt".into(), 12, "e@x.fi", "E".into());
        assert!(matches!(
            judged.await,
            Err(AppError::PasswordTooShort { .. })
        ));
        let fine = "kesäpäivä järven rannalla";
        let judged = judge_new_password(&refusing, fine, fine.into(), 12, "e@x.fi", "E".into());
        assert_eq!(
            judged.await,
            Err(AppError::Busy),
            "a plausible one needs a slot"
        );
    }

    const ERKKI: Owner = Owner {
        email: "esimerkki.erkki@example.com",
        full_name: "Erkki Esimerkki",
    };
    const NOBODY: Owner = Owner {
        email: "",
        full_name: "",
    };
    const PASSPHRASE: &str = "kuusi vihreää hevosta laulaa";

    fn check(password: &str) -> Result<(), AppError> {
        check_new_password(password, password, 12, &ERKKI)
    }

    #[test]
    fn the_blocklist_has_the_hundred_thousand_and_matches_any_case() {
        assert_eq!(COMMON_PASSWORDS.lines().count(), 100_000);
        // From the list, 12 characters and more, so that length does not refuse them first.
        for listed in [
            "123qweasdzxc",
            "qwertyqwerty",
            "leavemealone",
            "1qaz2wsx3edc",
        ] {
            assert!(common_passwords().contains(listed), "{listed}");
            assert_eq!(check(listed), Err(AppError::PasswordCommon), "{listed}");
        }
        assert_eq!(check("LeaveMeAlone"), Err(AppError::PasswordCommon));
        assert_eq!(check("QWERTYQWERTY"), Err(AppError::PasswordCommon));
        // Full-width letters are the same password once normalized (NFKC).
        assert_eq!(
            check("ｌｅａｖｅｍｅａｌｏｎｅ"),
            Err(AppError::PasswordCommon)
        );
    }

    #[test]
    fn words_of_this_service_make_a_password_easy_to_guess() {
        for password in [
            "Asiointipalvelu Heinola 2025",
            "heinolan kaupunki salasana",
            "KirjauduAsiointiin2024!",
        ] {
            assert_eq!(check(password), Err(AppError::PasswordWeak), "{password}");
        }
        assert_eq!(check(PASSPHRASE), Ok(()));
        assert_eq!(check("kaupunki on kaunis illalla"), Ok(()));
    }

    #[test]
    fn the_address_and_the_name_are_refused_in_any_case() {
        assert_eq!(
            check("Esimerkki.Erkki on paras 2024"),
            Err(AppError::PasswordPersonal)
        );
        assert_eq!(
            check("talvi ERKKI kesä syksy"),
            Err(AppError::PasswordPersonal)
        );
        assert_eq!(
            check("kevät ja esimerkkiä riittää"),
            Err(AppError::PasswordPersonal)
        );
        // Short parts of a name are not searched for inside words.
        let ari = Owner {
            email: "ari.li@example.com",
            full_name: "Ari Li",
        };
        assert_eq!(
            check_new_password(
                "variaatio linnuista kuudessa osassa",
                "variaatio linnuista kuudessa osassa",
                12,
                &ari
            ),
            Ok(())
        );
    }

    #[test]
    fn easily_guessed_passwords_are_weak() {
        assert_eq!(check("aaaaaaaaaaaaaaaa"), Err(AppError::PasswordWeak));
        assert_eq!(check("abcdefghijklmnop"), Err(AppError::PasswordWeak));
        assert_eq!(check("salasana12345"), Err(AppError::PasswordWeak));
        assert_eq!(check("kissa1234567"), Err(AppError::PasswordWeak));
    }

    #[test]
    fn a_good_passphrase_is_accepted_and_scores_high() {
        assert_eq!(check(PASSPHRASE), Ok(()));
        assert!(strength(PASSPHRASE, 12, &ERKKI) >= MIN_SCORE);
        assert!(strength("aaaaaaaaaaaaaaaa", 12, &ERKKI) < MIN_SCORE);
        assert_eq!(strength("leavemealone", 12, &NOBODY), 0);
        assert_eq!(strength("", 12, &NOBODY), 0);
        // Strong but too short for the configured minimum: not "good" on the meter.
        assert!(strength("Xq7#vR2!pL9", 16, &NOBODY) < MIN_SCORE);
    }

    #[test]
    fn order_length_then_mismatch_then_content() {
        assert_eq!(
            check_new_password("lyhyt", "muu", 12, &ERKKI),
            Err(AppError::PasswordTooShort { min: 12 })
        );
        assert_eq!(
            check_new_password(&"x".repeat(257), "", 12, &ERKKI),
            Err(AppError::PasswordTooLong)
        );
        assert_eq!(
            check_new_password("leavemealone", "leavemealonE", 12, &ERKKI),
            Err(AppError::PasswordMismatch)
        );
        assert_eq!(
            check_new_password(PASSPHRASE, PASSPHRASE, 30, &ERKKI),
            Err(AppError::PasswordTooShort { min: 30 })
        );
    }

    #[test]
    fn length_counts_characters_of_the_normalized_form() {
        let eleven = "ä".repeat(11);
        assert_eq!(
            check_length(&eleven, 12),
            Err(AppError::PasswordTooShort { min: 12 })
        );
        // Twelve "a" + combining diaeresis: 24 code points, 12 characters once composed.
        let decomposed = "a\u{0308}".repeat(12);
        assert_eq!(check_length(&decomposed, 12), Ok(()));
        assert_eq!(
            check_length(&"a\u{0308}".repeat(11), 12),
            Err(AppError::PasswordTooShort { min: 12 })
        );
        assert_eq!(check_length(&"x".repeat(256), 12), Ok(()));
        assert_eq!(
            check_length(&"x".repeat(257), 12),
            Err(AppError::PasswordTooLong)
        );
        // The confirmation may be typed in the other form.
        let composed = "é".repeat(3) + " kuusi vihreää hevosta";
        let other = "e\u{0301}".repeat(3) + " kuusi vihreää hevosta";
        assert_eq!(check_new_password(&composed, &other, 12, &NOBODY), Ok(()));
    }
}
