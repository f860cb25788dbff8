//! The mails the service sends, rendered in the resident's language as plain text with an
//! HTML alternative. Wording from the city's original mail.

use crate::i18n::texts;
use crate::model::{Email, Lang};
use crate::server::db::NewMail;

/// The set-password mail for a carried-over account.
pub fn set_password_mail(
    lang: Lang,
    to: &Email,
    link: &str,
    valid_hours: u64,
    support: &str,
) -> NewMail {
    let t = texts(lang);
    let validity = t.mail_validity.replace("{hours}", &valid_hours.to_string());
    let body_text = format!(
        "{intro}\n\n{username} {to}\n\n{link}\n\n{validity}\n\n{automatic}\n{problems}\n{support_label} {support}\n\n{regards}\n{signature}\n",
        intro = t.mail_intro,
        username = t.mail_username,
        automatic = t.mail_automatic,
        problems = t.mail_problems,
        support_label = t.mail_support,
        regards = t.mail_regards,
        signature = t.mail_signature,
    );
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"font-family:sans-serif;color:#1a1a1a\">\
         <p>{intro}</p>\
         <p>{username} <strong>{to}</strong></p>\
         <p><a href=\"{link}\">{link}</a></p>\
         <p>{validity}</p>\
         <p>{automatic}<br>{problems}<br>{support_label} {support}</p>\
         <p>{regards}<br>{signature}</p></body></html>\n",
        code = lang.code(),
        subject = escape(t.mail_subject),
        intro = escape(t.mail_intro),
        username = escape(t.mail_username),
        to = escape(to.as_str()),
        link = escape(link),
        validity = escape(&validity),
        automatic = escape(t.mail_automatic),
        problems = escape(t.mail_problems),
        support_label = escape(t.mail_support),
        support = escape(support),
        regards = escape(t.mail_regards),
        signature = escape(t.mail_signature),
    );
    NewMail {
        recipient: to.as_str().to_owned(),
        subject: t.mail_subject.to_owned(),
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

    #[test]
    fn finnish_mail_has_the_seed_wording() {
        let to = Email::parse("esimerkki.erkki@example.com").unwrap();
        let link = "https://asiointi.example.fi/fi/set-password?token=abc";
        let mail = set_password_mail(Lang::Fi, &to, link, 24, "Asiointi, puh. 044 797 8523");
        assert_eq!(mail.recipient, "esimerkki.erkki@example.com");
        for expected in [
            "Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.",
            "Käyttäjätunnus: esimerkki.erkki@example.com",
            link,
            "Linkki on voimassa 24 tuntia",
            "Tämä on palvelun automaattisesti lähettämä viesti. Älä vastaa tähän viestiin.",
            "Ongelmatilanteissa ota yhteys kuntaan.",
            "Asiointi, puh. 044 797 8523",
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
    fn english_mail_is_english() {
        let to = Email::parse("erkki@example.com").unwrap();
        let mail = set_password_mail(
            Lang::En,
            &to,
            "http://x/en/set-password?token=t",
            24,
            "help",
        );
        assert!(mail.subject.contains("password"));
        assert!(
            mail.body_text
                .contains("With the link below you can set your password")
        );
    }

    #[test]
    fn swedish_mail_is_swedish() {
        let to = Email::parse("erkki@example.com").unwrap();
        let mail = set_password_mail(
            Lang::Sv,
            &to,
            "http://x/sv/set-password?token=t",
            24,
            "help",
        );
        assert!(
            mail.body_text
                .contains("Med länken nedan kan du ställa in ditt lösenord")
        );
        assert!(mail.body_html.contains("lang=\"sv\""));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let to = Email::parse("erkki@example.com").unwrap();
        let mail = set_password_mail(Lang::Fi, &to, "http://x/?a=1&b=2", 24, "<script>");
        assert!(mail.body_html.contains("a=1&amp;b=2"));
        assert!(!mail.body_html.contains("<script>"));
    }
}
