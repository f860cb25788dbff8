//! Any address that is not a page.

use crate::app::{use_lang, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
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
