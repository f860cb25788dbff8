//! Whom to contact when nothing else helps: the configured support contact, on the login card
//! and the help page.

use crate::api::password::support_contact;
use crate::app::use_texts;
use leptos::prelude::*;

#[component]
pub fn SupportContact() -> impl IntoView {
    let t = use_texts();
    let contact = Resource::new(|| (), |_| support_contact());
    view! {
        <Transition fallback=|| ()>
            {move || contact.get().and_then(Result::ok).map(|contact| view! {
                <p class="support">{move || t().support_label} " " {contact}</p>
            })}
        </Transition>
    }
}
