//! "Asiointihistoria": the logged-in resident's own transactions, newest first, a page at a
//! time. The page number is in the URL (`?page=2`), so paging is plain links that work without
//! JavaScript.

use crate::api::history::history;
use crate::app::{use_lang, use_texts};
use crate::components::field::FormError;
use crate::components::require_login::RequireLogin;
use crate::i18n::{Texts, format_date};
use crate::model::{AppError, HistoryPage as Page, IsoDate, TransactionView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let requested = Memo::new(move |_| requested_page(query.read().get("page").as_deref()));
    // Created here, once, rather than inside `RequireLogin`, whose content the server may
    // render more than once.
    let page = Resource::new(move || requested.get(), history);
    view! {
        <Title text=move || t().history_title.to_owned()/>
        <section class="card history" aria-labelledby="history-title">
            <h1 id="history-title">{move || t().history_title}</h1>
            <RequireLogin>
                <Transactions page/>
            </RequireLogin>
        </section>
    }
}

/// The page of the history the URL asks for.
#[component]
fn Transactions(page: Resource<Result<Page, AppError>>) -> impl IntoView {
    let t = use_texts();
    view! {
        <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
            {move || page.get().map(|page| match page {
                Ok(page) if page.items.is_empty() => view! { <p>{move || t().history_empty}</p> }.into_any(),
                Ok(page) => view! { <HistoryTable page/> }.into_any(),
                Err(error) => view! { <FormError error=Signal::stored(Some(error))/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn HistoryTable(page: Page) -> impl IntoView {
    let t = use_texts();
    let rows = page.items.into_iter().map(row).collect_view();
    view! {
        // Focusable so that a keyboard can scroll the table sideways on a narrow screen.
        <div class="table-scroll" role="region" aria-labelledby="history-caption" tabindex="0">
            <table class="history-table">
                <caption id="history-caption">{move || t().history_caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || t().history_date}</th>
                        <th scope="col">{move || t().history_service}</th>
                        <th scope="col">{move || t().history_reference}</th>
                        <th scope="col">{move || t().history_status}</th>
                        <th scope="col">{move || t().history_description}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Pagination page=page.page pages=page.pages/>
    }
}

fn row(transaction: TransactionView) -> impl IntoView {
    let lang = use_lang();
    let date = IsoDate::parse(&transaction.occurred_on);
    let day = match date {
        Some(date) => view! {
            <time datetime=transaction.occurred_on>{move || format_date(lang.get(), date)}</time>
        }
        .into_any(),
        // Shown as stored rather than not at all.
        None => transaction.occurred_on.into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">{day}</td>
            <td>{transaction.service}</td>
            <td class="nowrap">{transaction.reference}</td>
            <td>{transaction.status}</td>
            <td>{transaction.description}</td>
        </tr>
    }
}

/// "Edellinen · Sivu 2 / 3 · Seuraava", shown when there is more than one page.
#[component]
fn Pagination(page: u32, pages: u32) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let href = move |to: u32| format!("/{}/history?page={to}", lang.get().code());
    (pages > 1).then(|| {
        view! {
            <nav class="pagination" aria-label=move || t().history_pages>
                {(page > 1).then(|| view! {
                    <a href=move || href(page - 1) rel="prev">{move || t().history_previous}</a>
                })}
                <span class="page-of">{move || page_of(t(), page, pages)}</span>
                {(page < pages).then(|| view! {
                    <a href=move || href(page + 1) rel="next">{move || t().history_next}</a>
                })}
            </nav>
        }
    })
}

/// The page number in `?page=`: anything but a positive number is the first page.
fn requested_page(raw: Option<&str>) -> u32 {
    raw.and_then(|raw| raw.trim().parse().ok())
        .filter(|&page| page > 0)
        .unwrap_or(1)
}

/// "Sivu 2 / 3".
fn page_of(t: &Texts, page: u32, pages: u32) -> String {
    t.history_page_of
        .replace("{pages}", &pages.to_string())
        .replace("{page}", &page.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::texts;
    use crate::model::Lang;

    #[test]
    fn the_page_number_comes_from_the_query() {
        assert_eq!(requested_page(None), 1);
        assert_eq!(requested_page(Some("2")), 2);
        assert_eq!(requested_page(Some(" 3 ")), 3);
        for bad in ["0", "-1", "kaksi", "", "2.5", "99999999999"] {
            assert_eq!(requested_page(Some(bad)), 1, "{bad:?}");
        }
    }

    #[test]
    fn page_numbers_read_naturally() {
        assert_eq!(page_of(texts(Lang::Fi), 2, 3), "Sivu 2 / 3");
        assert_eq!(page_of(texts(Lang::Sv), 1, 12), "Sida 1 / 12");
        assert_eq!(page_of(texts(Lang::En), 2, 3), "Page 2 of 3");
    }
}
