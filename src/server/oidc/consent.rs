//! The consent page: a client not marked first-party asks the resident once what it may receive.
//! The page posts the authorization request back with the decision; the post must pass the same
//! cross-origin rule as the server functions (a page elsewhere cannot consent for a resident),
//! and the page cannot be framed (the service's headers). "Allow" records the consent and runs
//! the request again, which then issues the code; "Do not allow" returns `access_denied`.

use super::audit::{self, Requester};
use super::authorize::{Checked, check_client, live_session};
use super::error::OAuthError;
use super::pages::{error_page, header_lang, page};
use super::params::{Params, known_scopes};
use super::{AUTHORIZE_PATH, CONSENT_PATH};
use crate::model::Lang;
use crate::server::AppState;
use crate::server::db::AuditKind;
use crate::server::http::guard::{origin_of, same_origin};
use crate::server::mail::templates::escape;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// `POST /oauth2/consent`: the resident's answer.
pub async fn consent_post(
    State(state): State<AppState>,
    requester: Requester,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !same_origin(&headers, origin_of(&state.config.public_url)) {
        let lang = header_lang(&headers);
        return error_page(lang, StatusCode::FORBIDDEN, "cross-site request refused");
    }
    let params = Params::from_form(&headers, body);
    let checked = match check_client(&state, &headers, params).await {
        Ok(checked) => checked,
        Err(page) => return page,
    };
    let issuer = &state.config.public_url;
    let again = format!(
        "{AUTHORIZE_PATH}?{}",
        checked.params.encode_without(&["prompt", "decision"], &[])
    );
    let session = match live_session(&state, &headers).await {
        Ok(session) => session,
        Err(error) => return checked.reply(issuer, &error_pairs(&error)),
    };
    // Logged out meanwhile: the request again leads to the login card.
    let Some((account_id, _, _)) = session else {
        return Redirect::to(&again).into_response();
    };
    if checked.params.get("decision") != Some("allow") {
        let denied = [
            ("error", "access_denied"),
            ("error_description", "the resident did not consent"),
        ];
        return checked.reply(issuer, &denied);
    }
    let scope = match known_scopes(checked.params.get("scope").unwrap_or("")) {
        Ok(scope) => scope,
        Err(error) => return checked.reply(issuer, &error_pairs(&error)),
    };
    let client_id = &checked.client.client_id;
    let detail = format!("client {client_id}: {scope}");
    let recorded = match state.db.record_consent(account_id, client_id, &scope).await {
        Ok(()) => {
            audit::record(
                &state,
                &requester,
                AuditKind::OidcConsent,
                Some(account_id),
                detail,
            )
            .await
        }
        Err(error) => Err(error),
    };
    if let Err(error) = recorded {
        return checked.reply(issuer, &error_pairs(&OAuthError::from(error)));
    }
    Redirect::to(&again).into_response()
}

fn error_pairs(error: &OAuthError) -> [(&'static str, &'static str); 2] {
    [
        ("error", error.code.as_str()),
        ("error_description", error.description),
    ]
}

/// What each scope gives, in the resident's words.
fn scope_text(lang: Lang, scope: &str) -> Option<&'static str> {
    Some(match (scope, lang) {
        ("openid", Lang::Fi) => "Pysyvä tunniste, jolla palvelu tunnistaa sinut",
        ("openid", Lang::Sv) => "En bestående identifierare som tjänsten känner igen dig med",
        ("openid", Lang::En) => "A lasting identifier by which the service recognizes you",
        ("email", Lang::Fi) => "Sähköpostiosoitteesi",
        ("email", Lang::Sv) => "Din e-postadress",
        ("email", Lang::En) => "Your e-mail address",
        ("profile", Lang::Fi) => "Nimesi ja asiointikielesi",
        ("profile", Lang::Sv) => "Ditt namn och ditt språk",
        ("profile", Lang::En) => "Your name and language",
        ("offline_access", Lang::Fi) => "Pääsy näihin tietoihin myös silloin, kun et ole paikalla",
        ("offline_access", Lang::Sv) => "Tillgång till uppgifterna även när du inte är med",
        ("offline_access", Lang::En) => "Access to these details also when you are away",
        _ => return None,
    })
}

/// The question, with the request carried in hidden fields.
pub(super) fn consent_page(checked: &Checked, scope: &str) -> Response {
    let lang = checked.lang;
    let name = escape(&checked.client.name);
    let (title, asks, allow, deny) = match lang {
        Lang::Fi => (
            format!("Kirjaudu palveluun {name}"),
            format!("Palvelu {name} pyytää sinusta seuraavat tiedot:"),
            "Salli",
            "Älä salli",
        ),
        Lang::Sv => (
            format!("Logga in på tjänsten {name}"),
            format!("Tjänsten {name} ber om följande uppgifter om dig:"),
            "Tillåt",
            "Tillåt inte",
        ),
        Lang::En => (
            format!("Log in to {name}"),
            format!("The service {name} asks for the following about you:"),
            "Allow",
            "Do not allow",
        ),
    };
    let items: String = scope
        .split(' ')
        .filter_map(|s| scope_text(lang, s))
        .map(|text| format!("<li>{text}</li>"))
        .collect();
    let mut hidden = String::new();
    for (name, value) in checked.params.pairs() {
        if name != "prompt" {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            ));
        }
    }
    let body = format!(
        "<p>{asks}</p><ul>{items}</ul><form method=\"post\" action=\"{CONSENT_PATH}\">{hidden}\
         <button type=\"submit\" class=\"button primary\" name=\"decision\" value=\"allow\">{allow}</button> \
         <button type=\"submit\" class=\"button\" name=\"decision\" value=\"deny\">{deny}</button></form>"
    );
    page(lang, &title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_is_described_in_every_language() {
        for lang in Lang::ALL {
            for scope in super::super::SCOPES {
                assert!(scope_text(lang, scope).is_some(), "{scope} {lang:?}");
            }
        }
    }
}
