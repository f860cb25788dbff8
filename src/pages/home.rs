//! The front page.

use crate::app::{use_auth, use_lang, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let auth = use_auth();
    let logged_in = move || auth.user.get().and_then(|u| u.ok().flatten()).is_some();
    view! {
        <Title text=move || t().home_title.to_owned()/>
        <section class="card">
            <h1>{move || t().home_title}</h1>
            <p>{move || t().home_intro}</p>
            <Transition fallback=|| ()>
                {move || {
                    if logged_in() {
                        view! { <p class="notice" role="status">{move || t().home_logged_in}</p> }.into_any()
                    } else {
                        view! {
                            <p>
                                <a class="button" href=move || format!("/{}/login", lang.get().code())>
                                    {move || t().header_login}
                                </a>
                            </p>
                        }.into_any()
                    }
                }}
            </Transition>
        </section>
    }
}
