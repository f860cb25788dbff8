//! The mails the service sends, rendered in the resident's language as plain text with an
//! HTML alternative. Wording from the city's original mail.

use crate::i18n::{Texts, texts};
use crate::model::{Email, Lang};
use crate::server::db::LinkPurpose;

/// A mail as sent: rendered at delivery, never stored.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// One paragraph of a mail, written out as plain text and as HTML.
enum Part<'a> {
    Text(&'a str),
    /// "Käyttäjätunnus: <address>".
    Username,
    Link(&'a str),
}

/// "The link is valid for N hours", with the singular where the language needs it.
fn validity(t: &Texts, hours: u64) -> String {
    if hours == 1 {
        t.mail_validity_one_hour.to_owned()
    } else {
        t.mail_validity.replace("{hours}", &hours.to_string())
    }
}

/// A mail carrying a single-use link: the first password, or a forgotten one.
pub fn link_mail(
    purpose: LinkPurpose,
    lang: Lang,
    to: &Email,
    link: &str,
    valid_hours: u64,
    support: &str,
) -> Rendered {
    let t = texts(lang);
    let (subject, intro) = match purpose {
        LinkPurpose::SetPassword => (t.mail_subject, t.mail_intro),
        LinkPurpose::ResetPassword => (t.mail_reset_subject, t.mail_reset_intro),
    };
    let validity = validity(t, valid_hours);
    let parts = [
        Part::Text(intro),
        Part::Username,
        Part::Link(link),
        Part::Text(&validity),
    ];
    compose(lang, to, subject, &parts, support)
}

/// The link that makes a new address the username, sent to that new address.
pub fn email_change_mail(
    lang: Lang,
    to: &Email,
    link: &str,
    valid_hours: u64,
    support: &str,
) -> Rendered {
    let t = texts(lang);
    let validity = validity(t, valid_hours);
    let parts = [
        Part::Text(t.mail_change_intro),
        Part::Link(link),
        Part::Text(&validity),
    ];
    compose(lang, to, t.mail_change_subject, &parts, support)
}

/// Tells the current address that a change of username to another address was asked for.
pub fn email_change_notice(lang: Lang, to: &Email, support: &str) -> Rendered {
    let t = texts(lang);
    let parts = [Part::Text(t.mail_change_notice_body), Part::Username];
    compose(lang, to, t.mail_change_notice_subject, &parts, support)
}

/// The notice that a password was changed, so that a resident who did not do it finds out.
pub fn password_changed_mail(lang: Lang, to: &Email, support: &str) -> Rendered {
    let t = texts(lang);
    let parts = [Part::Text(t.mail_changed_body), Part::Username];
    compose(lang, to, t.mail_changed_subject, &parts, support)
}

/// Told to an address's owner when someone tries to register it again: the registration page
/// itself says nothing, so that it reveals no account.
pub fn account_exists_mail(lang: Lang, to: &Email, public_url: &str, support: &str) -> Rendered {
    let t = texts(lang);
    let login = format!("{public_url}/{}/login", lang.code());
    let forgot = format!("{public_url}/{}/forgot", lang.code());
    let parts = [
        Part::Text(t.mail_exists_body),
        Part::Text(t.mail_exists_login),
        Part::Link(&login),
        Part::Text(t.mail_exists_forgot),
        Part::Link(&forgot),
    ];
    compose(lang, to, t.mail_exists_subject, &parts, support)
}

/// Told to an address without an account when someone presses "Jatka" with it in `protect`
/// mode, where the card itself says the same for every address: how to create an account.
pub fn no_account_mail(lang: Lang, to: &Email, public_url: &str, support: &str) -> Rendered {
    let t = texts(lang);
    let register = format!("{public_url}/{}/register", lang.code());
    let parts = [
        Part::Text(t.mail_no_account_body),
        Part::Text(t.mail_no_account_create),
        Part::Link(&register),
    ];
    compose(lang, to, t.mail_no_account_subject, &parts, support)
}

/// Puts the paragraphs between the common greeting and footer, as text and as HTML.
fn compose(lang: Lang, to: &Email, subject: &str, parts: &[Part], support: &str) -> Rendered {
    let t: &Texts = texts(lang);
    let text: Vec<String> = parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => (*text).to_owned(),
            Part::Username => format!("{} {to}", t.mail_username),
            Part::Link(link) => (*link).to_owned(),
        })
        .collect();
    let paragraphs: String = parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => format!("<p>{}</p>", escape(text)),
            Part::Username => format!(
                "<p>{} <strong>{}</strong></p>",
                escape(t.mail_username),
                escape(to.as_str())
            ),
            Part::Link(link) => format!("<p><a href=\"{0}\">{0}</a></p>", escape(link)),
        })
        .collect();
    let footer = format!(
        "{}\n{}\n{} {support}\n\n{}\n{}\n",
        t.mail_automatic, t.mail_problems, t.mail_support, t.mail_regards, t.mail_signature
    );
    let body_text = format!("{}\n\n{footer}", text.join("\n\n"));
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"font-family:sans-serif;color:#1a1a1a\">{paragraphs}\
         <p>{automatic}<br>{problems}<br>{support_label} {support}</p>\
         <p>{regards}<br>{signature}</p></body></html>\n",
        code = lang.code(),
        subject = escape(subject),
        automatic = escape(t.mail_automatic),
        problems = escape(t.mail_problems),
        support_label = escape(t.mail_support),
        support = escape(support),
        regards = escape(t.mail_regards),
        signature = escape(t.mail_signature),
    );
    Rendered {
        subject: subject.to_owned(),
        body_text,
        body_html,
    }
}

/// HTML-escapes text for element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erkki() -> Email {
        Email::parse("esimerkki.erkki@example.com").unwrap()
    }

    #[test]
    fn finnish_mail_has_the_seed_wording() {
        let link = "https://asiointi.example.fi/fi/set-password?token=abc";
        let support = "Asiointi, puh. 044 797 8523";
        let mail = link_mail(
            LinkPurpose::SetPassword,
            Lang::Fi,
            &erkki(),
            link,
            24,
            support,
        );
        for expected in [
            "Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.",
            "Käyttäjätunnus: esimerkki.erkki@example.com",
            link,
            "Linkki on voimassa 24 tuntia",
            "Tämä on palvelun automaattisesti lähettämä viesti. Älä vastaa tähän viestiin.",
            "Ongelmatilanteissa ota yhteys kuntaan.",
            support,
        ] {
            assert!(
                mail.body_text.contains(expected),
                "{expected:?} missing from text"
            );
        }
        assert!(mail.body_html.contains(&format!("<a href=\"{link}\">")));
        assert!(mail.body_html.contains("lang=\"fi\""));
    }

    #[test]
    fn reset_mail_uses_the_seed_recovery_wording_and_one_hour() {
        let mail = link_mail(
            LinkPurpose::ResetPassword,
            Lang::Fi,
            &erkki(),
            "http://x/fi/set-password?token=t",
            1,
            "tuki",
        );
        assert!(mail.body_text.contains(
            "Alla olevalla linkillä pääset vaihtamaan unohtuneen salasanasi Asiointipalvelussa."
        ));
        assert!(
            mail.body_text.contains("Linkki on voimassa tunnin"),
            "{}",
            mail.body_text
        );
    }

    #[test]
    fn other_languages() {
        let en = link_mail(
            LinkPurpose::SetPassword,
            Lang::En,
            &erkki(),
            "http://x/en/set-password?token=t",
            24,
            "help",
        );
        assert!(en.subject.contains("password"));
        assert!(
            en.body_text
                .contains("With the link below you can set your password")
        );
        let sv = link_mail(
            LinkPurpose::SetPassword,
            Lang::Sv,
            &erkki(),
            "http://x/sv/set-password?token=t",
            24,
            "help",
        );
        assert!(
            sv.body_text
                .contains("Med länken nedan kan du ställa in ditt lösenord")
        );
        assert!(sv.body_html.contains("lang=\"sv\""));
        let changed = password_changed_mail(Lang::Sv, &erkki(), "help");
        assert!(
            changed.body_text.contains("esimerkki.erkki@example.com")
                && changed.body_text.contains("help")
        );
    }

    #[test]
    fn account_exists_mail_links_to_login_and_recovery() {
        let mail = account_exists_mail(Lang::Fi, &erkki(), "https://a.example", "tuki");
        assert!(mail.body_text.contains("Joku yritti juuri luoda"));
        assert!(mail.body_text.contains("https://a.example/fi/login"));
        assert!(mail.body_text.contains("https://a.example/fi/forgot"));
        assert!(
            mail.body_html
                .contains("<a href=\"https://a.example/fi/forgot\">")
        );
    }

    #[test]
    fn no_account_mail_tells_how_to_create_one_in_every_language() {
        let mail = no_account_mail(Lang::Fi, &erkki(), "https://a.example", "tuki 044");
        assert!(mail.subject.contains("ei ole käyttäjätunnusta"));
        assert!(
            mail.body_text
                .contains("mutta osoitteella ei ole käyttäjätunnusta")
        );
        assert!(mail.body_text.contains("https://a.example/fi/register"));
        assert!(mail.body_text.contains("tuki 044"), "support contact");
        assert!(
            mail.body_html
                .contains("<a href=\"https://a.example/fi/register\">")
        );
        let sv = no_account_mail(Lang::Sv, &erkki(), "https://a.example", "tuki");
        assert!(sv.body_text.contains("https://a.example/sv/register"));
        assert!(sv.body_text.contains("inget användarnamn"));
        let en = no_account_mail(Lang::En, &erkki(), "https://a.example", "tuki");
        assert!(en.body_text.contains("https://a.example/en/register"));
        assert!(en.body_text.contains("has no username"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let mail = link_mail(
            LinkPurpose::SetPassword,
            Lang::Fi,
            &erkki(),
            "http://x/?a=1&b=2",
            24,
            "<script>",
        );
        assert!(mail.body_html.contains("a=1&amp;b=2"));
        assert!(!mail.body_html.contains("<script>"));
    }
}
