// A carried-over resident's first login in Finnish, with JavaScript on: the address, the mailed
// set-password link, the password, "remember me", the account page, the language menu, log out.

import { expect, test, type Page } from "@playwright/test";
import {
  arrivedAt,
  GOOD_PASSWORD,
  expectNoMail,
  fieldError,
  linkFrom,
  main,
  open,
  siteHeader,
  switchLanguage,
  waitForMail,
} from "./helpers";

const ERKKI = { email: "esimerkki.erkki@example.com", name: "Erkki Esimerkki" };
const UNKNOWN = "ei.ketaan.tassa@example.com";

const MALFORMED = "Tarkista sähköpostiosoite. Sen muoto on esimerkiksi etunimi.sukunimi@example.com.";
const LINK_SENT =
  "Sähköpostiisi on lähetetty linkki, jonka avulla voit asettaa salasanan. Kun olet asettanut salasanan, pääset kirjautumaan sillä palveluun.";

// By accessible name: the label's " *" is aria-hidden, so the name is the words alone.
const newPassword = (page: Page) => page.getByRole("textbox", { name: "Uusi salasana", exact: true });
const confirmPassword = (page: Page) => page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true });

async function submitAddress(page: Page, address: string) {
  const field = page.getByLabel("Käyttäjätunnus", { exact: true });
  await field.fill(address);
  await page.getByRole("button", { name: "Jatka", exact: true }).click();
}

test("Erkki sets his password from the mailed link and logs in (Finnish)", async ({ page, context }) => {
  const card = main(page);

  await test.step("front page → Kirjaudu sisään", async () => {
    await open(page, "/");
    await arrivedAt(page, "/fi");
    await expect(page.locator("html")).toHaveAttribute("lang", "fi");
    await siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
    await expect(card).toContainText(
      "Kirjautumisjärjestelmä on muuttunut edellisen kirjautumisesi jälkeen. Käyttäjätunnuksena toimii jatkossa sähköpostiosoitteesi.",
    );
    await expect(card.getByRole("link", { name: "Luo uusi käyttäjätunnus" })).toBeVisible();
    await expect(page.locator("input#email")).toHaveAttribute("type", "email");
  });

  await test.step("a malformed address gets an inline error and stays in the field", async () => {
    await submitAddress(page, "esimerkki.erkki@example");
    const error = fieldError(page, "email");
    await expect(error).toHaveText(MALFORMED);
    await expect(error).toHaveAttribute("role", "alert");
    await expect(page.locator("p.error[role=alert]")).toHaveText(MALFORMED);
    await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue("esimerkki.erkki@example");
    await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveAttribute("aria-invalid", "true");
  });

  await test.step("an unknown address is not recognised", async () => {
    await submitAddress(page, UNKNOWN);
    await expect(card).toContainText(
      "Järjestelmä ei tunnistanut sähköpostiosoitettasi. Mikäli käytössäsi on useita sähköpostiosoitteita, kokeile toista käyttämääsi sähköpostiosoitetta.",
    );
    await expect(card.locator(".notice").getByRole("link", { name: "Luo uusi käyttäjätunnus" })).toBeVisible();
    await expect(fieldError(page, "email")).toHaveCount(0);
  });

  const beforeJatka = Date.now();
  await test.step("Erkki's address → the link is mailed", async () => {
    const changeUsername = card.getByRole("button", { name: "Vaihda käyttäjätunnusta" });
    if (await changeUsername.isVisible()) await changeUsername.click();
    await submitAddress(page, ERKKI.email);
    await expect(card.getByRole("status").filter({ hasText: LINK_SENT })).toHaveText(LINK_SENT);
    const shown = page.getByLabel("Käyttäjätunnus", { exact: true });
    await expect(shown).toHaveValue(ERKKI.email);
    await expect(shown).not.toBeEditable();
    await expect(card.getByRole("button", { name: "Vaihda käyttäjätunnusta" })).toBeVisible();
  });

  let link = "";
  await test.step("the mail is in Finnish and links to BASE_URL", async () => {
    const mail = await waitForMail(ERKKI.email, { after: beforeJatka });
    expect(mail.subject).toBe("Salasanan asettaminen – Asiointipalvelu");
    for (const expected of [
      "Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.",
      `Käyttäjätunnus: ${ERKKI.email}`,
      "Tämä on palvelun automaattisesti lähettämä viesti. Älä vastaa tähän viestiin.",
      "Ongelmatilanteissa ota yhteys kuntaan.",
    ]) {
      expect(mail.text).toContain(expected);
    }
    link = linkFrom(mail, "fi");
  });

  await test.step("the link opens the set-password page", async () => {
    await open(page, link);
    const heading = page.getByRole("heading", { level: 1 });
    await expect(heading).toContainText("Takaisin");
    await expect(heading).toContainText("Vaihda salasana");
    await expect(heading.getByRole("link", { name: "Takaisin" })).toHaveAttribute("href", "/fi/login");
    await expect(heading.locator("[aria-hidden=true]")).toHaveText(">");
    await expect(card).toContainText(`Käyttäjätunnus: ${ERKKI.email}`);
    await expect(newPassword(page)).toHaveAttribute("id", "password");
    await expect(confirmPassword(page)).toHaveAttribute("id", "confirm");
    await expect(page.locator("label[for=password]")).toHaveText("Uusi salasana *");
    await expect(page.locator("label[for=password] [aria-hidden=true]")).toHaveText(" *");
    // The language menu leads to the same page in English, token and all.
    const query = new URL(link).search;
    await expect(page.locator("details.lang-menu a[hreflang=en]")).toHaveAttribute("href", `/en/set-password${query}`);
  });

  await test.step("too short, then mismatching passwords are refused", async () => {
    await newPassword(page).fill("lyhyt");
    await confirmPassword(page).fill("lyhyt");
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(fieldError(page, "password")).toHaveText("Salasanassa on oltava vähintään 12 merkkiä.");

    await newPassword(page).fill(GOOD_PASSWORD);
    await confirmPassword(page).fill(`${GOOD_PASSWORD}!`);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Salasanat eivät täsmää." })).toHaveText(
      "Salasanat eivät täsmää. Kirjoita sama salasana molempiin kenttiin.",
    );
    await expect(fieldError(page, "password")).toHaveCount(0);
  });

  await test.step("matching passwords → the success page", async () => {
    await newPassword(page).fill(GOOD_PASSWORD);
    await confirmPassword(page).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await arrivedAt(page, "/fi/set-password/done");
    await expect(card).toContainText(
      "Salasanan vaihto onnistui, voit nyt kirjautua palveluun uudella salasanalla.",
    );
  });

  const beforeSecondJatka = Date.now();
  await test.step("Siirry kirjautumaan → Jatka leads to the password step without a new mail", async () => {
    await card.getByRole("link", { name: "Siirry kirjautumaan" }).click();
    await arrivedAt(page, "/fi/login");
    // Once the card has loaded, it must not repeat "a link has been sent": the password is set.
    await expect(card.getByRole("button", { name: /^(Jatka|Vaihda käyttäjätunnusta)$/ })).toBeVisible();
    await expect(card, "the login card after setting the password").not.toContainText(LINK_SENT);
    await expect(card.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();
    await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue(ERKKI.email);
    await submitAddress(page, ERKKI.email);

    const username = page.getByLabel("Käyttäjätunnus", { exact: true });
    await expect(page.getByLabel("Salasana", { exact: true })).toHaveAttribute("id", "password");
    await expect(username).toHaveValue(ERKKI.email);
    await expect(username).not.toBeEditable();
    await expect(page.getByLabel("Muista kirjautumiseni tässä tietokoneessa")).toHaveAttribute("id", "remember");
    await expect(card.getByRole("link", { name: "Unohtuiko käyttäjätunnus tai salasana?" })).toBeVisible();
    await expect(card.getByRole("button", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
    await expectNoMail(ERKKI.email, { after: beforeSecondJatka, within: 2_000 });
  });

  await test.step("a wrong password is refused", async () => {
    await page.getByLabel("Salasana", { exact: true }).fill("tämä ei ole oikea salasana");
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "väärin" })).toHaveText(
      "Käyttäjätunnus tai salasana on väärin.",
    );
    await arrivedAt(page, "/fi/login");
  });

  await test.step("the right password with Muista kirjautumiseni → logged in", async () => {
    await page.getByLabel("Salasana", { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel("Muista kirjautumiseni tässä tietokoneessa").check();
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi");
    const header = siteHeader(page);
    await expect(header.getByRole("link", { name: `${ERKKI.name} (${ERKKI.email})` })).toHaveAttribute(
      "href",
      "/fi/account",
    );
    await expect(header.getByRole("button", { name: "KIRJAUDU ULOS" })).toBeVisible();
    await expect(header.locator("details.lang-menu > summary")).toContainText("FIN ▼");
    await expect(header.getByRole("link", { name: "Kirjaudu sisään" })).toHaveCount(0);
    await expect(card).toContainText("Olet kirjautunut sisään.");
  });

  await test.step("the session cookie is persistent (remember me)", async () => {
    const session = (await context.cookies()).find((cookie) => cookie.name === "asiointi_session");
    expect(session, "asiointi_session cookie").toBeDefined();
    expect(session!.httpOnly).toBe(true);
    expect(session!.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  });

  await test.step("the account page via the header link", async () => {
    await siteHeader(page).getByRole("link", { name: `${ERKKI.name} (${ERKKI.email})` }).click();
    await arrivedAt(page, "/fi/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Omat tiedot");
    await expect(page.getByRole("textbox", { name: "Nimi", exact: true })).toHaveValue(ERKKI.name);
    await expect(card).toContainText(ERKKI.email);
  });

  await test.step("switch to English and back", async () => {
    await switchLanguage(page, "en");
    await arrivedAt(page, "/en/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your details");
    await expect(siteHeader(page).getByRole("button", { name: "LOG OUT" })).toBeVisible();
    await expect(card).toContainText(ERKKI.email);

    await switchLanguage(page, "fi");
    await arrivedAt(page, "/fi/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Omat tiedot");
    await expect(siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" })).toBeVisible();
  });

  await test.step("the used link no longer works", async () => {
    await open(page, link);
    await expect(card).toContainText("Linkki ei ole enää voimassa: se on jo käytetty, vanhentunut tai virheellinen.");
    await expect(card.getByRole("link", { name: "Siirry kirjautumaan" })).toHaveAttribute("href", "/fi/login");
    await expect(newPassword(page)).toHaveCount(0);
  });

  await test.step("log out", async () => {
    await siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" }).click();
    await arrivedAt(page, "/fi");
    await expect(siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
    await expect(siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" })).toHaveCount(0);

    // A protected page sends the resident to the login card, to come back after logging in.
    await open(page, "/fi/account");
    await arrivedAt(page, "/fi/login?next=/fi/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
    await expect(card).not.toContainText(ERKKI.email);
  });
});

test("every malformed address gets the inline error, not the browser's own bubble (Finnish)", async ({ page }) => {
  // No account is touched: the address never passes validation. Each attempt starts afresh.
  for (const typed of ["esimerkki.erkki", "esimerkki.erkki@", "esimerkki.erkki@example"]) {
    await page.context().clearCookies();
    await open(page, "/fi/login");
    await submitAddress(page, typed);
    const field = page.getByLabel("Käyttäjätunnus", { exact: true });
    await expect(fieldError(page, "email"), `inline error for ${JSON.stringify(typed)}`).toHaveText(MALFORMED);
    await expect(field).toHaveValue(typed);
  }

  await page.context().clearCookies();
  await open(page, "/fi/login");
  await submitAddress(page, "");
  await expect(fieldError(page, "email")).toHaveText("Syötä sähköpostiosoitteesi.");
  await expect(fieldError(page, "email")).toHaveAttribute("role", "alert");
});

test("the front pages answer HTTP 200", async ({ request }) => {
  // Everything links to /fi, /sv and /en (the brand link, after login and logout, the redirect of /).
  for (const path of ["/fi", "/sv", "/en", "/fi/login", "/en/login"]) {
    const response = await request.get(path, { maxRedirects: 0 });
    expect(response.status(), `HTTP status of GET ${path}`).toBe(200);
  }
  for (const [from, to] of [["/", /\/fi$/], ["/en/", /\/en$/]] as const) {
    const response = await request.get(from, { maxRedirects: 0 });
    expect(response.status()).toBeGreaterThanOrEqual(300);
    expect(response.status()).toBeLessThan(400);
    expect(response.headers()["location"]).toMatch(to);
  }
});
