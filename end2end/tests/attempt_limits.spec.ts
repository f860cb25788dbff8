// Guessing (issue #5): after five wrong passwords the login card asks the resident to wait,
// in Finnish, at the top of the card, keeping the address, and even the right password waits.

import { expect, test } from "@playwright/test";
import { arrivedAt, GOOD_PASSWORD, linkFrom, main, open, waitForMail } from "./helpers";

const ARVO = { email: "arvo.arvaaja@example.com", name: "Arvo Arvaaja" };
const WAIT = "Liian monta epäonnistunutta yritystä. Yritä uudelleen 1 minuutin kuluttua.";

test("after repeated wrong passwords the card says when to try again", async ({ page }) => {
  const card = main(page);
  const username = page.getByLabel("Käyttäjätunnus", { exact: true });
  const password = page.getByLabel("Salasana", { exact: true });
  const logIn = card.getByRole("button", { name: "Kirjaudu sisään", exact: true });

  await test.step("Arvo sets his password from the mailed link", async () => {
    const before = Date.now();
    await open(page, "/fi/login");
    await username.fill(ARVO.email);
    await card.getByRole("button", { name: "Jatka", exact: true }).click();
    await expect(card.getByRole("status").filter({ hasText: "Sähköpostiisi on lähetetty linkki" })).toBeVisible();
    await open(page, linkFrom(await waitForMail(ARVO.email, { after: before }), "fi"));
    await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Vaihda salasana" }).click();
    await arrivedAt(page, "/fi/set-password/done");
  });

  await test.step("five wrong passwords are refused as wrong", async () => {
    await open(page, "/fi/login");
    const jatka = card.getByRole("button", { name: "Jatka", exact: true });
    if (await jatka.isVisible()) {
      await username.fill(ARVO.email);
      await jatka.click();
    }
    for (let n = 1; n <= 5; n++) {
      await password.fill(`väärä salasana numero ${n}`);
      // One answer at a time, so that each attempt is counted before the next.
      const answered = page.waitForResponse((r) => r.url().includes("/api/login"));
      await logIn.click();
      // The post is answered as without JavaScript: back to the card, which shows the error.
      const answer = await answered;
      expect(answer.status()).toBe(302);
      expect(answer.headers()["location"]).toContain("/fi/login");
      await expect(page.getByRole("alert")).toHaveText("Käyttäjätunnus tai salasana on väärin.");
    }
  });

  await test.step("then even the right password waits, told at the top of the card", async () => {
    await password.fill(GOOD_PASSWORD);
    await logIn.click();
    const alert = card.locator("p.form-error[role=alert]");
    await expect(alert).toHaveText(WAIT);
    await expect(username).toHaveValue(ARVO.email);
    await expect(page).toHaveURL(/\/fi\/login/);
  });
});
