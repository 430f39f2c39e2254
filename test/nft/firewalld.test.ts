import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import {
  parseFirewallCmdListAllZones,
  parseFirewalldConf,
  parseFirewalldZoneXml,
  readXml,
  sniffFirewallCmd,
  zoneOfInterface,
  type FirewalldZone,
} from '../../src/nft/firewalld.js';
import { projectPath } from '../helpers/shared.js';

// made by the real firewalld 1.3.3 (scripts/make-nft-fixtures.sh): a node with public (eth0),
// trusted (cni0 + pod network), Docker's own zone for docker0 and a drop zone for one network
const dir = (...p: string[]) => projectPath('test/fixtures/nft/firewalld-real', ...p);
const read = (...p: string[]) => readFileSync(dir(...p), 'utf8');
const LZ = 'firewall-cmd_--list-all-zones';

describe('firewall-cmd --list-all-zones from the real firewalld', () => {
  const out = parseFirewallCmdListAllZones(read(LZ), LZ);
  const zone = (name: string) => out.zones.find((z) => z.name === name)!;

  it('every zone, which are active, and no default marker in this version', () => {
    expect(out.warnings).toEqual([]);
    expect(out.zones.map((z) => (z.active ? `${z.name}*` : z.name))).toEqual(['block', 'dmz', 'docker*', 'drop*', 'external', 'home', 'internal', 'public*', 'trusted*', 'work']);
    expect(out.defaultZone).toBeUndefined();
    expect(zone('block')).toMatchObject({ target: 'REJECT', ref: { file: LZ, line: 1 }, fieldRefs: { target: { file: LZ, line: 2 } } });
  });

  it('docker zone: docker0, target ACCEPT, no forward; drop zone: a source network, target DROP', () => {
    expect(zone('docker')).toMatchObject({ target: 'ACCEPT', interfaces: ['docker0'], forward: false, masquerade: false, ref: { line: 31 }, fieldRefs: { interfaces: { line: 34 }, forward: { line: 39 } } });
    expect(zone('drop')).toMatchObject({ target: 'DROP', interfaces: [], sources: ['203.0.113.0/24'], forward: true, fieldRefs: { sources: { line: 50 } } });
    expect(zone('trusted')).toMatchObject({ target: 'ACCEPT', interfaces: ['cni0'], sources: ['10.244.0.0/16'] });
    expect(zone('external')).toMatchObject({ masquerade: true, services: ['ssh'] });
  });

  it('public zone: services, ports with the line they are on, forward ports and rich rules on continuation lines', () => {
    const p = zone('public');
    expect(p).toMatchObject({
      target: 'default',
      interfaces: ['eth0'],
      services: ['dhcpv6-client', 'ssh'],
      protocols: [],
      forward: true,
      masquerade: false,
      icmpBlockInversion: false,
      forwardPorts: [{ port: '8080', protocol: 'tcp', toPort: '80', toAddr: '172.17.0.2' }],
      richRules: ['rule family="ipv4" source address="192.0.2.0/24" port port="5432" protocol="tcp" accept'],
    });
    expect(p.ports).toEqual([
      { port: '6443', protocol: 'tcp', ref: { file: LZ, line: 112 } },
      { port: '10250', protocol: 'tcp', ref: { file: LZ, line: 112 } },
      { port: '8472', protocol: 'udp', ref: { file: LZ, line: 112 } },
    ]);
    expect(p.fieldRefs).toMatchObject({ ports: { line: 112 }, forwardPorts: { line: 116 }, richRules: { line: 120 } });
  });

  it('--list-all (the default zone only) reads the same as its entry in --list-all-zones', () => {
    const one = parseFirewallCmdListAllZones(read('firewall-cmd_--list-all'), 'la');
    expect(one.zones).toHaveLength(1);
    const strip = (z: FirewalldZone) => ({ ...z, ref: undefined, fieldRefs: undefined, ports: z.ports.map((x) => ({ ...x, ref: undefined })) });
    expect(strip(one.zones[0])).toEqual(strip(zone('public')));
  });

  it('zone XML files written by firewall-offline-cmd say what firewall-cmd lists', () => {
    const files = readdirSync(dir('etc/firewalld/zones')).sort();
    expect(files).toEqual(['docker.xml', 'drop.xml', 'public.xml', 'trusted.xml']);
    for (const f of files) {
      const path = `etc/firewalld/zones/${f}`;
      const x = parseFirewalldZoneXml(read(path), path);
      const l = zone(x.name);
      const view = (z: FirewalldZone) => [z.target, z.interfaces, z.sources, [...z.services].sort(), z.ports.map((p) => `${p.port}/${p.protocol}`), z.forward, z.masquerade, z.forwardPorts, z.richRules, z.icmpBlockInversion];
      expect(view(x)).toEqual(view(l));
    }
    const pub = parseFirewalldZoneXml(read('etc/firewalld/zones/public.xml'), 'etc/firewalld/zones/public.xml');
    expect(pub).toMatchObject({ name: 'public', short: 'Public', ref: { line: 2 }, fieldRefs: { services: { line: 5 }, ports: { line: 7 }, richRules: { line: 11 }, interfaces: { line: 16 }, forward: { line: 17 } } });
    expect(pub.ports.map((p) => p.ref.line)).toEqual([7, 8, 9]);
    expect(parseFirewalldZoneXml(read('etc/firewalld/zones/docker.xml'), 'zones/docker.xml')).toMatchObject({ name: 'docker', target: 'ACCEPT', interfaces: ['docker0'], forward: false, fieldRefs: { target: { line: 2 }, interfaces: { line: 3 } } });
  });

  it('firewalld.conf: default zone and back end, with their lines', () => {
    const c = parseFirewalldConf(read('etc/firewalld/firewalld.conf'), 'etc/firewalld/firewalld.conf');
    expect(c).toMatchObject({ defaultZone: 'public', backend: 'nftables' });
    expect(c.refs.DefaultZone).toEqual({ file: 'etc/firewalld/firewalld.conf', line: 6 });
    expect(c.refs.FirewallBackend.line).toBe(59);
    expect(c.settings.IPv6_rpfilter).toBe('yes');
    expect(parseFirewalldConf('# RHEL 7\nDefaultZone=internal\nFirewallBackend="iptables"\n', 'c')).toMatchObject({ defaultZone: 'internal', backend: 'iptables' });
  });

  it('zoneOfInterface: named interfaces, the default zone for the rest, firewalld `+` wildcards', () => {
    expect(zoneOfInterface(out.zones, 'cni0', 'public')).toMatchObject({ zone: { name: 'trusted' }, via: 'interface' });
    expect(zoneOfInterface(out.zones, 'docker0', 'public')).toMatchObject({ zone: { name: 'docker' }, via: 'interface' });
    // a Docker user bridge no zone names falls to the default zone: public rejects what it does not allow
    expect(zoneOfInterface(out.zones, 'br-5f2c1a9e7b30', 'public')).toMatchObject({ zone: { name: 'public', target: 'default' }, via: 'default' });
    expect(zoneOfInterface(out.zones, 'br-5f2c1a9e7b30')).toBeUndefined();
    const wild = parseFirewallCmdListAllZones('docker (active)\n  target: ACCEPT\n  interfaces: docker0 br-+\n', 'w');
    expect(zoneOfInterface(wild.zones, 'br-5f2c1a9e7b30')).toMatchObject({ zone: { name: 'docker' }, via: 'interface' });
  });
});

describe('firewall-cmd output variants and zone XML details', () => {
  it('older layout (hand-written after firewalld 0.6): default marker, no forward line, forward ports inline', () => {
    const text = [
      'public (default, active)',
      '  target: default',
      '  icmp-block-inversion: no',
      '  interfaces: eth0 eth1',
      '  sources: ',
      '  services: ssh dhcpv6-client',
      '  ports: 5432/tcp 30000-32767/tcp',
      '  protocols: gre',
      '  masquerade: yes',
      '  forward-ports: port=80:proto=tcp:toport=8080:toaddr= port=443:proto=tcp:toport=8443:toaddr=',
      '  source-ports: 53/udp',
      '  icmp-blocks: echo-request',
      '  rich rules: ',
      '\trule family="ipv4" source address="10.0.0.0/8" accept',
      '\trule family="ipv4" source address="192.0.2.9" drop',
      '',
    ].join('\n');
    const out = parseFirewallCmdListAllZones(text, 'old');
    expect(out.defaultZone).toBe('public');
    const z = out.zones[0];
    expect(z).toMatchObject({ default: true, active: true, interfaces: ['eth0', 'eth1'], protocols: ['gre'], masquerade: true, icmpBlocks: ['echo-request'], sourcePorts: [{ port: '53', protocol: 'udp' }] });
    expect(z.forward).toBeUndefined();
    expect(z.ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['5432/tcp', '30000-32767/tcp']);
    expect(z.forwardPorts).toEqual([
      { port: '80', protocol: 'tcp', toPort: '8080' },
      { port: '443', protocol: 'tcp', toPort: '8443' },
    ]);
    expect(z.richRules).toHaveLength(2);
    expect(z.fieldRefs.richRules).toEqual({ file: 'old', line: 13 });
  });

  it('rich rules from XML are written as firewall-cmd prints them: NOT, nested log limit, entities', () => {
    const xml = [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<!-- hand-written zone exercising rich rule elements -->',
      '<zone target="%%REJECT%%">',
      '  <short>K8s &amp; pods</short>',
      '  <rule family="ipv4" priority="-10">',
      '    <source address="10.244.0.0/16" invert="True"/>',
      '    <service name="postgresql"/>',
      "    <log prefix='pg &quot;denied&quot;' level=\"info\"><limit value=\"3/m\"/></log>",
      '    <reject type="icmp-host-prohibited"/>',
      '  </rule>',
      '  <source ipset="k8s-nodes"/>',
      '  <masquerade/>',
      '</zone>',
    ].join('\n');
    const z = parseFirewalldZoneXml(xml, 'etc/firewalld/zones/k8s.xml');
    expect(z).toMatchObject({ name: 'k8s', target: 'REJECT', short: 'K8s & pods', sources: ['ipset:k8s-nodes'], masquerade: true, forward: false, ref: { line: 3 } });
    expect(z.richRules).toEqual([
      'rule priority="-10" family="ipv4" source NOT address="10.244.0.0/16" service name="postgresql" log prefix="pg "denied"" level="info" limit value="3/m" reject type="icmp-host-prohibited"',
    ]);
    expect(z.fieldRefs.richRules).toEqual({ file: 'etc/firewalld/zones/k8s.xml', line: 5 });
  });

  it('broken or foreign files: ParseError or SkipFile, nothing else', () => {
    expect(() => parseFirewalldZoneXml('<zone>\n  <interface name="eth0"\n', 'z.xml')).toThrow(ParseError);
    expect(() => parseFirewalldZoneXml('<zone></service></zone>', 'z.xml')).toThrow(ParseError);
    expect(() => parseFirewalldZoneXml('<zone target="MAYBE"/>', 'z.xml')).toThrow(ParseError);
    expect(() => parseFirewalldZoneXml('<service><port port="22" protocol="tcp"/></service>', 'ssh.xml')).toThrow(SkipFile);
    expect(() => parseFirewalldZoneXml('\u0000\u0001', 'b.xml')).toThrow(SkipFile);
    // an unclosed <zone> at the end of a truncated file still gives what was read
    expect(parseFirewalldZoneXml('<zone>\n  <interface name="cni0"/>\n', 'cut.xml').interfaces).toEqual(['cni0']);
    expect(() => parseFirewallCmdListAllZones('FirewallD is not running\n', 'x')).toThrow(SkipFile);
    expect(() => parseFirewallCmdListAllZones('', 'x')).toThrow(SkipFile);
    expect(() => parseFirewalldConf('hello\n', 'x')).toThrow(SkipFile);
    const weird = parseFirewallCmdListAllZones('public\n  target: SOMETIMES\n  ports: 22\n', 'x');
    expect(weird.warnings.map((w) => [w.line, w.message])).toEqual([
      [2, 'zone public: target SOMETIMES not understood'],
      [3, 'zone public: port 22 not understood'],
    ]);
  });

  it('the XML reader keeps lines, attribute order and text', () => {
    const doc = readXml('<?xml version="1.0"?>\n<a x="1" b=\'2\'>\n <c/>hi &lt;&#65;&#x42;&gt;</a>', 'f');
    const a = doc.children[0];
    expect(a).toMatchObject({ name: 'a', attrOrder: ['x', 'b'], attrs: { x: '1', b: '2' }, line: 2, children: [{ name: 'c', line: 3 }] });
    expect(a.text.trim()).toBe('hi <AB>');
  });

  it('sniffs firewall-cmd listings only', () => {
    expect(sniffFirewallCmd(read(LZ).slice(0, 4096))).toBe(true);
    expect(sniffFirewallCmd(read('firewall-cmd_--list-all'))).toBe(true);
    expect(sniffFirewallCmd('docker\n  target: ACCEPT\n')).toBe(true);
    expect(sniffFirewallCmd(read('firewall-cmd_--get-active-zones'))).toBe(false);
    expect(sniffFirewallCmd('Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n')).toBe(false);
  });
});
