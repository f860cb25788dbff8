// The whole first login with JavaScript off: every form is a plain POST, the server answers
// with a redirect back to a page it renders whole.

import { expect, test, type Page } from "@playwright/test";
import {
  BASE_URL,
  GOOD_PASSWORD,
  fieldError,
  linkFrom,
  main,
  siteHeader,
  waitForMail,
} from "./helpers";

test.use({ javaScriptEnabled: false });

const ELLI = { email: "elli.ilman.skriptia@example.com", name: "Elli Esimerkki" };
const LINK_SENT =
  "Sähköpostiisi on lähetetty linkki, jonka avulla voit asettaa salasanan. Kun olet asettanut salasanan, pääset kirjautumaan sillä palveluun.";

const newPassword = (page: Page) => page.getByRole("textbox", { name: "Uusi salasana", exact: true });
const confirmPassword = (page: Page) => page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true });

async function submitAddress(page: Page, address: string) {
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(address);
  await page.getByRole("button", { name: "Jatka", exact: true }).click();
  await page.waitForLoadState();
}

test("Elli's first login works without JavaScript", async ({ page }) => {
  const card = main(page);

  await test.step("the front page and the login page are complete without scripts", async () => {
    await page.goto("/");
    await expect(page).toHaveURL(`${BASE_URL}/fi`);
    await expect(page.locator("body")).not.toHaveAttribute("data-hydrated");
    await siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi/login`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
    await expect(page.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();
  });

  await test.step("a malformed address: the error after the redirect, the typed value kept", async () => {
    await submitAddress(page, "elli@example");
    await expect(fieldError(page, "email")).toHaveText(
      "Tarkista sähköpostiosoite. Sen muoto on esimerkiksi etunimi.sukunimi@example.com.",
    );
    await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue("elli@example");
    await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/fi/login`));
  });

  const beforeJatka = Date.now();
  await test.step("Jatka with Elli's address → the link is mailed", async () => {
    await submitAddress(page, ELLI.email);
    await expect(page).toHaveURL(new RegExp(`^${BASE_URL}/fi/login`));
    await expect(card).toContainText(LINK_SENT);
    await expect(fieldError(page, "email")).toHaveCount(0);
    await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue(ELLI.email);
  });

  let link = "";
  await test.step("the mail", async () => {
    const mail = await waitForMail(ELLI.email, { after: beforeJatka });
    expect(mail.subject).toBe("Salasanan asettaminen – Asiointipalvelu");
    expect(mail.text).toContain(`Käyttäjätunnus: ${ELLI.email}`);
    link = linkFrom(mail, "fi");
  });

  await test.step("set the password: a mismatch first, then success", async () => {
    await page.goto(link);
    await expect(card).toContainText(`Käyttäjätunnus: ${ELLI.email}`);
    await newPassword(page).fill(GOOD_PASSWORD);
    await confirmPassword(page).fill(`${GOOD_PASSWORD} eri`);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await page.waitForLoadState();
    await expect(fieldError(page, "confirm")).toHaveText(
      "Salasanat eivät täsmää. Kirjoita sama salasana molempiin kenttiin.",
    );
    // Still the form of the same link.
    await expect(card).toContainText(`Käyttäjätunnus: ${ELLI.email}`);

    await newPassword(page).fill(GOOD_PASSWORD);
    await confirmPassword(page).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi/set-password/done`);
    await expect(card).toContainText("Salasanan vaihto onnistui, voit nyt kirjautua palveluun uudella salasanalla.");
  });

  await test.step("log in", async () => {
    await card.getByRole("link", { name: "Siirry kirjautumaan" }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi/login`);
    await expect(card, "the login card after setting the password").not.toContainText(LINK_SENT);
    await expect(card.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();
    await submitAddress(page, ELLI.email);
    // No password: the password step comes back with the field's own error.
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(fieldError(page, "password")).toHaveText("Syötä salasana.");
    await expect(page.getByLabel("Salasana", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await page.getByLabel("Salasana", { exact: true }).fill(GOOD_PASSWORD);
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi`);
    await expect(siteHeader(page).getByRole("link", { name: `${ELLI.name} (${ELLI.email})` })).toBeVisible();
    await expect(siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" })).toBeVisible();
    await expect(card).toContainText("Olet kirjautunut sisään.");
  });

  await test.step("log out", async () => {
    await siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi`);
    await expect(siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
    await expect(siteHeader(page).getByRole("button", { name: "KIRJAUDU ULOS" })).toHaveCount(0);
    await page.goto("/fi/account");
    await expect(page).toHaveURL(`${BASE_URL}/fi/login?next=/fi/account`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
  });
});
