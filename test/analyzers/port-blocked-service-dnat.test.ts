/**
 * iptables.port-blocked through a Service's DNAT: a pod's "dial tcp 10.43.0.1:443: i/o timeout"
 * on a k3s node whose INPUT policy is DROP. kube-proxy rewrites 10.43.0.1:443 to the API server on
 * the node itself (192.168.122.10:6443) before filter INPUT sees it, so the ACCEPT must name
 * that address and port: one for 10.43.0.1:443 would never match. The rules are real
 * iptables-save output (test/fixtures/clusterip); the remedy is run with the real iptables in a
 * namespace and the rules it leaves are analyzed again.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const RULES = readFileSync(projectPath('test/fixtures/clusterip/k3s-default-deny.iptables-save'), 'utf8');
/** `ip addr` of the k3s node: its uplink (the API server's address) and the pods' bridge */
const IP_A = readFileSync(projectPath('test/fixtures/clusterip/ip-addr.txt'), 'utf8');
const COREDNS =
  '[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.27.4/tools/cache/reflector.go:231: failed to list *v1.Namespace: Get "https://10.43.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.43.0.1:443: i/o timeout\n';
const bundle = (rules: string, name: string) => writeFolder({ 'iptables-save.txt': rules, 'ip-addr.txt': IP_A, 'pods/coredns.log': COREDNS }, name);

describe('iptables.port-blocked: a Service port DNATed to the node', () => {
  it('names the DNAT, and the ACCEPT is for what filter INPUT sees (192.168.122.10:6443)', async () => {
    const r = await analyzeBundle(bundle(RULES, 'k3s-node1'));
    const f = r.findings.find((x) => x.id === 'iptables.port-blocked')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/to 10\.43\.0\.1 \(a DNAT rewrites it to 192\.168\.122\.10:6443, an address of this node\) is dropped from 10\.42\.0\.0\/24 \(cni0\) by the INPUT policy/);
    expect(f.message).not.toMatch(/forwarded: not an address/);
    expect(f.evidence.some((e) => /rewrites 10\.43\.0\.1:443 to 192\.168\.122\.10:6443/.test(e.note ?? '') && /DNAT --to-destination 192\.168\.122\.10:6443/.test(e.excerpt))).toBe(true);
    expect(f.facts).toMatchObject({ port: 443, dnatTo: ['192.168.122.10:6443'] });
    expect(f.remedy.commands[0]).toBe('iptables -I INPUT 1 -i cni0 -d 192.168.122.10/32 -p tcp --dport 6443 -j ACCEPT');
    expect(f.remedy.commands.join('\n')).not.toMatch(/--dport 443 -j ACCEPT|port port="443"/);
  });

  it.skipIf(!canMakeNetns())('its command, run by the real iptables on those rules, leaves nothing blocked', async () => {
    const ns = `bdcip${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: RULES });
      const r = await analyzeBundle(bundle(RULES, 'k3s-node1'));
      const cmd = r.findings.find((x) => x.id === 'iptables.port-blocked')!.remedy.commands[0].split(' ');
      execFileSync('ip', ['netns', 'exec', ns, ...cmd]);
      const after = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' });
      const again = await analyzeBundle(bundle(after, 'k3s-node1-fixed'));
      expect(again.findings.filter((x) => x.id === 'iptables.port-blocked')).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
