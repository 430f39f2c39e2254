/**
 * iptables.mixed-backends and the `# Warning: iptables-legacy tables present` line pasted above a grep
 * of a listing (iptables-nft prints it on stderr, so it passes `| grep`): legacy tables exist, but a few
 * grepped rows cannot tell whether anything relies on rules there. Alone it is no critical (R3 case 7
 * called it noise); beside other evidence it is quoted with it. Real text: the ticket's paste
 * (moby/moby#49792) and iptables 1.8.9 output made in a namespace (test/fixtures/iptables-fragment).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import mixedBackends from '../../analyzers/iptables-mixed-backends.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');

describe('mixed-backends: the legacy-tables warning above a grep', () => {
  it('alone, in a fragment (the ticket, and real output behind bracketed prompts): no finding', () => {
    for (const [text, file] of [
      [fx('direct-routing/moby-49792/iptables-raw.txt'), 'iptables-raw.txt'],
      [fx('iptables-fragment/grep-bracketed/transcript.txt'), 'transcript.txt'],
    ]) {
      const rs = parseIptablesList(text, file, { fragments: true });
      expect(rs.legacyTablesPresent?.line).toBe(2);
      expect(runNode(mixedBackends, { iptables: [rs] })).toEqual([]);
    }
  });

  it('control: the same warning above the complete listing is the critical it always was', () => {
    const rs = parseIptablesList(fx('iptables-fragment/raw-L-v-n-legacy-warning.txt'), 'raw.txt', { table: 'raw' });
    const [f, ...rest] = runNode(mixedBackends, { iptables: [rs] });
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: 'raw.txt', line: 1 });
  });

  it('beside other evidence (iptables -V of both back ends, the real binaries\' output): critical, the fragment\'s warning quoted too', () => {
    const rs = parseIptablesList(fx('iptables-fragment/grep-bracketed/transcript.txt'), 'transcript.txt', { fragments: true });
    const v = [parseIptablesVersion('iptables v1.8.9 (legacy)\n', 'iptables-legacy-V.txt'), parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'iptables-nft-V.txt')];
    const [f, ...rest] = runNode(mixedBackends, { iptables: [rs], iptablesVersion: v });
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toContain('transcript.txt:2');
  });
});
