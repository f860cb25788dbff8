//! The UI languages. The URL's first segment carries the choice (`/fi/…`, `/en/…`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    Fi,
    Sv,
    En,
}

impl Lang {
    /// Every language, in the order the language menu lists them.
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    /// The URL segment and the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The label in the language menu, as on the old service ("FIN ▼").
    pub fn menu_label(self) -> &'static str {
        match self {
            Lang::Fi => "FIN",
            Lang::Sv => "SVE",
            Lang::En => "ENG",
        }
    }

    /// The language's own name, for screen readers.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fi => "suomi",
            Lang::Sv => "svenska",
            Lang::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// `path` with its language segment replaced by this language. A language's front page is
    /// `/fi`, without a trailing slash.
    pub fn swap_into(self, path: &str) -> String {
        let rest = path.trim_start_matches('/');
        let rest = match rest.split_once('/') {
            Some((first, tail)) if Lang::from_code(first).is_some() => tail,
            None if Lang::from_code(rest).is_some() => "",
            _ => rest,
        };
        if rest.is_empty() {
            format!("/{}", self.code())
        } else {
            format!("/{}/{}", self.code(), rest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("de"), None);
    }

    #[test]
    fn swapping_keeps_the_rest_of_the_path() {
        assert_eq!(Lang::En.swap_into("/fi/login"), "/en/login");
        assert_eq!(Lang::Fi.swap_into("/en/"), "/fi");
        assert_eq!(Lang::Fi.swap_into("/en"), "/fi");
        assert_eq!(
            Lang::En.swap_into("/fi/set-password/done"),
            "/en/set-password/done"
        );
        assert_eq!(Lang::En.swap_into("/"), "/en");
        assert_eq!(Lang::Sv.swap_into("/fi/account"), "/sv/account");
    }
}
