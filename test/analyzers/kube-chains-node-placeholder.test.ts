/**
 * R13 #5: a bundle that names no host (one folder holding an iptables-save, no hostname file, no sysctl
 * kernel.hostname, no syslog host) is named after its folder, and that name must not go into a pasteable
 * `kubectl ... --field-selector spec.nodeName=<name>`, where it matches no node and quietly does nothing:
 * the command writes <NODE>. With a hostname file the node's own name is used. Fixture: the k3s node's
 * rules with kube-proxy's chains flushed (test/fixtures/k8s-flush/k3s-flushed.rules, real iptables output).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const RULES = readFileSync(projectPath('test/fixtures/k8s-flush/k3s-flushed.rules'), 'utf8');
const kubeProxyRestart = (r: Awaited<ReturnType<typeof analyzeBundle>>) =>
  r.findings.find((f) => f.id === 'iptables.kube-chains-missing')!.remedy.commands.find((c) => c.includes('k8s-app=kube-proxy'));

describe('iptables.kube-chains-missing: the node in kubectl commands', () => {
  it('a folder name is no node name: spec.nodeName=<NODE>', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': RULES }, 'ticket-99'));
    expect(kubeProxyRestart(r)).toMatch(/--field-selector spec\.nodeName=<NODE> /);
  });

  it('a hostname file names it: spec.nodeName=<host>', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': RULES, hostname: 'worker-3\n' }, 'ticket-99-named'));
    expect(r.nodes.map((n) => n.name)).toEqual(['worker-3']);
    expect(kubeProxyRestart(r)).toMatch(/--field-selector spec\.nodeName=worker-3 /);
  });
});
