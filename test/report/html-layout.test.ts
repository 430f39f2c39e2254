/**
 * The HTML report and index laid out in a real headless Chromium (Debian's, through
 * playwright-core): a name or log line without a break (a 241-character node folder, a long
 * bundle file name) wraps inside its finding, table cell or summary instead of pushing the page
 * sideways, and the short things beside it (headers, badges) keep their words whole.
 * Screenshots land in test/.tmp/screens for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { analyze } from '../../src/engine/analyze.js';
import { buildIndex, digestOf, indexEntry } from '../../src/batch/index-report.js';
import { render, renderIndex } from '../../src/report/render.js';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';

const SCREENS = projectPath('test/.tmp/screens');
const LONG_NODE = 'n' + 'x'.repeat(240);
const OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n';
const LOG = `Nov 20 11:02:11 h app[1]: dial tcp 10.0.1.5:6443: connect: connection refused ${'Z'.repeat(400)}\n`;
const RULES = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:${'C'.repeat(200)} - [0:0]\n-A FORWARD -j ${'C'.repeat(200)}\nCOMMIT\n`;

let browser: Browser;
let reportUrl: string;
let indexUrl: string;

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
  const dir = tmpDir('bd-layout-');
  const long = writeTmp(
    `${'b'.repeat(150)}.tgz`,
    await makeTarGz([
      { name: `case/${LONG_NODE}/sysctl-a.txt`, content: OFF },
      { name: `case/${LONG_NODE}/app.log`, content: LOG },
      { name: `case/${LONG_NODE}/iptables-save.txt`, content: RULES },
      { name: 'case/short-node/sysctl-a.txt', content: OFF.replace('= 0', '= 1') },
    ]),
    dir,
  );
  const short = writeTmp('a.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: OFF }]), dir);
  const report = await analyze([long, short]);
  writeFileSync(join(dir, 'report.html'), render({ ...report, bundles: [report.bundles[0]] }, 'html'));
  const entries = report.bundles.map((b, i) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { html: `r${i}.html`, md: `r${i}.md` }));
  writeFileSync(join(dir, 'index.html'), renderIndex(buildIndex(entries, new Map()), 'html'));
  reportUrl = pathToFileURL(join(dir, 'report.html')).href;
  indexUrl = pathToFileURL(join(dir, 'index.html')).href;
  mkdirSync(SCREENS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** How far the page reaches past the window's right edge (0: nothing sideways), with every <details> open. */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    document.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true));
    let right = document.documentElement.scrollWidth;
    document.querySelectorAll('body *').forEach((e) => (right = Math.max(right, e.getBoundingClientRect().right + window.scrollX)));
    return Math.max(0, Math.ceil(right - document.documentElement.clientWidth));
  });
}

/** Elements whose text was broken over several lines, by their text. */
async function broken(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(sel)]
        .filter((e) => {
          const range = document.createRange();
          range.selectNodeContents(e);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
        })
        .map((e) => e.textContent ?? ''),
    selector,
  );
}

describe.skipIf(!hasChromium)('HTML layout with names that do not break', () => {
  for (const width of [1300, 800]) {
    it(`report at ${width} px: findings, timeline, rule sets, node table and coverage stay inside the window`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 1600 } });
      await page.goto(reportUrl);
      expect(await page.locator('details.finding').count()).toBeGreaterThan(0);
      expect(await page.locator('table.timeline tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator('table.cluster').count()).toBe(1);
      expect(await page.locator('table.chains').count()).toBe(1);
      expect(await overflow(page)).toBe(0);
      await page.screenshot({ path: join(SCREENS, `layout-report-${width}.png`), fullPage: true });
      expect(await broken(page, 'th:not(.long):not(:has(.long)), .badge, .count, time, .tok')).toEqual([]);
      await page.close();
    });

    it(`index at ${width} px: the Report column stays on screen`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 1200 } });
      await page.goto(indexUrl);
      expect(await overflow(page)).toBe(0);
      const links = page.locator('table.bundles td:last-child a');
      expect(await links.count()).toBe(4);
      for (const box of await Promise.all((await links.all()).map((l) => l.boundingBox()))) expect(box!.x + box!.width).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(SCREENS, `layout-index-${width}.png`), fullPage: true });
      expect(await broken(page, 'th, .badge, .count, td.num, td.reports a')).toEqual([]);
      // the long bundle name breaks, the short one beside it does not
      expect(await broken(page, 'table.bundles td:first-child code')).toEqual([`${'b'.repeat(150)}.tgz`]);
      await page.close();
    });
  }
});
