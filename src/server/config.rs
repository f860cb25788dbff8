//! Configuration: `Leptos.toml`'s `[asiointi]` table (or its compiled-in copy) with environment
//! variables on top, validated once at start so that a bad value stops the server with a clear
//! message instead of failing a resident's request later.

use serde::Deserialize;
use std::time::Duration;

/// The defaults, as shipped in the repository's `Leptos.toml`.
const EMBEDDED_DEFAULTS: &str = include_str!("../../Leptos.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: String,
    database_pool_size: u64,
    database_statement_timeout_seconds: u64,
    public_url: String,
    smtp_url: String,
    mail_lease_seconds: u64,
    mail_from: String,
    support_contact: String,
    legacy_link_hours: u64,
    reset_link_hours: u64,
    email_link_hours: u64,
    unverified_account_hours: u64,
    session_hours: u64,
    session_idle_minutes: u64,
    remember_days: u64,
    password_min_chars: u64,
    remember_idle_days: u64,
    behind_proxy: bool,
    account_enumeration: String,
    lookups_per_ip: u64,
    audit_retention_days: u64,
    hashing_slots: u64,
    /// `[[asiointi.clients]]`: e-services declared for a fixed deployment.
    #[serde(default)]
    clients: Vec<crate::server::oidc::declared::DeclaredClient>,
}

#[derive(Debug, Deserialize)]
struct LeptosToml {
    asiointi: FileSettings,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub database_pool: crate::server::db::PoolSettings,
    /// Without a trailing slash.
    pub public_url: String,
    /// `None`: mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// How long a sender holds a mail it claimed before another instance may take it over.
    pub mail_lease: Duration,
    pub mail_from: lettre::message::Mailbox,
    pub support_contact: String,
    pub legacy_link_ttl: Duration,
    pub reset_link_ttl: Duration,
    pub email_link_ttl: Duration,
    /// How long a registration may stay unverified before it is removed.
    pub unverified_account_ttl: Duration,
    /// Absolute lifetime of a login without "remember me".
    pub session_ttl: Duration,
    /// A login without "remember me" ends after this long unused.
    pub session_idle: Duration,
    /// Absolute lifetime of a remembered login.
    pub remember_ttl: Duration,
    /// Shortest password accepted, in characters of the NFKC form.
    pub password_min_chars: usize,
    /// A remembered login ends after this long unused.
    pub remember_idle: Duration,
    /// The service is reached through one reverse proxy that appends the client's address to
    /// `X-Forwarded-For`; otherwise the TCP peer is the client.
    pub behind_proxy: bool,
    pub account_enumeration: AccountEnumeration,
    /// How many e-mail step lookups ("Jatka", recovery, registration) one client IP may make in
    /// 10 minutes.
    pub lookups_per_ip: usize,
    /// How long the audit trail keeps an event after its last occurrence.
    pub audit_retention: Duration,
    /// How many password hashes may run at once.
    pub hashing_slots: usize,
    /// The OpenID Connect clients declared in `Leptos.toml`, checked, secrets hashed.
    pub clients: Vec<crate::server::db::OidcClient>,
    /// Development conveniences: the demo account and `/dev/mail`.
    pub development: bool,
}

/// What the login card's e-mail step tells about an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEnumeration {
    /// Says whether the address has an account and whether a link was mailed (the seed).
    Helpful,
    /// Every address gets the same next step and words, in the same time; what applies is told
    /// by mail to the address alone.
    Protect,
}

impl AccountEnumeration {
    fn parse(key: &str, value: &str) -> Result<Self, String> {
        match value.trim() {
            "helpful" => Ok(Self::Helpful),
            "protect" => Ok(Self::Protect),
            other => Err(format!("{key} must be helpful or protect, got {other:?}")),
        }
    }
}

impl Config {
    /// Cookies get `Secure` when residents reach the service over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The idle limits of sessions, for the session lookup.
    pub fn idle_limits(&self) -> crate::server::db::IdleLimits {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        crate::server::db::IdleLimits {
            session_secs: secs(self.session_idle),
            remembered_secs: secs(self.remember_idle),
        }
    }

    /// Whether `/dev/mail` is served: development only, and only while mail is not sent.
    pub fn dev_mailbox(&self) -> bool {
        self.development && self.smtp_url.is_none()
    }

    /// Loads `./Leptos.toml` (or the embedded defaults) and the environment.
    pub fn load(development: bool) -> Result<Config, String> {
        let text =
            std::fs::read_to_string("Leptos.toml").unwrap_or_else(|_| EMBEDDED_DEFAULTS.to_owned());
        Self::from_parts(&text, |key| std::env::var(key).ok(), development)
    }

    fn from_parts(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
        development: bool,
    ) -> Result<Config, String> {
        let file: LeptosToml = toml::from_str(text).map_err(|e| format!("Leptos.toml: {e}"))?;
        let s = file.asiointi;
        let string = |key: &str, default: String| env(key).unwrap_or(default);
        let number = |key: &str, default: u64| -> Result<u64, String> {
            match env(key) {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{key} must be a whole number, got {v:?}")),
                None => Ok(default),
            }
        };
        let public_url = string("PUBLIC_URL", s.public_url)
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "PUBLIC_URL must start with http:// or https://, got {public_url:?}"
            ));
        }
        let smtp_url = Some(string("SMTP_URL", s.smtp_url)).filter(|u| !u.trim().is_empty());
        let mail_from_text = string("MAIL_FROM", s.mail_from);
        let mail_from = mail_from_text
            .parse()
            .map_err(|e| format!("MAIL_FROM is not a mail address ({mail_from_text:?}): {e}"))?;
        let hours = |h: u64| Duration::from_secs(h * 3600);
        let positive = |key: &str, value: u64| {
            if value == 0 {
                Err(format!("{key} must be greater than zero"))
            } else {
                Ok(value)
            }
        };
        Ok(Config {
            database_url: string("DATABASE_URL", s.database_url),
            database_pool: crate::server::db::PoolSettings {
                max_connections: u32::try_from(positive(
                    "DATABASE_POOL_SIZE",
                    number("DATABASE_POOL_SIZE", s.database_pool_size)?,
                )?)
                .unwrap_or(u32::MAX)
                .min(1000),
                statement_timeout: Duration::from_secs(positive(
                    "DATABASE_STATEMENT_TIMEOUT_SECONDS",
                    number(
                        "DATABASE_STATEMENT_TIMEOUT_SECONDS",
                        s.database_statement_timeout_seconds,
                    )?,
                )?),
            },
            public_url,
            smtp_url,
            mail_lease: Duration::from_secs(mail_lease_seconds(number(
                "MAIL_LEASE_SECONDS",
                s.mail_lease_seconds,
            )?)?),
            mail_from,
            support_contact: string("SUPPORT_CONTACT", s.support_contact),
            legacy_link_ttl: hours(positive(
                "LEGACY_LINK_HOURS",
                number("LEGACY_LINK_HOURS", s.legacy_link_hours)?,
            )?),
            reset_link_ttl: hours(positive(
                "RESET_LINK_HOURS",
                number("RESET_LINK_HOURS", s.reset_link_hours)?,
            )?),
            email_link_ttl: hours(positive(
                "EMAIL_LINK_HOURS",
                number("EMAIL_LINK_HOURS", s.email_link_hours)?,
            )?),
            unverified_account_ttl: hours(positive(
                "UNVERIFIED_ACCOUNT_HOURS",
                number("UNVERIFIED_ACCOUNT_HOURS", s.unverified_account_hours)?,
            )?),
            session_ttl: hours(positive(
                "SESSION_HOURS",
                number("SESSION_HOURS", s.session_hours)?,
            )?),
            session_idle: Duration::from_secs(
                60 * positive(
                    "SESSION_IDLE_MINUTES",
                    number("SESSION_IDLE_MINUTES", s.session_idle_minutes)?,
                )?,
            ),
            remember_ttl: hours(
                24 * positive("REMEMBER_DAYS", number("REMEMBER_DAYS", s.remember_days)?)?,
            ),
            password_min_chars: password_min_chars(number(
                "PASSWORD_MIN_CHARS",
                s.password_min_chars,
            )?)?,
            remember_idle: hours(
                24 * positive(
                    "REMEMBER_IDLE_DAYS",
                    number("REMEMBER_IDLE_DAYS", s.remember_idle_days)?,
                )?,
            ),
            behind_proxy: match env("BEHIND_PROXY") {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("BEHIND_PROXY must be true or false, got {v:?}"))?,
                None => s.behind_proxy,
            },
            account_enumeration: AccountEnumeration::parse(
                "ACCOUNT_ENUMERATION",
                &string("ACCOUNT_ENUMERATION", s.account_enumeration),
            )?,
            lookups_per_ip: usize::try_from(positive(
                "LOOKUPS_PER_IP",
                number("LOOKUPS_PER_IP", s.lookups_per_ip)?,
            )?)
            .unwrap_or(usize::MAX),
            audit_retention: hours(
                24 * audit_retention_days(number("AUDIT_RETENTION_DAYS", s.audit_retention_days)?)?,
            ),
            hashing_slots: match number("HASHING_SLOTS", s.hashing_slots)? {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                slots => usize::try_from(slots).unwrap_or(usize::MAX).min(1024),
            },
            clients: crate::server::oidc::declared::validate(s.clients, &env)?,
            development,
        })
    }
}

/// The shortest retention of the audit trail, in days; the schema refuses a purge of anything
/// younger too (`audit_purges`' CHECK), so a mistyped setting cannot empty the trail.
const AUDIT_RETENTION_DAYS_FLOOR: u64 = 30;

fn audit_retention_days(value: u64) -> Result<u64, String> {
    // The upper bound keeps the seconds within i64 (about 2.7 million years would not).
    if (AUDIT_RETENTION_DAYS_FLOOR..=36_500).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "AUDIT_RETENTION_DAYS must be from {AUDIT_RETENTION_DAYS_FLOOR} to 36500, got {value}"
        ))
    }
}

/// The shortest mail lease, in seconds: a delivery's SMTP timeouts are a tenth of it, and
/// below a second per command a slow but working server would time out.
const MAIL_LEASE_SECONDS_FLOOR: u64 = 10;

fn mail_lease_seconds(value: u64) -> Result<u64, String> {
    if (MAIL_LEASE_SECONDS_FLOOR..=86_400).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "MAIL_LEASE_SECONDS must be from {MAIL_LEASE_SECONDS_FLOOR} to 86400, got {value}"
        ))
    }
}

/// NIST SP 800-63B's floor for a password chosen by the user, in characters.
const PASSWORD_MIN_CHARS_FLOOR: u64 = 8;

fn password_min_chars(value: u64) -> Result<usize, String> {
    let max = crate::model::PASSWORD_MAX_CHARS;
    match usize::try_from(value) {
        Ok(chars) if value >= PASSWORD_MIN_CHARS_FLOOR && chars <= max => Ok(chars),
        _ => Err(format!(
            "PASSWORD_MIN_CHARS must be from {PASSWORD_MIN_CHARS_FLOOR} to {max}, got {value}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(EMBEDDED_DEFAULTS, |k| map.get(k).cloned(), true)
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let config = load(&[]).unwrap();
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(config.smtp_url.is_none());
        assert!(config.dev_mailbox());
        assert_eq!(config.legacy_link_ttl, Duration::from_secs(24 * 3600));
        assert_eq!(config.reset_link_ttl, Duration::from_secs(3600));
        assert_eq!(config.remember_ttl, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(config.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(config.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(config.remember_idle, Duration::from_secs(7 * 24 * 3600));
        assert!(!config.secure_cookies());
        assert_eq!(config.account_enumeration, AccountEnumeration::Helpful);
        assert_eq!(config.lookups_per_ip, 30);
        assert_eq!(config.password_min_chars, 12);
        assert_eq!(config.audit_retention, Duration::from_secs(400 * 86_400));
        assert_eq!(
            load(&[("PASSWORD_MIN_CHARS", "16")])
                .unwrap()
                .password_min_chars,
            16
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(&[
            ("PUBLIC_URL", "https://asiointi.example.fi/"),
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("LEGACY_LINK_HOURS", "48"),
        ])
        .unwrap();
        assert_eq!(config.public_url, "https://asiointi.example.fi");
        assert!(config.secure_cookies());
        assert_eq!(config.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
        assert!(!config.dev_mailbox());
        assert_eq!(config.legacy_link_ttl, Duration::from_secs(48 * 3600));
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        assert!(
            load(&[("PUBLIC_URL", "asiointi.fi")])
                .unwrap_err()
                .contains("PUBLIC_URL")
        );
        assert!(
            load(&[("SESSION_HOURS", "twelve")])
                .unwrap_err()
                .contains("SESSION_HOURS")
        );
        assert!(
            load(&[("REMEMBER_DAYS", "0")])
                .unwrap_err()
                .contains("REMEMBER_DAYS")
        );
        for too_short_or_long in ["29", "0", "36501"] {
            assert!(
                load(&[("AUDIT_RETENTION_DAYS", too_short_or_long)])
                    .unwrap_err()
                    .contains("AUDIT_RETENTION_DAYS")
            );
        }
        for too_few_or_many in ["7", "0", "257"] {
            assert!(
                load(&[("PASSWORD_MIN_CHARS", too_few_or_many)])
                    .unwrap_err()
                    .contains("PASSWORD_MIN_CHARS")
            );
        }
        assert!(
            load(&[("SESSION_IDLE_MINUTES", "0")])
                .unwrap_err()
                .contains("SESSION_IDLE_MINUTES")
        );
        assert!(
            load(&[("MAIL_FROM", "not an address")])
                .unwrap_err()
                .contains("MAIL_FROM")
        );
        assert!(
            load(&[("ACCOUNT_ENUMERATION", "strict")])
                .unwrap_err()
                .contains("ACCOUNT_ENUMERATION")
        );
        let protect = load(&[("ACCOUNT_ENUMERATION", "protect")]).unwrap();
        assert_eq!(protect.account_enumeration, AccountEnumeration::Protect);
    }
}
