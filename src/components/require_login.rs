//! Pages only for a logged-in resident: anyone else is sent to the login card, which brings
//! them back here after logging in. When the service cannot tell (its database is unavailable
//! for a moment), the page says so and asks to try again instead of sending a logged-in
//! resident to log in.

use crate::api::account::current_user;
use crate::app::{use_lang, use_texts};
use crate::components::field::FormError;
use crate::model::{AppError, Lang};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let location = use_location();
    // Asked afresh when the page opens, not read from the shared login state: right after
    // logging in with `next`, that still says "logged out" until it has reloaded, and the page
    // would send the resident straight back to the login card.
    let user = Resource::new(|| (), |_| current_user());
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
            {move || user.get().map(|user| match user {
                Ok(Some(_)) => children.read_value()().into_any(),
                Err(AppError::Unavailable) => {
                    view! { <FormError error=Signal::stored(Some(AppError::Unavailable))/> }
                        .into_any()
                }
                Ok(None) | Err(_) => {
                    let path = login_path(
                        lang.get_untracked(),
                        &location.pathname.get_untracked(),
                        &location.search.get_untracked(),
                    );
                    view! { <Redirect path/> }.into_any()
                }
            })}
        </Transition>
    }
}

/// The login card, with `next` leading back to `pathname` and its query (`search`, which the
/// router keeps without the `?`).
fn login_path(lang: Lang, pathname: &str, search: &str) -> String {
    let here = if search.is_empty() {
        pathname.to_owned()
    } else {
        format!("{pathname}?{search}")
    };
    format!("/{}/login?next={}", lang.code(), encode_component(&here))
}

/// Percent-encodes a URL query component.
fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::model::Lang;

    #[test]
    fn the_login_card_leads_back_with_the_query() {
        assert_eq!(
            super::login_path(Lang::Fi, "/fi/history", ""),
            "/fi/login?next=/fi/history"
        );
        assert_eq!(
            super::login_path(Lang::En, "/en/history", "page=2"),
            "/en/login?next=/en/history%3Fpage%3D2"
        );
    }

    #[test]
    fn encodes_a_path_with_its_query() {
        assert_eq!(
            super::encode_component("/fi/history?page=2&x=ä"),
            "/fi/history%3Fpage%3D2%26x%3D%C3%A4"
        );
    }
}
