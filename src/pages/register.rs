//! "Luo uusi käyttäjätunnus": name and address; the answer is always the same page.

use crate::api::register::Register;
use crate::app::{use_lang, use_texts};
use crate::components::field::{FormError, TextField, action_error, typed_value, use_typed};
use crate::components::next::{NextField, next_suffix};
use crate::model::Field;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let suffix = next_suffix();
    let action = ServerAction::<Register>::new();
    let typed = use_typed();
    view! {
        <Title text=move || t().register_title.to_owned()/>
        <section class="card" aria-labelledby="register-title">
            <h1 id="register-title">{move || t().register_title}</h1>
            <p>{move || t().register_intro}</p>
            <p class="hint">{move || t().required_note}</p>
            <Transition fallback=|| ()>
                {move || typed.get().map(|typed| view! {
                    <ActionForm action attr:novalidate=true>
                        <input type="hidden" name="lang" value=move || lang.get().code()/>
                        <NextField/>
                        <FormError error=action_error(action, Field::Form)/>
                        <TextField id="full_name" name="full_name" autocomplete="name" required=true
                            label=|t| t.full_name_label hint=|t| t.full_name_hint
                            value=typed_value(&typed, "full_name") error=action_error(action, Field::Name)/>
                        <TextField id="email" name="email" kind="email" autocomplete="email" required=true
                            label=|t| t.username_label hint=|t| t.username_hint
                            value=typed_value(&typed, "email") error=action_error(action, Field::Email)/>
                        <button type="submit" class="button primary">{move || t().register_button}</button>
                    </ActionForm>
                })}
            </Transition>
            <p><a href=move || format!("/{}/login{suffix}", lang.get().code())>{move || t().go_to_login}</a></p>
        </section>
    }
}

/// Where every registration lands, new address or not.
#[component]
pub fn RegisterSent() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let suffix = next_suffix();
    view! {
        <Title text=move || t().register_title.to_owned()/>
        <section class="card" aria-labelledby="register-title">
            <h1 id="register-title">{move || t().register_title}</h1>
            <p class="notice success" role="status">{move || t().register_sent}</p>
            <p>{move || t().register_sent_help}</p>
            <p><a class="button" href=move || format!("/{}/login{suffix}", lang.get().code())>{move || t().go_to_login}</a></p>
        </section>
    }
}
