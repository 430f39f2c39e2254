/**
 * Legacy and nf_tables rules side by side (both back ends' hooks run), dumps cut by sos (`.tailed`),
 * and Docker 29's nftables back end. Fixtures in test/fixtures/backends/ are the output of the real
 * binaries (iptables 1.8.9, nft 1.0.6) in a network namespace; what the kernel did with each rule
 * set (container -> outside through a namespace router) is stated where it is used.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import masqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import mixedBackends from '../../analyzers/iptables-mixed-backends.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { groupByBackend, markTruncated } from '../../src/netfilter/backends.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets } from '../../src/netfilter/trace.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const dir = (...p: string[]) => projectPath('test/fixtures/backends', ...p);
const fx = (...p: string[]) => readFileSync(dir(...p), 'utf8');
const save = (d: string, f: string) => parseIptablesSave(fx(d, f), f);

function hostOf(d: string): NodeArtifacts {
  return {
    ipAddr: [parseInterfaces(fx(d, 'ip_addr'), 'ip_addr')],
    dockerNetworks: [parseDockerNetworks(fx(d, 'docker_network_inspect_bridge'), 'docker_network_inspect_bridge')],
  };
}

describe('legacy and nf_tables rules are kept apart', () => {
  // kube-proxy on legacy, Docker (healthy) on nf_tables; kernel: container -> outside 200 (masqueraded by the nft rule)
  const healthy = (order: 'legacy-first' | 'nft-first'): NodeArtifacts => {
    const legacy = save('mixed-healthy', 'iptables-legacy-save');
    const nft = save('mixed-healthy', 'iptables-save');
    return { ...hostOf('mixed-healthy'), iptables: order === 'legacy-first' ? [legacy, nft] : [nft, legacy] };
  };

  it('reads the back end of each file from its header', () => {
    const a = healthy('legacy-first');
    expect(a.iptables!.map((r) => r.backend)).toEqual(['legacy', 'nf_tables']);
    // the view plain `iptables` shows first (iptables-save), whatever the file order
    expect(groupByBackend(a.iptables!).map((g) => g.map((r) => r.file))).toEqual([['iptables-save'], ['iptables-legacy-save']]);
  });

  it.each(['legacy-first', 'nft-first'] as const)("finds Docker's chains and MASQUERADE in the nf_tables rules (%s)", (order) => {
    const a = healthy(order);
    expect(runNode(dockerChainMissing, a)).toEqual([]);
    expect(runNode(masqueradeMissing, a)).toEqual([]);
    expect(runNode(forwardBlocks, { ...a, routes: [parseRoutes(fx('mixed-healthy', 'ip_route'), 'ip_route')] })).toEqual([]);
    expect(runNode(mixedBackends, a).map((f) => f.severity)).toEqual(['critical']);
  });

  it('mergeRulesets does not let one back end hide the other: it keeps the first back end only', () => {
    const t = mergeRulesets(healthy('legacy-first').iptables!);
    expect(t.get('filter')!.get('FORWARD')!.ref.file).toBe('iptables-legacy-save');
    expect(t.get('filter')!.has('DOCKER')).toBe(false);
  });

  it('still merges the files of one back end (sos: one listing per table)', () => {
    const filter = parseIptablesList(fx('tailed', 'iptables_-t_filter_-nvL'), 'iptables_-t_filter_-nvL', { table: 'filter' });
    const nat = parseIptablesSave(fx('mixed-healthy', 'iptables-save'), 'iptables-save');
    const t = mergeRulesets([filter, { ...nat, tables: { nat: nat.tables.nat } }]);
    expect([...t.keys()].sort()).toEqual(['filter', 'nat']);
  });

  it("walks the other back end's FORWARD too: its policy DROP drops the containers' traffic", () => {
    // kube-proxy's legacy FORWARD has policy DROP, Docker's nft rules accept: kernel: container -> outside 000
    const a: NodeArtifacts = {
      ...hostOf('mixed-legacy-drop'),
      routes: [parseRoutes(fx('mixed-legacy-drop', 'ip_route'), 'ip_route')],
      iptables: [save('mixed-legacy-drop', 'iptables-save'), save('mixed-legacy-drop', 'iptables-legacy-save')],
    };
    const f = runNode(forwardBlocks, a);
    expect(f.length).toBeGreaterThan(0);
    expect(f[0].evidence[0]).toMatchObject({ file: 'iptables-legacy-save', excerpt: expect.stringContaining('FORWARD DROP') });
    // the fix goes into the back end whose policy drops (reviewer R1, D2: `iptables -I FORWARD` wrote
    // to nf_tables on this host and the traffic still failed; iptables-legacy made it pass)
    const inserts = f[0].remedy.commands.filter((c) => / -I FORWARD /.test(c));
    expect(inserts.length).toBeGreaterThan(0);
    // guarded (-C || -I, safe to paste twice): the check and the insert both in legacy, on the same rule
    expect(inserts.every((c) => /^iptables-legacy -C FORWARD (.+) 2>\/dev\/null \|\| iptables-legacy -I FORWARD (?:\d+ )?\1(\s+#.*)?$/.test(c)), inserts.join('\n')).toBe(true);
    // kube-proxy's chains are in legacy here: the check after its restart reads legacy too
    const [k] = runNode(kubeChainsMissing, a);
    expect(k.remedy.commands.find((c) => /-S KUBE-SERVICES/.test(c))).toMatch(/^iptables-legacy -t nat -S KUBE-SERVICES .* && iptables-legacy -t nat -S PREROUTING && iptables-legacy -t nat -S POSTROUTING/);
    // the healthy pair, the same walk: nothing
    expect(runNode(dockerChainMissing, a)).toEqual([]);
  });
});

describe('iptables.mixed-backends remedy', () => {
  it('resets the policies to ACCEPT before flushing, and deletes the chains, in every legacy table', () => {
    const a: NodeArtifacts = { iptables: [save('mixed-healthy', 'iptables-legacy-save'), save('mixed-healthy', 'iptables-save')] };
    const [f] = runNode(mixedBackends, a);
    const cmds = f.remedy.commands!;
    const policy = cmds.findIndex((c) => /iptables-legacy -t \$t -P \$c ACCEPT/.test(c));
    const flush = cmds.findIndex((c) => /iptables-legacy -t \$t -F; iptables-legacy -t \$t -X/.test(c));
    expect(policy).toBeGreaterThan(-1);
    expect(flush).toBeGreaterThan(policy);
    expect(cmds.some((c) => /\/proc\/net\/ip_tables_names/.test(c))).toBe(true);
    // not the flush alone that left FORWARD's policy DROP (verified in a namespace: 200 -> 000)
    expect(cmds.some((c) => /^iptables-legacy -F;/.test(c))).toBe(false);
    expect(f.remedy.caution).toMatch(/policies to ACCEPT before flushing/);
  });

  it.skipIf(!canMakeNetns())('run twice in a namespace, the copy of the legacy rules is the one made before the flush (reviewer R1, D4)', () => {
    const [f] = runNode(mixedBackends, { iptables: [save('mixed-healthy', 'iptables-legacy-save'), save('mixed-healthy', 'iptables-save')] });
    const dir = mkdtempSync(join(tmpdir(), 'bdmixed-'));
    // the copy and the emptying of legacy, as printed, /root moved to a scratch folder
    const steps = f.remedy.commands!.filter((c) => /legacy\.rules|ip6?tables-legacy -t \$t/.test(c)).map((c) => c.replaceAll('/root/', `${dir}/`));
    expect(steps.length).toBe(4);
    const ns = `bdmixed${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], { input: fx('mixed-healthy', 'iptables-legacy-save') });
      const before = execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save'], { encoding: 'utf8' });
      for (let run = 0; run < 2; run++) for (const c of steps) execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', c]);
      expect(execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save'], { encoding: 'utf8' })).not.toMatch(/^-A /m);
      const rules = (t: string) => t.split('\n').filter((l) => l.startsWith('-A '));
      expect(rules(readFileSync(join(dir, 'iptables-legacy.rules'), 'utf8'))).toEqual(rules(before));
      expect(rules(before).length).toBeGreaterThan(0);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a dump cut by sos (.tailed)', () => {
  const tailedNat = () => {
    const rs = parseIptablesList(fx('tailed', 'iptables_-t_nat_-nvL.tailed'), 'sos_commands/firewall_tables/iptables_-t_nat_-nvL', { table: 'nat' });
    markTruncated(rs, 'sos_strings/firewall_tables/iptables_-t_nat_-nvL.tailed');
    return rs;
  };
  const filter = () => parseIptablesList(fx('tailed', 'iptables_-t_filter_-nvL'), 'sos_commands/firewall_tables/iptables_-t_filter_-nvL', { table: 'filter' });

  it('raises no absence finding on the table it cut', () => {
    const a: NodeArtifacts = { ...hostOf('tailed'), iptables: [filter(), tailedNat()] };
    expect(runNode(dockerChainMissing, a)).toEqual([]);
    expect(runNode(masqueradeMissing, a)).toEqual([]);
  });

  it('the same text not known to be cut: the checks run, and a listing without nat\'s built-in chains cannot show DOCKER missing (info, not a flush)', () => {
    const nat = tailedNat();
    delete nat.truncated;
    const a: NodeArtifacts = { ...hostOf('tailed'), iptables: [filter(), nat] };
    const f = runNode(dockerChainMissing, a);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/shows only .*not PREROUTING/);
    expect(runNode(masqueradeMissing, a).length).toBeGreaterThan(0);
  });

  it('still checks the tables it did not cut', () => {
    const f = filter();
    delete f.tables.filter.chains.DOCKER;
    // and every jump to it (iptables keeps no jump to a chain that is gone; a jump proves the chain)
    for (const c of Object.values(f.tables.filter.chains)) c.rules = c.rules.filter((r) => r.target !== 'DOCKER');
    const a: NodeArtifacts = { ...hostOf('tailed'), iptables: [f, tailedNat()] };
    expect(runNode(dockerChainMissing, a)[0].message).toMatch(/no DOCKER chain in the filter table/);
  });

  it('an iptables-save tail: the rules before the first *table line go to the table they belong to, not filter', () => {
    const rs = parseIptablesSave(fx('tailed', 'iptables-save.tailed'), 'ip_netns_exec_ns1_iptables-save');
    expect(rs.tables.filter).toBeUndefined();
    expect(Object.keys(rs.tables.nat.chains).filter((c) => c.startsWith('KUBE-SVC-')).length).toBeGreaterThan(100);
    expect(rs.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/before the first "\*table" line .* read as nat/));
  });

  it('a tail that tells nothing of its table keeps those rules apart', () => {
    const text = '-A KUBE-SEP-ABC -s 10.244.1.5/32 -j KUBE-MARK-MASQ\n-A KUBE-SEP-ABC -j RETURN\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n';
    const rs = parseIptablesSave(text, 'iptables-save');
    expect(rs.tables.unknown.chains['KUBE-SEP-ABC'].rules).toHaveLength(2);
    expect(rs.tables.filter.chains['KUBE-SEP-ABC']).toBeUndefined();
  });

  it('a sosreport whose nat listing links to sos_strings/…tailed: no false criticals, a reading note in the coverage', async () => {
    const report = await analyzeBundle(dir('sosreport-node-t-2024-11-20-tttttt.tar.xz'));
    const ids = report.findings.map((f) => f.id);
    expect(ids).not.toContain('iptables.docker-chain-missing');
    expect(ids).not.toContain('iptables.docker-masquerade-missing');
    expect(JSON.stringify(report.coverage)).toMatch(/only the end of this output is in the bundle/);
  });
});

describe("Docker 29's nftables back end", () => {
  const d29 = (d: string, listing: 'text' | 'json' = 'text', daemon = fx(d, 'daemon.json')): NodeArtifacts => ({
    ...hostOf(d),
    dockerDaemon: [parseDockerDaemonJson(daemon, 'daemon.json')],
    nftables: [listing === 'text' ? parseNftText(fx(d, 'nft_list_ruleset'), 'nft_list_ruleset') : parseNftJson(fx(d, 'nft_-j_list_ruleset'), 'nft_-j_list_ruleset')],
  });

  it.each(['text', 'json'] as const)('finds the masquerade missing from ip docker-bridges (%s listing, no iptables rules at all)', (listing) => {
    // kernel: container on br-0123456789ab -> outside fails without it
    const f = runNode(masqueradeMissing, d29('d29-masq-missing', listing));
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ subnet: '172.18.0.0/16', bridge: 'br-0123456789ab', firewallBackend: 'nftables' });
    expect(f[0].evidence[0].file).toBe(listing === 'text' ? 'nft_list_ruleset' : 'nft_-j_list_ruleset');
    expect(f[0].remedy.commands[0]).toMatch(/^systemctl restart docker/);
  });

  it('with iptables-save beside it (iptables-nft tables empty)', () => {
    const empty = '# Generated by iptables-nft-save v1.8.9 (nf_tables)\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
    expect(runNode(masqueradeMissing, { ...d29('d29-masq-missing'), iptables: [parseIptablesSave(empty, 'iptables-save')] })).toHaveLength(1);
  });

  it('healthy: both masquerades in the table', () => {
    expect(runNode(masqueradeMissing, d29('d29-healthy'))).toEqual([]);
  });

  it('"iptables": false: Docker does no NAT by design, nothing is raised', () => {
    expect(runNode(masqueradeMissing, d29('d29-masq-missing', 'text', '{ "iptables": false }\n'))).toEqual([]);
  });
});
