// The headless Chromium both report checks drive: the machine's (CHROMIUM, default
// /usr/bin/chromium) through playwright-core; exits 2 when it cannot be launched.

import { chromium } from "playwright-core";

export async function launchChromium() {
  try {
    return await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  } catch (e) {
    console.error(`cannot launch chromium: ${e.message}`);
    process.exit(2);
  }
}
