/**
 * flannel.masquerade-missing on real rule text (test/fixtures/k8s-flush/, made by the real iptables
 * 1.8.9 in a network namespace, make-fixtures.sh): flannel 0.15+ rules (FLANNEL-POSTRTG, k3s) healthy
 * and with FLANNEL-POSTRTG flushed; flannel 0.8-0.14 rules (straight in POSTROUTING, as
 * flannel-io/flannel network/iptables.go MasqRules writes them) healthy and with their MASQUERADE
 * deleted; flannel before 0.8 (its FLANNEL chain, network/ipmasq.go); a broad `-o eth0 -j MASQUERADE`; Calico's natOutgoing (canal); a kubeadm node.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import flannelMasqueradeMissing from '../../analyzers/flannel-masquerade-missing.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { markTruncated } from '../../src/netfilter/backends.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseIpset } from '../../src/parsers/ipset.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');

const K3S_ENV = 'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const ROUTES = [
  'default via 192.168.122.1 dev eth0 proto dhcp src 192.168.122.10 metric 100',
  '10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1',
  '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink',
  '192.168.122.0/24 dev eth0 proto kernel scope link src 192.168.122.10 metric 100',
].join('\n');
const UNITS = '  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n  k3s.service                        loaded active running Lightweight Kubernetes\n';

function k3sNode(rulesFile: string, env = K3S_ENV, text = rulesFile ? fx('k8s-flush', rulesFile) : ''): NodeArtifacts {
  return {
    iptables: [parseIptablesSave(text, 'k3s-node1/iptables-save.txt')],
    flannelSubnetEnv: [parseSubnetEnv(env, 'k3s-node1/run/flannel/subnet.env')],
    routes: [parseRoutes(ROUTES, 'k3s-node1/ip-route.txt')],
    services: [parseSystemctlText(UNITS, 'k3s-node1/systemctl-list-units.txt')],
  };
}

describe('fires when nothing masquerades the pod network to the outside', () => {
  it('flannel 0.15+ (k3s), FLANNEL-POSTRTG flushed: critical, citing the empty chain, IPMASQ and the masquerades that do not apply', () => {
    const [f, ...more] = runNode(flannelMasqueradeMissing, k3sNode('k3s-masq-missing.rules'), 'k3s-node1');
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ network: '10.42.0.0/16', podSubnet: '10.42.0.0/24', uplink: 'eth0', ruleStyle: 'FLANNEL-POSTRTG (flannel 0.15+)' });
    const lines = fx('k8s-flush', 'k3s-masq-missing.rules').split('\n');
    expect(lines[f.evidence[0].line - 1]).toBe(':FLANNEL-POSTRTG - [0:0]');
    expect(f.evidence[1]).toMatchObject({ file: 'k3s-node1/run/flannel/subnet.env', line: 1 });
    expect(f.evidence[2]).toMatchObject({ line: 4, excerpt: 'FLANNEL_IPMASQ=true' });
    // KUBE-POSTROUTING's and CNI-HOSTPORT-MASQ's masquerades are for marked packets only
    expect(f.evidence.filter((e) => e.note?.startsWith('does not apply')).map((e) => e.excerpt)).toEqual([
      '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(f.remedy.commands[0]).toMatch(/^systemctl restart k3s /);
    // the stop-gap is exactly what flannel writes: the healthy dump's FLANNEL-POSTRTG rules, in order
    const stopGap = f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -A ')).map((c) => c.replace('iptables -t nat ', ''));
    const healthy = fx('k8s-flush', 'k3s-healthy.rules').split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG'));
    expect(stopGap).toEqual(healthy);
  });

  it('flannel 0.8-0.14 (rules straight in POSTROUTING), its MASQUERADE deleted', () => {
    const [f] = runNode(flannelMasqueradeMissing, k3sNode('flannel-0.14-masq-missing.rules'));
    expect(f.facts).toMatchObject({ ruleStyle: 'POSTROUTING (flannel < 0.15)' });
    expect(f.evidence[0]).toMatchObject({ line: 0, excerpt: 'no "-s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE" reachable from nat POSTROUTING' });
    // only the rule POSTROUTING lacks: the others are there
    expect(f.remedy.commands.filter((c) => c.startsWith('iptables -t nat -'))).toEqual([
      'iptables -t nat -C POSTROUTING -s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully 2>/dev/null || iptables -t nat -A POSTROUTING -s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully',
      'iptables -t nat -S POSTROUTING; iptables -t nat -S FLANNEL-POSTRTG   # check',
    ]);
  });

  it("flannel before 0.8 (its FLANNEL chain, network/ipmasq.go), the chain's MASQUERADE deleted", () => {
    const text = fx('k8s-flush', 'flannel-0.7-healthy.rules')
      .split('\n')
      .filter((l) => l !== '-A FLANNEL ! -d 224.0.0.0/4 -j MASQUERADE')
      .join('\n');
    const [f] = runNode(flannelMasqueradeMissing, k3sNode('', K3S_ENV, text));
    expect(f.severity).toBe('critical');
  });

  it.skipIf(!canMakeNetns())('its stop-gap commands, run by the real iptables on the broken rules, leave nothing to report', () => {
    const ns = `hfm${process.pid}`;
    const run = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      // FLANNEL-POSTRTG empty; flannel 0.14's MASQUERADE gone; FLANNEL-POSTRTG without its MASQUERADE of the pod network (emptied and rewritten)
      const onlyMasqGone = fx('k8s-flush', 'k3s-healthy.rules')
        .split('\n')
        .filter((l) => !l.startsWith('-A FLANNEL-POSTRTG -s 10.42.0.0/16 ! -d 224.0.0.0/4'))
        .join('\n');
      for (const text of [fx('k8s-flush', 'k3s-masq-missing.rules'), fx('k8s-flush', 'flannel-0.14-masq-missing.rules'), onlyMasqGone]) {
        run(['iptables-restore'], text);
        const [f] = runNode(flannelMasqueradeMissing, k3sNode('', K3S_ENV, text));
        // pasted twice (or after flannel wrote its rules again): the same rules, once each (reviewer R1, D7)
        const stopGap = f.remedy.commands.filter((x) => /^iptables -t nat -[ACF] /.test(x));
        for (let paste = 0; paste < 2; paste++) for (const c of stopGap) run(['sh', '-c', c]);
        const after = run(['iptables-save']);
        const appended = after.split('\n').filter((l) => /^-A (POSTROUTING|FLANNEL-POSTRTG) /.test(l));
        expect(new Set(appended).size).toBe(appended.length);
        expect(runNode(flannelMasqueradeMissing, k3sNode('', K3S_ENV, after))).toEqual([]);
        if (text === onlyMasqGone) expect(after.split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG'))).toEqual(fx('k8s-flush', 'k3s-healthy.rules').split('\n').filter((l) => l.startsWith('-A FLANNEL-POSTRTG')));
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('quiet where the pod network is masqueraded, or not meant to be, or the dump cannot tell', () => {
  it.each(['k3s-healthy.rules', 'flannel-0.14-healthy.rules', 'flannel-0.7-healthy.rules', 'k3s-masq-by-eth0.rules'])('%s', (name) => {
    expect(runNode(flannelMasqueradeMissing, k3sNode(name))).toEqual([]);
  });

  it('FLANNEL_IPMASQ=false: flannel is told not to masquerade', () => {
    expect(runNode(flannelMasqueradeMissing, k3sNode('k3s-masq-missing.rules', K3S_ENV.replace('IPMASQ=true', 'IPMASQ=false')))).toEqual([]);
  });

  it('every nat rule flushed on a kube-proxy node: iptables.kube-chains-missing says it, once', () => {
    expect(runNode(flannelMasqueradeMissing, k3sNode('k3s-flushed.rules'))).toEqual([]);
  });

  it('a dump cut by sos (.tailed)', () => {
    const a = k3sNode('k3s-masq-missing.rules');
    markTruncated(a.iptables![0], 'sos_strings/networking/iptables-save.tailed');
    expect(runNode(flannelMasqueradeMissing, a)).toEqual([]);
  });

  it('kubeadm node with flannel (kube-flannel DaemonSet), and kube-proxy IPVS with flannel', () => {
    const env = fx('hosts/flannel-ipvs-no-brnf/k8s-w1/subnet.env');
    expect(runNode(flannelMasqueradeMissing, { iptables: [parseIptablesSave(fx('k8s-flush', 'kubeadm-healthy.rules'), 'iptables-save')], flannelSubnetEnv: [parseSubnetEnv(env, 'subnet.env')] })).toEqual([]);
    const d = 'hosts/flannel-ipvs-no-brnf/k8s-w1';
    expect(
      runNode(flannelMasqueradeMissing, { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], flannelSubnetEnv: [parseSubnetEnv(env, 'subnet.env')], routes: [parseRoutes(fx(d, 'ip_route.txt'), 'ip_route.txt')] }),
    ).toEqual([]);
  });

  it("canal: Calico's natOutgoing masquerades the pool (its ipset listed), or may (not listed: undecided, nothing said)", () => {
    const env = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.36.65/26\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
    const base: NodeArtifacts = {
      iptables: [parseIptablesSave(fx('rv5/calico-healthy/iptables-save.txt'), 'iptables-save.txt')],
      flannelSubnetEnv: [parseSubnetEnv(env, 'subnet.env')],
      routes: [parseRoutes(fx('rv5/calico-healthy/ip_route.txt'), 'ip_route.txt')],
    };
    expect(runNode(flannelMasqueradeMissing, { ...base, ipsets: [parseIpset(fx('ipset/calico.list'), 'ipset_list')] })).toEqual([]);
    expect(runNode(flannelMasqueradeMissing, base)).toEqual([]);
  });
});
