//! Any address that is not a page.

use crate::app::{use_lang, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;

/// Addresses the server answers itself (the OpenID Connect provider's, which redirect) that the
/// browser may reach by a client-side navigation: the login card's `next` after a login through
/// an e-service. The router knows no page there; the browser must load them from the server.
pub const SERVER_ONLY_PATHS: [&str; 2] = ["/oauth2/authorize", "/oauth2/logout"];

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    load_from_server_if_ours();
    let t = use_texts();
    let lang = use_lang();
    view! {
        <Title text=move || t().not_found_title.to_owned()/>
        <section class="card">
            <h1>{move || t().not_found_title}</h1>
            <p>{move || t().not_found_body}</p>
            <p><a href=move || format!("/{}", lang.get().code())>{move || t().service_name}</a></p>
        </section>
    }
}

/// In the browser, a client-side navigation to one of [`SERVER_ONLY_PATHS`] loads it for real.
/// The server never renders this page at those paths (it answers them itself), so this cannot
/// loop.
fn load_from_server_if_ours() {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        if location
            .pathname()
            .is_ok_and(|path| SERVER_ONLY_PATHS.contains(&path.as_str()))
        {
            let _ = location.reload();
        }
    }
}
