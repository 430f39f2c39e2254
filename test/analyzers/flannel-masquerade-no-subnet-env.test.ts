/**
 * flannel.masquerade-missing without flannel's subnet.env: nat POSTROUTING's jump to FLANNEL-POSTRTG is
 * flannel's own sign of ip-masq, and an empty FLANNEL-POSTRTG is its masquerade gone.
 *
 * Real text (test/fixtures/k3s-7096, SOURCES.md):
 * - k3s-io/k3s#7096 (https://github.com/k3s-io/k3s/issues/7096), verbatim: `iptables -t nat -vnL | grep -i flannel`
 *   on k3s v1.26.2+k3s1 with iptables v1.4.21 (CentOS 7.9): the jump, `Chain FLANNEL-POSTRTG (1 references)`, no
 *   rule; `k3s -v` of the reproduction and of the validation (v1.26.3-rc2+k3s1, the fix of k3s#7136);
 * - made with the real iptables 1.8.9 in a network namespace (make-fixtures.sh) from ../k8s-flush's k3s rule
 *   sets: the whole nat listing with FLANNEL-POSTRTG flushed, `grep -i flannel` and `grep FLANNEL` of the healthy
 *   node, `grep 'flanneld masq'` of the flushed one (the jump row alone);
 * - ../k8s-flush/k3s-masq-missing.rules and k3s-healthy.rules (iptables-save, every table).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import flannelMasqueradeMissing from '../../analyzers/flannel-masquerade-missing.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseK3sVersion } from '../../src/parsers/k3s-version.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/k3s-7096', name), 'utf8');
const flush = (name: string) => readFileSync(projectPath('test/fixtures/k8s-flush', name), 'utf8');

const K3S_BROKEN = () => parseK3sVersion(fx('k3s-version.txt'), 'k3s-version.txt');
const K3S_FIXED = () => parseK3sVersion(fx('k3s-version-v1.26.3-rc2.txt'), 'k3s-version.txt');
const IPTABLES_OLD = () => parseIptablesVersion(fx('iptables-version.txt'), 'iptables-version.txt');
const IPTABLES_NEW = () => parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'iptables-version.txt');

/** A node's artifacts with the k3sVersion kind, which src/engine/artifacts.ts is to declare. */
function node(a: NodeArtifacts & { k3sVersion?: ReturnType<typeof parseK3sVersion>[] }): NodeArtifacts {
  return a as NodeArtifacts;
}

function run(artifacts: NodeArtifacts): { findings: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  const findings = flannelMasqueradeMissing.analyze({ node: 'centos79', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w: string) => partly.push(w) } as never);
  return { findings, partly };
}

/** the routes of ../flannel-masquerade-missing.test.ts's k3s node: cni0 holds the node's pod subnet */
const ROUTES = [
  'default via 192.168.122.1 dev eth0 proto dhcp src 192.168.122.10 metric 100',
  '10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1',
  '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink',
  '192.168.122.0/24 dev eth0 proto kernel scope link src 192.168.122.10 metric 100',
].join('\n');

const listing = (name: string) => parseIptablesList(fx(name), name);
const coverage = (r: BundleReport, id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id)!;

describe('k3s#7096 verbatim: the grep of the thread, k3s v1.26.2+k3s1, iptables v1.4.21', () => {
  const artifacts = () => node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_BROKEN()] });

  it('fires critical, names k3s#7096 and the fixed release, cites the chain and both versions', () => {
    const { findings, partly } = run(artifacts());
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('k3s-io/k3s#7096');
    expect(f.message).toContain('v1.26.3+k3s1');
    expect(f.message).toContain('k3s v1.26.2+k3s1 (k3s-version.txt:1)');
    expect(f.message).toContain('iptables 1.4.21 (iptables-version.txt:1)');
    // the pod network is k3s' default, and said to be assumed
    expect(f.facts).toMatchObject({ knownIssue: 'k3s-io/k3s#7096', k3sVersion: 'v1.26.2+k3s1', iptablesVersion: '1.4.21', fixedIn: 'v1.26.3+k3s1', network: '10.42.0.0/16', networkAssumed: true });
    expect(f.message).toMatch(/10\.42\.0\.0\/16 is k3s' default --cluster-cidr, assumed/);
    const lines = fx('iptables-nat-vnL-grep-flannel.txt').split('\n');
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-nat-vnL-grep-flannel.txt', line: 2 });
    expect(lines[f.evidence[0].line - 1]).toBe('Chain FLANNEL-POSTRTG (1 references)');
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'k3s-version.txt', line: 1, excerpt: 'k3s version v1.26.2+k3s1 (ea094d1d)' }), expect.objectContaining({ file: 'iptables-version.txt', line: 1, excerpt: 'iptables v1.4.21' })]));
  });

  it('the fix is the upgrade, before any rule by hand; the stop-gap has no --random-fully (iptables 1.4.21 refuses it)', () => {
    const [f] = run(artifacts()).findings;
    expect(f.remedy.summary).toMatch(/^Upgrade k3s on centos79 to v1\.26\.3\+k3s1 or later \(k3s-io\/k3s#7096\)/);
    expect(f.remedy.commands[0]).toContain('https://github.com/k3s-io/k3s/releases/download/v1.26.3%2Bk3s1/k3s$A');
    const upgrade = f.remedy.commands.findIndex((c) => c.startsWith('install -m 755 /tmp/k3s'));
    const restart = f.remedy.commands.findIndex((c) => c.startsWith('systemctl restart k3s'));
    expect(upgrade).toBeGreaterThan(0);
    expect(restart).toBeGreaterThan(upgrade);
    // no pod subnet in this bundle: the stop-gap says what it needs instead of rules with a made-up subnet
    expect(f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -A '))).toEqual([]);
  });

  it('without the k3s version the same paste proves nothing: no finding, the coverage says why', () => {
    const { findings, partly } = run(node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')], iptablesVersion: [IPTABLES_OLD()] }));
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toMatch(/^FLANNEL-POSTRTG is listed with no rule \(iptables-nat-vnL-grep-flannel\.txt:2\), but not the rest of the nat table/);
    expect(partly[0]).toContain('a grep for FLANNEL or POSTRTG shows the chain and the jump to it but hides every rule of it');
  });

  it('k3s at the fix (v1.26.3-rc2+k3s1) with the same paste: no k3s#7096, and the grep is not believed', () => {
    const { findings, partly } = run(node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_FIXED()] }));
    expect(findings).toEqual([]);
    expect(partly[0]).toMatch(/^FLANNEL-POSTRTG is listed with no rule/);
  });

  it('k3s v1.26.2 with an iptables that has --random-fully (1.8.9): not k3s#7096, nothing said from the grep', () => {
    const { findings } = run(node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')], iptablesVersion: [IPTABLES_NEW()], k3sVersion: [K3S_BROKEN()] }));
    expect(findings).toEqual([]);
  });
});

describe('healthy FLANNEL-POSTRTG and other greps (real iptables 1.8.9 in a namespace)', () => {
  it("the thread's grep -i flannel on a healthy node: flannel's six rules are shown, no finding, nothing to say", () => {
    const { findings, partly } = run(node({ iptables: [listing('grep-i-flannel-healthy.txt')], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_BROKEN()] }));
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('grep FLANNEL on a healthy node looks like the reproduction: no finding without k3s#7096, the coverage says the rules may be hidden', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-grep.txt': fx('grep-FLANNEL-healthy.txt'), 'iptables-version.txt': 'iptables v1.8.9 (nf_tables)\n' }, 'grep-FLANNEL-healthy'));
    expect(r.findings.map((f) => f.id)).not.toContain('flannel.masquerade-missing');
    expect(coverage(r, 'flannel.masquerade-missing').reason).toMatch(/^ran in part: FLANNEL-POSTRTG is listed with no rule \(iptables-nat-grep\.txt:3\), but not the rest of the nat table/);
  });

  it("a grep that shows only the jump (grep 'flanneld masq'): no finding, the coverage says the chain was not listed", async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-grep.txt': fx('grep-flanneld-masq-jump-only.txt') }, 'grep-jump-only'));
    expect(r.findings.map((f) => f.id)).not.toContain('flannel.masquerade-missing');
    expect(coverage(r, 'flannel.masquerade-missing').reason).toMatch(/^ran in part: iptables-nat-grep\.txt shows a jump to flannel's FLANNEL-POSTRTG \(flannel masquerades\), but not the chain itself/);
  });
});

describe('a whole nat table without subnet.env', () => {
  it('the whole -vnL listing with FLANNEL-POSTRTG flushed, k3s at the fix (v1.26.3-rc2): critical, no k3s#7096 wording', () => {
    const { findings } = run(node({ iptables: [listing('nat-vnL-masq-missing.txt')], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_FIXED()] }));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).not.toContain('7096');
    expect(f.facts).not.toHaveProperty('knownIssue');
    expect(f.facts).toMatchObject({ network: '10.42.0.0/16', networkAssumed: true, listing: 'whole nat table' });
    const lines = fx('nat-vnL-masq-missing.txt').split('\n');
    expect(lines[f.evidence[0].line - 1]).toBe('Chain FLANNEL-POSTRTG (1 references)');
    // POSTROUTING's jump, cited as flannel's sign of ip-masq
    expect(lines[f.evidence[1].line - 1]).toMatch(/FLANNEL-POSTRTG .*\/\* flanneld masq \*\/$/);
    // kube-proxy's and the portmap plugin's masquerades are for marked packets only
    expect(f.evidence.filter((e) => e.note?.startsWith('does not apply')).length).toBe(2);
    // k3s restarted first (flannel in-process); the stop-gap needs the node's pod subnet, which this bundle lacks
    expect(f.remedy.commands[0]).toMatch(/^systemctl restart k3s /);
    expect(f.remedy.commands.some((c) => c.startsWith('iptables -t nat -A '))).toBe(false);
  });

  it('the same with k3s v1.26.2+k3s1 and iptables 1.4.21: k3s#7096 named, the upgrade first', () => {
    const [f] = run(node({ iptables: [listing('nat-vnL-masq-missing.txt')], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_BROKEN()], routes: [parseRoutes(ROUTES, 'ip-route.txt')] })).findings;
    expect(f.message).toContain('k3s-io/k3s#7096');
    expect(f.remedy.commands[0]).toContain('v1.26.3%2Bk3s1');
    // the stop-gap after the upgrade: flannel's rules as its plain branch writes them, without --random-fully (iptables 1.4.21 refuses it)
    const stopGap = f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -A ')).map((c) => c.replace('iptables -t nat ', ''));
    expect(stopGap).toEqual(flush('k3s-healthy.rules').split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG')).map((l) => l.replace(' --random-fully', '')));
    expect(f.remedy.commands.findIndex((c) => c.startsWith('iptables -t nat -F FLANNEL-POSTRTG'))).toBeGreaterThan(f.remedy.commands.findIndex((c) => c.startsWith('install -m 755')));
  });

  it("iptables-save of the flushed node: the network from flannel's FLANNEL-FWD rule, the pod subnet from cni0, the stop-gap = flannel's rules", () => {
    const text = flush('k3s-masq-missing.rules');
    const { findings } = run(node({ iptables: [parseIptablesSave(text, 'iptables-save.txt')], routes: [parseRoutes(ROUTES, 'ip-route.txt')] }));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.facts).toMatchObject({ network: '10.42.0.0/16', networkAssumed: false, networkFrom: "flannel's FLANNEL-FWD rule", podSubnet: '10.42.0.0/24', uplink: 'eth0' });
    expect(text.split('\n')[f.evidence.find((e) => e.note === "flannel's forward rule for its network")!.line - 1]).toBe('-A FLANNEL-FWD -s 10.42.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT');
    // the stop-gap is exactly what flannel writes: the healthy dump's FLANNEL-POSTRTG rules, in order
    const stopGap = f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -A ')).map((c) => c.replace('iptables -t nat ', ''));
    expect(stopGap).toEqual(flush('k3s-healthy.rules').split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG')));
  });

  it('iptables-save of the healthy node: no finding', () => {
    const { findings, partly } = run(node({ iptables: [parseIptablesSave(flush('k3s-healthy.rules'), 'iptables-save.txt')], k3sVersion: [K3S_BROKEN()] }));
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('a kubeadm node without flannel: nothing run, nothing said', () => {
    const { findings, partly } = run(node({ iptables: [parseIptablesSave(flush('kubeadm-healthy.rules').replace(/^.*FLANNEL.*$\n/gm, ''), 'iptables-save.txt')] }));
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });
});

/** k3s' subnet.env of ../flannel-masquerade-missing.test.ts (flannel on k3s writes it: FLANNEL_IPMASQ=true) */
const K3S_ENV = 'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const env = () => parseSubnetEnv(K3S_ENV, 'run/flannel/subnet.env');

describe('with subnet.env: the same k3s#7096 wording, and greps decided as without it', () => {
  it('the flushed node, k3s v1.26.2+k3s1, iptables 1.4.21: k3s#7096 named, the upgrade first, the stop-gap without --random-fully', () => {
    const [f] = run(node({ iptables: [parseIptablesSave(flush('k3s-masq-missing.rules'), 'iptables-save.txt')], flannelSubnetEnv: [env()], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_BROKEN()] })).findings;
    expect(f.facts).toMatchObject({ knownIssue: 'k3s-io/k3s#7096', podSubnet: '10.42.0.0/24' });
    expect(f.remedy.commands[0]).toContain('v1.26.3%2Bk3s1');
    const stopGap = f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -A ')).map((c) => c.replace('iptables -t nat ', ''));
    expect(stopGap).toEqual(flush('k3s-healthy.rules').split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG')).map((l) => l.replace(' --random-fully', '')));
  });

  it('the same node with a current k3s and iptables: no k3s#7096, --random-fully kept', () => {
    const [f] = run(node({ iptables: [parseIptablesSave(flush('k3s-masq-missing.rules'), 'iptables-save.txt')], flannelSubnetEnv: [env()], iptablesVersion: [IPTABLES_NEW()], k3sVersion: [K3S_FIXED()] })).findings;
    expect(f.message).not.toContain('7096');
    expect(f.remedy.commands.filter((c) => c.includes('-j MASQUERADE')).every((c) => c.endsWith('--random-fully'))).toBe(true);
  });

  it('grep FLANNEL of the healthy node: not a missing masquerade (the grep hid the rules), the coverage says why', () => {
    const { findings, partly } = run(node({ iptables: [listing('grep-FLANNEL-healthy.txt')], flannelSubnetEnv: [env()] }));
    expect(findings).toEqual([]);
    expect(partly[0]).toMatch(/^FLANNEL-POSTRTG is listed with no rule \(grep-FLANNEL-healthy\.txt:3\), but not the rest of the nat table/);
  });

  it("the thread's grep -i flannel of the healthy node: flannel's rules are there, nothing said", () => {
    const { findings, partly } = run(node({ iptables: [listing('grep-i-flannel-healthy.txt')], flannelSubnetEnv: [env()] }));
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('the verbatim reproduction with k3s v1.26.2 and iptables 1.4.21: critical, k3s#7096', () => {
    const { findings } = run(node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')], flannelSubnetEnv: [env()], iptablesVersion: [IPTABLES_OLD()], k3sVersion: [K3S_BROKEN()] }));
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain('k3s-io/k3s#7096');
  });
});

describe('the case folder of k3s#7096 through the whole engine', () => {
  it('the three verbatim files: one critical flannel.masquerade-missing naming k3s#7096', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-vnL-grep-flannel.txt': fx('iptables-nat-vnL-grep-flannel.txt'), 'iptables-version.txt': fx('iptables-version.txt'), 'k3s-version.txt': fx('k3s-version.txt') }, 'k3s7096'));
    const f = r.findings.filter((x) => x.id === 'flannel.masquerade-missing');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toContain('k3s-io/k3s#7096');
  });
});

describe('runNode as the engine calls it', () => {
  it('requires only the rules now', () => {
    expect(flannelMasqueradeMissing.requires).toEqual(['iptables']);
    expect(() => runNode(flannelMasqueradeMissing, node({ iptables: [listing('iptables-nat-vnL-grep-flannel.txt')] }))).not.toThrow();
  });
});
