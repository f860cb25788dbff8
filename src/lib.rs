//! Asiointi: the login of a municipal e-services portal.
//!
//! One crate, two halves: with the `ssr` feature it is the server (axum + SQLite + SMTP), with
//! `hydrate` it is the WebAssembly that takes over the server-rendered pages in the browser.
//! Folders are concerns: `model` (types both halves share), `i18n` (every resident-facing text),
//! `api` (server functions), `pages` and `components` (the UI), `server` (server-only code).

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod i18n;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// Browser entry point. The pages are rendered on the server only; the browser hydrates just
/// their islands (`#[island]`: the password fields), so the WebAssembly holds those
/// and not the whole app. Then it marks `<body data-hydrated>` so that tests (and anyone
/// curious) can tell the page's islands have come alive.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
