// The pages' client-side navigation, served as its own file (src/server/http/page_script.rs)
// and run once the page is parsed, before the WebAssembly. The server renders every page whole
// (and every form works without JavaScript: a post is answered with a redirect to the next page,
// or back with its error); here a link or a form fetches that same page and swaps in its <body>,
// title and language, and the new page's islands are hydrated. What a fetch cannot do loads in
// full, as without JavaScript: another site, a download, the OpenID Connect endpoints (they
// redirect to an e-service), and anything that fails.
(() => {
  // A link's `token` (set-password, confirm-email) never stays in the address bar, the history
  // or a bookmark: the page has already read it into its form. Neither does the error of a
  // refused form (`__err`, `__path`): the page shows it, and a reload should not.
  const HIDDEN = ["token", "__err", "__path"];
  const shown = (address) => {
    const url = new URL(address, location.href);
    // Taken out as text, so that the other parameters keep their encoding.
    const name = (pair) => {
      try {
        return decodeURIComponent(pair.split("=")[0]);
      } catch {
        return pair; // not percent-encoded correctly: not one of ours
      }
    };
    const kept = url.search.slice(1).split("&").filter((pair) => pair && !HIDDEN.includes(name(pair)));
    return url.pathname + (kept.length ? `?${kept.join("&")}` : "") + url.hash;
  };
  const here = () => location.pathname + location.search + location.hash;
  if (shown(here()) !== here()) history.replaceState(history.state, "", shown(here()));
  // The page on screen, to tell a move within it (a fragment: the skip link) from another page.
  let onScreen = location.pathname + location.search;

  // Leads to an e-service through the OpenID Connect endpoints, straight or after a login.
  const leaves = (path) => typeof path === "string" && path.startsWith("/oauth2/");
  let latest = 0;

  // The server sends a form back to the page it came from (its Referer), as without
  // JavaScript. A page opened from a mailed link keeps `Referrer-Policy: no-referrer` (its
  // address had the token) for as long as it is the document; the address it shows now has no
  // token, and the request goes to this site only.
  const REFERRER = { referrerPolicy: "same-origin" };

  /**
   * Fetches `request` and swaps in the page it answers with: true. An answer that is not a page
   * of ours: its address, to load in full. No answer (the network, or a redirect to another
   * site): false.
   */
  async function navigate(request, push, form) {
    const mine = ++latest;
    let response;
    try {
      response = await fetch(request);
    } catch {
      return false;
    }
    const type = response.headers.get("content-type") || "";
    if (new URL(response.url).origin !== location.origin || !type.startsWith("text/html")) {
      return response.url;
    }
    const html = await response.text();
    if (mine !== latest) return true; // a later navigation has taken over
    const page = new DOMParser().parseFromString(html, "text/html");
    const hydrated = document.body.hasAttribute("data-hydrated");
    document.title = page.title;
    document.documentElement.lang = page.documentElement.lang;
    document.body.replaceWith(document.adoptNode(page.body));
    if (hydrated) document.body.setAttribute("data-hydrated", "");
    if (form && new URL(response.url).searchParams.has("__err")) keepTyped(form);
    const address = shown(response.redirected ? response.url : request.url);
    if (push) history.pushState(null, "", address);
    else history.replaceState(history.state, "", address);
    onScreen = location.pathname + location.search;
    if (push) scrollTo(0, 0);
    // As after a page load, the reader starts at the page's content; an island may then take
    // the focus (the login's password step).
    document.getElementById("main")?.focus({ preventScroll: true });
    for (const island of document.querySelectorAll("leptos-island")) {
      window.__hydrateIsland?.(island, island.dataset.component);
    }
    return true;
  }

  /**
   * A refused form comes back with its error and what the server kept of it (never a password);
   * what it did not keep is taken over from the form as it was sent: nothing typed is lost.
   */
  function keepTyped(sent) {
    const action = sent.getAttribute("action");
    const form = [...document.forms].find((f) => f.getAttribute("action") === action);
    if (!form) return;
    for (const old of sent.elements) {
      const now = old.name && form.elements.namedItem(old.name);
      if (!(now instanceof HTMLInputElement || now instanceof HTMLTextAreaElement)) continue;
      if (now.type === "hidden" || now.readOnly) continue;
      if (now.type === "checkbox" || now.type === "radio") now.checked = old.checked;
      else if (!now.value) now.value = old.value;
    }
  }

  addEventListener("click", async (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (link.target || link.hasAttribute("download") || link.origin !== location.origin) return;
    if (leaves(link.pathname) || link.pathname.startsWith("/pkg/")) return;
    // A link within the page (the skip link) is the browser's.
    if (link.hash && link.pathname === location.pathname && link.search === location.search) return;
    event.preventDefault();
    const done = await navigate(new Request(link.href, REFERRER), true);
    if (done !== true) location.assign(done || link.href);
  });

  addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    const method = (form.getAttribute("method") || "get").toUpperCase();
    const action = new URL(form.action, location.href);
    const next = form.querySelector("input[name=next]");
    if (action.origin !== location.origin || leaves(action.pathname) || (next && leaves(next.value))) {
      return;
    }
    event.preventDefault();
    const fields = new URLSearchParams(new FormData(form, event.submitter));
    const request = method === "GET"
      ? new Request(`${action.pathname}?${fields}`, REFERRER)
      : new Request(action, { ...REFERRER, method: "POST", body: fields, headers: { Accept: "text/html" } });
    const done = await navigate(request, true, form);
    // A post that was answered is not sent again: its answer's address loads in full. One
    // that got no answer goes as without JavaScript, and the browser shows what happens.
    if (done === false && method === "POST") form.submit();
    else if (done !== true) location.assign(done || request.url);
  });

  addEventListener("popstate", async () => {
    if (location.pathname + location.search === onScreen) return;
    if ((await navigate(new Request(location.href, REFERRER), false)) !== true) location.reload();
  });
})();
