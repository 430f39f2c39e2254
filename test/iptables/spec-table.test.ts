/**
 * `iptables -t nat -S` / `-t raw -S` print no header naming their table. Saved one table to a
 * file, the table comes from the file's name or from what is in it (its built-in chains, targets
 * only one table accepts), never "filter" for a file with PREROUTING.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesSpec, tableFromFileName } from '../../src/netfilter/save-format.js';
import { findChain } from '../../src/netfilter/rules.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');

/** The sections of a corpus `iptables -S -t X` transcript, without the `# iptables -S -t X` lines (what each command prints). */
function sections(f: string): Record<string, string> {
  const out: Record<string, string> = {};
  let table = '';
  for (const line of readCorpus('iptables-save', f).split('\n')) {
    const m = /^# iptables -S -t (\w+)/.exec(line);
    if (m) table = m[1];
    else if (table && line.trim() !== '') out[table] = (out[table] ?? '') + line + '\n';
  }
  return out;
}

/** The mangle table of the real trace fixture, as `iptables -t mangle -S` prints it. */
const MANGLE = '-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N KUBE-KUBELET-CANARY\n-N KUBE-PROXY-CANARY\n';
/** The raw table of the real trace fixture (test/fixtures/netfilter/trace/iptables-save), as -S prints it. */
const TRACE = '-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n-A PREROUTING -p tcp -m tcp --dport 5432 -j TRACE\n-A OUTPUT -p tcp -m tcp --dport 5432 -j TRACE\n';

describe('table names in file names', () => {
  it('reads the table of common names, one table word only', () => {
    expect(tableFromFileName('sos_commands/firewall_tables/iptables_-t_nat_-S')).toBe('nat');
    expect(tableFromFileName('iptables-S-nat.txt')).toBe('nat');
    expect(tableFromFileName('ticket/ip6tables-t-raw-S.txt')).toBe('raw');
    expect(tableFromFileName('mangle.txt')).toBe('mangle');
    expect(tableFromFileName('iptables_-t_security_-S')).toBe('security');
    expect(tableFromFileName('security-audit-iptables-S.txt')).toBeUndefined();
    expect(tableFromFileName('iptables-S.txt')).toBeUndefined();
    expect(tableFromFileName('nat-and-filter.txt')).toBeUndefined();
    expect(tableFromFileName('iptables-natflushed.txt')).toBeUndefined();
  });
});

describe.skipIf(!hasCorpus)('iptables -S of one table without a header', () => {
  const d29 = () => sections('moby-docker29-usernet-portmap-iptables-S.txt');

  it('nat: from the file name, else from PREROUTING/POSTROUTING', () => {
    for (const name of ['iptables-t-nat-S.txt', 'iptables_-t_nat_-S', 'iptables-S-nat.txt']) {
      const rs = parseIptablesSpec(d29().nat, name);
      expect(Object.keys(rs.tables), name).toEqual(['nat']);
      expect(findChain(rs, 'nat', 'POSTROUTING')?.rules.map((r) => r.target)).toEqual(['MASQUERADE', 'MASQUERADE']);
      expect(rs.warnings).toEqual([]);
    }
    const rs = parseIptablesSpec(d29().nat, 'rules2.txt');
    expect(Object.keys(rs.tables)).toEqual(['nat']);
    expect(rs.warnings[0].message).toMatch(/read as nat/);
  });

  it('raw: from the name, from PREROUTING+OUTPUT alone, from TRACE', () => {
    expect(Object.keys(parseIptablesSpec(d29().raw, 'iptables-t-raw-S.txt').tables)).toEqual(['raw']);
    expect(parseIptablesSpec(TRACE, 'ip6tables-t-raw-S.txt').family).toBe('ipv6');
    expect(Object.keys(parseIptablesSpec(d29().raw, 'out.txt').tables)).toEqual(['raw']);
    const tr = parseIptablesSpec(TRACE, 'trace.txt');
    expect(Object.keys(tr.tables)).toEqual(['raw']);
    expect(findChain(tr, 'raw', 'PREROUTING')?.rules[0].target).toBe('TRACE');
  });

  it('mangle: all five built-in chains', () => {
    expect(Object.keys(parseIptablesSpec(MANGLE, 'out.txt').tables)).toEqual(['mangle']);
  });

  it('filter stays filter: no name, or a name its chains contradict', () => {
    for (const [text, name] of [
      [d29().filter, 'iptables-S.txt'],
      [d29().filter, 'iptables-S-nat.txt'], // FORWARD is no nat chain
      [fx('netfilter/legacy/iptables-S'), 'iptables-S'],
      [readCorpus('iptables-save', 'flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt'), 'flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt'],
    ]) {
      const rs = parseIptablesSpec(text, name);
      expect(Object.keys(rs.tables), name).toEqual(['filter']);
      expect(rs.warnings.filter((w) => /read as/.test(w.message))).toEqual([]);
    }
  });

  it('a PREROUTING file named filter is not read as filter', () => {
    expect(Object.keys(parseIptablesSpec(d29().nat, 'filter.txt').tables)).toEqual(['nat']);
  });

  it('marker lines still decide, and a caller\'s hint wins', () => {
    const rs = parseIptablesSpec(readCorpus('iptables-save', 'moby-docker29-usernet-portmap-iptables-S.txt'), 'iptables-S.txt');
    expect(Object.keys(rs.tables).sort()).toEqual(['filter', 'nat', 'raw']);
    expect(Object.keys(parseIptablesSpec(d29().nat, 'x', { table: 'mangle' }).tables)).toEqual(['mangle']);
  });
});

describe.skipIf(!hasCorpus)('hand-made bundles of per-table -S files', () => {
  const folder = (files: Record<string, string | Buffer>) => writeFolder(files, 'ticket');
  const d27 = () => sections('moby-docker27-new-daemon-iptables-S.txt');
  const ipA = () => fx('iproute2/ip_a');

  it('a nat file without MASQUERADE fires iptables.docker-masquerade-missing; with it, nothing', async () => {
    const noMasq = d27().nat.split('\n').filter((l) => !/MASQUERADE/.test(l)).join('\n');
    const bad = await analyzeBundle(folder({ 'iptables-S.txt': d27().filter, 'iptables-t-nat-S.txt': noMasq, 'ip-a.txt': ipA() }));
    expect(bad.findings.filter((f) => f.id === 'iptables.docker-masquerade-missing').map((f) => f.facts?.subnet)).toEqual(['172.17.0.0/16']);
    const good = await analyzeBundle(folder({ 'iptables-S.txt': d27().filter, 'iptables-t-nat-S.txt': d27().nat, 'ip-a.txt': ipA() }));
    expect(good.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    const chains = good.nodes[0].iptables?.find((s) => s.file === 'iptables-t-nat-S.txt')?.chains.map((c) => `${c.table}/${c.chain}`);
    expect(chains).toContain('nat/PREROUTING');
    expect(chains).not.toContain('filter/PREROUTING');
  });

  it('a flushed nat (policies only) is missing Docker\'s nat chain', async () => {
    const flushed = d27().nat.split('\n').filter((l) => l.startsWith('-P')).join('\n') + '\n';
    const r = await analyzeBundle(folder({ 'iptables-S.txt': d27().filter, 'iptables-t-nat-S.txt': flushed, 'ip-a.txt': ipA() }));
    expect(r.findings.map((f) => f.id)).toContain('iptables.docker-chain-missing');
  });

  it('TRACE rules in a raw -S file are found', async () => {
    const r = await analyzeBundle(folder({ 'iptables-t-raw-S.txt': TRACE }));
    expect(r.findings.map((f) => f.id)).toEqual(['iptables.trace-rules-left']);
  });
});
