//! A labelled form field with its hint and its inline error, wired for screen readers.

use crate::app::use_texts;
use crate::i18n::Texts;
use crate::model::{AppError, Field};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Picks a text out of the page language's texts.
pub type Text = fn(&'static Texts) -> &'static str;

#[component]
pub fn TextField(
    /// Element id; also the base of the hint's and the error's ids.
    id: &'static str,
    /// Form field name: the server function's argument.
    name: &'static str,
    label: Text,
    /// `email`, `password`, `text`.
    #[prop(default = "text")]
    kind: &'static str,
    /// The `autocomplete` token, so password managers fill the right field.
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<Text>,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    #[prop(optional, into)] value: Signal<String>,
    /// The error to show under the field, if any.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let t = use_texts();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = described_by(
        hint.is_some().then(|| hint_id.clone()),
        error_id.clone(),
        error,
    );
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <FieldLabel id label required/>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{move || hint(t())}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=move || value.get()
                readonly=readonly
                aria-required=required.then_some("true")
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
            <FieldError id=error_id error/>
        </div>
    }
}

/// A field's label, marked "*" (hidden from screen readers, which hear `aria-required`) when
/// the field is required. Shared by [`TextField`] and the password field.
#[component]
pub fn FieldLabel(id: &'static str, label: Text, required: bool) -> impl IntoView {
    let t = use_texts();
    view! {
        <label for=id>
            {move || label(t())}
            {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
        </label>
    }
}

/// The error under a field while there is one, announced as it appears; `id` is what the
/// input's `aria-describedby` names.
#[component]
pub fn FieldError(id: String, error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    move || {
        error
            .get()
            .map(|e| view! { <p class="error" id=id.clone() role="alert">{t().error(e)}</p> })
    }
}

/// The field's `aria-describedby`: its hint, if it has one, and its error while there is one.
pub fn described_by(
    hint_id: Option<String>,
    error_id: String,
    error: Signal<Option<AppError>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let ids: Vec<&str> = hint_id
            .iter()
            .map(String::as_str)
            .chain(error.get().is_some().then_some(error_id.as_str()))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// An error that belongs to the whole form, shown above its fields.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    move || {
        error
            .get()
            .map(|e| view! { <p class="form-error" role="alert">{t().error(e)}</p> })
    }
}

/// The error of an action's last run, if it belongs to `field`.
pub fn action_error<S>(action: ServerAction<S>, field: Field) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .with(|last| last.as_ref().and_then(|r| r.as_ref().err().copied()))
            .filter(|e| e.field() == field)
    })
}

/// What was typed into this page's form before the server refused it with JavaScript off
/// (the form post is answered with a redirect that carries only the error). Empty otherwise.
pub fn use_typed() -> Resource<Vec<(String, String)>> {
    let query = leptos_router::hooks::use_query_map();
    Resource::new(
        move || query.read().get("__err").is_some(),
        |refused| async move {
            if refused {
                crate::api::forms::typed_values().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        },
    )
}

/// The value of field `name` in what [`use_typed`] returned.
pub fn typed_value(typed: &[(String, String)], name: &str) -> String {
    typed
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}
