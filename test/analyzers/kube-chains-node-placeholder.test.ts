/**
 * R13 #5: a bundle that names no host (one folder holding an iptables-save, no hostname file, no sysctl
 * kernel.hostname, no syslog host) is named after its folder, and that name must not go into a pasteable
 * `kubectl ... --field-selector spec.nodeName=<name>`, where it matches no node and quietly does nothing:
 * the command writes <NODE>. With a hostname file the node's own name is used. Fixture: the k3s node's
 * rules with kube-proxy's chains flushed (test/fixtures/k8s-flush/k3s-flushed.rules, real iptables output).
 * The same for flannel's repair (its kubectl delete pod line).
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

describe('flannel.subnet-mismatch: the node in kubectl commands', () => {
  // a lease in its network (the test in flannel-env-only.test.ts) beside a real `ip a` (iproute2's) whose cni0 / flannel.1 are elsewhere
  const files = () => ({
    'run/flannel/subnet.env': 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    'ip_a': readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'),
  });
  const repair = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.find((f) => f.id === 'flannel.subnet-mismatch')!.remedy;

  it('a folder name is no node name: spec.nodeName=<NODE>, and the prose says "this node"', async () => {
    const r = await analyzeBundle(writeFolder(files(), 'ticket-2044'));
    const remedy = repair(r);
    expect(remedy.commands.find((c) => c.includes('app=flannel'))).toMatch(/--field-selector spec\.nodeName=<NODE> /);
    expect(remedy.commands).toContain('# light repair, on this node');
    expect(remedy.commands.join('\n')).not.toContain('ticket-2044');
  });

  it('a hostname file names it', async () => {
    const r = await analyzeBundle(writeFolder({ ...files(), hostname: 'worker-3\n' }, 'ticket-2044-named'));
    const remedy = repair(r);
    expect(remedy.commands.find((c) => c.includes('app=flannel'))).toMatch(/--field-selector spec\.nodeName=worker-3 /);
    expect(remedy.commands).toContain('# light repair, on worker-3');
  });
});
