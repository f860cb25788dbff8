//! Pages only for a logged-in resident: anyone else is sent to the login card, which brings
//! them back here after logging in.

use crate::app::{use_auth, use_lang, use_texts};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let t = use_texts();
    let auth = use_auth();
    let lang = use_lang();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
            {move || auth.user.get().map(|user| match user.ok().flatten() {
                Some(_) => children.read_value()().into_any(),
                None => {
                    let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
                    let path = format!("/{}/login?next={}", lang.get_untracked().code(), encode_component(&here));
                    view! { <Redirect path/> }.into_any()
                }
            })}
        </Transition>
    }
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
    #[test]
    fn encodes_a_path_with_its_query() {
        assert_eq!(
            super::encode_component("/fi/history?page=2&x=ä"),
            "/fi/history%3Fpage%3D2%26x%3D%C3%A4"
        );
    }
}
