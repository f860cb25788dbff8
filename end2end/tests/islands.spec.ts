// The pages are rendered on the server and the browser hydrates only their islands (the password
// fields); src/page_script.js fetches each next page and swaps it in. This journey holds
// what that must keep: navigation and forms stay in the same document once the app is loaded
// (client-side), the link's token leaves the address bar and stays out of it after a refused
// form, the login's password step takes the focus, and the islands work (show/hide, meter).

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, fieldError, GOOD_PASSWORD, linkFrom, main, open, siteHeader, waitForMail } from "./helpers";

/** Marks the document; `sameDocument` is true while no full page load has replaced it. */
async function markDocument(page: Page) {
  await page.evaluate(() => ((window as unknown as { marked: boolean }).marked = true));
}
async function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { marked?: boolean }).marked === true);
}

test("navigation and forms stay client-side; tokens leave the address bar; the islands work", async ({ page }) => {
  const resident = { name: "Saari Asukas", email: "saari.asukas@example.com" };
  const card = main(page);

  await test.step("a link and a refused form stay in the document", async () => {
    await open(page, "/fi/login");
    await markDocument(page);
    await card.getByRole("link", { name: "Luo uusi käyttäjätunnus" }).first().click();
    await expect(page).toHaveURL(/\/fi\/register$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Luo uusi käyttäjätunnus");
    await expect(page).toHaveTitle(/^Luo uusi käyttäjätunnus/);
    await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(resident.email);
    await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
    await expect(fieldError(page, "full_name")).toHaveText("Syötä nimesi.");
    await expect(page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true })).toHaveValue(resident.email);
    expect(await sameDocument(page), "no full page load").toBe(true);
  });

  const before = Date.now();
  await test.step("a form that goes through moves on, still in the document", async () => {
    await page.getByRole("textbox", { name: "Nimi", exact: true }).fill(resident.name);
    await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
    await expect(page).toHaveURL(/\/fi\/register\/sent$/);
    await expect(card.getByRole("status")).toContainText("Lähetimme antamaasi sähköpostiosoitteeseen linkin.");
    expect(await sameDocument(page)).toBe(true);
    await page.goBack();
    await expect(page).toHaveURL(/\/fi\/register/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Luo uusi käyttäjätunnus");
    expect(await sameDocument(page), "back stays in the document too").toBe(true);
  });

  await test.step("the link's token leaves the address bar, also after a refused form", async () => {
    const link = linkFrom(await waitForMail(resident.email, { after: before }));
    expect(new URL(link).searchParams.get("token")).toBeTruthy();
    await open(page, link);
    await expect(page).toHaveURL(/\/fi\/set-password$/);
    await markDocument(page);
    const password = page.getByRole("textbox", { name: "Uusi salasana", exact: true });
    // The island's toggle shows and hides the password.
    await password.fill("lyhyt");
    await page.locator("#password ~ button.password-toggle").click();
    await expect(password).toHaveAttribute("type", "text");
    await page.locator("#password ~ button.password-toggle").click();
    await expect(password).toHaveAttribute("type", "password");
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill("lyhyt");
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(fieldError(page, "password")).toHaveText("Salasanassa on oltava vähintään 12 merkkiä.");
    await expect(page).toHaveURL((url) => !url.searchParams.has("token"));
    expect(await sameDocument(page)).toBe(true);
    // The island of the page that came back works: the meter scores a strong password.
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await expect(page.locator("#password-strength-text")).not.toBeEmpty();
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(page).toHaveURL(/\/fi\/set-password\/done$/);
    expect(await sameDocument(page)).toBe(true);
  });

  await test.step("the password step takes the focus, and the login stays in the document", async () => {
    await card.getByRole("link", { name: "Siirry kirjautumaan" }).click();
    await expect(page).toHaveURL(/\/fi\/login$/);
    await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(resident.email);
    await card.getByRole("button", { name: "Jatka", exact: true }).click();
    await expect(page.locator("#password")).toBeFocused();
    // No password: the step comes back with the field's error, and the field has the focus.
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await expect(fieldError(page, "password")).toHaveText("Syötä salasana.");
    await expect(page.locator("#password")).toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("#password")).toBeFocused();
    await page.keyboard.type(GOOD_PASSWORD);
    await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi");
    await expect(siteHeader(page).getByRole("link", { name: `${resident.name} (${resident.email})` })).toBeVisible();
    expect(await sameDocument(page)).toBe(true);
  });
});
