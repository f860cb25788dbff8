//! Every text a resident sees, in the UI and in mail, per language.
//!
//! A plain struct instead of a translation framework: a language that lacks a text does not
//! compile, the server's mail templates use the same texts outside any reactive context, and there
//! is no build script. The Finnish wording follows the city's original user guide.

mod en;
mod fi;
mod sv;

use crate::model::{AppError, IsoDate, Lang, LocalTime, helsinki};

/// The texts of one language. Placeholders in braces are filled by the caller.
pub struct Texts {
    pub service_name: &'static str,
    pub skip_to_content: &'static str,
    pub language_menu: &'static str,
    pub header_login: &'static str,
    pub header_logout: &'static str,
    pub account_link_hint: &'static str,
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_logged_in: &'static str,
    pub login_title: &'static str,
    /// Before the e-service's name, when the login is an OpenID Connect one (#10).
    pub login_to_service: &'static str,
    pub login_intro: &'static str,
    pub create_account: &'static str,
    pub create_account_suffix: &'static str,
    pub username_label: &'static str,
    pub username_hint: &'static str,
    pub continue_button: &'static str,
    pub change_username: &'static str,
    pub link_sent: &'static str,
    pub unknown_email: &'static str,
    pub unknown_email_create: &'static str,
    pub password_label: &'static str,
    pub remember_me: &'static str,
    pub forgot: &'static str,
    pub login_button: &'static str,
    pub back: &'static str,
    pub set_password_title: &'static str,
    pub set_password_intro: &'static str,
    pub set_password_for: &'static str,
    pub new_password_label: &'static str,
    pub confirm_password_label: &'static str,
    pub password_hint: &'static str,
    pub required_note: &'static str,
    pub set_password_button: &'static str,
    pub set_password_done: &'static str,
    pub go_to_login: &'static str,
    pub link_invalid_request_new: &'static str,
    pub account_title: &'static str,
    pub account_name: &'static str,
    pub account_email: &'static str,
    pub history_title: &'static str,
    pub history_caption: &'static str,
    pub history_date: &'static str,
    pub history_service: &'static str,
    pub history_reference: &'static str,
    pub history_status: &'static str,
    pub history_description: &'static str,
    pub history_empty: &'static str,
    pub history_pages: &'static str,
    pub history_previous: &'static str,
    pub history_next: &'static str,
    pub history_page_of: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub loading: &'static str,
    pub register_title: &'static str,
    pub register_intro: &'static str,
    pub full_name_label: &'static str,
    pub full_name_hint: &'static str,
    pub register_button: &'static str,
    pub register_sent: &'static str,
    pub register_sent_help: &'static str,
    pub mail_exists_subject: &'static str,
    pub mail_exists_body: &'static str,
    pub mail_exists_login: &'static str,
    pub mail_exists_forgot: &'static str,
    pub err_name_required: &'static str,
    pub err_name_too_long: &'static str,
    pub settings_saved_name: &'static str,
    pub settings_language: &'static str,
    pub settings_language_hint: &'static str,
    pub settings_language_page: &'static str,
    pub settings_save_name: &'static str,
    pub settings_save_language: &'static str,
    pub settings_language_saved: &'static str,
    pub current_password_label: &'static str,
    pub settings_change_password_button: &'static str,
    pub settings_password_changed: &'static str,
    pub settings_email: &'static str,
    pub settings_new_email: &'static str,
    pub settings_email_hint: &'static str,
    pub settings_email_button: &'static str,
    pub settings_email_sent: &'static str,
    pub sessions_title: &'static str,
    pub sessions_intro: &'static str,
    pub session_this_device: &'static str,
    pub session_started: &'static str,
    pub session_last_used: &'static str,
    pub session_remembered: &'static str,
    pub session_end: &'static str,
    pub sessions_end_others: &'static str,
    pub sessions_others_ended: &'static str,
    /// "Omat tiedot": the e-services logged in to through this login (OpenID Connect).
    pub services_title: &'static str,
    pub services_intro: &'static str,
    pub services_none: &'static str,
    pub service_first_used: &'static str,
    pub service_last_used: &'static str,
    pub service_revoke: &'static str,
    pub service_not_active: &'static str,
    pub services_revoked: &'static str,
    pub confirm_email_title: &'static str,
    pub confirm_email_intro: &'static str,
    pub confirm_email_button: &'static str,
    pub email_changed: &'static str,
    pub mail_change_subject: &'static str,
    pub mail_change_intro: &'static str,
    pub mail_change_notice_subject: &'static str,
    pub mail_change_notice_body: &'static str,
    pub err_current_password_wrong: &'static str,
    pub err_email_unchanged: &'static str,
    pub err_email_taken: &'static str,
    pub forgot_title: &'static str,
    pub forgot_username_help: &'static str,
    pub forgot_password_help: &'static str,
    pub support_label: &'static str,
    pub send_link_button: &'static str,
    pub forgot_sent: &'static str,
    pub forgot_sent_other: &'static str,
    pub mail_reset_subject: &'static str,
    pub mail_reset_intro: &'static str,
    pub mail_validity_one_hour: &'static str,
    pub mail_changed_subject: &'static str,
    pub mail_changed_body: &'static str,
    pub mail_subject: &'static str,
    pub mail_intro: &'static str,
    pub mail_username: &'static str,
    pub mail_validity: &'static str,
    pub mail_automatic: &'static str,
    pub mail_problems: &'static str,
    pub mail_support: &'static str,
    pub mail_regards: &'static str,
    pub mail_signature: &'static str,
    pub err_email_required: &'static str,
    pub err_email_invalid: &'static str,
    pub err_password_required: &'static str,
    pub err_password_too_short: &'static str,
    pub err_password_too_long: &'static str,
    pub err_password_mismatch: &'static str,
    pub err_wrong_credentials: &'static str,
    pub err_link_invalid: &'static str,
    pub err_not_logged_in: &'static str,
    pub err_bad_request: &'static str,
    pub err_internal: &'static str,
    /// `{min}` is replaced by the configured minimum length.
    pub err_password_common: &'static str,
    pub err_password_personal: &'static str,
    pub err_password_weak: &'static str,
    /// `{minutes}` is replaced by the wait.
    pub err_too_many_attempts: &'static str,
    /// `{minutes}` is replaced by the wait.
    pub err_mail_limit: &'static str,
    pub err_cross_site: &'static str,
    // Attempt limits and account enumeration (#5)
    /// The password step in `protect` mode: a link or a "no account" mail may be on its way.
    pub login_mail_notice: &'static str,
    pub mail_no_account_subject: &'static str,
    pub mail_no_account_body: &'static str,
    pub mail_no_account_create: &'static str,
    // Passwords (#5)
    pub show_password: &'static str,
    pub hide_password: &'static str,
    pub strength_label: &'static str,
    pub strength_weak: &'static str,
    pub strength_fair: &'static str,
    pub strength_good: &'static str,
    pub strength_strong: &'static str,
    // Sessions and requests (#5)
    pub err_busy: &'static str,
    /// The database cannot be reached for a moment (#11).
    pub err_unavailable: &'static str,
    pub err_request_too_large: &'static str,
    /// Title of the page answering a refused form post sent from another site.
    pub request_refused_title: &'static str,
    /// Link on that page back to the front page.
    pub back_to_front_page: &'static str,
}

impl Texts {
    /// The message for an error, in this language.
    pub fn error(&self, error: AppError) -> String {
        let text = match error {
            AppError::NameRequired => self.err_name_required,
            AppError::NameTooLong => self.err_name_too_long,
            AppError::CurrentPasswordWrong => self.err_current_password_wrong,
            AppError::EmailUnchanged => self.err_email_unchanged,
            AppError::EmailTaken => self.err_email_taken,
            AppError::EmailRequired => self.err_email_required,
            AppError::EmailInvalid => self.err_email_invalid,
            AppError::PasswordRequired => self.err_password_required,
            AppError::PasswordTooShort { min } => {
                return self
                    .err_password_too_short
                    .replace("{min}", &min.to_string());
            }
            AppError::PasswordCommon => self.err_password_common,
            AppError::PasswordPersonal => self.err_password_personal,
            AppError::PasswordWeak => self.err_password_weak,
            AppError::TooManyAttempts { minutes } | AppError::MailLimit { minutes } => {
                let template = match error {
                    AppError::MailLimit { .. } => self.err_mail_limit,
                    _ => self.err_too_many_attempts,
                };
                return template.replace("{minutes}", &minutes.max(1).to_string());
            }
            AppError::CrossSite => self.err_cross_site,
            AppError::Busy => self.err_busy,
            AppError::Unavailable => self.err_unavailable,
            AppError::RequestTooLarge => self.err_request_too_large,
            AppError::PasswordTooLong => self.err_password_too_long,
            AppError::PasswordMismatch => self.err_password_mismatch,
            AppError::WrongCredentials => self.err_wrong_credentials,
            AppError::LinkInvalid => self.err_link_invalid,
            AppError::NotLoggedIn => self.err_not_logged_in,
            AppError::BadRequest => self.err_bad_request,
            AppError::Internal => self.err_internal,
        };
        text.to_owned()
    }
}

/// The texts of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Fi => &fi::FI,
        Lang::Sv => &sv::SV,
        Lang::En => &en::EN,
    }
}

/// English month abbreviations, for dates such as "5 Mar 2018".
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day the way `lang` writes it: Finnish "5.3.2018", Swedish "2018-03-05", English
/// "5 Mar 2018".
pub fn format_date(lang: Lang, date: IsoDate) -> String {
    let IsoDate { year, month, day } = date;
    match lang {
        Lang::Fi => format!("{day}.{month}.{year}"),
        Lang::Sv => date.to_string(),
        Lang::En => {
            let month = EN_MONTHS[usize::from(month.clamp(1, 12) - 1)];
            format!("{day} {month} {year}")
        }
    }
}

/// A UNIX time in Finnish wall-clock time, the way `lang` writes it: "25.11.2026 klo 17.09",
/// "2026-11-25 kl. 17.09", "25 Nov 2026, 17:09".
pub fn format_moment(lang: Lang, unix: i64) -> String {
    let LocalTime {
        year,
        month,
        day,
        hour,
        minute,
    } = helsinki(unix);
    let date = IsoDate {
        year: u16::try_from(year).unwrap_or(0),
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
    };
    let date = format_date(lang, date);
    match lang {
        Lang::Fi => format!("{date} klo {hour}.{minute:02}"),
        Lang::Sv => format!("{date} kl. {hour}.{minute:02}"),
        Lang::En => format!("{date}, {hour:02}:{minute:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_in_each_language() {
        assert_eq!(
            format_moment(Lang::Fi, 1_795_619_340),
            "25.11.2026 klo 17.09"
        );
        assert_eq!(
            format_moment(Lang::Sv, 1_795_619_340),
            "2026-11-25 kl. 17.09"
        );
        assert_eq!(format_moment(Lang::En, 1_795_619_340), "25 Nov 2026, 17:09");
    }

    #[test]
    fn every_language_has_every_text() {
        for lang in Lang::ALL {
            let t = texts(lang);
            for text in [
                t.login_title,
                t.username_label,
                t.continue_button,
                t.link_sent,
                t.mail_intro,
                t.err_internal,
            ] {
                assert!(!text.trim().is_empty(), "{lang:?}");
            }
            assert!(
                t.mail_validity.contains("{hours}"),
                "{lang:?}: the placeholder is filled by the mail"
            );
        }
    }

    #[test]
    fn dates_are_written_the_languages_way() {
        let date = IsoDate::parse("2018-03-05").unwrap();
        assert_eq!(format_date(Lang::Fi, date), "5.3.2018");
        assert_eq!(format_date(Lang::Sv, date), "2018-03-05");
        assert_eq!(format_date(Lang::En, date), "5 Mar 2018");
        let date = IsoDate::parse("2016-12-31").unwrap();
        assert_eq!(format_date(Lang::Fi, date), "31.12.2016");
        assert_eq!(format_date(Lang::En, date), "31 Dec 2016");
    }

    #[test]
    fn history_page_numbers_have_their_placeholders() {
        for lang in Lang::ALL {
            let t = texts(lang);
            assert!(t.history_page_of.contains("{page}"), "{lang:?}");
            assert!(t.history_page_of.contains("{pages}"), "{lang:?}");
        }
    }

    #[test]
    fn languages_differ() {
        assert_ne!(texts(Lang::Fi).login_title, texts(Lang::Sv).login_title);
        assert_ne!(texts(Lang::Sv).login_title, texts(Lang::En).login_title);
    }
}
