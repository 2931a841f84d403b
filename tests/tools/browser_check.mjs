// Loads HTML report pages in a headless Chromium over the DevTools protocol and checks
// what a DOM dump cannot see: console errors, uncaught page errors, failed requests (a
// self-contained page makes none), and the rendered size of every inline SVG chart.
//
// usage: node browser_check.mjs SCREENSHOT.png PAGE.html [PAGE.html ...]
// env:   CHROMIUM (default /usr/bin/chromium)
//
// Prints one JSON object per page on stdout: {page, console_errors, page_errors,
// failed_requests, charts, empty_charts}; exits 1 when any page has a problem, 2 on usage
// or launch errors. The first page is screenshotted (full page) to SCREENSHOT.png.

import { launchChromium } from "./launch.mjs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [screenshot, ...pages] = process.argv.slice(2);
if (!screenshot || pages.length === 0) {
  console.error("usage: node browser_check.mjs SCREENSHOT.png PAGE.html [PAGE.html ...]");
  process.exit(2);
}

const browser = await launchChromium();

let failed = false;
for (const [i, file] of pages.entries()) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const consoleErrors = [];
  const pageErrors = [];
  const failedRequests = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("requestfailed", (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", (r) => {
    // A self-contained report asks for nothing but itself (and data: URLs).
    const url = r.url();
    if (!url.startsWith("data:") && url !== pathToFileURL(path.resolve(file)).href) {
      failedRequests.push(`unexpected request: ${url}`);
    }
  });
  await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
  const sizes = await page.$$eval("svg", (svgs) =>
    svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return [r.width, r.height];
    }),
  );
  const empty = sizes.filter(([w, h]) => !(w > 0 && h > 0)).length;
  if (i === 0) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  const result = {
    page: file,
    console_errors: consoleErrors,
    page_errors: pageErrors,
    failed_requests: failedRequests,
    charts: sizes.length,
    empty_charts: empty,
  };
  console.log(JSON.stringify(result));
  if (consoleErrors.length || pageErrors.length || failedRequests.length || empty || sizes.length === 0) {
    failed = true;
  }
  await page.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
