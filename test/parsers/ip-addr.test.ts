/**
 * `ip addr` in every shape (src/parsers/interfaces.ts) on real text: each file of the corpus's
 * ip-addr folder, the seed 004 grep fragments, and the broken node that
 * scripts/make-iproute2-fixtures.sh builds with the real iproute2 and net-tools.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { interfacesOf, parseInterfaces, sniffInterfaces, type Interface, type InterfaceList } from '../../src/parsers/interfaces.js';
import { canMakeNetns, corpusPath, hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';

const corpus = (f: string) => parseInterfaces(readCorpus('ip-addr', f), f);
const byName = (l: InterfaceList) => interfacesOf([l]);
const v4 = (i: Interface | undefined) => (i?.addresses ?? []).filter((a) => a.family === 4).map((a) => a.cidr);
const brokenDir = projectPath('test/fixtures/iproute2/broken-node');
const broken = (f: string, dir = brokenDir) => parseInterfaces(readFileSync(join(dir, f), 'utf8'), f);

/** Each record's line must be the line of the text that shows it: the report quotes that line as evidence. */
function expectRefsPointAtTheirLines(list: InterfaceList, text: string): void {
  const all = text.split('\n');
  for (const itf of list.interfaces) {
    expect(all[itf.ref.line - 1], `${list.file}: ${itf.name}`).toContain(itf.name);
    for (const a of itf.addresses) expect(all[a.ref.line - 1], `${list.file}: ${a.cidr}`).toContain(a.address);
  }
}

describe.skipIf(!hasCorpus)('every ip-addr file of the corpus', () => {
  it('parses, and every interface and address points at the line that shows it', () => {
    const files = readdirSync(corpusPath('ip-addr'));
    expect(files.length).toBe(10);
    for (const f of files) {
      const text = readCorpus('ip-addr', f);
      const list = parseInterfaces(text, f);
      expect(list.interfaces.length, f).toBeGreaterThan(0);
      expectRefsPointAtTheirLines(list, text);
      expect(sniffInterfaces(text.slice(0, 4096)), f).toBe(true);
    }
  });

  it('docker-docs container netns: eth0@if28 is the container end of a veth, M-DOWN kept as a flag', () => {
    const l = corpus('docker-docs-container-netns-ip-addr-eth0-at-if28.txt');
    expect(l.format).toBe('ip');
    expect(l.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
    expect(l.interfaces[1]).toMatchObject({ name: 'eth0', peer: 'if28', index: 27, state: 'UP', mtu: 1500, mac: '02:42:ac:11:00:02', linkType: 'ether', ref: { line: 7 } });
    expect(l.interfaces[1].flags).toContain('M-DOWN');
    expect(l.interfaces[1].addresses.map((a) => [a.cidr, a.network, a.ref.line])).toEqual([
      ['172.17.0.2/16', '172.17.0.0/16', 9],
      ['fe80::42:acff:fe11:2/64', 'fe80::/64', 11],
    ]);
  });

  it('docker-for-linux-924: docker0 after boot, DOWN, NO-CARRIER and no address at all', () => {
    const l = corpus('docker-for-linux-924-docker0-without-ipv4-after-boot.txt');
    expect(l.interfaces).toHaveLength(1);
    expect(l.interfaces[0]).toMatchObject({ name: 'docker0', index: 3, state: 'DOWN', addresses: [], ref: { line: 1 } });
    expect(l.interfaces[0].flags).toEqual(['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
  });

  it('flannel-1022: flannel.1 holds 16.31.0.0/32, docker0 is DOWN, no cni0', () => {
    const m = byName(corpus('flannel-1022-no-cni0-flannel1-16.31.0.0.txt'));
    expect([...m.keys()]).toEqual(['lo', 'eth0', 'docker0', 'flannel.1']);
    expect(m.get('flannel.1')).toMatchObject({ mtu: 1450, state: 'UNKNOWN', ref: { line: 13 } });
    expect(m.get('flannel.1')!.addresses[0]).toMatchObject({ cidr: '16.31.0.0/32', scope: 'global', label: 'flannel.1', ref: { line: 15 } });
    expect(m.get('docker0')).toMatchObject({ state: 'DOWN' });
    expect(v4(m.get('docker0'))).toEqual(['172.17.0.1/16']);
    expect(m.has('cni0')).toBe(false);
  });

  it('flannel-1387: the inet line of flannel.1 has no address, so flannel.1 has only its link-local IPv6', () => {
    const m = byName(corpus('flannel-1387-master-flannel1-inet-address-missing.txt'));
    expect(m.get('flannel.1')!.ref.line).toBe(17);
    expect(v4(m.get('flannel.1'))).toEqual([]);
    expect(m.get('flannel.1')!.addresses.map((a) => [a.cidr, a.scope, a.ref.line])).toEqual([['fe80::4cfd:7cff:fe9e:aa63/64', 'link', 21]]);
    expect(m.get('eth0')!.addresses[0]).toMatchObject({ cidr: '10.33.188.138/24', flags: ['noprefixroute'], ref: { line: 9 } });
  });

  it('flannel-535: docker0 DOWN and the IPv6 address of enp0s8 tentative dadfailed', () => {
    const m = byName(corpus('flannel-535-kmaster-ip-a-docker0-down-dadfailed.txt'));
    expect(m.get('docker0')).toMatchObject({ state: 'DOWN', ref: { line: 19 } });
    expect(m.get('docker0')!.flags).toContain('NO-CARRIER');
    const dad = [...m.values()].flatMap((i) => i.addresses.filter((a) => a.flags.includes('dadfailed')).map((a) => [i.name, a.cidr, a.flags, a.ref.line]));
    expect(dad).toEqual([['enp0s8', 'fe80::a00:27ff:fe9b:3a6/64', ['tentative', 'dadfailed'], 17]]);
    expect(m.get('enp0s3')!.addresses[0]).toMatchObject({ cidr: '10.0.2.15/24', flags: ['dynamic'] });
  });

  it('hotsos ip -d address: flannel.1 is a vxlan (id 1, local 10.6.3.201, dev ens3, port 8472) with MTU 8908 over ens3 at 8958', () => {
    const m = byName(corpus('hotsos-charmed-k8s-flannel-node-ip-d-address.txt'));
    expect(m.get('flannel.1')).toMatchObject({ kind: 'vxlan', mtu: 8908, vxlan: { id: 1, local: '10.6.3.201', dev: 'ens3', port: 8472 }, ref: { line: 13 } });
    expect(m.get('ens3')!.mtu).toBe(8958);
    expect(m.get('ens3')!.kind).toBeUndefined();
    expect(m.get('ens3')!.addresses[0]).toMatchObject({ cidr: '10.6.3.201/16', broadcast: '10.6.255.255', flags: ['dynamic'], label: 'ens3', ref: { line: 9 } });
  });

  it('hotsos ip -o addr: one line per address, the same interfaces, indexes from the line', () => {
    const l = corpus('hotsos-charmed-k8s-flannel-node-ip-o-addr.txt');
    expect(l.format).toBe('ip-oneline');
    expect(l.interfaces.map((i) => [i.name, i.index, i.ref.line])).toEqual([
      ['lo', 1, 1],
      ['ens3', 2, 3],
      ['flannel.1', 3, 5],
    ]);
    // the lifetimes after the backslash are not part of the address or its excerpt
    const ens3 = l.interfaces[1].addresses[0];
    expect(ens3).toMatchObject({ cidr: '10.6.3.201/16', broadcast: '10.6.255.255', label: 'ens3', flags: ['dynamic'] });
    expect(ens3.excerpt).not.toContain('valid_lft');
  });

  it('insights: "Message truncated" lines before the first header; point-to-point and a label that is not the device', () => {
    const l = corpus('insights-ip-addr-message-truncated-bond-tunnels.txt');
    expect(l.interfaces.map((i) => [i.name, i.index, i.ref.line])).toEqual([
      ['lo', 1, 4],
      ['eth7', 2, 9],
      ['tunl0', 3, 11],
      ['tunl1', 4, 13],
      ['bond1.57', 5, 16],
      ['ip.tun2', 6, 23],
    ]);
    const m = byName(l);
    expect(m.get('eth7')).toMatchObject({ master: 'bond1', state: 'DOWN' });
    expect(m.get('bond1.57')).toMatchObject({ peer: 'bond1' });
    // `inet 172.30.0.1 peer 172.30.0.2/32 scope global tun0`: the local end, labelled tun0
    expect(m.get('tunl1')!.addresses[0]).toMatchObject({ address: '172.30.0.1', cidr: '172.30.0.1/32', label: 'tun0', ref: { line: 15 } });
    expect(m.get('bond1.57')!.addresses.map((a) => a.cidr)).toEqual(['10.192.4.171/27', 'fe80::211:3fff:fee2:f59e/64', '2001::211:3fff:fee2:f59e/64']);
    expect(m.get('bond1.57')!.addresses[2].flags).toEqual(['mngtmpaddr', 'dynamic']);
  });

  it('jc ifconfig: netmask turned into a prefix, docker0 without RUNNING', () => {
    const l = corpus('jc-centos77-docker0-ifconfig.txt');
    expect(l.format).toBe('ifconfig');
    expect(l.interfaces.map((i) => [i.name, i.mtu, i.ref.line])).toEqual([
      ['docker0', 1500, 1],
      ['ens33', 1500, 9],
      ['lo', 65536, 18],
    ]);
    const m = byName(l);
    expect(m.get('docker0')).toMatchObject({ flags: ['UP', 'BROADCAST', 'MULTICAST'], mac: '02:42:b1:9a:ea:02' });
    expect(m.get('ens33')!.addresses.map((a) => [a.cidr, a.ref.line])).toEqual([
      ['192.168.71.137/24', 10],
      ['fe80::c1cb:715d:bc3e:b8a0/64', 11],
    ]);
    expect(m.get('lo')!.addresses.map((a) => a.cidr)).toEqual(['127.0.0.1/8', '::1/128']);
  });

  it('mlab pod netns: a cni0 bridge and both veth ends inside the pod, named after each other', () => {
    const m = byName(corpus('mlab-k8s-support-111-pod-netns-cni0-veth-leaked.txt'));
    expect([...m.keys()]).toEqual(['lo', 'cni0', 'veth0a43e56a', 'eth0']);
    expect(m.get('veth0a43e56a')).toMatchObject({ peer: 'eth0', master: 'cni0', mtu: 1450, addresses: [] });
    expect(m.get('eth0')).toMatchObject({ peer: 'veth0a43e56a', index: 4 });
    expect(v4(m.get('eth0'))).toEqual(['192.168.33.33/26']);
    expect(v4(m.get('cni0'))).toEqual(['192.168.33.1/26']);
  });
});

describe.skipIf(!hasSeeds)('seed 004: `ip a | grep` fragments', () => {
  const seedText = () => readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith('004_'))!), 'utf8');
  // the seed is reStructuredText: `10.10.\ **2**\.1/24` bolds one octet; unwrap it to the text the shell printed
  const unbold = (l: string) => l.replace(/\\ \*\*(\d+)\*\*\\/g, '$1');

  it('the prompt line is ignored; flannel.1 with two /32 addresses (lines 515-518 of the seed)', () => {
    const block = seedText().split('\n').slice(514, 518).map(unbold).join('\n');
    expect(block.split('\n')[0]).toMatch(/^\s*\$ ip a \| grep/);
    const l = parseInterfaces(block, 'seed-004');
    expect(l.format).toBe('fragment');
    expect(l.warnings).toEqual([]);
    const m = byName(l);
    expect(v4(m.get('cni0'))).toEqual(['10.10.2.1/24']);
    expect(m.get('flannel.1')!.addresses.map((a) => [a.cidr, a.network, a.ref.line])).toEqual([
      ['10.10.2.0/32', '10.10.2.0/32', 3],
      ['10.10.4.0/32', '10.10.4.0/32', 4],
    ]);
    expect(m.get('cni0')!.ref).toEqual({ file: 'seed-004', line: 2 });
  });

  it('every fragment block of the "Flannel problem" section gives cni0 and flannel.1', () => {
    const all = seedText().split('\n');
    const prompts = all.map((l, i) => (/\$ ip a \| grep 'inet\.\*flannel/.test(l) ? i : -1)).filter((i) => i >= 0);
    expect(prompts.length).toBe(6);
    for (const p of prompts) {
      const block = all.slice(p + 1, p + 4).filter((l) => /^\s+inet /.test(l)).map(unbold).join('\n');
      const m = byName(parseInterfaces(block, `seed-004:${p + 1}`));
      expect([...m.keys()].sort(), `block after line ${p + 1}`).toEqual(['cni0', 'flannel.1']);
      expect(v4(m.get('cni0'))[0]).toMatch(/^10\.10\.\d\.1\/24$/);
    }
  });
});

describe('the broken node made by the real iproute2 (scripts/make-iproute2-fixtures.sh)', () => {
  it('ip a: two /32 on flannel.1, a secondary on cni0, docker0 DOWN, one dadfailed IPv6, altname ignored', () => {
    const text = readFileSync(join(brokenDir, 'ip_a'), 'utf8');
    const l = broken('ip_a');
    expectRefsPointAtTheirLines(l, text);
    const m = byName(l);
    expect([...m.keys()]).toEqual(['lo', 'ens3p', 'ens3', 'ens3.100p', 'ens3.100', 'flannel.1', 'cni0', 'docker0']);
    expect(v4(m.get('flannel.1'))).toEqual(['10.10.2.0/32', '10.10.4.0/32']);
    expect(m.get('cni0')!.addresses.filter((a) => a.family === 4).map((a) => [a.cidr, a.flags])).toEqual([
      ['10.10.2.1/24', []],
      ['10.10.2.5/24', ['secondary']],
    ]);
    expect(m.get('docker0')).toMatchObject({ state: 'DOWN', flags: ['BROADCAST', 'MULTICAST'] });
    expect(m.get('ens3')).toMatchObject({ peer: 'ens3p', index: 3 });
    expect(v4(m.get('ens3'))).toEqual(['192.168.56.12/24']);
    expect(m.get('ens3.100')).toMatchObject({ peer: 'ens3.100p' });
    expect(m.get('ens3')!.addresses.find((a) => a.flags.includes('dadfailed'))).toMatchObject({ cidr: 'fd00:56::12/64', flags: ['dadfailed', 'tentative'], ref: { line: 18 } });
  });

  it('the five shapes agree on every interface and IPv4 address; ifconfig shows only the first IPv4 address', () => {
    const shapes = ['ip_a', 'ip_-d_address', 'ip_-o_addr', 'ip_-br_addr'].map((f) => byName(broken(f)));
    const [full] = shapes;
    for (const m of shapes.slice(1)) {
      // ip -o addr lists only interfaces that have an address: ens3.100p has a link-local one, so all are there
      expect([...m.keys()]).toEqual([...full.keys()]);
      for (const name of full.keys()) expect(v4(m.get(name)), name).toEqual(v4(full.get(name)));
    }
    const ifc = byName(broken('ifconfig_-a'));
    expect([...ifc.keys()].sort()).toEqual([...full.keys()].sort());
    // net-tools reads one IPv4 address per device (SIOCGIFADDR): the second flannel.1 /32 is invisible
    expect(v4(ifc.get('flannel.1'))).toEqual(['10.10.2.0/32']);
    expect(v4(ifc.get('cni0'))).toEqual(['10.10.2.1/24']);
    expect(ifc.get('docker0')!.flags).not.toContain('UP');
  });

  it('ip -d address: kinds and the vxlan of flannel.1', () => {
    const m = byName(broken('ip_-d_address'));
    expect(m.get('flannel.1')).toMatchObject({ kind: 'vxlan', vxlan: { id: 1, local: '192.168.56.12', dev: 'ens3', port: 8472 } });
    expect(m.get('cni0')!.kind).toBe('bridge');
    expect(m.get('docker0')!.kind).toBe('bridge');
    expect(m.get('ens3')!.kind).toBe('veth');
    expect(m.get('lo')!.kind).toBeUndefined();
  });

  it('ip -br addr: states and the @peer split off the name', () => {
    const l = broken('ip_-br_addr');
    expect(l.format).toBe('ip-brief');
    expect(l.interfaces.map((i) => [i.name, i.peer, i.state, i.ref.line])).toEqual([
      ['lo', undefined, 'UNKNOWN', 1],
      ['ens3p', 'ens3', 'UP', 2],
      ['ens3', 'ens3p', 'UP', 3],
      ['ens3.100p', 'ens3.100', 'UP', 4],
      ['ens3.100', 'ens3.100p', 'UP', 5],
      ['flannel.1', undefined, 'UNKNOWN', 6],
      ['cni0', undefined, 'UNKNOWN', 7],
      ['docker0', undefined, 'DOWN', 8],
    ]);
  });

  it.skipIf(!canMakeNetns())('the script, rerun now, makes the same interfaces and addresses', () => {
    const dir = mkdtempSync(join(tmpdir(), `bd-iproute2-${process.pid}-`));
    try {
      execFileSync('bash', [projectPath('scripts/make-iproute2-fixtures.sh'), dir], { stdio: 'ignore', timeout: 30_000 });
      for (const f of ['ip_a', 'ip_-d_address', 'ip_-o_addr', 'ip_-br_addr', 'ifconfig_-a']) {
        const summary = (l: InterfaceList) => l.interfaces.map((i) => [i.name, i.kind, i.state, i.addresses.filter((a) => a.family === 4 || !a.address.startsWith('fe80')).map((a) => [a.cidr, a.flags.filter((x) => x !== 'dadfailed' && x !== 'tentative')])]);
        expect(summary(broken(f, join(dir, 'broken-node'))), f).toEqual(summary(broken(f)));
      }
      // which end of the veth loses duplicate address detection is the kernel's choice; exactly one does
      const live = byName(broken('ip_a', join(dir, 'broken-node')));
      const dad = ['ens3', 'ens3p'].filter((n) => live.get(n)!.addresses.some((a) => a.flags.includes('dadfailed')));
      expect(dad).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sniffing and hostile input', () => {
  it('sniff says no to routes, sockets, subnet.env and JSON', () => {
    const notIp = [
      readFileSync(projectPath('test/fixtures/iproute2/ip_route_show_table_all'), 'utf8'),
      readFileSync(projectPath('test/fixtures/iproute2/sockets/ss_-ltnp'), 'utf8'),
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n',
      '[{"Name": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]}}]',
    ];
    for (const t of notIp) expect(sniffInterfaces(t), t.slice(0, 40)).toBe(false);
  });

  it('garbage, binary and empty text are skipped, never anything else', () => {
    const inputs = ['', '\n\n', 'hello world\n', Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) & 255)).toString('latin1'), '1: \n2: : <\ninet\ninet6 /\n'];
    for (const t of inputs) expect(() => parseInterfaces(t, 'junk')).toThrow(SkipFile);
  });

  // Speed is the benchmark's business (npm run bench): this only bounds a hang or a quadratic blow-up.
  it('a 5 MB line and a 200,000-line ip -o addr finish', () => {
    try {
      parseInterfaces('x'.repeat(5_000_000), 'long');
    } catch (err) {
      expect(err instanceof SkipFile || err instanceof ParseError).toBe(true);
    }
    const many = Array.from({ length: 200_000 }, (_, i) => `${i + 1}: veth${i}    inet 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 scope global veth${i}\\       valid_lft forever preferred_lft forever`).join('\n');
    const l = parseInterfaces(many, 'many');
    expect(l.interfaces).toHaveLength(200_000);
    expect(l.interfaces[199_999].addresses[0]).toMatchObject({ cidr: '10.3.13.63/32', ref: { line: 200_000 } });
  }, 60_000);

  // A header-less `inet` line of megabytes is taken for a fragment and its whole text kept as the
  // excerpt (the full `ip a` shape skips lines over 8 KiB, the other shapes do not cap).
  it('excerpts are capped at EXCERPT_MAX on every shape', () => {
    const l = parseInterfaces(`    inet 10.0.0.1/24 ${'a '.repeat(200_000)}eth0\n`, 'long');
    expect(l.interfaces[0].addresses[0].excerpt.length).toBeLessThanOrEqual(400);
  });
});

describe('interfacesOf across listings', () => {
  const ov = (name: string) => readFileSync(projectPath('test/fixtures/overlay-ports', name), 'utf8');
  it("`ip addr` then `ip -d link` (real, flannel.1 made as flannel makes it): the first listing's addresses, the second's vxlan details; the parsed records untouched", () => {
    const addr = parseInterfaces(ov('flannel-node.ip-addr.txt'), 'ip_addr.txt');
    const link = parseInterfaces(ov('flannel-node.ip-d-link.txt'), 'ip_-d_link.txt');
    const f = interfacesOf([addr, link]).get('flannel.1')!;
    expect(f.ref.file).toBe('ip_addr.txt');
    expect(f.addresses.length).toBeGreaterThan(0);
    expect(f.kind).toBe('vxlan');
    expect(f.vxlan?.port).toBe(8472);
    expect(addr.interfaces.find((i) => i.name === 'flannel.1')!.vxlan).toBeUndefined();
    // the other way round: the link listing first, its missing addresses from ip addr
    const g = interfacesOf([link, addr]).get('flannel.1')!;
    expect(g.ref.file).toBe('ip_-d_link.txt');
    expect(g.addresses).toEqual(addr.interfaces.find((i) => i.name === 'flannel.1')!.addresses);
  });
});
