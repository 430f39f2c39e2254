/**
 * docker.bridge-overlaps-host-route: a Docker bridge's connected route overlaps another route of the host.
 *
 * Real text: https://github.com/docker/for-linux/issues/1422 (`172.17.0.0/16 via 10.3.33.1 dev ens192` beside
 * `172.17.0.0/16 dev docker_gwbridge`), https://github.com/bitwarden/server/issues/947 (`route -n`: the LAN is
 * only in the reporter's words) and https://github.com/moby/moby/issues/6442 (unreachable routes), verbatim in
 * test/fixtures/h62/<ticket>/; and ip route / route -n of network namespaces made on this machine
 * (test/fixtures/h62/ns-*.txt): the for-linux#1422 table rebuilt, a bridge inside a route via the gateway and a
 * routed /24 inside a compose bridge, a healthy Docker host, and the same host with a VPN's def1 pair.
 * Each table is read through a hand-made bundle (the layouts' sniffing, the parsers), then the analyzer runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-bridge-overlaps-host-route.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/h62', ...p), 'utf8');

async function run(files: Record<string, string>, name: string): Promise<FindingDraft[]> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  expect(b.nodes[0].artifacts.routes?.length, 'the routes were read').toBeGreaterThan(0);
  return analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] } }) : [];
}

describe('fires', () => {
  it('docker/for-linux#1422: docker_gwbridge on the same /16 a DHCP static route sends via 10.3.33.1: critical, both lines, the gwbridge remedy', async () => {
    const f = await run({ 'ip_route.txt': fx('for-linux-1422', 'ip_route.txt') }, 'h62-1422');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].evidence.map((e) => [e.file, e.line])).toEqual([
      ['ip_route.txt', 4],
      ['ip_route.txt', 3],
    ]);
    expect(f[0].message).toContain('172.17.0.0/16 is also routed via 10.3.33.1 on ens192 (ip_route.txt:3)');
    expect(f[0].facts).toMatchObject({ bridge: 'docker_gwbridge', subnet: '172.17.0.0/16', overlapping: [{ route: '172.17.0.0/16', via: '10.3.33.1', how: 'same' }], suggestedSubnet: '10.200.0.0/16' });
    const cmds = f[0].remedy.commands.join('\n');
    expect(cmds).toContain('docker network create --subnet 10.200.0.0/16 --opt com.docker.network.bridge.name=docker_gwbridge');
    expect(cmds).toMatch(/jq '\."default-address-pools" = \[\{"base": "10\.201\.0\.0\/16", "size": 24\}\]' \/etc\/docker\/daemon\.json > \/etc\/docker\/daemon\.json\.new && mv/);
    // docker0 on 192.168.13.0/24 overlaps nothing
    expect(cmds).not.toContain('.bip');
  });

  it('the same table rebuilt in a namespace, as route -n prints it: the same finding', async () => {
    const f = await run({ 'route-n.txt': fx('ns-gwbridge-route-n.txt') }, 'h62-gw-route-n');
    expect(f.map((x) => [x.severity, x.facts?.bridge])).toEqual([['critical', 'docker_gwbridge']]);
    expect(f[0].evidence.map((e) => e.line)).toEqual([6, 5]);
  });

  it('a namespace: docker0 inside 172.16.0.0/12 via the gateway (warning, bip remedy); a routed /24 inside the compose bridge (critical)', async () => {
    for (const file of ['ns-covering-ip-route.txt', 'ns-covering-route-n.txt']) {
      const f = await run({ [file]: fx(file) }, `h62-cover-${file.slice(12, 14)}`);
      const by = (b: string) => f.find((x) => x.facts?.bridge === b)!;
      expect(f, file).toHaveLength(2);
      expect(by('docker0').severity).toBe('warning');
      expect(by('docker0').facts?.overlapping).toEqual([{ route: '172.16.0.0/12', via: '10.3.0.1', dev: 'eth0', how: 'bridge-inside' }]);
      expect(by('docker0').remedy.commands[0]).toMatch(/^\[ -s \/etc\/docker\/daemon\.json \] \|\| echo '\{\}' > \/etc\/docker\/daemon\.json; jq '\.bip = "10\.200\.0\.1\/24"'/);
      const br = by('br-828c78b615e2');
      expect(br.severity).toBe('critical');
      // both: the routed /24 inside it, and the /12 around it
      expect((br.facts?.overlapping as { route: string; how: string }[]).map((o) => `${o.route} ${o.how}`)).toEqual(['172.28.5.0/24 inside-bridge', '172.16.0.0/12 bridge-inside']);
      expect(br.remedy.commands[0]).toBe('docker network ls --filter id=828c78b615e2   # the network behind br-828c78b615e2: its name and the compose project');
    }
  });
});

describe('stays silent', () => {
  it("a healthy Docker host: docker0 172.17.0.0/16, a compose bridge, the LAN 192.168.1.0/24 on eth0, a VPN's own /24", async () => {
    expect(await run({ 'ip_route.txt': fx('ns-healthy-ip-route.txt') }, 'h62-healthy')).toEqual([]);
    expect(await run({ 'route_-n.txt': fx('ns-healthy-route-n.txt') }, 'h62-healthy-n')).toEqual([]);
  });

  it("a VPN's 0.0.0.0/1 + 128.0.0.0/1 cover every bridge: that is log.docker-no-free-address-pool's, not this finding", async () => {
    expect(await run({ 'ip_route.txt': fx('ns-vpn-def1-ip-route.txt') }, 'h62-def1')).toEqual([]);
  });

  it('unreachable / blackhole / prohibit routes over a bridge are not routes that traffic is taken from (moby/moby#6442 and a namespace)', async () => {
    expect(await run({ 'ip_route.txt': fx('moby-6442', 'ip_route.txt') }, 'h62-6442')).toEqual([]);
    // the namespace: docker0 and a compose bridge inside unreachable 172.16.0.0/12; nothing else overlaps them
    expect(await run({ 'ip_route.txt': fx('ns-unreachable-ip-route.txt') }, 'h62-unr')).toEqual([]);
  });

  it('bitwarden/server#947: the LAN is reached through the default route, so the table alone shows no overlap', async () => {
    expect(await run({ 'route_-n.txt': fx('bitwarden-947', 'route_-n.txt') }, 'h62-947')).toEqual([]);
  });
});
