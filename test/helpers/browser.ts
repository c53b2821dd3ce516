// Headless Debian Chromium (SwiftShader WebGPU) for tests: launched as DEVELOPERS.md prescribes,
// with a fresh profile, and removed again afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium switches (the demo test adds a fake camera). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'octet-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${userDataDir}`,
      ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
