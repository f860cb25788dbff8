// "Luo uusi käyttäjätunnus": a new resident registers, verifies the address by setting a password
// through the mailed link, and logs in — in Finnish, Swedish and English.

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, axeViolations, fieldError, GOOD_PASSWORD, linkFrom, main, open, siteHeader, waitForMail } from "./helpers";

type Lang = "fi" | "sv" | "en";

const TEXTS: Record<Lang, Record<string, string>> = {
  fi: {
    create: "Luo uusi käyttäjätunnus",
    name: "Nimi",
    username: "Käyttäjätunnus",
    submit: "Luo käyttäjätunnus",
    nameMissing: "Syötä nimesi.",
    sent: "Lähetimme antamaasi sähköpostiosoitteeseen linkin.",
    mail: "Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.",
    newPassword: "Uusi salasana",
    confirm: "Vahvista uusi salasana",
    change: "Vaihda salasana",
    goToLogin: "Siirry kirjautumaan",
    continue: "Jatka",
    password: "Salasana",
    login: "Kirjaudu sisään",
    logout: "KIRJAUDU ULOS",
  },
  sv: {
    create: "Skapa ett nytt användarnamn",
    name: "Namn",
    username: "Användarnamn",
    submit: "Skapa användarnamn",
    nameMissing: "Skriv ditt namn.",
    sent: "Vi skickade en länk till e-postadressen du angav.",
    mail: "Med länken nedan kan du ställa in ditt lösenord för e-tjänsterna.",
    newPassword: "Nytt lösenord",
    confirm: "Bekräfta det nya lösenordet",
    change: "Byt lösenord",
    goToLogin: "Gå till inloggningen",
    continue: "Fortsätt",
    password: "Lösenord",
    login: "Logga in",
    logout: "LOGGA UT",
  },
  en: {
    create: "Create a new username",
    name: "Name",
    username: "Username",
    submit: "Create username",
    nameMissing: "Enter your name.",
    sent: "We sent a link to the e-mail address you gave.",
    mail: "With the link below you can set your password for the E-services.",
    newPassword: "New password",
    confirm: "Confirm new password",
    change: "Change password",
    goToLogin: "Go to log in",
    continue: "Continue",
    password: "Password",
    login: "Log in",
    logout: "LOG OUT",
  },
};

async function expectAccessible(page: Page, state: string) {
  expect(await axeViolations(page), `axe violations: ${state}`).toEqual([]);
}

for (const lang of ["fi", "sv", "en"] as const) {
  const t = TEXTS[lang];
  const resident = { name: `Uusi Asukas ${lang.toUpperCase()}`, email: `uusi.asukas.${lang}@example.com` };

  test(`a new resident registers and logs in (${lang})`, async ({ page }) => {
    const card = main(page);

    await test.step("the login card's link opens the registration page", async () => {
      await open(page, `/${lang}/login`);
      await card.getByRole("link", { name: t.create }).first().click();
      await arrivedAt(page, `/${lang}/register`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(t.create);
      await expectAccessible(page, `/${lang}/register`);
    });

    await test.step("a missing name gets an inline error, the address is kept", async () => {
      await page.getByRole("textbox", { name: t.username, exact: true }).fill(resident.email);
      await page.getByRole("button", { name: t.submit }).click();
      await expect(fieldError(page, "full_name")).toHaveText(t.nameMissing);
      await expect(page.getByRole("textbox", { name: t.username, exact: true })).toHaveValue(resident.email);
      await expectAccessible(page, `/${lang}/register with an error`);
    });

    const before = Date.now();
    await test.step("name and address → the same answer as always, and a mail", async () => {
      await page.getByRole("textbox", { name: t.name, exact: true }).fill(resident.name);
      await page.getByRole("button", { name: t.submit }).click();
      await arrivedAt(page, `/${lang}/register/sent`);
      await expect(card.getByRole("status")).toContainText(t.sent);
      await expectAccessible(page, `/${lang}/register/sent`);
    });

    await test.step("the mailed link sets the password", async () => {
      const mail = await waitForMail(resident.email, { after: before });
      expect(mail.text).toContain(t.mail);
      await open(page, linkFrom(mail, lang));
      await page.getByRole("textbox", { name: t.newPassword, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("textbox", { name: t.confirm, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("button", { name: t.change }).click();
      await arrivedAt(page, `/${lang}/set-password/done`);
    });

    await test.step("log in with the new username", async () => {
      await card.getByRole("link", { name: t.goToLogin }).click();
      await arrivedAt(page, `/${lang}/login`);
      await page.getByRole("textbox", { name: t.username, exact: true }).fill(resident.email);
      await card.getByRole("button", { name: t.continue, exact: true }).click();
      await page.getByRole("textbox", { name: t.password, exact: true }).fill(GOOD_PASSWORD);
      await card.getByRole("button", { name: t.login, exact: true }).click();
      await arrivedAt(page, `/${lang}`);
      const header = siteHeader(page);
      await expect(header.getByRole("link", { name: `${resident.name} (${resident.email})` })).toBeVisible();
      await expect(header.getByRole("button", { name: t.logout })).toBeVisible();
    });
  });
}
