/**
 * The HTML report in a real headless Chromium (Debian's, driven by playwright-core; nothing
 * downloads a browser): no network request, expand/collapse, severity filter, file:line
 * evidence, a clean print layout, and bundle text that never executes. Screenshots land in
 * test/.tmp/screens for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { analyze } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';

const SCREENS = projectPath('test/.tmp/screens');
const HOSTILE_NODE = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_FILE = '<script>window.__pwned=2</script>.txt';

let browser: Browser;
let reportUrl: string;

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
  const bundle = writeTmp(
    'hostile-html.tgz',
    await makeTarGz([
      { name: `ticket/${HOSTILE_NODE}/${HOSTILE_FILE}`, content: 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n' },
      { name: 'ticket/healthy-node/sysctl.txt', content: 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n' },
      { name: 'ticket/healthy-node/<svg onload=alert(1)>', type: 'symlink', linkname: '/etc/passwd' },
    ]),
  );
  const report = await analyze([bundle]);
  const dir = tmpDir('bd-html-');
  const file = join(dir, 'report.html');
  writeFileSync(file, render(report, 'html'));
  reportUrl = pathToFileURL(file).href;
  mkdirSync(SCREENS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!hasChromium)('HTML report in Chromium', () => {
  it('opens with no network request and no script from the bundle running', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(reportUrl);
    await page.waitForLoadState('load');
    expect(requests).toEqual([reportUrl]);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // the hostile names are shown as text
    expect(await page.locator('body').innerText()).toContain(HOSTILE_NODE);
    expect(await page.locator('img').count()).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'report.png'), fullPage: true });
    await page.close();
  });

  it('findings expand and collapse; the severity filter hides and shows them; evidence shows file:line', async () => {
    const page = await browser.newPage();
    await page.goto(reportUrl);
    const finding = page.locator('details.finding').first();
    expect(await finding.getAttribute('data-severity')).toBe('critical');
    expect(await finding.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.click('button[data-action="collapse"]');
    expect(await finding.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await finding.locator('summary').click();
    expect(await finding.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await expect(finding.locator('.loc code').first().innerText()).resolves.toBe(`ticket/${HOSTILE_NODE}/${HOSTILE_FILE}:1`);
    await page.uncheck('input[data-filter="critical"]');
    expect(await finding.isVisible()).toBe(false);
    await page.check('input[data-filter="critical"]');
    expect(await finding.isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENS, 'report-collapsed-filter.png'), fullPage: true });
    await page.close();
  });

  it('prints cleanly: no filter bar, findings shown, a PDF comes out', async () => {
    const page = await browser.newPage();
    await page.goto(reportUrl);
    await page.click('button[data-action="collapse"]');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.filters').isVisible()).toBe(false);
    expect(await page.locator('details.finding .body').first().isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENS, 'report-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    writeFileSync(join(SCREENS, 'report.pdf'), pdf);
    await page.close();
  });
});
