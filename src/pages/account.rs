//! The resident's own details.

use crate::app::{use_auth, use_texts};
use crate::components::require_login::RequireLogin;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = use_texts();
    let auth = use_auth();
    view! {
        <Title text=move || t().account_title.to_owned()/>
        <section class="card">
            <h1>{move || t().account_title}</h1>
            <RequireLogin>
                {move || auth.user.get().and_then(|user| user.ok().flatten()).map(|user| view! {
                    <dl class="details">
                        <dt>{move || t().account_name}</dt>
                        <dd>{user.full_name}</dd>
                        <dt>{move || t().account_email}</dt>
                        <dd>{user.email}</dd>
                    </dl>
                })}
            </RequireLogin>
        </section>
    }
}
