// Asiointihistoria in Finnish, Swedish and English, with JavaScript on: the page sends a
// logged-out resident to the login card and back, then shows their transactions (loaded by
// end2end/run.sh from fixtures/history.sql) newest first, ten to a page, with working paging
// and no axe findings. Then the same in Finnish with JavaScript off. One account per journey,
// since the journeys run in parallel.

import { expect, test, type Page } from "@playwright/test";
import {
  arrivedAt,
  axeViolations,
  BASE_URL,
  GOOD_PASSWORD,
  linkFrom,
  main,
  open,
  siteHeader,
  waitForMail,
} from "./helpers";

type Lang = "fi" | "sv" | "en";

interface Journey {
  lang: Lang;
  language: string;
  account: { email: string; name: string };
  // The login card and the set-password page.
  username: string;
  continueButton: string;
  password: string;
  logIn: string;
  loginTitle: string;
  linkSent: string;
  newPassword: string;
  confirmPassword: string;
  changePassword: string;
  // The history page.
  title: string;
  caption: string;
  headers: string[];
  pages: string;
  previous: string;
  next: string;
  pageOf: (page: number, pages: number) => string;
  /** How the page writes 2018-11-20 (the newest), 2018-03-05 and 2016-06-21. */
  dates: [string, string, string];
}

const JOURNEYS: Journey[] = [
  {
    lang: "fi",
    language: "Finnish",
    account: { email: "hilkka.historia@example.com", name: "Hilkka Historia" },
    username: "Käyttäjätunnus",
    continueButton: "Jatka",
    password: "Salasana",
    logIn: "Kirjaudu sisään",
    loginTitle: "Kirjautuminen",
    linkSent: "Sähköpostiisi on lähetetty linkki, jonka avulla voit asettaa salasanan.",
    newPassword: "Uusi salasana",
    confirmPassword: "Vahvista uusi salasana",
    changePassword: "Vaihda salasana",
    title: "Asiointihistoria",
    caption: "Asiointisi uusimmasta vanhimpaan",
    headers: ["Päivämäärä", "Palvelu", "Viite", "Tila", "Kuvaus"],
    pages: "Asiointihistorian sivut",
    previous: "Edellinen",
    next: "Seuraava",
    pageOf: (page, pages) => `Sivu ${page} / ${pages}`,
    dates: ["20.11.2018", "5.3.2018", "21.6.2016"],
  },
  {
    lang: "sv",
    language: "Swedish",
    account: { email: "stina.historik@example.com", name: "Stina Historik" },
    username: "Användarnamn",
    continueButton: "Fortsätt",
    password: "Lösenord",
    logIn: "Logga in",
    loginTitle: "Inloggning",
    linkSent: "En länk för att ställa in ditt lösenord har skickats till din e-post.",
    newPassword: "Nytt lösenord",
    confirmPassword: "Bekräfta det nya lösenordet",
    changePassword: "Byt lösenord",
    title: "Ärendehistorik",
    caption: "Dina ärenden från det nyaste till det äldsta",
    headers: ["Datum", "Tjänst", "Referens", "Status", "Beskrivning"],
    pages: "Ärendehistorikens sidor",
    previous: "Föregående",
    next: "Nästa",
    pageOf: (page, pages) => `Sida ${page} / ${pages}`,
    dates: ["2018-11-20", "2018-03-05", "2016-06-21"],
  },
  {
    lang: "en",
    language: "English",
    account: { email: "harry.history@example.com", name: "Harry History" },
    username: "Username",
    continueButton: "Continue",
    password: "Password",
    logIn: "Log in",
    loginTitle: "Log in",
    linkSent: "A link for setting your password has been sent to your e-mail.",
    newPassword: "New password",
    confirmPassword: "Confirm new password",
    changePassword: "Change password",
    title: "Transaction history",
    caption: "Your transactions from the newest to the oldest",
    headers: ["Date", "Service", "Reference", "Status", "Description"],
    pages: "Transaction history pages",
    previous: "Previous",
    next: "Next",
    pageOf: (page, pages) => `Page ${page} of ${pages}`,
    dates: ["20 Nov 2018", "5 Mar 2018", "21 Jun 2016"],
  },
];

/** The fixture's references, newest first: ten on page 1, two on page 2. */
const NEWEST_FIRST = [
  "RL-2018-0311",
  "TV-2018-1187",
  "PL-2018-0456",
  "MA-2018-0007",
  "TV-2018-0093",
  "RL-2017-0042",
  "KL-2017-0219",
  "TV-2017-0512",
  "TL-2017-0025",
  "MA-2016-0014",
  "TV-2016-0688",
  "RL-2016-0101",
];

async function expectAccessible(page: Page, state: string) {
  expect(await axeViolations(page), `axe violations: ${state}`).toEqual([]);
}

/** The texts of each body row's cells. */
async function rows(page: Page, caption: string): Promise<string[][]> {
  const table = page.getByRole("table", { name: caption });
  return table.locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => (td.textContent ?? "").trim())),
  );
}

for (const j of JOURNEYS) {
  test(`the transaction history after logging in (${j.language})`, async ({ page }) => {
    const card = main(page);
    // A panic or a hydration mismatch in the WASM shows up on the console.
    const consoleProblems: string[] = [];
    page.on("console", (message) => {
      if (/panicked|hydrat/i.test(message.text())) consoleProblems.push(message.text());
    });
    const submitAddress = async () => {
      await page.getByLabel(j.username, { exact: true }).fill(j.account.email);
      await card.getByRole("button", { name: j.continueButton, exact: true }).click();
    };

    await test.step("the carried-over account sets its password from the mailed link", async () => {
      const before = Date.now();
      await open(page, `/${j.lang}/login`);
      await submitAddress();
      await expect(card.getByRole("status").filter({ hasText: j.linkSent })).toBeVisible();
      await open(page, linkFrom(await waitForMail(j.account.email, { after: before }), j.lang));
      await page.getByRole("textbox", { name: j.newPassword, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("textbox", { name: j.confirmPassword, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("button", { name: j.changePassword }).click();
      await arrivedAt(page, `/${j.lang}/set-password/done`);
    });

    await test.step("logged out, the history sends to the login card, which leads back", async () => {
      await open(page, `/${j.lang}/history`);
      await arrivedAt(page, `/${j.lang}/login?next=/${j.lang}/history`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(j.loginTitle);
      await expect(page.getByRole("table")).toHaveCount(0);
      await submitAddress();
      await page.getByLabel(j.password, { exact: true }).fill(GOOD_PASSWORD);
      await card.getByRole("button", { name: j.logIn, exact: true }).click();
      await arrivedAt(page, `/${j.lang}/history`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(j.title);
      await expect(page).toHaveTitle(new RegExp(`^${j.title} – `));
      const header = siteHeader(page);
      await expect(header.getByRole("link", { name: `${j.account.name} (${j.account.email})` })).toBeVisible();
      const historyLink = header.getByRole("link", { name: j.title, exact: true });
      await expect(historyLink).toHaveAttribute("href", `/${j.lang}/history`);
      await expect(historyLink).toHaveAttribute("aria-current", "page");
    });

    await test.step("page 1: a table of the ten newest, newest first", async () => {
      const table = page.getByRole("table", { name: j.caption });
      await expect(table).toBeVisible();
      await expect(table.getByRole("columnheader")).toHaveText(j.headers);
      await expect(table.locator("thead th[scope=col]")).toHaveCount(5);
      await expect(table.locator("tbody tr")).toHaveCount(10);
      const shown = await rows(page, j.caption);
      expect(shown.map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(0, 10));
      expect(shown[0]).toEqual([j.dates[0], "Rakennuslupa", "RL-2018-0311", "Vireillä", "Autotallin rakentaminen"]);
      expect(shown[3][0]).toBe(j.dates[1]);
      await expect(table.locator("tbody tr").first().locator("time")).toHaveAttribute("datetime", "2018-11-20");

      const paging = page.getByRole("navigation", { name: j.pages });
      await expect(paging).toContainText(j.pageOf(1, 2));
      await expect(paging.getByRole("link", { name: j.previous })).toHaveCount(0);
      await expect(paging.getByRole("link", { name: j.next })).toHaveAttribute("href", `/${j.lang}/history?page=2`);
      await expectAccessible(page, `/${j.lang}/history page 1`);
    });

    await test.step("the next page has the two oldest", async () => {
      const paging = page.getByRole("navigation", { name: j.pages });
      await paging.getByRole("link", { name: j.next }).click();
      await arrivedAt(page, `/${j.lang}/history?page=2`);
      await expect(paging).toContainText(j.pageOf(2, 2));
      const table = page.getByRole("table", { name: j.caption });
      await expect(table.locator("tbody tr")).toHaveCount(2);
      const shown = await rows(page, j.caption);
      expect(shown.map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(10));
      expect(shown[0][0]).toBe(j.dates[2]);
      await expect(paging.getByRole("link", { name: j.next })).toHaveCount(0);
      await expect(paging.getByRole("link", { name: j.previous })).toHaveAttribute(
        "href",
        `/${j.lang}/history?page=1`,
      );
      await expectAccessible(page, `/${j.lang}/history page 2`);
    });

    await test.step("a reload of page 2 is the same page, and Previous goes back", async () => {
      await open(page, `/${j.lang}/history?page=2`);
      const paging = page.getByRole("navigation", { name: j.pages });
      await expect(paging).toContainText(j.pageOf(2, 2));
      expect((await rows(page, j.caption)).map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(10));
      await paging.getByRole("link", { name: j.previous }).click();
      await arrivedAt(page, `/${j.lang}/history?page=1`);
      await expect(paging).toContainText(j.pageOf(1, 2));
      await expect(page.getByRole("table", { name: j.caption }).locator("tbody tr")).toHaveCount(10);
    });

    expect(consoleProblems, "no panics or hydration problems in the browser").toEqual([]);
  });
}

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  const NOORA = { email: "noora.ilman.skriptia@example.com", name: "Noora Historia" };
  const fi = JOURNEYS[0];

  test("the history and its paging are plain pages and links (Finnish)", async ({ page }) => {
    const card = main(page);
    const submitAddress = async () => {
      await page.getByLabel(fi.username, { exact: true }).fill(NOORA.email);
      await card.getByRole("button", { name: fi.continueButton, exact: true }).click();
      await page.waitForLoadState();
    };

    await test.step("the password from the mailed link", async () => {
      const before = Date.now();
      await page.goto("/fi/login");
      await submitAddress();
      await expect(card).toContainText(fi.linkSent);
      await page.goto(linkFrom(await waitForMail(NOORA.email, { after: before }), "fi"));
      await page.getByRole("textbox", { name: fi.newPassword, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("textbox", { name: fi.confirmPassword, exact: true }).fill(GOOD_PASSWORD);
      await page.getByRole("button", { name: fi.changePassword }).click();
      await expect(page).toHaveURL(`${BASE_URL}/fi/set-password/done`);
    });

    await test.step("the login card with next, and back to the history", async () => {
      await page.goto("/fi/history");
      await expect(page).toHaveURL(`${BASE_URL}/fi/login?next=/fi/history`);
      await submitAddress();
      await page.getByLabel(fi.password, { exact: true }).fill(GOOD_PASSWORD);
      await card.getByRole("button", { name: fi.logIn, exact: true }).click();
      await expect(page).toHaveURL(`${BASE_URL}/fi/history`);
      await expect(page.locator("body")).not.toHaveAttribute("data-hydrated");
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(fi.title);
      await expect(siteHeader(page).getByRole("link", { name: `${NOORA.name} (${NOORA.email})` })).toBeVisible();
    });

    await test.step("Seuraava and Edellinen are links the server answers", async () => {
      const paging = page.getByRole("navigation", { name: fi.pages });
      expect((await rows(page, fi.caption)).map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(0, 10));
      await paging.getByRole("link", { name: fi.next }).click();
      await expect(page).toHaveURL(`${BASE_URL}/fi/history?page=2`);
      await expect(paging).toContainText(fi.pageOf(2, 2));
      expect((await rows(page, fi.caption)).map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(10));
      await paging.getByRole("link", { name: fi.previous }).click();
      await expect(page).toHaveURL(`${BASE_URL}/fi/history?page=1`);
      await expect(paging).toContainText(fi.pageOf(1, 2));
      expect((await rows(page, fi.caption)).map((cells) => cells[2])).toEqual(NEWEST_FIRST.slice(0, 10));
    });
  });
});
