// The Content-Security-Policy holds while the app hydrates and works (no violation on any page),
// and the set-password page opened from a mailed link drops the token from the address bar once
// loaded, sends no Referer, and still sets the password — with JavaScript on and off.

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, BASE_URL, GOOD_PASSWORD, hydrated, linkFrom, open, waitForMail } from "./helpers";

/** Records CSP violations and errors of the page; read them with `problems()`. */
async function watch(page: Page): Promise<() => Promise<string[]>> {
  const seen: string[] = [];
  // Chromium reports a blocked script, style or connection on the console ("Refused to …
  // because it violates the following Content Security Policy directive"). A refused form's
  // 400 or a missing favicon is logged there too and is not what this test is about.
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && /Content Security Policy|Refused to/.test(text)) seen.push(`console: ${text}`);
  });
  page.on("pageerror", (error) => seen.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const list = ((window as any).__cspViolations ??= []);
      list.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  return async () => {
    const violations: string[] = await page.evaluate(() => (window as any).__cspViolations ?? []).catch(() => []);
    return [...seen, ...violations.map((v) => `CSP: ${v}`)];
  };
}

/** Registers `email` on the Finnish page and returns the set-password link mailed to it. */
async function registered(page: Page, email: string, name: string): Promise<string> {
  const before = Date.now();
  await open(page, "/fi/register");
  await page.getByRole("textbox", { name: "Nimi", exact: true }).fill(name);
  await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(email);
  await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
  await arrivedAt(page, "/fi/register/sent");
  return linkFrom(await waitForMail(email, { after: before }));
}

test("no page breaks the Content-Security-Policy while it hydrates and works", async ({ page }) => {
  const problems = await watch(page);
  for (const path of ["/fi", "/fi/login", "/sv/login", "/en/forgot", "/fi/register", "/fi/set-password?token=nothing-valid", "/fi/confirm-email?token=nothing-valid", "/fi/no-such-page"]) {
    const response = await page.goto(path);
    const policy = response?.headers()["content-security-policy"] ?? "";
    expect(policy, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
    expect(policy, path).not.toContain("unsafe-inline");
    await hydrated(page);
  }
  // Working, not just loading: the login card's "Jatka" runs a server function and re-renders.
  await open(page, "/fi/login");
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill("ei.tunnusta@example.com");
  await page.getByRole("button", { name: "Jatka", exact: true }).click();
  await expect(page.locator("main#main")).toContainText("Järjestelmä ei tunnistanut sähköpostiosoitettasi.");
  expect(await problems()).toEqual([]);
});

test("the set-password page forgets its token in the address bar and still works", async ({ page }) => {
  const problems = await watch(page);
  const email = "otsake.tarkastaja@example.com";
  const link = await registered(page, email, "Otto Otsake");
  const response = await page.goto(link);
  expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
  await hydrated(page);
  await expect(page).toHaveURL(`${BASE_URL}/fi/set-password`);
  await expect(page.locator("main#main")).toContainText(email);
  // A refused try keeps the page and its form working without the token in the address.
  await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(`${GOOD_PASSWORD}!`);
  await page.getByRole("button", { name: "Vaihda salasana" }).click();
  await expect(page.locator("#confirm-error")).toContainText("Salasanat eivät täsmää.");
  await expect(page).toHaveURL(`${BASE_URL}/fi/set-password`);
  await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("button", { name: "Vaihda salasana" }).click();
  await arrivedAt(page, "/fi/set-password/done");
  expect(await problems()).toEqual([]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a refused set-password form comes back with its error although no Referer is sent", async ({ page }) => {
    const email = "otsake.ilman.skriptia@example.com";
    const link = await (async () => {
      const before = Date.now();
      await page.goto("/fi/register");
      await page.getByRole("textbox", { name: "Nimi", exact: true }).fill("Olga Otsake");
      await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(email);
      await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
      await expect(page).toHaveURL(`${BASE_URL}/fi/register/sent`);
      return linkFrom(await waitForMail(email, { after: before }));
    })();
    await page.goto(link);
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill("jotain aivan muuta");
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page.locator("#confirm-error")).toContainText("Salasanat eivät täsmää.");
    expect(page.url()).toContain("/fi/set-password?token=");
    await expect(page.locator("main#main")).toContainText(email);
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page).toHaveURL(`${BASE_URL}/fi/set-password/done`);
  });
});
