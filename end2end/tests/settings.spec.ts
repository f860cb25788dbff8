// "Omat tiedot": a logged-in resident changes the name, the language of mail, the password and
// the e-mail address, and manages the login sessions (Finnish, JavaScript on).

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, axeViolations, GOOD_PASSWORD, linkFrom, main, open, siteHeader, waitForMail } from "./helpers";

const SANNA = { email: "sanna.asetukset@example.com", name: "Sanna Asetus" };
const NEW_NAME = "Sanna Uusinimi";
const NEW_PASSWORD = "marraskuun pimeät illat";
const NEW_EMAIL = "sanna.uusi.osoite@example.com";

async function logIn(page: Page, email: string, password: string) {
  await open(page, "/fi/login");
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Jatka", exact: true }).click();
  await page.getByLabel("Salasana", { exact: true }).fill(password);
  await main(page).getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
  await arrivedAt(page, "/fi");
}

test("a resident manages the account settings (Finnish)", async ({ page, browser }) => {
  const card = main(page);

  await test.step("first login: the password from the mailed link", async () => {
    const before = Date.now();
    await open(page, "/fi/login");
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(SANNA.email);
    await page.getByRole("button", { name: "Jatka", exact: true }).click();
    await open(page, linkFrom(await waitForMail(SANNA.email, { after: before })));
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await arrivedAt(page, "/fi/set-password/done");
    await logIn(page, SANNA.email, GOOD_PASSWORD);
  });

  await test.step("the name in the header opens the settings", async () => {
    await siteHeader(page).getByRole("link", { name: `${SANNA.name} (${SANNA.email})` }).click();
    await arrivedAt(page, "/fi/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Omat tiedot");
    await expect(card.getByText("Tämä laite")).toBeVisible();
    expect(await axeViolations(page), "axe on /fi/account").toEqual([]);
  });

  await test.step("change the name: the header follows", async () => {
    await page.getByLabel("Nimi", { exact: true }).fill(NEW_NAME);
    await page.getByRole("button", { name: "Tallenna nimi" }).click();
    await expect(card.getByRole("status")).toHaveText("Nimi on tallennettu.");
    await expect(siteHeader(page).getByRole("link", { name: `${NEW_NAME} (${SANNA.email})` })).toBeVisible();
  });

  await test.step("choose Swedish for mail", async () => {
    await page.getByLabel("svenska").check();
    await page.getByRole("button", { name: "Tallenna kieli" }).click();
    await expect(card.getByRole("status")).toHaveText("Kieli on tallennettu.");
    await expect(page.getByLabel("svenska")).toBeChecked();
  });

  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await test.step("a second device logs in, then a password change signs it out", async () => {
    await logIn(other, SANNA.email, GOOD_PASSWORD);
    const changedAt = Date.now();
    await page.getByLabel("Nykyinen salasana", { exact: true }).first().fill("väärä salasana");
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(NEW_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page.locator("#current-error")).toHaveText("Nykyinen salasana on väärin.");
    await page.getByLabel("Nykyinen salasana", { exact: true }).first().fill(GOOD_PASSWORD);
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(NEW_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(card.getByRole("status")).toContainText("Salasana on vaihdettu");
    const notice = await waitForMail(SANNA.email, { after: changedAt });
    expect(notice.subject, "in the chosen language").toBe("Ditt lösenord har bytts – E-tjänster");
    await other.reload();
    await expect(siteHeader(other).getByRole("link", { name: "Kirjaudu sisään", exact: true })).toBeVisible();
  });
  await otherContext.close();

  await test.step("change the address: the link goes to the new one, the old stays until confirmed", async () => {
    const requestedAt = Date.now();
    await page.getByLabel("Uusi sähköpostiosoite").fill(NEW_EMAIL);
    await page.locator("#email-current").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Lähetä vahvistuslinkki" }).click();
    await expect(card.getByRole("status")).toContainText("Vahvistuslinkki on lähetetty uuteen osoitteeseen.");
    const mail = await waitForMail(NEW_EMAIL, { after: requestedAt });
    const link = mail.text.match(/https?:\/\/\S+\/confirm-email\?token=[A-Za-z0-9_-]{43}/)?.[0];
    expect(link, mail.text).toBeTruthy();
    await open(page, link!);
    await expect(card).toContainText(NEW_EMAIL);
    await page.getByRole("button", { name: /Bekräfta adressen|Vahvista osoite/ }).click();
    await expect(card.getByRole("status")).toBeVisible();
  });

  await test.step("the new address is the username now", async () => {
    await open(page, "/fi/account");
    await expect(siteHeader(page).getByRole("link", { name: `${NEW_NAME} (${NEW_EMAIL})` })).toBeVisible();
  });
});
