/**
 * iptables.overlay-port-blocked with flannel's own port from net-conf.json (Backend.Port; wireguard's ListenPort).
 * net-conf-windows-4789.json is the net-conf.json of Kubernetes' "Adding Windows nodes" guide (VNI 4096, Port 4789:
 * Windows' VXLAN port, which Linux nodes must then use too); flannel's Documentation/backends.md: vxlan `Port`
 * (default: the kernel's, 8472), udp `Port` (8285), wireguard `ListenPort` (51820). A node whose listing shows
 * flannel.1 without `ip -d` details sends and listens on the configured port, not 8472.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import overlayBlocked from '../../analyzers/overlay-port-blocked.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseFlannelNetConf } from '../../src/parsers/flannel-env.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/overlay-ports', f), 'utf8');

function run(rulesText: string, netConf?: string) {
  const partly: string[] = [];
  const artifacts = {
    iptables: [parseIptablesSave(rulesText, 'iptables-save.txt')],
    ipAddr: [parseInterfaces(fx('flannel-node.ip-addr.txt'), 'ip-addr.txt')],
    routes: [parseRoutes(fx('flannel-node.ip-route.txt'), 'ip-route.txt')],
    ...(netConf ? { flannelNetConf: [parseFlannelNetConf(netConf, 'net-conf.json')] } : {}),
  };
  const findings = overlayBlocked.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe("flannel's configured backend port", () => {
  it('parses Backend.Port with its line, and wireguard ListenPort (not ListenPortV6)', () => {
    const c = parseFlannelNetConf(fx('net-conf-windows-4789.json'), 'net-conf.json');
    expect(c.backendPort).toMatchObject({ value: 4789, ref: { file: 'net-conf.json', line: 6 }, excerpt: '"Port": 4789' });
    const wg = parseFlannelNetConf('{\n  "Network": "10.42.0.0/16",\n  "Backend": {\n    "Type": "wireguard",\n    "ListenPortV6": 51822,\n    "ListenPort": 51830\n  }\n}\n', 'wg.json');
    expect(wg.backendPort).toMatchObject({ value: 51830, ref: { line: 6 } });
    expect(parseFlannelNetConf('{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}', 'n.json').backendPort).toBeUndefined();
  });

  it("the RHEL rules that accept 8472 reject the configured 4789: critical on 4789/udp, citing net-conf.json's Port line", () => {
    const { findings } = run(fx('flannel-rhel-accepted.iptables-save.txt'), fx('net-conf-windows-4789.json'));
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].facts).toMatchObject({ ports: ['4789/udp'] });
    expect(findings[0].message).not.toContain('8472');
    expect(findings[0].evidence).toContainEqual(expect.objectContaining({ file: 'net-conf.json', line: 6, excerpt: '"Port": 4789' }));
    expect(findings[0].remedy.commands[0]).toContain('--dport 4789');
  });

  it('healthy: the same rules accepting 4789 instead; and without net-conf.json, 8472 (the default) is accepted', () => {
    expect(run(fx('flannel-rhel-accepted.iptables-save.txt').replace('--dport 8472', '--dport 4789'), fx('net-conf-windows-4789.json')).findings).toEqual([]);
    expect(run(fx('flannel-rhel-accepted.iptables-save.txt')).findings).toEqual([]);
  });
});
