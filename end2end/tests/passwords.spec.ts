// Passwords (#5): the strength meter follows what is typed, the show/hide toggle works by mouse
// and keyboard, a common password is refused inline in Finnish with nothing lost, the page with
// the meter passes axe, and without JavaScript neither the toggle nor the meter is shown.

import { expect, test, type Page } from "@playwright/test";
import { arrivedAt, axeViolations, fieldError, GOOD_PASSWORD, linkFrom, main, open, waitForMail } from "./helpers";

const PAULA = { email: "paula.vahvanen@example.com", name: "Paula Vahvanen" };

async function register(page: Page): Promise<string> {
  const before = Date.now();
  await open(page, "/fi/register");
  await page.getByRole("textbox", { name: "Nimi", exact: true }).fill(PAULA.name);
  await page.getByRole("textbox", { name: "Käyttäjätunnus", exact: true }).fill(PAULA.email);
  await page.getByRole("button", { name: "Luo käyttäjätunnus" }).click();
  await expect(main(page).getByRole("status")).toContainText("Lähetimme antamaasi sähköpostiosoitteeseen linkin.");
  return linkFrom(await waitForMail(PAULA.email, { after: before }));
}

test("strength meter, show/hide toggle and a refused common password (Finnish)", async ({ page, browser }) => {
  const link = await register(page);
  const newPassword = page.locator("input#password");
  const confirm = page.locator("input#confirm");
  const strength = page.locator("#password-strength-text");
  const meter = page.locator("meter#password-strength");
  const toggle = page.locator('button.password-toggle[aria-controls="password"]');

  await test.step("without JavaScript: a plain password field, no toggle, no meter", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(link);
    await expect(plain.locator("input#password")).toHaveAttribute("type", "password");
    await expect(plain.locator("input#password")).toHaveAttribute("autocomplete", "new-password");
    await expect(plain.locator("button.password-toggle").first()).toBeHidden();
    await expect(plain.locator("meter")).toHaveCount(0);
    await context.close();
  });

  await open(page, link);
  await expect(newPassword).toHaveAttribute("autocomplete", "new-password");
  await expect(confirm).toHaveAttribute("autocomplete", "new-password");
  await expect(strength).toHaveAttribute("aria-live", "polite");
  await expect(meter).toHaveCount(0);

  await test.step("the meter updates as the resident types", async () => {
    await newPassword.pressSequentially("kissa", { delay: 30 });
    await expect(strength).toHaveText("Salasanan vahvuus: heikko");
    await expect(meter).toHaveAttribute("value", /^[01]$/);
    // Contains the name: the server would refuse it, so the meter says weak.
    await newPassword.fill("vahvanen paistaa pullaa");
    await expect(strength).toHaveText("Salasanan vahvuus: heikko");
    await newPassword.fill(GOOD_PASSWORD);
    await expect(strength).toHaveText("Salasanan vahvuus: vahva");
    await expect(meter).toHaveAttribute("value", "4");
    expect(await axeViolations(page), "axe with the meter shown").toEqual([]);
  });

  await test.step("the toggle shows and hides the password, by mouse and by keyboard", async () => {
    await expect(toggle).toBeVisible();
    await expect(toggle).toHaveText("Näytä salasana");
    // Its words say what it will do; no aria-pressed on top of a label that changes.
    await expect(toggle).not.toHaveAttribute("aria-pressed");
    await toggle.click();
    await expect(newPassword).toHaveAttribute("type", "text");
    await expect(toggle).toHaveText("Piilota salasana");
    await expect(newPassword).toHaveValue(GOOD_PASSWORD);
    await toggle.click();
    await expect(newPassword).toHaveAttribute("type", "password");
    await newPassword.focus();
    await page.keyboard.press("Tab");
    await expect(toggle).toBeFocused();
    expect(await toggle.evaluate((b) => getComputedStyle(b).outlineStyle)).not.toBe("none");
    await page.keyboard.press("Space");
    await expect(newPassword).toHaveAttribute("type", "text");
    await page.keyboard.press("Enter");
    await expect(newPassword).toHaveAttribute("type", "password");
  });

  await test.step("a common password is refused inline, and nothing typed is lost", async () => {
    await newPassword.fill("LeaveMeAlone");
    await confirm.fill("LeaveMeAlone");
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await expect(fieldError(page, "password")).toHaveText(
      "Tämä salasana on yleisimpien salasanojen listalla, joten se arvataan helposti. Valitse toinen.",
    );
    await expect(newPassword).toHaveAttribute("aria-invalid", "true");
    await expect(newPassword).toHaveValue("LeaveMeAlone");
    await expect(confirm).toHaveValue("LeaveMeAlone");
    expect(await axeViolations(page), "axe with the error and the meter").toEqual([]);
  });

  await test.step("a good password goes through", async () => {
    await newPassword.fill(GOOD_PASSWORD);
    await confirm.fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await arrivedAt(page, "/fi/set-password/done");
  });

  await test.step("settings: the meter knows the logged-in resident, the login has a toggle", async () => {
    await open(page, "/fi/login");
    await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(PAULA.email);
    await page.getByRole("button", { name: "Jatka", exact: true }).click();
    const password = page.getByLabel("Salasana", { exact: true });
    await expect(password).toHaveAttribute("autocomplete", "current-password");
    await expect(page.locator('button.password-toggle[aria-controls="password"]')).toBeVisible();
    await password.fill(GOOD_PASSWORD);
    await main(page).getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
    await arrivedAt(page, "/fi");
    await open(page, "/fi/account");
    await expect(page.locator("input#current")).toHaveAttribute("autocomplete", "current-password");
    await expect(page.locator('button.password-toggle[aria-controls="current"]')).toBeVisible();
    await newPassword.fill("Paula kävelee metsässä illalla");
    await expect(strength).toHaveText("Salasanan vahvuus: heikko");
    await newPassword.fill("kuusi vihreää hevosta laulaa");
    await expect(strength).toHaveText(/^Salasanan vahvuus: (hyvä|vahva)$/);
    expect(await axeViolations(page), "axe on /fi/account with the meter").toEqual([]);
  });
});
