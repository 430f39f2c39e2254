/**
 * firewalld policies (firewalld >= 0.9) as firewall-cmd prints them and as firewalld writes them.
 * The listings below are the REAL firewalld 1.3.3 (Debian 12) daemon's, run in a network namespace
 * on a private D-Bus (as scripts/make-nft-fixtures.sh runs it), set up the way netavark's firewalld
 * driver does it (src/firewall/firewalld.rs): permanent zone netavark_zone and policies
 * netavark_policy / netavark_portfwd, a reload, then runtime forward ports for a container at
 * 10.88.0.8 (8000->80, 8443->443). "before": as netavark leaves it; "after": after `firewall-cmd
 * --reload`. The XML is what firewalld wrote to etc/firewalld/policies/.
 */
import { describe, expect, it } from 'vitest';
import {
  parseFirewallCmdListAllZones,
  parseFirewallCmdPolicies,
  parseFirewalldPolicyXml,
  sniffFirewallCmd,
  sniffFirewallCmdPolicies,
} from '../../src/nft/firewalld.js';
import { SkipFile } from '../../src/model/source.js';

const LIST_BEFORE = [
  "allow-host-ipv6 (active)",
  "  priority: -15000",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: HOST",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-solicitation\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"router-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"redirect\" accept",
  "",
  "netavark_policy (active)",
  "  priority: -1",
  "  target: ACCEPT",
  "  ingress-zones: netavark_zone",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  "netavark_portfwd (active)",
  "  priority: -1",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "\tport=8000:proto=tcp:toport=80:toaddr=10.88.0.8",
  "\tport=8443:proto=tcp:toport=443:toaddr=10.88.0.8",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  '',
].join('\n');
const LIST_AFTER = [
  "allow-host-ipv6 (active)",
  "  priority: -15000",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: HOST",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-solicitation\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"router-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"redirect\" accept",
  "",
  "netavark_policy (active)",
  "  priority: -1",
  "  target: ACCEPT",
  "  ingress-zones: netavark_zone",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  "netavark_portfwd (active)",
  "  priority: -1",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  '',
].join('\n');
const INFO_AFTER = [
  "netavark_portfwd (active)",
  "  priority: -1",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  '',
].join('\n');
const PERMANENT_LIST = [
  "allow-host-ipv6 (active)",
  "  priority: -15000",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: HOST",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"neighbour-solicitation\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"router-advertisement\" accept",
  "\trule family=\"ipv6\" icmp-type name=\"redirect\" accept",
  "",
  "netavark_policy (active)",
  "  priority: -1",
  "  target: ACCEPT",
  "  ingress-zones: netavark_zone",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  "netavark_portfwd (active)",
  "  priority: -1",
  "  target: CONTINUE",
  "  ingress-zones: ANY",
  "  egress-zones: ANY",
  "  services: ",
  "  ports: ",
  "  protocols: ",
  "  masquerade: no",
  "  forward-ports: ",
  "  source-ports: ",
  "  icmp-blocks: ",
  "  rich rules: ",
  "",
  '',
].join('\n');
const XML_PORTFWD = [
  "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
  "<policy target=\"CONTINUE\">",
  "  <ingress-zone name=\"ANY\"/>",
  "  <egress-zone name=\"ANY\"/>",
  "</policy>",
  '',
].join('\n');

/** containers/netavark#723, the reporter's `firewall-cmd --info-policy netavark_portfwd` before the reload (firewalld 1.1.1): the tab pasted as spaces */
const TICKET_BEFORE = [
  'netavark_portfwd (active)',
  '  priority: -1',
  '  target: CONTINUE',
  '  ingress-zones: ANY',
  '  egress-zones: ANY',
  '  services:',
  '  ports:',
  '  protocols:',
  '  masquerade: no',
  '  forward-ports:',
  '        port=8000:proto=tcp:toport=80:toaddr=10.88.0.8',
  '  source-ports:',
  '  icmp-blocks:',
  '  rich rules:',
  '',
].join('\n');

describe('firewall-cmd --list-all-policies from the real firewalld 1.3.3', () => {
  it('every policy, its priority, target, zones; forward ports one per tab-indented line, each with its line', () => {
    const out = parseFirewallCmdPolicies(LIST_BEFORE, 'firewall-cmd_--list-all-policies');
    expect(out.config).toBe('runtime');
    expect(out.warnings).toEqual([]);
    expect(out.policies.map((p) => p.name)).toEqual(['allow-host-ipv6', 'netavark_policy', 'netavark_portfwd']);
    const [host, pol, fwd] = out.policies;
    expect(host).toMatchObject({ active: true, priority: -15000, target: 'CONTINUE', ingressZones: ['ANY'], egressZones: ['HOST'], masquerade: false });
    expect(host.richRules).toHaveLength(4);
    expect(host.richRules[0]).toBe('rule family="ipv6" icmp-type name="neighbour-advertisement" accept');
    expect(pol).toMatchObject({ priority: -1, target: 'ACCEPT', ingressZones: ['netavark_zone'], egressZones: ['ANY'], forwardPorts: [] });
    expect(fwd).toMatchObject({ name: 'netavark_portfwd', active: true, priority: -1, target: 'CONTINUE', ingressZones: ['ANY'], egressZones: ['ANY'], ref: { line: 33 } });
    expect(fwd.forwardPorts).toEqual([
      { port: '8000', protocol: 'tcp', toPort: '80', toAddr: '10.88.0.8', ref: { file: 'firewall-cmd_--list-all-policies', line: 43 } },
      { port: '8443', protocol: 'tcp', toPort: '443', toAddr: '10.88.0.8', ref: { file: 'firewall-cmd_--list-all-policies', line: 44 } },
    ]);
    expect(fwd.fieldRefs).toMatchObject({ priority: { line: 34 }, target: { line: 35 }, forwardPorts: { line: 42 } });
    expect(LIST_BEFORE.split('\n')[42]).toBe('\tport=8000:proto=tcp:toport=80:toaddr=10.88.0.8');
  });

  it('after firewall-cmd --reload: the policy is still there, its forward-ports empty (runtime-only, gone)', () => {
    const after = parseFirewallCmdPolicies(LIST_AFTER, 'after');
    const fwd = after.policies.find((p) => p.name === 'netavark_portfwd')!;
    expect(fwd).toMatchObject({ active: true, forwardPorts: [], fieldRefs: { forwardPorts: { line: 42 } } });
    const info = parseFirewallCmdPolicies(INFO_AFTER, 'firewall-cmd_--info-policy_netavark_portfwd');
    expect(info.policies).toHaveLength(1);
    expect(info.policies[0]).toMatchObject({ name: 'netavark_portfwd', forwardPorts: [], ref: { line: 1 } });
  });

  it('--permanent is the permanent configuration (from the file name or a pasted command line); its netavark_portfwd never holds the ports', () => {
    const perm = parseFirewallCmdPolicies(PERMANENT_LIST, 'sos_commands/firewalld/firewall-cmd_--permanent_--list-all-policies');
    expect(perm.config).toBe('permanent');
    expect(perm.policies.find((p) => p.name === 'netavark_portfwd')?.forwardPorts).toEqual([]);
    expect(parseFirewallCmdPolicies(PERMANENT_LIST, 'policies.txt').config).toBe('runtime');
    expect(parseFirewallCmdPolicies(PERMANENT_LIST, 'policies.txt', { permanent: true }).config).toBe('permanent');
    expect(parseFirewallCmdPolicies(`[root@host ~]# firewall-cmd --permanent --info-policy=netavark_portfwd\n${INFO_AFTER}`, 'p.txt').config).toBe('permanent');
    expect(parseFirewallCmdPolicies(`[root@host ~]# firewall-cmd --info-policy=netavark_portfwd\n${INFO_AFTER}`, 'p.txt').config).toBe('runtime');
  });

  it('the ticket paste (firewalld 1.1.1, containers/netavark#723): a forward port on a space-indented line', () => {
    const out = parseFirewallCmdPolicies(TICKET_BEFORE, 'firewall-cmd-info-policy-before.txt');
    expect(out.policies[0].forwardPorts).toEqual([{ port: '8000', protocol: 'tcp', toPort: '80', toAddr: '10.88.0.8', ref: { file: 'firewall-cmd-info-policy-before.txt', line: 11 } }]);
    expect(out.warnings).toEqual([]);
  });

  it('sniffing tells policies from zones; neither parser takes the other\'s listing', () => {
    for (const t of [LIST_BEFORE, LIST_AFTER, INFO_AFTER, TICKET_BEFORE]) {
      expect(sniffFirewallCmdPolicies(t)).toBe(true);
      expect(sniffFirewallCmd(t)).toBe(false);
    }
    const zones = 'public (active)\n  target: default\n  icmp-block-inversion: no\n  interfaces: eth0\n  forward-ports: \n\tport=8080:proto=tcp:toport=80:toaddr=172.17.0.2\n';
    expect(sniffFirewallCmdPolicies(zones)).toBe(false);
    expect(() => parseFirewallCmdPolicies(zones, 'z')).toThrow(SkipFile);
    // `firewall-cmd --get-policies`: names only
    expect(() => parseFirewallCmdPolicies('allow-host-ipv6 netavark_policy netavark_portfwd\n', 'g')).toThrow(SkipFile);
    // the zone parser ignores nothing it should not: the zone listing still reads as before
    expect(parseFirewallCmdListAllZones(zones, 'z').zones[0].forwardPorts).toHaveLength(1);
  });
});

describe('etc/firewalld/policies/*.xml, as firewalld 1.3.3 wrote it', () => {
  it('netavark_portfwd.xml: permanent, named by its file, default priority, no forward ports', () => {
    const file = 'etc/firewalld/policies/netavark_portfwd.xml';
    const out = parseFirewalldPolicyXml(XML_PORTFWD, file);
    expect(out.config).toBe('permanent');
    expect(out.policies).toHaveLength(1);
    expect(out.policies[0]).toMatchObject({ name: 'netavark_portfwd', priority: -1, target: 'CONTINUE', ingressZones: ['ANY'], egressZones: ['ANY'], forwardPorts: [], ref: { file, line: 2 }, fieldRefs: { ingressZones: { line: 3 }, egressZones: { line: 4 } } });
  });

  it('forward ports, ports, rich rules and a priority in a policy file', () => {
    const xml = [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<policy priority="-100" target="ACCEPT">',
      '  <ingress-zone name="public"/>',
      '  <egress-zone name="HOST"/>',
      '  <port port="8080" protocol="tcp"/>',
      '  <forward-port port="8000" protocol="tcp" to-port="80" to-addr="10.88.0.8"/>',
      '  <rule family="ipv4"><source address="192.0.2.0/24"/><accept/></rule>',
      '</policy>',
      '',
    ].join('\n');
    const p = parseFirewalldPolicyXml(xml, 'policies/p.xml').policies[0];
    expect(p).toMatchObject({ name: 'p', priority: -100, target: 'ACCEPT', ingressZones: ['public'], egressZones: ['HOST'], richRules: ['rule family="ipv4" source address="192.0.2.0/24" accept'] });
    expect(p.ports.map((x) => `${x.port}/${x.protocol}@${x.ref.line}`)).toEqual(['8080/tcp@5']);
    expect(p.forwardPorts).toEqual([{ port: '8000', protocol: 'tcp', toPort: '80', toAddr: '10.88.0.8', ref: { file: 'policies/p.xml', line: 6 } }]);
    expect(() => parseFirewalldPolicyXml('<zone/>', 'zones/x.xml')).toThrow(SkipFile);
  });
});
