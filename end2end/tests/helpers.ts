// Shared helpers for the end-to-end journeys: the mails the SMTP sink wrote, the hydration
// marker, the header, the language menu and axe.
//
// end2end/run.sh sets MAIL_DIR (one JSON file per received mail: {from, to, subject, text, html},
// named "<time_ns>-<n>.json" and written atomically) and BASE_URL.

import { expect, type ConsoleMessage, type Locator, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import fs from "node:fs";
import path from "node:path";

export const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:3107").replace(/\/$/, "");
const MAIL_DIR = process.env.MAIL_DIR;

/** A strong password that passes the 12-character minimum. */
export const GOOD_PASSWORD = "Kesä on pitkä ja valoisa 2026";

// ---------------------------------------------------------------- mail

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The file the sink wrote. */
  file: string;
  /** When the sink received it, in ms since the epoch (from the file name). */
  receivedAt: number;
}

function mailDir(): string {
  if (!MAIL_DIR) throw new Error("MAIL_DIR is not set: run the tests through end2end/run.sh");
  return MAIL_DIR;
}

/** Every mail received so far for `address` (and only for it), oldest first. */
export function mailsFor(address: string): Mail[] {
  const dir = mailDir();
  if (!fs.existsSync(dir)) return [];
  const wanted = address.toLowerCase();
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const record = JSON.parse(fs.readFileSync(path.join(dir, name), "utf-8"));
      const to: string[] = Array.isArray(record.to) ? record.to : [String(record.to)];
      const receivedAt = Number(BigInt(name.split("-")[0]) / 1_000_000n);
      return { ...record, to, file: name, receivedAt } as Mail;
    })
    .filter((mail) => mail.to.some((recipient) => recipient.toLowerCase().includes(wanted)));
}

/**
 * Waits (up to `timeout` ms, default 15 s) for a mail to `address` received after `after`
 * (ms since the epoch, default: any time) and returns the newest such mail.
 */
export async function waitForMail(
  address: string,
  { after = 0, timeout = 15_000 }: { after?: number; timeout?: number } = {},
): Promise<Mail> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const mails = mailsFor(address).filter((mail) => mail.receivedAt >= after);
    if (mails.length > 0) return mails[mails.length - 1];
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${address} within ${timeout} ms (after ${new Date(after).toISOString()})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Asserts that no mail to `address` arrives after `after` during the next `within` ms. */
export async function expectNoMail(address: string, { after, within = 2_000 }: { after: number; within?: number }) {
  await new Promise((resolve) => setTimeout(resolve, within));
  const late = mailsFor(address).filter((mail) => mail.receivedAt >= after);
  expect(late.map((mail) => mail.subject), `no new mail to ${address} expected`).toEqual([]);
}

/** The set-password link of a mail: `${BASE_URL}/<lang>/set-password?token=<43 chars>`. */
export function linkFrom(mail: Mail, lang: "fi" | "sv" | "en" = "fi"): string {
  const escaped = BASE_URL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`${escaped}/${lang}/set-password\\?token=[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`, "g");
  const links = mail.text.match(pattern) ?? [];
  expect(links, `one set-password link to ${BASE_URL}/${lang}/ in the mail text:\n${mail.text}`).toHaveLength(1);
  expect(mail.html, "the HTML part links to the same address").toContain(`href="${links[0]}"`);
  return links[0];
}

// ---------------------------------------------------------------- page

/** Waits until the WASM has hydrated the page (JavaScript on only). */
export async function hydrated(page: Page) {
  await page.waitForSelector("body[data-hydrated]");
}

/**
 * Asserts the URL (a path under BASE_URL) after a navigation, client-side or full, and waits
 * for hydration in case it was a full load.
 */
export async function arrivedAt(page: Page, path: string) {
  await expect(page).toHaveURL(`${BASE_URL}${path}`);
  await hydrated(page);
}

/**
 * `page.goto` followed by waiting for hydration. A page that does not hydrate fails with what
 * the browser reported (a panic or a hydration mismatch in the WASM shows up on its console).
 */
export async function open(page: Page, url: string) {
  const reported: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === "error") reported.push(`console: ${message.text()}`);
  };
  const onPageError = (error: Error) => reported.push(`page error: ${error.message}`);
  page.on("console", onConsole);
  page.on("pageerror", onPageError);
  try {
    await page.goto(url);
    await page.waitForSelector("body[data-hydrated]", { timeout: 30_000 }).catch((error) => {
      throw new Error(`${url} did not hydrate; the browser reported: ${reported.join("\n") || "nothing"}\n${error}`);
    });
  } finally {
    page.off("console", onConsole);
    page.off("pageerror", onPageError);
  }
}

export function siteHeader(page: Page): Locator {
  return page.locator("header.site-header");
}

/** The login card's main region. */
export function main(page: Page): Locator {
  return page.locator("main#main");
}

/** The inline error under a field, e.g. `fieldError(page, "email")`. */
export function fieldError(page: Page, id: string): Locator {
  return page.locator(`#${id}-error`);
}

/**
 * Opens the language menu (`<summary>` showing e.g. "FIN ▼") and follows the link of the other
 * language, checking the summary before and after.
 */
export async function switchLanguage(page: Page, to: "fi" | "en") {
  const from = to === "fi" ? "ENG" : "FIN";
  const target = to === "fi" ? { label: "FIN", name: "FIN (suomi)" } : { label: "ENG", name: "ENG (English)" };
  const summary = page.locator("details.lang-menu > summary");
  await expect(summary).toContainText(`${from} ▼`);
  // After a client-side switch the menu may still be open; a click would then close it.
  const open = await page.locator("details.lang-menu").evaluate((details) => (details as HTMLDetailsElement).open);
  if (!open) await summary.click();
  const link = page.locator("details.lang-menu").getByRole("link", { name: target.name, exact: true });
  await expect(link).toBeVisible();
  await expect(link).toContainText(target.label);
  await link.click();
  await expect(page.locator("html")).toHaveAttribute("lang", to);
  await expect(summary).toContainText(`${target.label} ▼`);
}

// ---------------------------------------------------------------- axe

export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Runs axe with the WCAG 2.1 A/AA rules; returns the violations in a readable summary. */
export async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  expect(results.passes.length, "axe ran its rules").toBeGreaterThan(0);
  return results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => `${node.target.join(" ")} — ${node.failureSummary ?? ""}`),
  }));
}
