//! The resident's own account as the pages show it: details and login sessions.

use super::Lang;
use serde::{Deserialize, Serialize};

/// What the header and the settings show of the logged-in resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub full_name: String,
    pub email: String,
    /// The language chosen for mail; `None`: mail follows the page in use.
    pub language: Option<Lang>,
}

/// One login session of the resident, for the settings' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session in "log out" forms: the hex of its stored hash, never the cookie.
    pub id: String,
    /// Browser and system, e.g. "Firefox, Windows".
    pub device: String,
    /// UNIX seconds.
    pub started_at: i64,
    pub last_used_at: i64,
    pub remembered: bool,
    pub this_device: bool,
}

/// An e-service the resident has logged in to through this login (OpenID Connect), as
/// "Omat tiedot" lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// The client id, which names the service in the "revoke" form.
    pub client_id: String,
    pub name: String,
    /// UNIX seconds.
    pub first_used_at: i64,
    pub last_used_at: i64,
    /// The service still holds a grant that has not ended (it can refresh its tokens).
    pub active: bool,
}

/// A short human name of the browser and system in a `User-Agent` header.
pub fn describe_user_agent(user_agent: &str) -> String {
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, Android says Linux.
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 6] = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(needle, _)| user_agent.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser}, {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_browsers() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(describe_user_agent(firefox), "Firefox, Windows");
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_user_agent(chrome), "Chrome, Linux");
        let edge =
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120";
        assert_eq!(describe_user_agent(edge), "Edge, Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1";
        assert_eq!(describe_user_agent(iphone), "Safari, iPhone");
        let android =
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36";
        assert_eq!(describe_user_agent(android), "Chrome, Android");
        assert_eq!(describe_user_agent("curl/8.0"), "");
    }
}
