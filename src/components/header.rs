//! The top bar: login or the resident's name, the transaction history and log out, and the
//! language menu.

use crate::app::{use_auth, use_lang, use_texts};
use crate::model::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn Header() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let auth = use_auth();
    let home = move || format!("/{}", lang.get().code());
    let history = move || format!("/{}/history", lang.get().code());
    let location = use_location();
    view! {
        <a class="skip-link" href="#main">{move || t().skip_to_content}</a>
        <header class="site-header">
            <a class="brand" href=home>{move || t().service_name}</a>
            <nav class="user-nav" aria-label=move || t().account_link_hint>
                <Transition fallback=|| ()>
                    {move || {
                        auth.user.get().map(|user| match user.ok().flatten() {
                            Some(user) => view! {
                                <a class="account-link" href=move || format!("/{}/account", lang.get().code())
                                   title=move || t().account_link_hint>
                                    {format!("{} ({})", user.full_name, user.email)}
                                </a>
                                <a class="history-link" href=history
                                   aria-current=move || (location.pathname.get() == history()).then_some("page")>
                                    {move || t().history_title}
                                </a>
                                <ActionForm action=auth.logout attr:class="logout-form">
                                    <input type="hidden" name="lang" value=move || lang.get().code()/>
                                    <button type="submit" class="link-button">{move || t().header_logout}</button>
                                </ActionForm>
                            }.into_any(),
                            None => view! {
                                <a class="button" href=move || format!("/{}/login", lang.get().code())>
                                    {move || t().header_login}
                                </a>
                            }.into_any(),
                        })
                    }}
                </Transition>
                <LanguageMenu/>
            </nav>
        </header>
    }
}

/// "FIN ▼": a disclosure that works without JavaScript; each choice is a link to the same page
/// in that language. After a choice the new page comes without `open`: the menu is closed.
#[component]
fn LanguageMenu() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let location = use_location();
    let href = move |to: Lang| {
        let search = location.search.get();
        let path = to.swap_into(&location.pathname.get());
        if search.is_empty() {
            path
        } else {
            format!("{path}?{}", search.trim_start_matches('?'))
        }
    };
    view! {
        <details class="lang-menu">
            <summary>
                <span class="visually-hidden">{move || t().language_menu} ": "</span>
                {move || lang.get().menu_label()}
                <span aria-hidden="true">" ▼"</span>
            </summary>
            <ul>
                {Lang::ALL
                    .into_iter()
                    .map(|choice| view! {
                        <li>
                            <a href=move || href(choice) hreflang=choice.code() lang=choice.code()
                               aria-current=move || (lang.get() == choice).then_some("true")>
                                {choice.menu_label()}
                                <span class="visually-hidden">" (" {choice.native_name()} ")"</span>
                            </a>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}
