/**
 * analyzers/lib/host-firewall.ts (helper H67): ufw's saved files (etc/ufw/after.rules, read as a saved configuration)
 * name ufw as the host firewall, unless the bundle says ufw is off. after.rules: test/fixtures/h59/inputs (Ubuntu's
 * stock file with ufw-docker's block, https://github.com/chaifeng/ufw-docker).
 */
import { mkdtempSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/engine/analyze.js';
import { hostFirewall } from '../../analyzers/lib/host-firewall.js';
import { projectPath } from '../helpers/shared.js';

async function fwOf(files: Record<string, string>, texts: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'h67-fw-'));
  for (const [name, from] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    copyFileSync(from, join(dir, name));
  }
  for (const [name, text] of Object.entries(texts)) writeFileSync(join(dir, name), text);
  const b = await loadBundle(dir);
  return hostFirewall(b.nodes[0].artifacts);
}
const AFTER = projectPath('test/fixtures/h59/inputs/after.rules');

describe('hostFirewall with ufw saved files', () => {
  it('after.rules alone: ufw', async () => {
    expect(await fwOf({ 'after.rules': AFTER })).toBe('ufw');
  });
  it('after.rules with `ufw status` saying inactive (real ufw wording): not ufw', async () => {
    expect(await fwOf({ 'after.rules': AFTER }, { 'ufw_status.txt': 'Status: inactive\n' })).toBe('unknown');
  });
  it('no ufw file: unknown', async () => {
    expect(await fwOf({}, { 'ip_addr.txt': '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    inet 127.0.0.1/8 scope host lo\n' })).toBe('unknown');
  });
});
