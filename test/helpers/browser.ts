/**
 * The system's Chromium (Debian's chromium-headless-shell, or chromium) driven
 * by playwright-core, which downloads no browser of its own. Missing browser:
 * skip locally, fail under WSD_REQUIRE_TOOLS=1 (CI installs it in .ci/run).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

const CANDIDATES = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium', '/usr/bin/chromium'];

export function findChromium(): string | undefined {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const message = `no Chromium at ${CANDIDATES.join(', ')} (the HTML report is tested in a real browser)`;
  if (process.env.WSD_REQUIRE_TOOLS === '1') throw new Error(`${message}; CI requires it — install chromium-headless-shell in .ci/run`);
  console.warn(`skipping: ${message}`);
  return undefined;
}

/** A fresh, offline browser profile; close() removes it. */
export async function launchChromium(executablePath: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'wsd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    timeout: 120_000,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
