// Loads each practice folder's page of an HTML report in a headless Chromium and checks
// that the folder can be handed to its practice: from the rendered page (the DOM as
// serialised after load, and the text a reader sees) no other practice's id appears, and
// no request leaves the folder (only the page itself, files inside its folder and data:
// URLs may be asked for), nor does any link or source attribute point out of it.
//
// usage: node practice_check.mjs FOLDERS.json
//        FOLDERS.json: {"<absolute folder path>": "<its practice id>", ...}
// env:   CHROMIUM (default /usr/bin/chromium)
//
// Prints one JSON object per folder on stdout: {folder, practice, own_id_shown,
// other_ids, outside_requests, outside_links, console_errors, page_errors}; exits 1 when
// any folder has a problem, 2 on usage or launch errors.

import { launchChromium } from "./launch.mjs";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [mapping] = process.argv.slice(2);
if (!mapping) {
  console.error("usage: node practice_check.mjs FOLDERS.json");
  process.exit(2);
}
const folders = JSON.parse(readFileSync(mapping, "utf8"));
const ids = Object.values(folders);

const browser = await launchChromium();

let failed = false;
for (const [folder, practice] of Object.entries(folders)) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const inside = pathToFileURL(path.resolve(folder)).href + "/";
  const outsideRequests = [];
  const consoleErrors = [];
  const pageErrors = [];
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith("data:") && !url.startsWith(inside)) {
      outsideRequests.push(url);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(inside + "index.html", { waitUntil: "load" });
  const [dom, text, links] = await page.evaluate(() => [
    document.documentElement.outerHTML,
    document.body.innerText,
    [...document.querySelectorAll("[href], [src], [action], [xlink\\:href]")].flatMap((el) =>
      ["href", "src", "action", "xlink:href"]
        .map((a) => el.getAttribute(a))
        .filter((v) => v !== null)
        .map((v) => new URL(v, document.baseURI).href),
    ),
  ]);
  const outsideLinks = links.filter((u) => !u.startsWith("data:") && !u.startsWith(inside));
  const others = ids.filter((id) => id !== practice && (dom.includes(id) || text.includes(id)));
  const result = {
    folder,
    practice,
    own_id_shown: text.includes(practice),
    other_ids: others,
    outside_requests: outsideRequests,
    outside_links: outsideLinks,
    console_errors: consoleErrors,
    page_errors: pageErrors,
  };
  console.log(JSON.stringify(result));
  if (
    !result.own_id_shown ||
    others.length ||
    outsideRequests.length ||
    outsideLinks.length ||
    consoleErrors.length ||
    pageErrors.length
  ) {
    failed = true;
  }
  await page.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
