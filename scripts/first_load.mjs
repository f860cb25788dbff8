// The first visit of a page in Chromium, as a resident's browser makes it with an empty cache:
// the bytes that crossed the wire (the DevTools protocol's encodedDataLength: headers and
// bodies, compressed as sent) and the time from the start of navigation to hydration
// (`<body data-hydrated>`, set by the WebAssembly once the page is live). For scripts/bench.py.
//
//   node scripts/first_load.mjs URL [RUNS]   → one JSON line: {bytes, hydrated_ms[], files[]}
import { chromium } from "@playwright/test";

const [url, runs = "5"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const result = { bytes: 0, hydrated_ms: [], files: [] };
for (let run = 0; run < Number(runs); run++) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute("data-hydrated")) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const responses = new Map();
  const files = [];
  cdp.on("Network.responseReceived", (e) => responses.set(e.requestId, e.response));
  cdp.on("Network.loadingFinished", (e) => {
    const response = responses.get(e.requestId);
    files.push({
      url: response?.url,
      bytes: e.encodedDataLength,
      encoding: response?.headers["content-encoding"] ?? response?.headers["Content-Encoding"] ?? "",
    });
  });
  await page.goto(url);
  await page.waitForSelector("body[data-hydrated]", { state: "attached", timeout: 30_000 });
  await page.waitForLoadState("networkidle");
  result.hydrated_ms.push(Math.round(await page.evaluate(() => window.__hydratedAt)));
  if (run === 0) {
    result.files = files;
    result.bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  }
  await context.close();
}
await browser.close();
console.log(JSON.stringify(result));
