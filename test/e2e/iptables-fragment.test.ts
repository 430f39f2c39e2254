/**
 * A pasted `iptables -t raw -nvL | grep 2181` in a hand-made bundle, end to end: the format
 * iptables-list-fragment (parsers/registry.ts) reads its rows as rules of a chain not shown and the
 * transcript's other lines as log lines; commandLineTool knows RHEL's bracketed prompt; a fragment does
 * not stop `nft list ruleset` from giving the node's complete iptables-nft rules (engine/load.ts).
 * Real text: the ticket's paste (moby/moby#49792, R3 case 7) and iptables 1.8.9 / nft 1.0.6 output
 * made in namespaces (test/fixtures/iptables-fragment/README.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { commandLineTool } from '../../src/netfilter/backends.js';
import { FRAGMENT_CHAIN, FRAGMENT_NOTE, parseIptablesList, sniffIptablesListFragment } from '../../src/netfilter/list-format.js';
import { formatById, sniffableFormats } from '../../src/parsers/registry.js';
import { projectPath } from '../helpers/shared.js';

const dir = (...p: string[]) => projectPath('test/fixtures', ...p);
const fx = (...p: string[]) => readFileSync(dir(...p), 'utf8');
const BRACKETED = fx('iptables-fragment/grep-bracketed/transcript.txt');
const sniffed = (text: string) => sniffableFormats().find((f) => f.sniff!(text))?.id;

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function bundleOf(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'bd-fragment-'));
  made.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('bracketed shell prompts', () => {
  it('commandLineTool reads `[root@host ~]# iptables ...` and `[user@host dir]$ sudo iptables-legacy-save`', () => {
    expect(commandLineTool('[root@vm1 ~]# iptables -t raw -L -v -n | grep 2181')).toEqual({ tool: 'iptables', backend: undefined, save: false });
    expect(commandLineTool('[ec2-user@ip-10-0-1-5 tmp]$ sudo iptables-legacy-save')).toEqual({ tool: 'iptables', backend: 'legacy', save: true });
    expect(commandLineTool('[root@vm1 ~]# ip6tables-nft -S')).toMatchObject({ tool: 'ip6tables', backend: 'nf_tables' });
    // iptables-save -c counters and other bracketed text are no prompt
    expect(commandLineTool('[12:345] -A FORWARD -j ACCEPT')).toBeUndefined();
    expect(commandLineTool('[root@vm1 ~]# ls')).toBeUndefined();
  });

  it('the real transcript: the table from the command line, the bare prompt ends the output, the timeout line is no row', () => {
    expect(sniffIptablesListFragment(BRACKETED)).toBe(true);
    const rs = parseIptablesList(BRACKETED, 'transcript.txt', { fragments: true });
    expect(rs.truncated).toEqual({ note: FRAGMENT_NOTE });
    expect(Object.keys(rs.tables)).toEqual(['raw']);
    expect(rs.tables.raw.chains[FRAGMENT_CHAIN].rules.map((r) => [r.ref.line, r.counters?.packets, r.destination?.value])).toEqual([[3, 3, '10.1.215.5/32']]);
  });
});

describe('the format iptables-list-fragment', () => {
  it('is sniffed last, so what other sniffers recognised stays as it was; it reads the transcript as log lines too', () => {
    const f = formatById('iptables-list-fragment');
    expect(f.kind).toBe('iptables');
    expect(f.scannedAsLog).toEqual({ unit: 'shell' });
    expect(sniffableFormats().at(-1)?.id).toBe('iptables-list-fragment');
    expect(sniffed(BRACKETED)).toBe('iptables-list-fragment');
    expect(sniffed(fx('direct-routing/moby-49792/iptables-raw.txt'))).toBe('iptables-list-fragment');
    // a complete listing is the listing format still; a grep of iptables-save or of nothing is no fragment
    expect(sniffed(`# iptables -t raw -L -v -n\n${fx('direct-routing/flannel-vxlan/docker28.0.iptables-raw-L-v-n')}`)).toBe('iptables-list');
    expect(sniffed(fx('iptables-fragment/raw-L-v-n-legacy-warning.txt'))).toBe('iptables-list');
    expect(sniffed(fx('iptables-fragment/grep-and-nft/nft-list-ruleset.txt'))).toBe('nft-text');
    expect(sniffed(BRACKETED.split('\n\n')[1])).toBeUndefined();
  });
});

describe('a hand-made bundle holding the grep', () => {
  it("R3 case 7 (the ticket's files): the direct-routing critical, no mixed-backends finding; the file is rules and log both", async () => {
    const report = await analyzeBundle(dir('direct-routing/moby-49792'));
    const f = report.findings.find((x) => x.id === 'iptables.direct-routing-dropped')!;
    expect(f.severity).toBe('critical');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables-raw.txt:3', 'iptables-raw.txt:7']);
    expect(report.findings.map((x) => x.id)).not.toContain('iptables.mixed-backends');
    expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['iptables-raw.txt']);
    expect(report.coverage.nodes[0].artifacts.logs).toEqual(['iptables-raw.txt']);
  });

  it('the real transcript behind bracketed prompts: the same critical', async () => {
    const report = await analyzeBundle(dir('iptables-fragment/grep-bracketed'));
    const f = report.findings.find((x) => x.id === 'iptables.direct-routing-dropped')!;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ decidedBy: ['transcript.txt:3'], explainsLogLines: ['transcript.txt:7'] });
  });

  it('beside nft list ruleset: the listing still gives the complete iptables-nft rules, and they decide (one drop, raw/PREROUTING rule 1)', async () => {
    const report = await analyzeBundle(dir('iptables-fragment/grep-and-nft'));
    expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['transcript.txt', 'nft-list-ruleset.txt']);
    const f = report.findings.find((x) => x.id === 'iptables.direct-routing-dropped')!;
    expect(f.facts?.decidedBy).toEqual(['nft-list-ruleset.txt:4']);
    expect(f.message).toContain('raw/PREROUTING rule 1');
  });

  it('healthy: the grep with no client that timed out, and Docker 28.2 trusting flannel.1: no finding of the rules', async () => {
    for (const files of [{ 'grep.txt': BRACKETED.split('\n\n')[0] + '\n' }, { 'grep.txt': fx('iptables-fragment/trusted-raw-grep.txt') }]) {
      const report = await analyzeBundle(bundleOf(files));
      expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['grep.txt']);
      expect(report.findings.filter((x) => x.id.startsWith('iptables.'))).toEqual([]);
    }
  });
});
