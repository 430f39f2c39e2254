import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { addressIn, cidrContains, cidrOverlap, networkOf, parseCidr } from '../../src/parsers/cidr.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseFlannelNetConf, parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { interfacesOf, parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseListeningSockets } from '../../src/parsers/listening.js';
import { canMakeNetns, corpusPath, hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';
import { join } from 'node:path';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/iproute2', f), 'utf8');

describe('cidr', () => {
  it('containment, overlap and networks, IPv4 and IPv6', () => {
    expect(networkOf('10.244.1.1/24')).toBe('10.244.1.0/24');
    expect(cidrContains(parseCidr('10.244.0.0/16')!, parseCidr('10.244.1.0/24')!)).toBe(true);
    expect(cidrContains(parseCidr('10.244.1.0/24')!, parseCidr('10.244.0.0/16')!)).toBe(false);
    expect(cidrOverlap(parseCidr('172.17.0.0/16')!, parseCidr('172.16.0.0/12')!)).toBe(true);
    expect(addressIn('10.10.2.1/24', '10.10.1.0/24')).toBe(false);
    expect(addressIn('fd00:10:244:1::5', 'fd00:10:244:1::/64')).toBe(true);
    expect(networkOf('fd00:10:244:1::1/64')).toBe('fd00:10:244:1::/64');
    expect(parseCidr('300.1.1.1/8')).toBeUndefined();
  });
});

describe('ip addr, made by the real iproute2 in a namespace', () => {
  it('every shape gives the same interfaces and addresses', () => {
    const full = interfacesOf([parseInterfaces(fx('ip_a'), 'ip_a')]);
    const detail = interfacesOf([parseInterfaces(fx('ip_-d_address'), 'ip_-d_address')]);
    const oneline = interfacesOf([parseInterfaces(fx('ip_-o_addr'), 'ip_-o_addr')]);
    const brief = interfacesOf([parseInterfaces(fx('ip_-br_addr'), 'ip_-br_addr')]);
    for (const name of ['docker0', 'cni0', 'flannel.1', 'eth0']) {
      const v4 = (m: typeof full) => m.get(name)!.addresses.filter((a) => a.family === 4).map((a) => a.cidr);
      expect(v4(detail), name).toEqual(v4(full));
      expect(v4(oneline), name).toEqual(v4(full));
      expect(v4(brief), name).toEqual(v4(full));
    }
    expect(full.get('flannel.1')!.addresses[0]).toMatchObject({ cidr: '10.244.1.0/32', network: '10.244.1.0/32', scope: 'global', label: 'flannel.1' });
    expect(full.get('cni0')!.addresses.map((a) => a.cidr)).toEqual(['10.244.1.1/24', 'fd00:10:244:1::1/64', expect.stringMatching(/^fe80::/)]);
    expect(full.get('veth3a9f2c1b')).toMatchObject({ peer: 'if2', master: 'cni0', state: 'UP' });
    expect(detail.get('flannel.1')).toMatchObject({ kind: 'vxlan', mtu: 1450, vxlan: { id: 1, local: '192.168.56.11', dev: 'eth0', port: 8472 } });
    expect(detail.get('docker0')?.kind).toBe('bridge');
    expect(oneline.get('flannel.1')!.addresses[0].ref.line).toBeGreaterThan(0);
  });

  it('routes', () => {
    const r = parseRoutes(fx('ip_route_show_table_all'), 'routes').routes;
    expect(r.find((x) => x.destination === '0.0.0.0/0')).toMatchObject({ via: '192.168.56.1', dev: 'eth0' });
    expect(r.find((x) => x.destination === '10.244.2.0/24')).toMatchObject({ via: '10.244.2.0', dev: 'flannel.1' });
    expect(r.find((x) => x.type === 'local' && x.destination === '172.17.0.1/32')).toMatchObject({ dev: 'docker0', table: 'local' });
  });

  it.skipIf(!canMakeNetns())('the fixtures are what the installed iproute2 makes today (regenerated into a temp folder)', () => {
    const shape = (text: string) => parseInterfaces(text, 'x').interfaces.map((i) => [i.name, i.kind, i.addresses.filter((a) => a.family === 4).map((a) => a.cidr)]);
    const out = mkdtempSync(join(tmpdir(), 'bd-ip-'));
    execFileSync('bash', [projectPath('scripts/iproute2-fixtures.sh'), out], { stdio: 'ignore' });
    expect(shape(readFileSync(join(out, 'ip_-d_address'), 'utf8'))).toEqual(shape(fx('ip_-d_address')));
  });
});

describe.skipIf(!hasCorpus)('ip addr on the corpus', () => {
  it('flannel-1387: flannel.1 with no inet address', () => {
    const m = interfacesOf([parseInterfaces(readCorpus('ip-addr/flannel-1387-master-flannel1-inet-address-missing.txt'), 'f')]);
    expect(m.get('flannel.1')?.addresses.filter((a) => a.family === 4)).toEqual([]);
  });

  it('flannel-535: docker0 down, a dadfailed IPv6 address', () => {
    const list = parseInterfaces(readCorpus('ip-addr/flannel-535-kmaster-ip-a-docker0-down-dadfailed.txt'), 'f');
    expect(list.interfaces.find((i) => i.name === 'docker0')?.state).toBe('DOWN');
    expect(list.interfaces.some((i) => i.addresses.some((a) => a.flags.includes('dadfailed')))).toBe(true);
  });

  it('hotsos one-line ip -o addr and ip -d address agree on flannel.1 (10.1.84.0/32)', () => {
    const o = interfacesOf([parseInterfaces(readCorpus('ip-addr/hotsos-charmed-k8s-flannel-node-ip-o-addr.txt'), 'o')]);
    const d = interfacesOf([parseInterfaces(readCorpus('ip-addr/hotsos-charmed-k8s-flannel-node-ip-d-address.txt'), 'd')]);
    expect(o.get('flannel.1')!.addresses[0]).toMatchObject({ cidr: '10.1.84.0/32', ref: { line: 5 } });
    expect(d.get('flannel.1')!.addresses[0].cidr).toBe('10.1.84.0/32');
    expect(d.get('flannel.1')!.kind).toBe('vxlan');
  });

  it('ifconfig: docker0 172.17.0.1 netmask 255.255.0.0 is 172.17.0.1/16', () => {
    const m = interfacesOf([parseInterfaces(readCorpus('ip-addr/jc-centos77-docker0-ifconfig.txt'), 'i')]);
    expect(m.get('docker0')!.addresses[0]).toMatchObject({ cidr: '172.17.0.1/16', network: '172.17.0.0/16' });
  });

  it('every ip-addr file parses or is skipped; "Message truncated" noise is tolerated', () => {
    for (const f of readdirSync(corpusPath('ip-addr'))) {
      try {
        const l = parseInterfaces(readCorpus('ip-addr', f), f);
        expect(l.interfaces.length, f).toBeGreaterThan(0);
      } catch (err) {
        expect(err instanceof SkipFile || err instanceof ParseError, f).toBe(true);
      }
    }
    expect(parseInterfaces(readCorpus('ip-addr/insights-ip-addr-message-truncated-bond-tunnels.txt'), 'x').interfaces.length).toBeGreaterThan(1);
  });

  it('container netns: eth0@if28', () => {
    const m = interfacesOf([parseInterfaces(readCorpus('ip-addr/docker-docs-container-netns-ip-addr-eth0-at-if28.txt'), 'c')]);
    expect(m.get('eth0')?.peer).toBe('if28');
  });
});

describe.skipIf(!hasSeeds)('seed 004 fragments', () => {
  it('grep fragments name their interface by the label (range set mismatch)', () => {
    const seed = readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith('004_'))!), 'utf8');
    // the seed shows `inet 10.10.\ **2**\.1/24 scope global cni0`: rst markup around the octet
    const block = seed.split('\n').slice(494, 497).map((l) => l.replace(/\\ \*\*(\d+)\*\*\\/g, '$1')).join('\n');
    const m = interfacesOf([parseInterfaces(block, 'seed-004')]);
    expect(m.get('cni0')!.addresses[0].cidr).toBe('10.10.2.1/24');
    expect(m.get('flannel.1')!.addresses[0].cidr).toBe('10.10.1.0/32');
  });
});

describe.skipIf(!hasCorpus)('flannel and docker networks on the corpus', () => {
  it('subnet.env: network, subnet as written and as a network, MTU, ipmasq, with lines', () => {
    const env = parseSubnetEnv(readCorpus('flannel/hotsos-charmed-k8s-subnet.env'), 'subnet.env');
    expect(env).toMatchObject({ network: { value: '10.1.0.0/16', ref: { line: 1 } }, subnet: { value: '10.1.84.1/24', ref: { line: 2 } }, subnetNetwork: '10.1.84.0/24', mtu: { value: 8908 }, ipmasq: { value: true } });
    const bad = parseSubnetEnv(readCorpus('flannel/flannel-1983-subnet.env-subnet-outside-network-mismatch.env'), 'x');
    expect(addressIn(bad.subnet!.value, bad.network!.value)).toBe(false);
  });

  it('net-conf.json', () => {
    const c = parseFlannelNetConf(readCorpus('flannel/kube-flannel-net-conf.json'), 'net-conf.json');
    expect(c).toMatchObject({ network: { value: '10.244.0.0/16', ref: { line: 2 } }, backend: { value: 'vxlan' } });
  });

  it('docker network inspect: default bridge -> docker0, user network -> br-<12 of the Id>, containers', () => {
    const def = parseDockerNetworks(readCorpus('docker-network/dockercli-docs-inspect-default-bridge.json'), 'd');
    expect(def.networks[0]).toMatchObject({ name: 'bridge', bridgeName: 'docker0', subnets: [{ subnet: '172.17.42.1/16', gateway: '172.17.42.1', ref: { line: 12 } }] });
    const user = parseDockerNetworks(readCorpus('docker-network/docker-docs-inspect-user-defined-alpine-net-3-containers.json'), 'u');
    expect(user.networks[0]).toMatchObject({ name: 'alpine-net', bridgeName: 'br-e9261a8c9a19', subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1', ref: { line: 14 } }] });
    expect(user.networks[0].containers.map((c) => c.ipv4)).toContain('172.18.0.2/16');
    for (const f of readdirSync(corpusPath('docker-network'))) {
      try {
        parseDockerNetworks(readCorpus('docker-network', f), f);
      } catch (err) {
        expect(err instanceof SkipFile || err instanceof ParseError, f).toBe(true);
      }
    }
  });

  it('several JSON documents in one file; JSON that is not JSON is a parse error', () => {
    const one = readCorpus('docker-network/dockercli-docs-inspect-default-bridge.json');
    const two = readCorpus('docker-network/docker-docs-inspect-user-defined-alpine-net-3-containers.json');
    const both = parseDockerNetworks(`${one}\n${two}`, 'both');
    expect(both.networks.map((n) => n.bridgeName)).toEqual(['docker0', 'br-e9261a8c9a19']);
    expect(both.networks[1].ref.line).toBeGreaterThan(one.split('\n').length - 1);
    expect(() => parseDockerNetworks('[{"Name": "x", oops}]', 'bad')).toThrow(ParseError);
  });
});

describe('listening sockets', () => {
  it('ss -ltnp, ss -tulpn and netstat -ltnp', () => {
    const ss = parseListeningSockets('State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nLISTEN 0      244    0.0.0.0:5432      0.0.0.0:*     users:(("postgres",pid=812,fd=5))\nLISTEN 0      4096   [::]:22           [::]:*        users:(("sshd",pid=700,fd=4))\n', 'ss');
    expect(ss.sockets).toMatchObject([{ proto: 'tcp', address: '0.0.0.0', port: 5432, process: 'postgres', pid: 812, ref: { line: 2 } }, { address: '::', port: 22 }]);
    const tulpn = parseListeningSockets('Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port\nudp   UNCONN 0      0      127.0.0.53%lo:53    0.0.0.0:*\ntcp   LISTEN 0      128    *:6443             *:*\ntcp   ESTAB  0      0      10.0.0.1:22        10.0.0.9:51000\n', 't');
    expect(tulpn.sockets.map((s) => [s.proto, s.address, s.port])).toEqual([['udp', '127.0.0.53', 53], ['tcp', '*', 6443]]);
    const ns = parseListeningSockets('Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp        0      0 0.0.0.0:6379            0.0.0.0:*               LISTEN      1234/redis-server\n', 'n');
    expect(ns.sockets[0]).toMatchObject({ port: 6379, pid: 1234, process: 'redis-server' });
  });
});
