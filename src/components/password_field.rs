//! A password input with a show/hide toggle and, for new passwords, a strength meter.
//!
//! The label, the hint and the error are rendered on the server; the input, the toggle and the
//! meter are an island ([`PasswordInput`]), the part the browser hydrates. The toggle is hidden
//! by the style sheet until the page is hydrated (`body[data-hydrated]`), and the meter appears
//! only once the browser has a score. Without JavaScript the field is a plain password input
//! and the server still decides on submit.

use crate::app::use_texts;
use crate::components::field::{FieldError, FieldLabel, Text};
use crate::i18n::{Texts, texts};
use crate::model::{AppError, Lang, PASSWORD_MIN_CHARS};
use leptos::prelude::*;
use std::time::Duration;

/// Pause in typing before the meter asks the server, in milliseconds: one request per pause
/// rather than per keystroke, and one screen-reader announcement instead of a stream.
const METER_DELAY_MS: u64 = 400;

#[component]
pub fn PasswordField(
    /// Element id; also the base of the hint's, the error's and the meter's ids.
    id: &'static str,
    /// Form field name: the server function's argument.
    name: &'static str,
    label: Text,
    /// `current-password` or `new-password`, so password managers fill the right field.
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<Text>,
    #[prop(optional)] required: bool,
    /// The error to show under the field, if any.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// Move the focus here once the browser has the field (the login's password step).
    #[prop(optional)]
    focus: bool,
    /// Show the strength meter, scored for the owner of this set-password link's token; an
    /// empty token scores for the logged-in resident. `None`: no meter.
    #[prop(optional)]
    meter: Option<String>,
) -> impl IntoView {
    let t = use_texts();
    let lang = crate::app::use_lang().get_untracked();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = crate::components::field::described_by(
        hint.is_some().then(|| hint_id.clone()),
        error_id.clone(),
        error,
    );
    let has_meter = meter.is_some();
    let input = InputProps {
        id: id.to_owned(),
        name: name.to_owned(),
        autocomplete: autocomplete.to_owned(),
        required,
        invalid: error.get_untracked().is_some(),
        described_by: described_by(),
        focus,
        meter,
    };
    view! {
        <div class="field password-field" class:field-invalid=move || error.get().is_some()>
            <FieldLabel id label required/>
            {hint.map(|hint| if has_meter {
                // A new password: the hint names the configured minimum (`{min}`).
                let min = OnceResource::new(crate::api::strength::password_min_chars());
                view! {
                    <Transition fallback=|| ()>
                        {move || min.get().map(|min| {
                            let min = min.map_or(PASSWORD_MIN_CHARS, |m| m as usize).to_string();
                            view! { <p class="hint" id=hint_id.clone()>{hint(t()).replace("{min}", &min)}</p> }
                        })}
                    </Transition>
                }.into_any()
            } else {
                view! { <p class="hint" id=hint_id.clone()>{move || hint(t())}</p> }.into_any()
            })}
            <PasswordInput lang input/>
            <FieldError id=error_id error/>
        </div>
    }
}

/// What the island needs to know of its field; sent to the browser with the page.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct InputProps {
    id: String,
    name: String,
    autocomplete: String,
    required: bool,
    invalid: bool,
    described_by: Option<String>,
    focus: bool,
    meter: Option<String>,
}

/// The input, its show/hide toggle and the meter: the interactive part of the field.
#[island]
fn PasswordInput(lang: Lang, input: InputProps) -> impl IntoView {
    let t = texts(lang);
    let InputProps {
        id,
        name,
        autocomplete,
        required,
        invalid,
        described_by,
        focus,
        meter,
    } = input;
    let shown = RwSignal::new(false);
    let score = RwSignal::new(None::<u8>);
    let typed_count = StoredValue::new(0_u64);
    let meter_id = format!("{id}-strength");
    let has_meter = meter.is_some();
    let node_ref = NodeRef::<leptos::html::Input>::new();
    if focus {
        // In the browser only: effects do not run on the server.
        Effect::new(move |_| {
            if let Some(input) = node_ref.get() {
                let _ = input.focus();
            }
        });
    }
    let on_input = move |event: leptos::ev::Event| {
        let Some(token) = meter.clone() else { return };
        let password = event_target_value(&event);
        typed_count.update_value(|n| *n += 1);
        let this_input = typed_count.get_value();
        if password.is_empty() {
            score.set(None);
            return;
        }
        // The field may be gone by the time these run (the form was sent and the page
        // changed): then they do nothing.
        set_timeout(
            move || {
                if typed_count.try_get_value() != Some(this_input) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let result = crate::api::strength::password_strength(password, token).await;
                    // A later keystroke has its own request; an error simply hides the meter.
                    if typed_count.try_get_value() == Some(this_input) {
                        score.try_set(result.ok());
                    }
                });
            },
            Duration::from_millis(METER_DELAY_MS),
        );
    };
    view! {
        <div class="password-row">
            <input
                id=id.clone()
                name=name
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                // Spell checkers and auto-capitalization must not see or alter a shown password.
                spellcheck="false"
                autocapitalize="none"
                aria-required=required.then_some("true")
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
                on:input=on_input
                node_ref=node_ref
            />
            <button
                type="button"
                class="password-toggle"
                aria-controls=id.clone()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || if shown.get() { t.hide_password } else { t.show_password }}
            </button>
        </div>
        {has_meter.then(|| view! {
            <div class="strength">
                {move || score.get().map(|s| view! {
                    <meter id=meter_id.clone() min="0" max="4" low="2" high="3" optimum="4"
                        value=s.to_string() aria-labelledby=format!("{meter_id}-text")/>
                })}
                // Always present, so that screen readers announce the first score too.
                <p id=format!("{id}-strength-text") class="strength-text" aria-live="polite">
                    {move || score.get().map(|s| format!("{} {}", t.strength_label, level(t, s)))}
                </p>
            </div>
        })}
    }
}

/// The word for a score: 0–1 weak, 2 fair, 3 good, 4 strong (3 and up are accepted).
fn level(t: &'static Texts, score: u8) -> &'static str {
    match score {
        0 | 1 => t.strength_weak,
        2 => t.strength_fair,
        3 => t.strength_good,
        _ => t.strength_strong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lang;

    #[test]
    fn every_language_names_the_minimum_and_every_level() {
        for lang in Lang::ALL {
            let t = crate::i18n::texts(lang);
            assert!(t.password_hint.contains("{min}"), "{lang:?}");
            let levels: Vec<_> = (0..=4).map(|score| level(t, score)).collect();
            assert_eq!(levels[0], levels[1], "{lang:?}: 0 and 1 are both weak");
            assert_ne!(levels[1], levels[2], "{lang:?}");
            assert_ne!(levels[2], levels[3], "{lang:?}");
            assert_ne!(levels[3], levels[4], "{lang:?}");
            assert_ne!(t.show_password, t.hide_password, "{lang:?}");
        }
    }
}
