//! Login sessions and the small cookies of the login card, as HTTP headers.
//!
//! The session cookie holds a random id; the server keeps the row (keyed by the id's hash) and
//! enforces its expiry. "Remember me" makes the cookie persistent; otherwise it lives until the
//! browser closes.
//!
//! Over https every cookie is named with the `__Host-` prefix: the browser then accepts it only
//! with `Secure`, `Path=/` and no `Domain`, so neither a subdomain nor a plain-http page can plant
//! or overwrite it. [`CookieName::name`] is the one place that decides the names.

use cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use http::HeaderMap;
use http::header::COOKIE;
use std::time::Duration;

/// The cookies the service sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieName {
    /// The login session's random id.
    Session,
    /// Remembers, for the login card, the outcome of the last "Jatka" (step and address) so
    /// that the card can be rendered on the server with JavaScript off. Short-lived.
    LoginFlow,
    /// Keeps what was typed into a refused form (never a password) across the redirect that
    /// answers a form post without JavaScript, so the form comes back filled in.
    Typed,
}

impl CookieName {
    /// The cookie's name: `__Host-` prefixed when `secure` (served over https).
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (CookieName::Session, false) => "asiointi_session",
            (CookieName::Session, true) => "__Host-asiointi_session",
            (CookieName::LoginFlow, false) => "asiointi_login",
            (CookieName::LoginFlow, true) => "__Host-asiointi_login",
            (CookieName::Typed, false) => "asiointi_typed",
            (CookieName::Typed, true) => "__Host-asiointi_typed",
        }
    }
}

/// How long the login card remembers the address typed, in seconds.
const LOGIN_FLOW_SECONDS: i64 = 30 * 60;
/// Just long enough for the redirect and the page load, in seconds.
const TYPED_SECONDS: i64 = 120;

/// `Path=/` and no `Domain` always, as the `__Host-` prefix requires.
fn base(name: CookieName, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name.name(secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// `Set-Cookie` value for a new session; `persist` gives it a lifetime, otherwise it is a
/// browser-session cookie.
pub fn session_cookie(id: String, persist: Option<Duration>, secure: bool) -> String {
    let mut cookie = base(CookieName::Session, id, secure);
    if let Some(ttl) = persist {
        cookie.set_max_age(CookieDuration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        ));
    }
    cookie.to_string()
}

/// `Set-Cookie` value for the login card's memory.
pub fn login_flow_cookie(value: String, secure: bool) -> String {
    let mut cookie = base(CookieName::LoginFlow, value, secure);
    cookie.set_max_age(CookieDuration::seconds(LOGIN_FLOW_SECONDS));
    cookie.to_string()
}

/// `Set-Cookie` value for the fields of a refused form.
pub fn typed_cookie(value: String, secure: bool) -> String {
    let mut cookie = base(CookieName::Typed, value, secure);
    cookie.set_max_age(CookieDuration::seconds(TYPED_SECONDS));
    cookie.to_string()
}

/// `Set-Cookie` value that deletes cookie `name`.
pub fn removal_cookie(name: CookieName, secure: bool) -> String {
    let mut cookie = base(name, String::new(), secure);
    cookie.make_removal();
    cookie.to_string()
}

/// The value of cookie `name` in a request.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn remember_me_cookie_is_persistent_and_the_other_is_not() {
        let persistent =
            session_cookie("abc".into(), Some(Duration::from_secs(30 * 86_400)), false);
        assert!(persistent.contains("Max-Age=2592000"), "{persistent}");
        let browser = session_cookie("abc".into(), None, false);
        assert!(
            !browser.contains("Max-Age") && !browser.contains("Expires"),
            "{browser}"
        );
        for cookie in [&persistent, &browser] {
            assert!(
                cookie.contains("HttpOnly")
                    && cookie.contains("SameSite=Lax")
                    && cookie.contains("Path=/")
            );
            assert!(!cookie.contains("Secure"));
        }
        assert!(session_cookie("abc".into(), None, true).contains("Secure"));
    }

    #[test]
    fn removal_expires_the_cookie() {
        let removal = removal_cookie(CookieName::Session, false);
        assert!(removal.starts_with("asiointi_session=;"), "{removal}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }

    #[test]
    fn over_https_every_cookie_has_the_host_prefix_and_its_conditions() {
        let cookies = [
            session_cookie("abc".into(), None, true),
            login_flow_cookie("x".into(), true),
            typed_cookie("y".into(), true),
            removal_cookie(CookieName::Session, true),
        ];
        for cookie in &cookies {
            assert!(cookie.starts_with("__Host-asiointi_"), "{cookie}");
            assert!(
                cookie.contains("Secure") && cookie.contains("Path=/"),
                "{cookie}"
            );
            assert!(!cookie.contains("Domain"), "{cookie}");
        }
        assert!(login_flow_cookie("x".into(), false).starts_with("asiointi_login="));
    }

    #[test]
    fn reads_a_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; asiointi_session=xyz"),
        );
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(
            read_cookie(&headers, CookieName::Session.name(false)).as_deref(),
            Some("xyz")
        );
        assert_eq!(read_cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }
}
