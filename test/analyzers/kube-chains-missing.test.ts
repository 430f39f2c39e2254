/**
 * iptables.kube-chains-missing on real rule text: test/fixtures/k8s-flush/ is the output of the real
 * iptables 1.8.9 (nf_tables) in a network namespace (make-fixtures.sh): a healthy k3s node (kube-proxy
 * iptables mode, flannel, kube-router network policy), the same flushed (iptables -F per table),
 * with its jumps to KUBE-SERVICES deleted, with every chain deleted; a kubeadm node healthy and
 * flushed. Quiet cases: IPVS mode (test/fixtures/hosts/flannel-ipvs-no-brnf), Cilium's kube-proxy
 * replacement (hosts/cilium-kpr-healthy), kube-proxy nftables mode (rv5/kp-nft-masq-missing), Calico
 * with kube-proxy (rv5/calico-healthy), a pure Docker host, kube-proxy 1.29's own test state (corpus),
 * and a dump cut by sos.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { markTruncated } from '../../src/netfilter/backends.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import { K3S_UNITS, runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const rules = (name: string) => parseIptablesSave(fx('k8s-flush', name), `k3s-node1/${name}`);

const k3sActive = () => [parseSystemctlText(K3S_UNITS, 'k3s-node1/systemctl-list-units.txt')];

describe('fires when kube-proxy runs and its rules are gone', () => {
  it('k3s, every rule of filter, nat and mangle flushed: critical, citing the empty chains and the missing jumps, restart k3s', () => {
    const [f, ...more] = runNode(kubeChainsMissing, { iptables: [rules('k3s-flushed.rules')], services: k3sActive() });
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ mode: 'iptables', wholeFlush: true, serviceChains: 2, proxyOwner: 'k3s' });
    expect(f.facts!.missing).toEqual([
      'nat KUBE-SERVICES is empty',
      'nat PREROUTING does not jump to KUBE-SERVICES',
      'nat OUTPUT does not jump to KUBE-SERVICES',
      'nat KUBE-POSTROUTING is empty',
      'nat POSTROUTING does not jump to KUBE-POSTROUTING',
      'filter KUBE-FORWARD is empty',
      'filter FORWARD does not jump to KUBE-FORWARD',
    ]);
    const text = fx('k8s-flush', 'k3s-flushed.rules').split('\n');
    // evidence points at the chain lines of the dump
    const kubeServices = f.evidence[0];
    expect(text[kubeServices.line - 1]).toBe(':KUBE-SERVICES - [0:0]');
    expect(text[kubeServices.line - 2]).toBe(':KUBE-SEP-ZP3FB6NMPNCO4VBJ - [0:0]');
    expect(f.evidence.map((e) => e.note).join(' ')).toContain("kube-proxy's canary chain");
    expect(f.evidence.some((e) => e.file.endsWith('systemctl-list-units.txt') && e.line === 3)).toBe(true);
    expect(f.message).toContain('someone ran iptables -F');
    expect(f.message).toContain('FLANNEL-FWD');
    expect(f.remedy.commands[0]).toMatch(/^systemctl restart k3s /);
  });

  it('nftables.service active beside k3s (Debian): named among the units whose restart flushes the rules', () => {
    // `systemctl list-units` on Debian 12: nftables.service is a oneshot that stays "active exited"
    const units = K3S_UNITS.replace('  ssh.service', '  nftables.service                   loaded active exited  nftables\n  ssh.service').replace('3 loaded units', '4 loaded units');
    const [f] = runNode(kubeChainsMissing, { iptables: [rules('k3s-flushed.rules')], services: [parseSystemctlText(units, 'k3s-node1/systemctl-list-units.txt')] });
    expect(f.evidence).toContainEqual(expect.objectContaining({ line: 4, excerpt: expect.stringContaining('nftables.service'), note: expect.stringMatching(/^nftables\.service is active/) }));
    expect(f.message).toContain('nftables.service is enabled here: its start or reload flushes the live rules');
    expect(f.remedy.summary).toContain('the firewall service enabled here');
  });

  it('only the jumps to KUBE-SERVICES deleted: the chains are intact, the jumps are named', () => {
    const [f] = runNode(kubeChainsMissing, { iptables: [rules('k3s-jumps-removed.rules')], services: k3sActive() });
    expect(f.facts!.missing).toEqual(['nat PREROUTING does not jump to KUBE-SERVICES', 'nat OUTPUT does not jump to KUBE-SERVICES']);
    expect(f.facts!.wholeFlush).toBe(false);
  });

  it('every chain deleted (iptables -F; iptables -X) on a node whose k3s.service is active', () => {
    const [f] = runNode(kubeChainsMissing, { iptables: [rules('k3s-deleted.rules')], services: k3sActive() });
    expect(f.facts!.missing).toEqual(['nat KUBE-SERVICES is gone', 'nat KUBE-POSTROUTING is gone']);
    // the table header is the evidence of a chain not there
    expect(f.evidence[0]).toMatchObject({ excerpt: '*nat: no KUBE-SERVICES chain' });
    expect(fx('k8s-flush', 'k3s-deleted.rules').split('\n')[f.evidence[0].line - 1]).toBe('*nat');
  });

  it('kubeadm node (kube-proxy DaemonSet) flushed: the remedy deletes its kube-proxy pod', () => {
    const [f] = runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx('k8s-flush', 'kubeadm-flushed.rules'), 'iptables-save')] }, 'k8s-w1');
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ proxyOwner: 'pod' });
    expect(f.remedy.commands[0]).toBe('kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=k8s-w1   # the DaemonSet starts it again');
  });

  it('IPVS mode, KUBE-POSTROUTING flushed: fires (IPVS keeps it)', () => {
    const text = fx('hosts/flannel-ipvs-no-brnf/k8s-w1/iptables-save.txt')
      .split('\n')
      .filter((l) => !l.startsWith('-A KUBE-POSTROUTING'))
      .join('\n');
    const [f] = runNode(kubeChainsMissing, { iptables: [parseIptablesSave(text, 'iptables-save.txt')] });
    expect(f.facts).toMatchObject({ mode: 'ipvs', missing: ['nat KUBE-POSTROUTING is empty'] });
  });
});

describe('quiet on healthy nodes and where it cannot tell', () => {
  it.each(['k3s-healthy.rules', 'kubeadm-healthy.rules', 'k3s-masq-missing.rules'])('%s', (name) => {
    expect(runNode(kubeChainsMissing, { iptables: [rules(name)], services: k3sActive() })).toEqual([]);
  });

  it('kube-proxy in IPVS mode with flannel (KUBE-SERVICES holds set matches, no KUBE-SVC chains)', () => {
    const a: NodeArtifacts = {
      iptables: [parseIptablesSave(fx('hosts/flannel-ipvs-no-brnf/k8s-w1/iptables-save.txt'), 'iptables-save.txt')],
      ipAddr: [parseInterfaces(fx('hosts/flannel-ipvs-no-brnf/k8s-w1/ip_addr.txt'), 'ip_addr.txt')],
    };
    expect(runNode(kubeChainsMissing, a)).toEqual([]);
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx('rv5/ipvs-forward-drop/iptables-save.healthy.txt'), 'iptables-save')] })).toEqual([]);
  });

  it("Cilium's kube-proxy replacement: kubelet's KUBE-FIREWALL / KUBE-KUBELET-CANARY / KUBE-IPTABLES-HINT only", () => {
    const d = 'hosts/cilium-kpr-healthy/ip-172-31-20-15';
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], services: [parseSystemctlText(fx(d, 'systemctl_list-units.txt'), 'systemctl_list-units.txt')] })).toEqual([]);
  });

  it('kube-proxy in nftables mode beside Docker: its rules are in table ip kube-proxy, none in iptables', () => {
    const d = 'rv5/kp-nft-masq-missing';
    const a: NodeArtifacts = { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], nftables: [parseNftText(fx(d, 'nft_list_ruleset.txt'), 'nft_list_ruleset.txt')] };
    expect(runNode(kubeChainsMissing, a)).toEqual([]);
  });

  it('kube-proxy nftables mode with its table flushed (nft flush table ip kube-proxy, real nft 1.0.6 output): its own finding', () => {
    const d = 'rv5/kp-nft-masq-missing';
    const a: NodeArtifacts = {
      iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')],
      nftables: [parseNftText(fx('k8s-flush', 'kube-proxy-nft-flushed.nft'), 'nft_list_ruleset.txt')],
      services: [parseSystemctlText('  kubelet.service loaded active running kubelet\n', 'units')],
    };
    const out = runNode(kubeChainsMissing, a);
    expect(out.map((f) => [f.severity, f.facts?.mode])).toEqual([['critical', 'nftables']]);
    expect(out[0].evidence[0].excerpt).toContain('chain services');
  });

  it('Calico with kube-proxy (iptables mode), and a pure Docker host', () => {
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx('rv5/calico-healthy/iptables-save.txt'), 'iptables-save.txt')] })).toEqual([]);
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx('rv6/docker.rules'), 'iptables-save')] })).toEqual([]);
  });

  it('every chain deleted, and nothing says kube-proxy runs: nothing to say', () => {
    expect(runNode(kubeChainsMissing, { iptables: [rules('k3s-deleted.rules')] })).toEqual([]);
  });

  it('a flushed dump cut by sos (.tailed): its absences prove nothing', () => {
    const rs = rules('k3s-flushed.rules');
    markTruncated(rs, 'sos_strings/networking/iptables-save.tailed');
    expect(runNode(kubeChainsMissing, { iptables: [rs], services: k3sActive() })).toEqual([]);
  });

  it.skipIf(!hasCorpus)("kube-proxy 1.29's own cleanup-test state (kubernetes pkg/proxy/iptables)", () => {
    const text = readFileSync(corpusPath('iptables-save', 'k8s-cleanup-test-kube-proxy-1.29-full-state-with-foreign-rules.txt'), 'utf8');
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(text, 'iptables-save')] })).toEqual([]);
  });
});

describe('the whole bundle: the flush is one critical, the flannel log lines fold into it', () => {
  it('k3s-flushed (reviewer rvC): iptables.kube-chains-missing with the log lines, no cleanup-harmless info, no separate flannel finding', async () => {
    const log = [
      'Dec 01 09:14:02 k3s-node1 systemd[1]: Starting Lightweight Kubernetes...',
      'Dec 01 09:14:07 k3s-node1 systemd[1]: Started Lightweight Kubernetes.',
      'Dec 01 10:02:44 k3s-node1 k3s[812]: E1201 10:02:44.118201     812 iptables.go:320] Failed to ensure iptables rules: error checking rule existence: failed to check rule existence: running [/usr/sbin/iptables -t nat -C FLANNEL-POSTRTG -m comment --comment flanneld masq -j RETURN --wait]: exit status 1: iptables: No chain/target/match by that name.',
    ].join('\n');
    const tgz = writeTmp(
      'k3s-flushed.tgz',
      await makeTarGz([
        { name: 'k3s-node1/iptables-save.txt', content: fx('k8s-flush', 'k3s-flushed.rules') },
        { name: 'k3s-node1/systemctl-list-units.txt', content: K3S_UNITS },
        { name: 'k3s-node1/journalctl-u-k3s.log', content: log },
        { name: 'k3s-node1/run/flannel/subnet.env', content: 'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' },
      ]),
    );
    const report = await analyzeBundle(tgz);
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['critical iptables.kube-chains-missing']);
    const [f] = report.findings;
    expect(f.related).toEqual(expect.arrayContaining(['log.flannel-iptables-failed', 'log.iptables-no-chain']));
    expect(f.evidence.some((e) => e.file === 'k3s-node1/journalctl-u-k3s.log' && e.line === 3)).toBe(true);
  });
});
