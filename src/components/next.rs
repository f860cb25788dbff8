//! `next`: where the login goes on afterwards (a protected page, or an e-service's login under
//! way), carried in the query from page to page and in forms as a hidden field, so that a
//! resident who detours through "forgot password", "new account" or a mailed link still ends up
//! there. Only local paths are carried (`model::local_path`); the server checks again.

use crate::model::{local_path, next_query, query_param};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// This page's `next`, when it is a local path. Read from the raw query, decoded once (see
/// [`query_param`] for why not `use_query_map`).
pub fn current_next() -> Option<String> {
    use_location()
        .search
        .with_untracked(|search| query_param(search, "next"))
        .filter(|next| local_path(next).is_some())
}

/// `?next=…` to append to a link that carries this page's `next` on, or nothing. Read when
/// the component is made (a hook), then used in its links.
pub fn next_suffix() -> String {
    next_query(current_next().as_deref())
}

/// A hidden `next` field for this page's `next`, when there is one.
#[component]
pub fn NextField() -> impl IntoView {
    current_next().map(|next| view! { <input type="hidden" name="next" value=next/> })
}
