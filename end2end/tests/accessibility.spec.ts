// WCAG 2.1 A/AA checks with axe on every page and every step of the login card, and the
// keyboard order and focus ring of the login page.

import { expect, test, type Page } from "@playwright/test";
import {
  arrivedAt,
  GOOD_PASSWORD,
  axeViolations,
  fieldError,
  linkFrom,
  main,
  open,
  siteHeader,
  waitForMail,
} from "./helpers";

const PEKKA = { email: "pekka.saavutettava@example.com", name: "Pekka Saavutettava" };

async function expectAccessible(page: Page, state: string) {
  expect(await axeViolations(page), `axe violations: ${state}`).toEqual([]);
}

async function submitAddress(page: Page, address: string) {
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(address);
  await page.getByRole("button", { name: "Jatka", exact: true }).click();
}

test.describe("axe finds no WCAG 2.1 A/AA violations", () => {
  test("/fi/ (logged out)", async ({ page }) => {
    await open(page, "/fi");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sähköiset palvelut");
    await expectAccessible(page, "/fi");
    await page.locator("details.lang-menu > summary").click();
    await expect(page.getByRole("link", { name: "ENG (English)" })).toBeVisible();
    await expectAccessible(page, "/fi/ with the language menu open");
  });

  test("/fi/login, the address step", async ({ page }) => {
    await open(page, "/fi/login");
    await expect(page.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();
    await expectAccessible(page, "/fi/login address step");
  });

  test("/fi/login, the inline errors and the unknown address", async ({ page }) => {
    await open(page, "/fi/login");
    await submitAddress(page, "pekka@example");
    await expect(fieldError(page, "email")).toBeVisible();
    await expectAccessible(page, "/fi/login malformed address");

    await submitAddress(page, "");
    await expect(fieldError(page, "email")).toHaveText("Syötä sähköpostiosoitteesi.");
    await expectAccessible(page, "/fi/login empty address");

    await submitAddress(page, "kukaan.ei.tunne@example.com");
    await expect(main(page)).toContainText("Järjestelmä ei tunnistanut sähköpostiosoitettasi.");
    await expectAccessible(page, "/fi/login unknown address");
  });

  test("/fi/set-password with an invalid token", async ({ page }) => {
    await open(page, "/fi/set-password?token=tata-linkkia-ei-ole-olemassa");
    await expect(main(page)).toContainText("Linkki ei ole enää voimassa");
    await expectAccessible(page, "/fi/set-password invalid token");
  });

  test("/fi/set-password/done", async ({ page }) => {
    await open(page, "/fi/set-password/done");
    await expect(main(page).getByRole("link", { name: "Siirry kirjautumaan" })).toBeVisible();
    await expectAccessible(page, "/fi/set-password/done");
  });

  test("/en/login", async ({ page }) => {
    await open(page, "/en/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
    await expectAccessible(page, "/en/login");
  });

  // Pekka's account goes through every state once, so all of it is one test.
  test("Pekka's states: link sent, set password, password step, account page", async ({ page }) => {
    const card = main(page);
    const check = async (state: string) => {
      expect.soft(await axeViolations(page), `axe violations: ${state}`).toEqual([]);
    };

    await open(page, "/fi/login");
    const beforeJatka = Date.now();
    await submitAddress(page, PEKKA.email);
    await expect(card).toContainText("Sähköpostiisi on lähetetty linkki");
    await check("/fi/login link sent");

    const link = linkFrom(await waitForMail(PEKKA.email, { after: beforeJatka }), "fi");
    await open(page, link);
    const newPassword = page.getByRole("textbox", { name: "Uusi salasana", exact: true });
    const confirm = page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true });
    await expect(newPassword).toBeVisible();
    await check("/fi/set-password valid token");

    await newPassword.fill("lyhyt");
    await confirm.fill("toinen");
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(fieldError(page, "password")).toBeVisible();
    await check("/fi/set-password with an error");

    await newPassword.fill(GOOD_PASSWORD);
    await confirm.fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await arrivedAt(page, "/fi/set-password/done");
    await check("/fi/set-password/done after setting the password");

    // A fresh card: the address step, then the password step.
    await page.context().clearCookies();
    await open(page, "/fi/login");
    await submitAddress(page, PEKKA.email);
    const password = page.getByLabel("Salasana", { exact: true });
    await expect(password).toBeVisible();
    await check("/fi/login password step");

    await password.fill("väärä salasana tähän");
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "väärin" })).toBeVisible();
    await check("/fi/login wrong password");

    await password.fill(GOOD_PASSWORD);
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi");
    const accountLink = siteHeader(page).getByRole("link", { name: `${PEKKA.name} (${PEKKA.email})` });
    await expect(accountLink).toBeVisible();
    await check("/fi/ logged in");

    await open(page, "/fi/account");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Omat tiedot");
    await expect(card).toContainText(PEKKA.email);
    await check("/fi/account logged in");
  });
});

test("keyboard: on /fi/login Tab goes skip link → header → card, with a visible focus ring", async ({ page }) => {
  await open(page, "/fi/login");
  await expect(page.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();

  const expected = [
    'a.skip-link "Siirry pääsisältöön"',
    'a.brand "Asiointipalvelu"',
    'a "Kirjaudu sisään"',
    'summary "Kieli: FIN ▼"',
    'a "Luo uusi käyttäjätunnus"',
    "input#email",
    'button "Jatka"',
  ];
  const reached: string[] = [];
  for (let step = 0; step < expected.length; step++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return { name: "body", outline: "none" };
      const tag = element.tagName.toLowerCase();
      const label =
        tag === "input"
          ? `input#${element.id}`
          : `${tag}${element.classList.contains("skip-link") ? ".skip-link" : ""}${
              element.classList.contains("brand") ? ".brand" : ""
            } "${(element.textContent ?? "").replace(/\s+/g, " ").trim()}"`;
      return { name: label, outline: getComputedStyle(element).outlineStyle };
    });
    reached.push(focused.name);
    expect.soft(focused.outline, `focus ring (outline-style) on ${focused.name}`).not.toBe("none");
    if (step === 0) {
      await expect.soft(page.locator("a.skip-link"), "the skip link shows when focused").toBeInViewport();
    }
  }
  expect(reached).toEqual(expected);
});
