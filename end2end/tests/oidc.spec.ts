// The OpenID Connect provider with an independent relying party: two e-services built on the
// openid-client library (end2end/fixtures/oidc_rp.mjs, started and registered by run.sh) send a
// new resident here to log in. Discovery, the authorization code flow with PKCE through the
// login card, the id_token checked against the JWKS, UserInfo, refresh token rotation, single
// sign-on into the second service, RP-initiated logout, and prompt=none after it — in Finnish,
// once with JavaScript on and once with it off (forms posted, the provider's refresh pages).

import { expect, test, type Page, type Request } from "@playwright/test";
import { BASE_URL, GOOD_PASSWORD, hydrated, linkFrom, main, siteHeader, waitForMail } from "./helpers";

const RP_A = (process.env.RP_A_URL ?? "http://127.0.0.1:3108").replace(/\/$/, "");
const RP_B = (process.env.RP_B_URL ?? "http://127.0.0.1:3109").replace(/\/$/, "");
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The JSON a relying party page shows in `<pre id="result">`. */
async function result(page: Page): Promise<any> {
  return JSON.parse(await page.locator("#result").innerText());
}

/** Every main-frame navigation request from now on, redirects included, by URL. */
function navigations(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (request: Request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) seen.push(request.url());
  });
  return seen;
}

const RESIDENTS = [
  { js: true, name: "Oili Osallinen", email: "oili.oidc.skriptilla@example.com" },
  { js: false, name: "Onni Osallinen", email: "onni.oidc.ilman.skriptia@example.com" },
];

for (const resident of RESIDENTS) {
  const mode = resident.js ? "JavaScript on" : "JavaScript off";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: resident.js, locale: "fi-FI" });

    test(`a resident logs in to two e-services through the provider and out again (${mode})`, async ({ page }, testInfo) => {
      const card = main(page);
      // A new address for a retry (or --repeat-each): an address registers once.
      const run = testInfo.retry + testInfo.repeatEachIndex > 0 ? `.${testInfo.repeatEachIndex}.${testInfo.retry}` : "";
      const email = resident.email.replace("@", `${run}@`);
      /** After a full page load on our site: with JavaScript on, the app has hydrated. */
      const loaded = async () => {
        if (resident.js) await hydrated(page);
      };

      await test.step("a new resident registers and sets a password through the mailed link", async () => {
        await page.goto("/fi/register");
        await loaded();
        await page.getByRole("textbox", { name: "Nimi", exact: true }).fill(resident.name);
        await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(email);
        const before = Date.now();
        await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
        await expect(page).toHaveURL(`${BASE_URL}/fi/register/sent`);
        await page.goto(linkFrom(await waitForMail(email, { after: before }), "fi"));
        await loaded();
        await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
        await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
        await page.getByRole("button", { name: "Vaihda salasana" }).click();
        await expect(page).toHaveURL(`${BASE_URL}/fi/set-password/done`);
        // Setting the password logs no one in: the services below get the login card.
        await expect(siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
      });

      await test.step("discovery: the service configured itself from the provider's metadata", async () => {
        await page.goto(RP_A);
        await expect(page.getByRole("heading", { level: 1 })).toHaveText("Esimerkkipalvelu A");
        const discovered = JSON.parse(await page.locator("#discovery").innerText());
        expect(discovered).toEqual({
          issuer: BASE_URL,
          authorization_endpoint: `${BASE_URL}/oauth2/authorize`,
          token_endpoint: `${BASE_URL}/oauth2/token`,
          userinfo_endpoint: `${BASE_URL}/oauth2/userinfo`,
          jwks_uri: `${BASE_URL}/oauth2/jwks`,
          end_session_endpoint: `${BASE_URL}/oauth2/logout`,
          code_challenge_methods_supported: ["S256"],
        });
      });

      let first: any;
      await test.step("Kirjaudu sisään at the service → our login card, naming the service", async () => {
        await page.getByRole("link", { name: "Kirjaudu sisään" }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(BASE_URL)}/fi/login\\?next=`));
        await loaded();
        // The card comes back to the library's authorization request: PKCE S256, state, nonce.
        const next = new URL(new URL(page.url()).searchParams.get("next")!, BASE_URL);
        expect(next.pathname).toBe("/oauth2/authorize");
        expect(next.searchParams.get("client_id")).toBe("rp-a");
        expect(next.searchParams.get("response_type")).toBe("code");
        expect(next.searchParams.get("code_challenge_method")).toBe("S256");
        expect(next.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(next.searchParams.get("state")).toBeTruthy();
        expect(next.searchParams.get("nonce")).toBeTruthy();
        expect(next.searchParams.get("scope")).toBe("openid email profile offline_access");
        await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
        await expect(card.locator(".login-service")).toHaveText("Kirjaudu palveluun Esimerkkipalvelu A");
      });

      await test.step("e-mail and password on the card → back at the service, logged in", async () => {
        await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(email);
        await card.getByRole("button", { name: "Jatka", exact: true }).click();
        await page.getByLabel("Salasana", { exact: true }).fill(GOOD_PASSWORD);
        const seen = navigations(page);
        await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(RP_A)}/callback\\?`));
        // The card's `next` is the authorization request again, which now has a login and sends
        // the browser on to the service (without JavaScript by the provider's refresh page).
        const paths = seen.map((url) => new URL(url)).map((url) => `${url.origin}${url.pathname}`);
        expect(paths.slice(-2)).toEqual([`${BASE_URL}/oauth2/authorize`, `${RP_A}/callback`]);
        first = await result(page);
      });

      await test.step("the code exchanged: the id_token's signature, issuer, audience, nonce and state hold", async () => {
        expect(first.error, "the relying party's callback succeeded").toBeUndefined();
        const claims = first.claims;
        expect(claims.iss).toBe(BASE_URL);
        expect([claims.aud].flat()).toEqual(["rp-a"]);
        expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(claims.sub).not.toContain(email);
        expect(claims.sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(Math.abs(claims.auth_time - Date.now() / 1000)).toBeLessThan(120);
        expect(claims.email).toBe(email);
        expect(claims.email_verified).toBe(true);
        expect(claims.name).toBe(resident.name);
        expect(first.nonce_matches).toBe(true);
        expect(first.state_matches).toBe(true);
        // The library verified the signature with the key the JWKS published under this kid.
        expect(first.id_token_alg).toBe("RS256");
        expect(first.jwks_kids).toContain(first.id_token_kid);
        expect(first.token_type.toLowerCase()).toBe("bearer");
        expect(first.scope).toBe("openid email profile offline_access");
      });

      await test.step("UserInfo answers for the same subject", async () => {
        expect(first.userinfo).toMatchObject({
          sub: first.claims.sub,
          email,
          email_verified: true,
          name: resident.name,
        });
      });

      await test.step("refresh: each use rotates the refresh token, the new one works, a replay is refused", async () => {
        const refresh = first.refresh;
        expect(refresh.issued).toBe(true);
        expect(refresh.first_rotated).toBe(true);
        expect(refresh.second_rotated).toBe(true);
        expect(refresh.id_token_subject_same).toBe(true);
        expect(refresh.userinfo_after.sub).toBe(first.claims.sub);
        // The spent token shown again ends its whole grant: the newest token is refused too.
        expect(refresh.spent_token_replayed).toEqual({ refused: true, error: "invalid_grant", status: 400 });
        expect(refresh.newest_after_replay).toEqual({ refused: true, error: "invalid_grant", status: 400 });
      });

      await test.step("the service shows the resident", async () => {
        await page.goto(RP_A);
        await expect(page.locator("#who")).toHaveText(`${resident.name} (${email})`);
      });

      await test.step("single sign-on: the second service gets a code at once, no card, no question", async () => {
        await page.goto(RP_B);
        await expect(page.getByRole("heading", { level: 1 })).toHaveText("Esimerkkipalvelu B");
        const seen = navigations(page);
        await page.getByRole("link", { name: "Kirjaudu sisään" }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(RP_B)}/callback\\?`));
        const second = await result(page);
        expect(second.error, "the second service's callback succeeded").toBeUndefined();
        const paths = seen.map((url) => new URL(url)).map((url) => `${url.origin}${url.pathname}`);
        expect(paths).toEqual([`${RP_B}/login`, `${BASE_URL}/oauth2/authorize`, `${RP_B}/callback`]);
        expect([second.claims.aud].flat()).toEqual(["rp-b"]);
        // The same login: the same resident, session and time of authentication.
        expect(second.claims.sub).toBe(first.claims.sub);
        expect(second.claims.sid).toBe(first.claims.sid);
        expect(second.claims.auth_time).toBe(first.claims.auth_time);
        expect(second.nonce_matches && second.state_matches).toBe(true);
        expect(second.userinfo.email).toBe(email);
        expect(second.refresh.first_rotated && second.refresh.second_rotated).toBe(true);
      });

      await test.step("RP-initiated logout: id_token_hint and the registered address, no question asked", async () => {
        await page.goto(RP_A);
        const seen = navigations(page);
        await page.getByRole("button", { name: "Kirjaudu ulos" }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(RP_A)}/logged-out\\?`));
        expect(await result(page)).toEqual({ logged_out: true, state_matches: true });
        const endSession = seen.map((url) => new URL(url)).find((url) => url.pathname === "/oauth2/logout");
        expect(endSession, "the service sent the browser to the end_session_endpoint").toBeDefined();
        expect(endSession!.origin).toBe(BASE_URL);
        expect(endSession!.searchParams.get("id_token_hint")).toBeTruthy();
        expect(endSession!.searchParams.get("post_logout_redirect_uri")).toBe(`${RP_A}/logged-out`);
        expect(endSession!.searchParams.get("client_id")).toBe("rp-a");
      });

      await test.step("after the logout prompt=none gives login_required, at both services", async () => {
        for (const rp of [RP_A, RP_B]) {
          await page.goto(`${rp}/login?prompt=none`);
          await expect(page).toHaveURL(new RegExp(`^${escaped(rp)}/callback\\?`));
          expect(await result(page)).toEqual({ error: "login_required", prompt: "none" });
        }
        await page.goto("/fi");
        await loaded();
        await expect(siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
      });
    });
  });
}
