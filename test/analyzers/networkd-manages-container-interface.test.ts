/**
 * host.networkd-manages-container-interface on artifacts parsed from real text (test/fixtures/networkd/README.md):
 * systemd 252's networkd run in a network namespace on this machine with a catch-all `[Match] Name=*` (docker0 and
 * its veth `configured`, the veth detached from docker0), the same after the analyzer's remedy (run twice there:
 * `unmanaged`), Flatcar's stock zz-default.network + docker.network (github.com/flatcar/init), netplan 0.106's
 * generated files (`match: name: "*"`; Ubuntu's `eth0: dhcp4: true` with and without a MAC match), and the shared
 * corpus' `docker network inspect bridge` (docker docs: alpine3/alpine4 on 172.17.0.0/16, gateway 172.17.0.1).
 * coreos/bugs#1205 (https://github.com/coreos/bugs/issues/1205) is the ticket: networkd v229 taking docker0.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { analyzeNetworkd } from '../../analyzers/networkd-manages-container-interface.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseNetworkctl } from '../../src/parsers/networkctl.js';
import { parseSystemdNetwork } from '../../src/parsers/systemd-network.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const DIR = 'test/fixtures/networkd';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const ctl = (...fs: string[]) => fs.map((f) => parseNetworkctl(fx(f), f));
const net = (...fs: string[]) => fs.map((f) => parseSystemdNetwork(fx(f), f));
const ip = (f: string) => [parseInterfaces(fx(f), f)];
const CATCHALL = 'catchall/etc/systemd/network/99-catchall.network';
const NETPLAN_ALL = 'netplan-all/run/systemd/network/10-netplan-all.network';
const FLATCAR = ['flatcar/usr/lib/systemd/network/zz-default.network', 'flatcar/usr/lib/systemd/network/docker.network'];
const dockerBridge = () => {
  const f = 'docker-network/docker-docs-inspect-bridge-alpine3-alpine4.json';
  return [parseDockerNetworks(readCorpus(f), f)];
};
const run = (a: NodeArtifacts) => analyzeNetworkd('node-1', a);

describe('host.networkd-manages-container-interface fires', () => {
  it('catch-all: networkctl shows docker0 and its veth configured, ip addr shows the veth detached: critical, with the remedy run in the namespace', () => {
    const found = run({
      networkctl: ctl('catchall/networkctl-list.txt', 'catchall/networkctl-status-docker0.txt'),
      systemdNetwork: net(CATCHALL),
      ipAddr: ip('catchall/ip-addr.txt'),
    });
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ interfaces: ['docker0', 'veth4c1f0a2'], managedPerNetworkctl: ['docker0', 'veth4c1f0a2'], networkFiles: ['99-catchall.network'], networkdRunning: true });
    expect(f.message).toContain('veth4c1f0a2 is no longer a port of any bridge');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(
      expect.arrayContaining([
        'catchall/networkctl-list.txt:3',
        'catchall/networkctl-list.txt:5',
        'catchall/networkctl-status-docker0.txt:3',
        `${CATCHALL}:2`,
        'catchall/ip-addr.txt:13',
      ]),
    );
    expect(f.evidence.find((e) => e.file === CATCHALL && e.line === 2)?.excerpt).toBe('Name=*');
    // the two commands are remedy/remedy.sh, which ran (twice) against this networkd: docker0 and the veth became unmanaged
    const script = fx('remedy/remedy.sh').trim().split('\n');
    expect(f.remedy.commands.slice(0, 2)).toEqual(script);
    expect(ctl('remedy/networkctl-list.txt')[0].links.filter((l) => ['docker0', 'veth4c1f0a2'].includes(l.name)).map((l) => l.setup)).toEqual(['unmanaged', 'unmanaged']);
    expect(f.remedy.commands).toContain("systemctl restart docker   # re-creates docker0's address and reattaches the containers' veths");
  });

  it('networkctl alone (no ip addr, no files): a warning naming the interfaces and the Network File', () => {
    const [f] = run({ networkctl: ctl('catchall/networkctl-list.txt', 'catchall/networkctl-status-docker0.txt') });
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/^networkctl shows docker0, veth4c1f0a2 managed by systemd-networkd \(99-catchall\.network\)/);
    expect(f.remedy.commands[0]).toContain('tee /etc/systemd/network/10-container-interfaces-unmanaged.network');
  });

  it.skipIf(!hasCorpus)("docker0 without its IPv4 address while Docker's bridge network has gateway 172.17.0.1: critical", () => {
    const [f] = run({ networkctl: ctl('address-gone/networkctl-list.txt'), ipAddr: ip('address-gone/ip-addr.txt'), dockerNetworks: dockerBridge() });
    expect(f.severity).toBe('critical');
    expect(f.message).toContain("docker0 has no IPv4 address in ip addr, while Docker's network bridge gives it 172.17.0.1");
    expect(f.evidence.find((e) => e.file === 'docker-network/docker-docs-inspect-bridge-alpine3-alpine4.json')).toMatchObject({ excerpt: '"Subnet": "172.17.0.0/16",', note: 'Docker\'s network bridge on docker0: gateway 172.17.0.1' });
    expect(f.evidence.find((e) => e.file === 'address-gone/ip-addr.txt')?.excerpt).toBe('2: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> state DOWN');
  });

  it("netplan's match name \"*\" (10-netplan-all.network) without networkctl: a warning from the files, networkd's state unknown", () => {
    const [f] = run({ systemdNetwork: net(NETPLAN_ALL), ipAddr: ip('flatcar/ip-addr.txt') });
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ matchedByFiles: ['docker0', 'veth4c1f0a2', 'flannel.1'], networkdRunning: 'unknown' });
    expect(f.message).toContain('does not show whether systemd-networkd runs');
    expect(f.evidence.map((e) => e.excerpt)).toEqual(['Name=*', 'DHCP=ipv4']);
    expect(f.remedy.commands[0]).toBe("printf '%s\\n' '[Match]' 'Name=docker0 veth* flannel*' '' '[Link]' 'Unmanaged=yes' | tee /etc/systemd/network/10-container-interfaces-unmanaged.network >/dev/null");
    // named to sort before the file that takes the interfaces: before 00-all.network, 0-...
    const early = parseSystemdNetwork('[Match]\nName=*\n\n[Network]\nDHCP=yes\n', 'etc/systemd/network/00-all.network');
    const [g] = run({ systemdNetwork: [early], ipAddr: ip('flatcar/ip-addr.txt') });
    expect(g.remedy.commands[0]).toContain('tee /etc/systemd/network/0-container-interfaces-unmanaged.network');
    expect(g.remedy.summary).toContain('named to sort before 00-all.network');
  });

  it('netplan "*" with networkd running: networkctl shows every container link configuring (DHCP)', () => {
    const [f] = run({ networkctl: ctl('netplan-all/networkctl-list.txt'), systemdNetwork: net(NETPLAN_ALL), ipAddr: ip('netplan-all/ip-addr.txt') });
    expect(f.facts).toMatchObject({ managedPerNetworkctl: ['docker0', 'veth4c1f0a2', 'flannel.1'] });
    expect(f.remedy.commands.some((c) => c.startsWith('kubectl -n kube-flannel delete pod --field-selector spec.nodeName=node-1'))).toBe(true);
  });

  it('through the engine contract (default export)', () => {
    if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
    const found = analyzer.analyze({ node: 'n1', artifacts: { networkctl: ctl('catchall/networkctl-list.txt') } as never, options: { requiredPorts: [] } });
    expect(found[0]?.severity).toBe('warning');
  });
});

describe('host.networkd-manages-container-interface stays quiet', () => {
  it("Flatcar's stock files: networkctl says unmanaged; the files alone leave docker0, the veth and flannel.1 out", () => {
    expect(run({ networkctl: ctl('flatcar/networkctl-list.txt', 'flatcar/networkctl-status-docker0.txt'), systemdNetwork: net(...FLATCAR), ipAddr: ip('flatcar/ip-addr.txt') })).toEqual([]);
    expect(run({ systemdNetwork: net(...FLATCAR), ipAddr: ip('flatcar/ip-addr.txt') })).toEqual([]);
  });

  it('after the remedy: networkctl says unmanaged, and the files agree (10- sorts before 99-catchall)', () => {
    const files = net('remedy/etc/systemd/network/99-catchall.network', 'remedy/etc/systemd/network/10-container-interfaces-unmanaged.network');
    expect(run({ networkctl: ctl('remedy/networkctl-list.txt', 'remedy/networkctl-status-docker0.txt'), systemdNetwork: files, ipAddr: ip('remedy/ip-addr.txt') })).toEqual([]);
    expect(run({ systemdNetwork: files, ipAddr: ip('remedy/ip-addr.txt') })).toEqual([]);
  });

  it("networkctl's unmanaged wins over a file that would match", () => {
    expect(run({ networkctl: ctl('remedy/networkctl-list.txt'), systemdNetwork: net(CATCHALL), ipAddr: ip('remedy/ip-addr.txt') })).toEqual([]);
  });

  it("Ubuntu's netplan-generated 10-netplan-eth0.network (Name=eth0, with or without a MAC match)", () => {
    for (const f of ['netplan-eth0/run/systemd/network/10-netplan-eth0.network', 'netplan-mac/run/systemd/network/10-netplan-eth0.network'])
      expect(run({ systemdNetwork: net(f), ipAddr: ip('catchall/ip-addr.txt') }), f).toEqual([]);
  });

  it('systemd-networkd disabled and inactive (systemctl list-unit-files): its files change nothing', () => {
    const services = [parseSystemctlText(fx('systemctl-list-unit-files-networkd-disabled.txt'), 'systemctl-list-unit-files.txt')];
    expect(run({ systemdNetwork: net(NETPLAN_ALL), ipAddr: ip('flatcar/ip-addr.txt'), services })).toEqual([]);
  });

  it('no networkd evidence at all, or no container interface', () => {
    expect(run({ ipAddr: ip('catchall/ip-addr.txt') })).toEqual([]);
    const eth0Only = parseInterfaces('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n', 'ip-addr.txt');
    expect(run({ systemdNetwork: net(CATCHALL), ipAddr: [eth0Only] })).toEqual([]);
  });
});
