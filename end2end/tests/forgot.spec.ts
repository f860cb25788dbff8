// "Unohtuiko käyttäjätunnus tai salasana?": a resident who has forgotten the password gets a
// link, sets a new one, is told by mail, and logs in with it (Finnish, JavaScript on).

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, axeViolations, GOOD_PASSWORD, linkFrom, main, open, siteHeader, waitForMail } from "./helpers";

const ULLA = { email: "unohtaja.salasanan@example.com", name: "Ulla Unohtaja" };
const NEW_PASSWORD = "syksyn ensimmäinen lumi 2026";
const SENT = "Jos osoitteella on käyttäjätunnus, siihen on nyt lähetetty linkki uuden salasanan asettamiseen.";

async function setPassword(page: Page, link: string, password: string) {
  await open(page, link);
  await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(password);
  await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(password);
  await page.getByRole("button", { name: "Vaihda salasana" }).click();
  await arrivedAt(page, "/fi/set-password/done");
}

async function logIn(page: Page, password: string) {
  await open(page, "/fi/login");
  // The card remembers the last "Jatka" of this browser: it may already ask for the password.
  const jatka = page.getByRole("button", { name: "Jatka", exact: true });
  if (await jatka.isVisible()) {
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(ULLA.email);
    await jatka.click();
  }
  await expect(page.getByLabel("Käyttäjätunnus", { exact: true })).toHaveValue(ULLA.email);
  await page.getByLabel("Salasana", { exact: true }).fill(password);
  await main(page).getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
}

test("a forgotten password is replaced through the mailed link (Finnish)", async ({ page }) => {
  const card = main(page);

  await test.step("Ulla has a password from her first login", async () => {
    const before = Date.now();
    await open(page, "/fi/login");
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(ULLA.email);
    await page.getByRole("button", { name: "Jatka", exact: true }).click();
    await setPassword(page, linkFrom(await waitForMail(ULLA.email, { after: before })), GOOD_PASSWORD);
  });

  await test.step("the password step links to the help page, which explains the username", async () => {
    await open(page, "/fi/login");
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(ULLA.email);
    await page.getByRole("button", { name: "Jatka", exact: true }).click();
    await card.getByRole("link", { name: "Unohtuiko käyttäjätunnus tai salasana?" }).click();
    await arrivedAt(page, "/fi/forgot");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Unohtuiko käyttäjätunnus tai salasana?");
    await expect(card).toContainText("Käyttäjätunnuksesi on jatkossa sähköpostiosoitteesi.");
    await expect(card).toContainText("Jos et pääse kirjautumaan, ota yhteys tukeen:");
    expect(await axeViolations(page), "axe on /fi/forgot").toEqual([]);
  });

  const before = Date.now();
  await test.step("an unknown address and Ulla's get the same answer", async () => {
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill("ei.ketaan.taalla@example.com");
    await page.getByRole("button", { name: "Lähetä linkki" }).click();
    await arrivedAt(page, "/fi/forgot/sent");
    await expect(card.getByRole("status")).toContainText(SENT);
    await open(page, "/fi/forgot");
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(ULLA.email);
    await page.getByRole("button", { name: "Lähetä linkki" }).click();
    await arrivedAt(page, "/fi/forgot/sent");
    await expect(card.getByRole("status")).toContainText(SENT);
    expect(await axeViolations(page), "axe on /fi/forgot/sent").toEqual([]);
  });

  await test.step("the reset mail, a new password, and the notice that it changed", async () => {
    const mail = await waitForMail(ULLA.email, { after: before });
    expect(mail.subject).toBe("Unohtuneen salasanan vaihtaminen – Asiointipalvelu");
    expect(mail.text).toContain("Alla olevalla linkillä pääset vaihtamaan unohtuneen salasanasi Asiointipalvelussa.");
    expect(mail.text).toContain("Linkki on voimassa tunnin");
    const changedAt = Date.now();
    await setPassword(page, linkFrom(mail), NEW_PASSWORD);
    const notice = await waitForMail(ULLA.email, { after: changedAt });
    expect(notice.subject).toBe("Salasanasi on vaihdettu – Asiointipalvelu");
  });

  await test.step("no automatic login; the old password fails and the new one works", async () => {
    await expect(siteHeader(page).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
    await logIn(page, GOOD_PASSWORD);
    await expect(page.getByRole("alert").filter({ hasText: "väärin" })).toHaveText("Käyttäjätunnus tai salasana on väärin.");
    await page.getByLabel("Salasana", { exact: true }).fill(NEW_PASSWORD);
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi");
    await expect(siteHeader(page).getByRole("link", { name: `${ULLA.name} (${ULLA.email})` })).toBeVisible();
  });
});
