/**
 * tailscale.stateful-filter-drops-containers: tailscale's stateful filtering rule in ts-forward
 * (`-o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`, 1.66.0+) drops containers' new
 * connections to tailnet hosts.
 *
 * Real text (test/fixtures/h87-tailscale/SOURCES.md):
 * - r27-12070/nft-list-ruleset.txt: the ts-forward chain pasted in tailscale/tailscale#12070
 *   (https://github.com/tailscale/tailscale/issues/12070), verbatim, no table around it;
 * - the other folders: tailscale's rules written by hand from util/linuxfw/iptables_runner.go (addBase4,
 *   AddStatefulRule, AddHooks) with Docker's, loaded with iptables-restore (iptables 1.8.9 nf_tables) in the
 *   namespace h87x with a docker0 bridge, a tailscale0 tun and a "container" namespace on docker0 that opened
 *   TCP connections to 100.90.10.20; then iptables-save -c, nft list ruleset and ip -d address
 *   (make-fixtures.sh).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/tailscale-stateful-filter-drops-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { wrapNftChainFragment } from '../../src/nft/fragment.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h87-tailscale', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));

function analyze(artifacts: NodeArtifacts): { findings: FindingDraft[]; notes: string[] } {
  const notes: string[] = [];
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  const findings = analyzer.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) });
  return { findings, notes };
}

async function run(d: string, files = folder(d)): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, `h87-${d}`));
  expect(b.nodes).toHaveLength(1);
  return analyze(b.nodes[0].artifacts);
}

/** R27's paste, read as the parser will once the fragment is wired: wrapped, then parsed. */
function r27Ruleset() {
  const file = 'nft-list-ruleset.txt';
  const wrapped = wrapNftChainFragment(readFileSync(dir('r27-12070/nft-list-ruleset.txt'), 'utf8'));
  expect(wrapped).toBeDefined();
  return parseNftText(wrapped!.text, file);
}

describe('iptables-save -c of a Docker host with tailscale 1.66 stateful filtering (made in a namespace)', () => {
  it('critical: the drop has counted packets, docker0 is shown, the trace from docker0 to 100.64.0.2 ends at the rule', async () => {
    const files = folder('stateful-docker');
    // the counter as iptables-save -c wrote it (how many SYNs the kernel retried in the run varies)
    const dropped = Number(/^\[(\d+):\d+\] -A ts-forward -o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP$/m.exec(files['iptables-save'])![1]);
    expect(dropped).toBeGreaterThan(0);
    const { findings } = await run('stateful-docker', files);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-save', line: 28, excerpt: expect.stringContaining('-A ts-forward -o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP') });
    expect(f.evidence[0].note).toMatch(new RegExp(`: ${dropped} packets? dropped`));
    expect(f.evidence.some((e) => e.file === 'ip_-d_address' && /172\.17\.0\.1\/16/.test(e.excerpt))).toBe(true);
    expect(f.facts).toMatchObject({ tun: 'tailscale0', droppedPackets: dropped, bridges: ['docker0 172.17.0.0/16'], traced: [{ bridge: 'docker0', src: '172.17.0.2', verdict: 'DROP', byThisRule: true }] });
    expect(f.message).toMatch(/traced through FORWARD: it is dropped by this rule \(iptables-save:28\)/);
    expect(f.remedy.commands[0]).toBe('tailscale set --stateful-filtering=false');
    expect(f.remedy.caution).toMatch(/iptables -I ts-forward 1 -s 172\.17\.0\.0\/16 -o tailscale0 -j ACCEPT/);
  });

  it('the same host with --stateful-filtering=false (no stateful rule, the connections were accepted): nothing', async () => {
    const files = folder('nostateful-docker');
    expect(files['iptables-save']).toMatch(/\[2:120\] -A ts-forward -o tailscale0 -j ACCEPT/);
    expect((await run('nostateful-docker', files)).findings).toEqual([]);
  });

  it('an accept for docker0 -> tailscale0 ahead of ts-forward (a workaround in place): the trace passes, nothing', async () => {
    expect((await run('workaround-docker')).findings).toEqual([]);
  });

  it('the stateful rule on a host with no container bridge, no Docker rules and no drop counted: nothing', async () => {
    const files = folder('stateful-no-containers');
    expect(files['iptables-save']).toMatch(/-A ts-forward -o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP/);
    expect((await run('stateful-no-containers', files)).findings).toEqual([]);
  });

  it('the same rules without ip addr: Docker\'s rules name docker0; no drop counted on a zeroed copy -> a warning', async () => {
    const save = folder('stateful-docker')['iptables-save'].replace(/^\[\d+:\d+\] /gm, '[0:0] ');
    const { findings } = await run('stateful-docker-noaddr', { 'iptables-save': save });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toMatch(/Its counters show no drop yet/);
  });
});

describe('nft list ruleset of the same host (iptables-nft): the rule as nft lists it', () => {
  it('found in the listing read as iptables rules; critical (packets counted, docker0)', async () => {
    const files = folder('stateful-docker-nft');
    expect(files['nft_list_ruleset'].split('\n')[43]).toMatch(/^\t\toifname "tailscale0" ct state ! related,established counter packets [1-9]\d* bytes \d+ drop$/);
    const { findings, notes } = await run('stateful-docker-nft', files);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].evidence[0]).toMatchObject({ file: 'nft_list_ruleset', line: 44 });
    // the rule parser reads `ct state ! related,established` as `ct state == "!"` (a trace would walk past the
    // drop): the trace is not run and the coverage says so; once the parser reads `!` as `!=`, the trace confirms it
    const traced = findings[0].facts?.traced as { byThisRule: boolean }[];
    if (traced.length === 0) expect(notes.join('\n')).toMatch(/packet trace from the container bridges was not run: the state match of nft_list_ruleset:44/);
    else expect(traced.every((t) => t.byThisRule)).toBe(true);
  });
});

describe("tailscale's nftables mode (nftables_runner.go) beside Docker's iptables-nft rules, in one table ip filter", () => {
  it('the drop as nft lists its bytecode (`oifname "tailscale0*" ct state invalid,new,0x10,...`, as in tailscale/tailscale#12067): critical', async () => {
    const files = folder('nftables-mode');
    // iptables-save cannot show a table with tailscale's native expressions
    expect(files['iptables-save']).toContain("# Table `filter' is incompatible, use 'nft' tool.");
    const line = files['nft_list_ruleset'].split('\n')[50];
    expect(line).toMatch(/^\t\toifname "tailscale0\*" ct state invalid,new,0x10,0x20,0x80,.* counter packets [1-9]\d* bytes \d+ drop$/);
    const { findings } = await run('nftables-mode', files);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].evidence[0]).toMatchObject({ file: 'nft_list_ruleset', line: 51 });
    expect(findings[0].facts).toMatchObject({ tun: 'tailscale0', bridges: ['docker0 172.17.0.0/16'] });
    // native rules: iptables cannot edit the table, the workaround is in nft's syntax
    expect(findings[0].remedy.caution).toContain('nft insert rule ip filter ts-forward ip saddr 172.17.0.0/16 oifname "tailscale0" accept');
  });

  it('a ct state list there that holds established and related (not tailscale\'s stateful rule): nothing', async () => {
    const files = folder('nftables-mode');
    files['nft_list_ruleset'] = files['nft_list_ruleset'].replace('ct state invalid,new,', 'ct state invalid,established,related,new,');
    expect((await run('nftables-mode-other', files)).findings).toEqual([]);
  });
});

describe('tailscale/tailscale#12070: the ts-forward chain pasted alone (R27 case 08)', () => {
  it('with nothing else: a warning (550 packets dropped, the bundle does not show what was forwarded)', () => {
    const { findings } = analyze({ nftables: [r27Ruleset()] });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ file: 'nft-list-ruleset.txt', line: 5, excerpt: 'oifname "tailscale0" ct state ! related,established counter packets 550 bytes 46102 drop' });
    expect(f.message).toMatch(/dropped 550 packets/);
    expect(f.message).toMatch(/does not show which interface/);
  });

  it('with the ip addr of a host with docker0: critical', () => {
    const ipAddr = parseInterfaces(readFileSync(dir('stateful-docker/ip_-d_address'), 'utf8'), 'ip_-d_address');
    const { findings } = analyze({ nftables: [r27Ruleset()], ipAddr: [ipAddr] });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].facts).toMatchObject({ droppedPackets: 550, bridges: ['docker0 172.17.0.0/16'] });
  });

  it('the paste without the stateful rule (what --stateful-filtering=false leaves): nothing', () => {
    const text = readFileSync(dir('r27-12070/nft-list-ruleset.txt'), 'utf8').split('\n').filter((l) => !/ct state/.test(l)).join('\n');
    const rs = parseNftText(wrapNftChainFragment(text)!.text, 'nft-list-ruleset.txt');
    const ipAddr = parseInterfaces(readFileSync(dir('stateful-docker/ip_-d_address'), 'utf8'), 'ip_-d_address');
    expect(analyze({ nftables: [rs], ipAddr: [ipAddr] }).findings).toEqual([]);
  });
});
