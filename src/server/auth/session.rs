//! Login sessions and the small cookies of the login card, as HTTP headers.
//!
//! The session cookie holds a random id; the server keeps the row (keyed by the id's hash) and
//! enforces its expiry. "Remember me" makes the cookie persistent; otherwise it lives until the
//! browser closes.

use cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use http::HeaderMap;
use http::header::COOKIE;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "asiointi_session";
/// Remembers, for the login card, the outcome of the last "Jatka" (step and address) so that
/// the card can be rendered on the server with JavaScript off. Short-lived.
pub const LOGIN_FLOW_COOKIE: &str = "asiointi_login";
/// How long the login card remembers the address typed, in seconds.
const LOGIN_FLOW_SECONDS: i64 = 30 * 60;
/// Keeps what was typed into a refused form (never a password) across the redirect that
/// answers a form post without JavaScript, so the form comes back filled in.
pub const TYPED_COOKIE: &str = "asiointi_typed";
/// Just long enough for the redirect and the page load, in seconds.
const TYPED_SECONDS: i64 = 120;

fn base(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// `Set-Cookie` value for a new session; `persist` gives it a lifetime, otherwise it is a
/// browser-session cookie.
pub fn session_cookie(id: String, persist: Option<Duration>, secure: bool) -> String {
    let mut cookie = base(SESSION_COOKIE, id, secure);
    if let Some(ttl) = persist {
        cookie.set_max_age(CookieDuration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        ));
    }
    cookie.to_string()
}

/// `Set-Cookie` value for the login card's memory.
pub fn login_flow_cookie(value: String, secure: bool) -> String {
    let mut cookie = base(LOGIN_FLOW_COOKIE, value, secure);
    cookie.set_max_age(CookieDuration::seconds(LOGIN_FLOW_SECONDS));
    cookie.to_string()
}

/// `Set-Cookie` value for the fields of a refused form.
pub fn typed_cookie(value: String, secure: bool) -> String {
    let mut cookie = base(TYPED_COOKIE, value, secure);
    cookie.set_max_age(CookieDuration::seconds(TYPED_SECONDS));
    cookie.to_string()
}

/// `Set-Cookie` value that deletes cookie `name`.
pub fn removal_cookie(name: &'static str, secure: bool) -> String {
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
        let removal = removal_cookie(SESSION_COOKIE, false);
        assert!(removal.starts_with("asiointi_session=;"), "{removal}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
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
            read_cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("xyz")
        );
        assert_eq!(read_cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }
}
