//! The resident's own details.

use crate::app::{use_auth, use_lang, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let auth = use_auth();
    view! {
        <Title text=move || t().account_title.to_owned()/>
        <section class="card">
            <h1>{move || t().account_title}</h1>
            <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
                {move || auth.user.get().map(|user| match user.ok().flatten() {
                    Some(user) => view! {
                        <dl class="details">
                            <dt>{move || t().account_name}</dt>
                            <dd>{user.full_name}</dd>
                            <dt>{move || t().account_email}</dt>
                            <dd>{user.email}</dd>
                        </dl>
                    }.into_any(),
                    None => view! {
                        <p>{move || t().err_not_logged_in}</p>
                        <p><a class="button" href=move || format!("/{}/login", lang.get().code())>{move || t().header_login}</a></p>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
