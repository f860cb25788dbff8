// A carried-over resident meets the login for the first time inside an e-service's login: the
// e-service (end2end/fixtures/oidc_rp.mjs on openid-client, started by run.sh) sends them to
// our card, "Jatka" mails the set-password link, and after the password is set the card goes on
// with the e-service's request instead of dropping them on our front page. Then "Omat tiedot"
// lists the e-service, and revoking it works. With JavaScript on and off, in Finnish.

import { expect, test, type Page } from "@playwright/test";
import { BASE_URL, GOOD_PASSWORD, axeViolations, hydrated, main, waitForMail } from "./helpers";

const RP_A = (process.env.RP_A_URL ?? "http://127.0.0.1:3108").replace(/\/$/, "");
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The set-password link of a mail that carries the card's `next` on. */
function linkWithNext(text: string, html: string): string {
  const pattern = new RegExp(`${escaped(BASE_URL)}/fi/set-password\\?token=[A-Za-z0-9_-]{43}&next=[^\\s]+`, "g");
  const links = text.match(pattern) ?? [];
  expect(links, `one set-password link with next in:\n${text}`).toHaveLength(1);
  expect(html, "the HTML part links to the same address").toContain(`href="${links[0].replaceAll("&", "&amp;")}"`);
  return links[0];
}

const RESIDENTS = [
  // Carried over from the old system (end2end/fixtures/users.csv), no password yet; the second
  // address of each is for the one retry (the first has a password by then).
  { js: true, name: "Olli Ensikerta", emails: ["olli.oidc.ensikerta@example.com", "olli.oidc.uusintakerta@example.com"] },
  { js: false, name: "Outi Ensikerta", emails: ["outi.oidc.ilman.skriptia@example.com", "outi.oidc.uusintakerta@example.com"] },
];

for (const person of RESIDENTS) {
  const mode = person.js ? "JavaScript on" : "JavaScript off";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: person.js, locale: "fi-FI" });

    test(`a carried-over resident's first login returns into the e-service, which Omat tiedot then lists and revokes (${mode})`, async ({
      page,
    }, testInfo) => {
      // A long journey: a mail, a password set, two logins, the settings and axe.
      test.setTimeout(150_000);
      const resident = { ...person, email: person.emails[Math.min(testInfo.retry, 1)] };
      const card = main(page);
      const loaded = async () => {
        if (resident.js) await hydrated(page);
      };
      let next = "";

      await test.step("the e-service sends the resident to our card, which mails the set-password link", async () => {
        // keep=1: the service does not replay its spent refresh token (which would end the grant
        // from its side), so that the resident can revoke it below.
        await page.goto(`${RP_A}/login?keep=1`);
        await expect(page).toHaveURL(new RegExp(`^${escaped(BASE_URL)}/fi/login\\?next=`));
        await loaded();
        next = new URL(page.url()).searchParams.get("next")!;
        expect(next.startsWith("/oauth2/authorize?")).toBe(true);
        await expect(card.locator(".login-service")).toHaveText("Kirjaudu palveluun Esimerkkipalvelu A");
        await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(resident.email);
        const before = Date.now();
        await card.getByRole("button", { name: "Jatka", exact: true }).click();
        await expect(card.getByRole("status")).toContainText("Sähköpostiisi on lähetetty linkki");
        const mail = await waitForMail(resident.email, { after: before });
        const link = linkWithNext(mail.text, mail.html);
        expect(new URL(link).searchParams.get("next"), "the link carries the e-service's request").toBe(next);
        await page.goto(link);
        await loaded();
      });

      await test.step("the password is set; 'Siirry kirjautumaan' goes back to the card of the same request", async () => {
        await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
        await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
        await page.getByRole("button", { name: "Vaihda salasana" }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(BASE_URL)}/fi/set-password/done\\?next=`));
        await loaded();
        await card.getByRole("link", { name: "Siirry kirjautumaan" }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(BASE_URL)}/fi/login\\?next=`));
        await loaded();
        expect(new URL(page.url()).searchParams.get("next")).toBe(next);
        await expect(card.locator(".login-service")).toHaveText("Kirjaudu palveluun Esimerkkipalvelu A");
      });

      await test.step("Jatka and the new password: back at the e-service, logged in", async () => {
        await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue(resident.email);
        await card.getByRole("button", { name: "Jatka", exact: true }).click();
        await page.getByLabel("Salasana", { exact: true }).fill(GOOD_PASSWORD);
        await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
        await expect(page).toHaveURL(new RegExp(`^${escaped(RP_A)}/callback\\?`));
        const outcome = JSON.parse(await page.locator("#result").innerText());
        expect(outcome.error, "the relying party's callback succeeded").toBeUndefined();
        expect(outcome.claims.email).toBe(resident.email);
        expect(outcome.claims.name).toBe(resident.name);
      });

      await test.step("Omat tiedot lists the e-service, and revoking it ends its access", async () => {
        await page.goto("/fi/account");
        await loaded();
        await expect(card.getByRole("heading", { name: "Käyttämäsi palvelut" })).toBeVisible();
        const service = card.locator("li", { hasText: "Esimerkkipalvelu A" });
        await expect(service).toContainText("Viimeisin kirjautuminen");
        // axe runs in the page, so only with JavaScript on.
        if (resident.js) expect(await axeViolations(page)).toEqual([]);
        await service.getByRole("button", { name: /^Peru käyttöoikeus\W+Esimerkkipalvelu A$/ }).click();
        await expect(page).toHaveURL(`${BASE_URL}/fi/account?saved=services`);
        await expect(card.getByRole("status").first()).toHaveText("Palvelun käyttöoikeus on peruttu.");
        await expect(service).toContainText("Ei voimassa olevaa käyttöoikeutta");
        await expect(service.getByRole("button")).toHaveCount(0);
      });
    });
  });
}
