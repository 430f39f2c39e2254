/**
 * Reviewer R13 #13: iptables.kube-firewall-corrupted stated the "1.8.7 re-saved rules written by 1.8.8+" story as
 * fact on bundles that show no version, told every customer "kubelet re-adds the correct one", and cautioned
 * "Kubelet with --feature-gates=IPTablesOwnershipCleanup=true no longer writes this rule".
 *
 * Facts (checked): KEP-3178 (kubernetes/enhancements keps/sig-network/3178-iptables-cleanup, GA in #4098):
 * alpha 1.25-1.26 (off by default: kubelet writes the mark-drop rule), beta 1.27 (on by default: it no longer
 * does), GA 1.28 (locked on); the gate was removed in 1.30 (kubernetes#122137, "Remove GA featuregate about
 * IPTablesOwnershipCleanup in 1.30"), and kubernetes.io lists it among the removed feature gates.
 *
 * Texts:
 * - corpus iptables-save/kubernetes-112477-kube-firewall-rewritten-without-mark-fragment.txt: the broken rule alone,
 *   no version anywhere;
 * - bundles/kube-firewall-corrupted.tgz: iptables -V 1.8.9 (nf_tables) and a 1.8.9 dump, no older iptables;
 * - test/fixtures/h28-kube-firewall: both sides of kubernetes#112477 (1.8.8 nf_tables host dump, 1.8.7 pod dump);
 * - the Node objects of two real troubleshoot bundles (corpus bundles/troubleshoot-k3s-support-bundle.tar.gz:
 *   kubeletVersion v1.24.4+k3s1; bundles/troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz: v1.31.2+k3s1).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeFirewall from '../../analyzers/iptables-kube-firewall-corrupted.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseKubeNodes } from '../../src/parsers/kube-nodes.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const FRAGMENT = 'iptables-save/kubernetes-112477-kube-firewall-rewritten-without-mark-fragment.txt';
const fx = (p: string) => readFileSync(projectPath('test/fixtures/h28-kube-firewall', p), 'utf8');
/** one file of a corpus tarball, as the bundle holds it */
const fromTar = (tarball: string, member: string) => execFileSync('tar', ['xzf', corpusPath('bundles', tarball), '-O', member], { encoding: 'utf8' });
const broken = () => parseIptablesSave(readCorpus(FRAGMENT), FRAGMENT);

describe.skipIf(!hasCorpus)('iptables.kube-firewall-corrupted: the cause as the bundle backs it, and the kubelet as it is', () => {
  it('a bundle without any version: the 1.8.7 story is the usual cause, and the bundle is said not to confirm it', () => {
    const [f] = runNode(kubeFirewall, { iptables: [broken()] });
    expect(f.message).toMatch(/This typically happens when an older iptables \(1\.8\.7, e\.g\. inside kube-router or kube-proxy\) saves and restores rules written by a newer host iptables \(1\.8\.8\+\)/);
    expect(f.message).toMatch(/The bundle shows no iptables version to confirm it/);
    // not stated as what happened here
    expect(f.message).not.toMatch(/An older iptables \(1\.8\.7[^)]*\) re-saved rules/);
  });

  it('no kubelet version: "kubelet re-adds" only for a kubelet before 1.27, the version said to be unknown, the removed gate not advised', () => {
    const [f] = runNode(kubeFirewall, { iptables: [broken()] });
    expect(f.remedy.summary).toMatch(/a kubelet older than 1\.27 re-adds the correct one; 1\.27 and later no longer write it; the bundle does not show the kubelet's version/);
    expect(f.remedy.caution).toMatch(/Kubelets before 1\.27 write this rule; 1\.27 and later no longer do \(KEP-3178: by default in 1\.27, always from 1\.28\)/);
    // the gate is named only to warn against it: it was removed in 1.30
    expect(f.remedy.caution).toMatch(/Do not set --feature-gates=IPTablesOwnershipCleanup: the gate was removed in 1\.30/);
    expect(`${f.remedy.summary} ${f.remedy.caution} ${f.remedy.commands.join('\n')}`).not.toMatch(/IPTablesOwnershipCleanup=true/);
    // the restart stays: on an older kubelet it brings the rule back at once
    expect(f.remedy.commands.some((c) => /restart/.test(c) && /kubelet/.test(c))).toBe(true);
  });

  it('kubelet v1.24.4+k3s1 (a real Node object): it re-adds the correct rule, named with its version and cited', () => {
    const nodes = 'support-bundle/cluster-resources/nodes.json';
    const kubeNodes = [parseKubeNodes(fromTar('troubleshoot-k3s-support-bundle.tar.gz', nodes), nodes)];
    const [f] = runNode(kubeFirewall, { iptables: [broken()], kubeNodes }, 'k3d-mycluster-server-0');
    expect(f.remedy.summary).toMatch(/kubelet v1\.24\.4\+k3s1 re-adds the correct one at its next sync or restart/);
    expect(f.remedy.commands.some((c) => /restart/.test(c) && /kubelet/.test(c))).toBe(true);
    expect(f.facts).toMatchObject({ kubeletVersion: 'v1.24.4+k3s1' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: nodes, line: 0, note: expect.stringMatching(/older than 1\.27: it writes this rule/) }));
  });

  it('kubelet v1.31.2+k3s1 (a real Node object): it no longer writes the rule, so no restart is offered to bring it back', () => {
    const nodes = 'supportbundle/cluster-resources/nodes.json';
    const kubeNodes = [parseKubeNodes(fromTar('troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz', nodes), nodes)];
    const [f] = runNode(kubeFirewall, { iptables: [broken()], kubeNodes }, 'primary-node');
    expect(f.remedy.summary).toMatch(/kubelet v1\.31\.2\+k3s1 no longer writes this rule \(KEP-3178\) and kube-proxy 1\.25\+ does not use the drop mark: nothing needs it back/);
    expect(f.remedy.summary).not.toMatch(/re-adds/);
    expect(f.remedy.commands.some((c) => /restart/.test(c))).toBe(false);
    expect(f.remedy.commands[0]).toBe('iptables -D KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -j DROP');
    // a Node object of another name (and not the only one) says nothing about this node
    const other = runNode(kubeFirewall, { iptables: [broken()], kubeNodes: [{ ...kubeNodes[0], nodes: [...kubeNodes[0].nodes, { ...kubeNodes[0].nodes[0], name: 'x' }] }] }, 'another-node')[0];
    expect(other.facts).not.toHaveProperty('kubeletVersion');
  });

  it('bundles/kube-firewall-corrupted.tgz (iptables 1.8.9 only): the usual cause with the host version, no skew claimed', async () => {
    const report = await analyzeBundle(projectPath('bundles/kube-firewall-corrupted.tgz'));
    const f = report.findings.find((x) => x.id === 'iptables.kube-firewall-corrupted')!;
    expect(f.message).toMatch(/This typically happens when an older iptables/);
    expect(f.message).toMatch(/The host's iptables here is 1\.8\.9 \(iptables -V, nf_tables\)/);
    expect(f.message).not.toMatch(/shows both sides/);
    expect(f.remedy.caution).not.toMatch(/IPTablesOwnershipCleanup=true|with --feature-gates/);
  });

  it('kubernetes#112477, both dumps: the skew is shown as seen, with the files that show it', async () => {
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('iptables-save.txt'), 'iptables-save-kube-router.txt': fx('iptables-save-kube-router.txt') }, 'h28-112477-skew'));
    const f = report.findings.find((x) => x.id === 'iptables.kube-firewall-corrupted')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/The bundle shows both sides of the usual cause \(kubernetes#112477\): iptables 1\.8\.7 \(the header of iptables-save-kube-router\.txt\) beside 1\.8\.8 \(the header of iptables-save\.txt\)/);
    expect(f.message).not.toMatch(/typically/);
    expect(f.facts).toMatchObject({ versionSkew: ['1.8.7 (the header of iptables-save-kube-router.txt)', '1.8.8 (the header of iptables-save.txt)'] });
    // the host dump alone (1.8.8, its rule with the mark match intact) fires nothing
    const healthy = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('iptables-save.txt') }, 'h28-112477-host'));
    expect(healthy.findings.filter((x) => x.id === 'iptables.kube-firewall-corrupted')).toEqual([]);
  });
});
