// The same first login in English, with JavaScript on: the mail and every page in English, and
// a login without "remember me" gets a browser-session cookie.

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

const ERKKI = { email: "erkki.english@example.com", name: "Erkki Example" };
const LINK_SENT =
  "A link for setting your password has been sent to your e-mail. Once you have set your password, you can log in to the service with it.";

const newPassword = (page: Page) => page.getByRole("textbox", { name: "New password", exact: true });
const confirmPassword = (page: Page) => page.getByRole("textbox", { name: "Confirm new password", exact: true });

async function submitAddress(page: Page, address: string) {
  await page.getByLabel("Username", { exact: true }).fill(address);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
}

test("Erkki sets his password and logs in without remember me (English)", async ({ page, context }) => {
  const card = main(page);

  await test.step("the English login page", async () => {
    await open(page, "/en/login");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
    await expect(card.getByRole("link", { name: "Create a new username" })).toBeVisible();
    await expect(siteHeader(page).getByRole("link", { name: "Log in", exact: true })).toBeVisible();
    await expect(page.locator("details.lang-menu > summary")).toContainText("ENG ▼");
  });

  await test.step("the language menu switches the login page to Finnish and back", async () => {
    await switchLanguage(page, "fi");
    await arrivedAt(page, "/fi/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kirjautuminen");
    await expect(page.getByRole("button", { name: "Jatka", exact: true })).toBeVisible();
    await switchLanguage(page, "en");
    await arrivedAt(page, "/en/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
    await expect(page.getByRole("button", { name: "Continue", exact: true })).toBeVisible();
    await expect(page.getByLabel("Username", { exact: true })).toBeVisible();
  });

  await test.step("a malformed address gets the English inline error", async () => {
    await submitAddress(page, "erkki.english@example");
    await expect(fieldError(page, "email")).toHaveText(
      "Check the e-mail address. It looks like firstname.lastname@example.com.",
    );
    await expect(page.getByLabel("Username", { exact: true })).toHaveValue("erkki.english@example");
  });

  const beforeContinue = Date.now();
  await test.step("Continue with Erkki's address → the link is mailed", async () => {
    await submitAddress(page, ERKKI.email);
    await expect(card.getByRole("status").filter({ hasText: LINK_SENT })).toHaveText(LINK_SENT);
    await expect(page.getByLabel("Username", { exact: true })).toHaveValue(ERKKI.email);
    await expect(card.getByRole("button", { name: "Change username" })).toBeVisible();
  });

  let link = "";
  await test.step("the mail is in English and links to the English page", async () => {
    const mail = await waitForMail(ERKKI.email, { after: beforeContinue });
    expect(mail.text).toContain("With the link below you can set your password for the E-services.");
    expect(mail.text).toContain(`Username: ${ERKKI.email}`);
    expect(mail.text).not.toContain("Alla olevalla linkillä");
    link = linkFrom(mail, "en");
  });

  await test.step("the English set-password page", async () => {
    await open(page, link);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    const heading = page.getByRole("heading", { level: 1 });
    await expect(heading.getByRole("link", { name: "Back" })).toHaveAttribute("href", "/en/login");
    await expect(heading).toContainText("Change password");
    await expect(card).toContainText(`Username: ${ERKKI.email}`);

    await newPassword(page).fill("too short");
    await confirmPassword(page).fill("too short");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(fieldError(page, "password")).toHaveText("The password must have at least 12 characters.");

    await newPassword(page).fill(GOOD_PASSWORD);
    await confirmPassword(page).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await arrivedAt(page, "/en/set-password/done");
    await expect(card).toContainText(
      "Your password was changed. You can now log in to the service with the new password.",
    );
  });

  const beforeSecondContinue = Date.now();
  await test.step("Go to log in → Continue → the password step, no new mail", async () => {
    await card.getByRole("link", { name: "Go to log in" }).click();
    await arrivedAt(page, "/en/login");
    await expect(card.getByRole("button", { name: "Continue", exact: true })).toBeVisible();
    await expect(card, "the login card after setting the password").not.toContainText(LINK_SENT);
    await submitAddress(page, ERKKI.email);
    await expect(page.getByLabel("Password", { exact: true })).toBeVisible();
    await expect(page.getByLabel("Remember me on this computer")).not.toBeChecked();
    await expectNoMail(ERKKI.email, { after: beforeSecondContinue, within: 2_000 });
  });

  await test.step("a wrong password, then the right one without remember me", async () => {
    await page.getByLabel("Password", { exact: true }).fill("not the password at all");
    await card.getByRole("button", { name: "Log in", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "incorrect" })).toHaveText(
      "The username or password is incorrect.",
    );

    await page.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
    await card.getByRole("button", { name: "Log in", exact: true }).click();
    await arrivedAt(page, "/en");
    const header = siteHeader(page);
    await expect(header.getByRole("link", { name: `${ERKKI.name} (${ERKKI.email})` })).toHaveAttribute(
      "href",
      "/en/account",
    );
    await expect(header.getByRole("button", { name: "LOG OUT" })).toBeVisible();
    await expect(card).toContainText("You are logged in.");
  });

  await test.step("the session cookie lasts only for the browser session", async () => {
    const session = (await context.cookies()).find((cookie) => cookie.name === "asiointi_session");
    expect(session, "asiointi_session cookie").toBeDefined();
    expect(session!.expires).toBe(-1);
    expect(session!.httpOnly).toBe(true);
  });
});
