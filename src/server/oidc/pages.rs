//! The few pages the provider shows itself, server-rendered without scripts in the service's
//! style: an error that cannot be sent back to a client, the logout question and its answer, and
//! the consent page. The login card is not one of them: that stays the app's.

use super::END_SESSION_PATH;
use super::params::Params;
use crate::model::Lang;
use crate::server::mail::templates::escape;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The first of our languages in `ui_locales` (`sv-FI en` → Swedish).
pub fn ui_lang(ui_locales: Option<&str>) -> Option<Lang> {
    ui_locales?
        .split(' ')
        .filter_map(|tag| Lang::from_code(&tag.get(..2)?.to_ascii_lowercase()))
        .next()
}

pub fn header_lang(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let tags = accept
        .split(',')
        .filter_map(|p| p.split(';').next())
        .map(str::trim);
    ui_lang(Some(&tags.collect::<Vec<_>>().join(" "))).unwrap_or_default()
}

/// The page shown instead of redirecting to a client that cannot be trusted with the answer.
pub fn error_page(lang: Lang, status: StatusCode, detail: &str) -> Response {
    let (title, text, back) = match lang {
        Lang::Fi => (
            "Kirjautuminen ei onnistu",
            "Palvelu, josta tulit, lähetti virheellisen kirjautumispyynnön. Palaa palveluun ja yritä uudelleen.",
            "Etusivulle",
        ),
        Lang::Sv => (
            "Inloggningen misslyckades",
            "Tjänsten du kom från skickade en felaktig inloggningsbegäran. Gå tillbaka till tjänsten och försök igen.",
            "Till startsidan",
        ),
        Lang::En => (
            "Cannot log in",
            "The service you came from sent an invalid login request. Go back to the service and try again.",
            "To the front page",
        ),
    };
    let page = format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head>\
         <body><main id=\"main\"><section class=\"card\"><h1>{title}</h1>\
         <p class=\"notice warning\" role=\"alert\">{text}</p><p><small>{detail}</small></p>\
         <p><a class=\"button\" href=\"/{code}\">{back}</a></p></section></main></body></html>",
        code = lang.code(),
        detail = escape(detail),
    );
    (status, Html(page)).into_response()
}

/// A small page in the service's style (no script), for what the provider says itself.
pub fn page(lang: Lang, title: &str, body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head>\
         <body><main id=\"main\"><section class=\"card\"><h1>{title}</h1>{body}</section></main>\
         </body></html>",
        code = lang.code(),
    ))
    .into_response()
}

/// Whether this navigation ends a chain that began with a form on one of our own pages (the
/// login card, the consent page, the logout question). Browsers apply the pages' CSP
/// `form-action 'self'` to every redirect after a form submission, so such a chain cannot end
/// in a redirect to a client's site: [`onward`] is the way on instead.
pub fn from_our_page(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// On to `url` (a client's) by a refresh rather than a redirect, with a link for a browser that
/// does not follow it. Not a form submission, so `form-action` does not apply.
pub fn onward(lang: Lang, url: &str) -> Response {
    let (title, go) = match lang {
        Lang::Fi => ("Siirrytään palveluun", "Jatka"),
        Lang::Sv => ("Du skickas vidare till tjänsten", "Fortsätt"),
        Lang::En => ("On to the service", "Continue"),
    };
    let url = escape(url);
    Html(format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head>\
         <body><main id=\"main\"><section class=\"card\"><h1>{title}</h1>\
         <p><a class=\"button primary\" href=\"{url}\">{go}</a></p></section></main></body></html>",
        code = lang.code(),
    ))
    .into_response()
}

/// Asks before a logout that no client proved it asked for.
pub fn confirmation_page(lang: Lang, params: &Params) -> Response {
    let (title, text, button, cancel) = match lang {
        Lang::Fi => (
            "Kirjaudu ulos",
            "Haluatko kirjautua ulos kaupungin asiointipalveluista?",
            "Kirjaudu ulos",
            "Peruuta",
        ),
        Lang::Sv => (
            "Logga ut",
            "Vill du logga ut från stadens e-tjänster?",
            "Logga ut",
            "Avbryt",
        ),
        Lang::En => (
            "Log out",
            "Do you want to log out of the city's e-services?",
            "Log out",
            "Cancel",
        ),
    };
    let mut hidden = String::new();
    for name in [
        "client_id",
        "post_logout_redirect_uri",
        "state",
        "ui_locales",
    ] {
        if let Some(value) = params.get(name) {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            ));
        }
    }
    let body = format!(
        "<p>{text}</p><form method=\"post\" action=\"{END_SESSION_PATH}\">{hidden}\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <button type=\"submit\" class=\"button primary\">{button}</button></form>\
         <p><a href=\"/{code}\">{cancel}</a></p>",
        code = lang.code(),
    );
    page(lang, title, &body)
}

pub fn logged_out_page(lang: Lang) -> Response {
    let (title, text, front) = match lang {
        Lang::Fi => (
            "Olet kirjautunut ulos",
            "Voit sulkea tämän sivun.",
            "Etusivulle",
        ),
        Lang::Sv => (
            "Du har loggat ut",
            "Du kan stänga den här sidan.",
            "Till startsidan",
        ),
        Lang::En => (
            "You have logged out",
            "You can close this page.",
            "To the front page",
        ),
    };
    let body = format!(
        "<p>{text}</p><p><a class=\"button\" href=\"/{code}\">{front}</a></p>",
        code = lang.code()
    );
    page(lang, title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_first_of_ours_in_ui_locales_then_accept_language() {
        assert_eq!(ui_lang(Some("de sv-FI en")), Some(Lang::Sv));
        assert_eq!(ui_lang(Some("de")), None);
        let mut headers = HeaderMap::new();
        assert_eq!(header_lang(&headers), Lang::Fi);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            axum::http::HeaderValue::from_static("de, en;q=0.8"),
        );
        assert_eq!(header_lang(&headers), Lang::En);
    }
}
