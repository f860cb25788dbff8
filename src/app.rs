//! The HTML shell, the routes and what every page shares: the language and the login state.

use crate::api::account::{Logout, current_user};
use crate::components::header::Header;
use crate::i18n::{Texts, texts};
use crate::model::{AccountView, AppError, Lang};
use crate::pages::{
    account::{AccountPage, ConfirmEmailDone, ConfirmEmailPage},
    forgot::{ForgotPage, ForgotSent},
    history::HistoryPage,
    home::HomePage,
    login::LoginPage,
    not_found::NotFound,
    register::{RegisterPage, RegisterSent},
    set_password::{SetPasswordDone, SetPasswordPage},
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{Html, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::{SsrMode, path};

/// The document around the app, rendered on the server. The browser hydrates only the islands
/// (`#[island]`); `page_script.js` fetches the next page and swaps it in, so that navigation and
/// forms stay client-side. It is deferred: it runs once the page is parsed, before the
/// WebAssembly's module script.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // No icon of our own: without this the browser asks for /favicon.ico and gets
                // the not-found page (10 KB) on every first visit.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <script defer nonce=leptos::nonce::use_nonce()
                    src=crate::server::http::page_script::PATH.as_str()></script>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The login state every page sees, and the header's logout.
#[derive(Clone, Copy)]
pub struct Auth {
    pub logout: ServerAction<Logout>,
    pub user: Resource<Result<Option<AccountView>, AppError>>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// The language of the page, from the URL.
pub fn use_lang() -> Memo<Lang> {
    use_context::<Memo<Lang>>().unwrap_or_else(|| Memo::new(|_| Lang::default()))
}

/// The texts of the page's language, to read inside reactive closures.
pub fn use_texts() -> impl Fn() -> &'static Texts + Copy + Send + Sync + 'static {
    let lang = lang_reader(use_lang());
    move || texts(lang())
}

/// `lang` as a closure for reactive code, read once: a page is rendered on the server in one
/// language. leptos_meta reads the closures of `<Title>` and `<Html>` again while it writes the
/// page's head, outside the request's reactive arena, and a memo read there fails ("already been
/// disposed") when other requests run on the same thread. The load test (tests/load.rs) found
/// that as panics under load.
pub fn lang_reader(lang: Memo<Lang>) -> impl Fn() -> Lang + Copy + Send + Sync + 'static {
    let fixed = lang.get_untracked();
    move || fixed
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every page is rendered on the server, after whatever action led to it: the login state
    // is read once per page.
    let logout = ServerAction::<Logout>::new();
    let user = Resource::new(|| (), |_| current_user());
    provide_context(Auth { logout, user });

    view! {
        <Stylesheet id="leptos" href="/pkg/asiointi.css"/>
        <Router>
            <Routes fallback=|| view! { <main id="main"><NotFound/></main> }>
                // Async: the server waits for the page's data and sends it whole, so every page
                // is complete without JavaScript.
                <ParentRoute path=path!("/:lang") view=LangLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("set-password") view=SetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("set-password/done") view=SetPasswordDone ssr=SsrMode::Async/>
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("confirm-email") view=ConfirmEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("confirm-email/done") view=ConfirmEmailDone ssr=SsrMode::Async/>
                    <Route path=path!("history") view=HistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("forgot") view=ForgotPage ssr=SsrMode::Async/>
                    <Route path=path!("forgot/sent") view=ForgotSent ssr=SsrMode::Async/>
                    <Route path=path!("register") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("register/sent") view=RegisterSent ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Everything under `/:lang/`: provides the language, the header and the main landmark.
#[component]
fn LangLayout() -> impl IntoView {
    let params = use_params_map();
    let lang_in_url = Memo::new(move |_| {
        params
            .read()
            .get("lang")
            .and_then(|code| Lang::from_code(&code))
    });
    let lang = Memo::new(move |_| lang_in_url.get().unwrap_or_default());
    provide_context(lang);
    let page_lang = lang_reader(lang);
    view! {
        <Html {..} lang=move || page_lang().code()/>
        <Title formatter=move |page: String| format!("{page} – {}", texts(page_lang()).service_name)/>
        <Show when=move || lang_in_url.get().is_some() fallback=|| view! { <main id="main"><NotFound/></main> }>
            <Header/>
            <main id="main" tabindex="-1">
                <Outlet/>
            </main>
        </Show>
    }
}
