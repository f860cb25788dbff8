//! "Unohtuiko käyttäjätunnus tai salasana?": help with the username, and a link for a new
//! password. The answer never tells whether the address has an account.

use crate::api::password::RequestReset;
use crate::app::{use_lang, use_texts};
use crate::components::field::{FormError, TextField, action_error, typed_value, use_typed};
use crate::components::next::{NextField, next_suffix};
use crate::components::support::SupportContact;
use crate::model::Field;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ForgotPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let action = ServerAction::<RequestReset>::new();
    let typed = use_typed();
    view! {
        <Title text=move || t().forgot_title.to_owned()/>
        <section class="card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">{move || t().forgot_title}</h1>
            <p>{move || t().forgot_username_help}</p>
            <p>{move || t().forgot_password_help}</p>
            <Transition fallback=|| ()>
                {move || typed.get().map(|typed| view! {
                    <ActionForm action attr:novalidate=true>
                        <input type="hidden" name="lang" value=move || lang.get().code()/>
                        <NextField/>
                        <FormError error=action_error(action, Field::Form)/>
                        <TextField id="email" name="email" kind="email" autocomplete="username"
                            label=|t| t.username_label hint=|t| t.username_hint
                            value=typed_value(&typed, "email") error=action_error(action, Field::Email)/>
                        <button type="submit" class="button primary">{move || t().send_link_button}</button>
                    </ActionForm>
                })}
            </Transition>
            <SupportContact/>
        </section>
    }
}

/// Where every request for a link lands, known address or not.
#[component]
pub fn ForgotSent() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let suffix = next_suffix();
    let again = suffix.clone();
    view! {
        <Title text=move || t().forgot_title.to_owned()/>
        <section class="card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">{move || t().forgot_title}</h1>
            <p class="notice success" role="status">{move || t().forgot_sent}</p>
            <p><a href=move || format!("/{}/forgot{again}", lang.get().code())>{move || t().forgot_sent_other}</a></p>
            <p><a class="button" href=move || format!("/{}/login{suffix}", lang.get().code())>{move || t().go_to_login}</a></p>
            <SupportContact/>
        </section>
    }
}
