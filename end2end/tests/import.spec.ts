// The import of the old system (end2end/run.sh runs `import-legacy --users users.csv --history
// legacy_history.csv`): two old accounts of Tuomo Tuonti share an address, so they became one
// account. Tuomo logs in for the first time and finds the history of both old usernames.

import { expect, test } from "@playwright/test";
import { arrivedAt, GOOD_PASSWORD, linkFrom, main, open, waitForMail } from "./helpers";

const EMAIL = "tuomo.tuonti@example.com";

test("a merged carried-over account logs in for the first time and sees its old history", async ({ page }) => {
  const card = main(page);
  const before = Date.now();
  await open(page, "/fi/login");
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(EMAIL);
  await card.getByRole("button", { name: "Jatka", exact: true }).click();
  await expect(
    card.getByRole("status").filter({ hasText: "Sähköpostiisi on lähetetty linkki" }),
  ).toBeVisible();
  await open(page, linkFrom(await waitForMail(EMAIL, { after: before }), "fi"));
  await page.getByRole("textbox", { name: "Uusi salasana", exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("textbox", { name: "Vahvista uusi salasana", exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("button", { name: "Vaihda salasana" }).click();
  await arrivedAt(page, "/fi/set-password/done");

  await open(page, "/fi/history");
  await arrivedAt(page, "/fi/login?next=/fi/history");
  await page.getByLabel("Käyttäjätunnus", { exact: true }).fill(EMAIL);
  await card.getByRole("button", { name: "Jatka", exact: true }).click();
  await page.getByLabel("Salasana", { exact: true }).fill(GOOD_PASSWORD);
  await card.getByRole("button", { name: "Kirjaudu sisään", exact: true }).click();
  await arrivedAt(page, "/fi/history");

  const table = page.getByRole("table");
  await expect(table.locator("tbody tr")).toHaveCount(2);
  // Newest first: the library loan of one old username, then the building permit of the other.
  await expect(table.locator("tbody tr").nth(0)).toContainText("KI-2017-0888");
  await expect(table.locator("tbody tr").nth(0)).toContainText("Lainat – 3 kpl, myöhästymismaksu 2 €");
  await expect(table.locator("tbody tr").nth(1)).toContainText("RL-2016-0777");
  await expect(table.locator("tbody tr").nth(1)).toContainText("Saunan rakentaminen");
});
