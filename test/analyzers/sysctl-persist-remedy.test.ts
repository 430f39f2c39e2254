/**
 * The ip_forward remedies must leave forwarding on after `sysctl --system`: their sed must match
 * the slash form of the key (`net/ipv4/ip_forward = 0`, valid per sysctl.conf(5)) and run on the
 * file's host path, and /etc/sysctl.conf (applied after every sysctl.d file) must be fixed too.
 * The commands were run in a network namespace with a private /etc (review round 6); here the sed
 * is replayed on the configuration text and the result read back through the same parser.
 * And IPv6: net.ipv6.conf.all.forwarding = 0 on a host whose containers use IPv6.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import disabled from '../../analyzers/sysctl-ip-forward-disabled.js';
import notPersistent from '../../analyzers/sysctl-ip-forward-not-persistent.js';
import { hostSysctlPath } from '../../analyzers/lib/sysctl-fix.js';
import { effectiveConfig, parseSysctlConfig, parseSysctlText, type SysctlConfigFile } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fixture = (name: string) => readFileSync(projectPath('test/fixtures/sysctl-persist', name), 'utf8');
// `iptables-save` of the reviewer's Docker host would do as well: docker0 in ip addr is enough to be a container host
const DOCKER_IP_A = fixture('ip_addr-dual-docker.txt');

/** Replays the remedy's `sed -i -E 's|re|to|' <path>` commands on the bundle's files, as the host would run them. */
function applySeds(commands: string[], files: { host: string; config: SysctlConfigFile; text: string }[]): SysctlConfigFile[] {
  const texts = new Map(files.map((f) => [f.host, f.text]));
  for (const c of commands) {
    const m = /^sed -i -E 's\|(.+)\|(.+)\|' (?:"\$\(readlink -f (\S+)\)"|(\S+))$/.exec(c);
    if (!m) continue;
    const path = m[3] ?? m[4];
    expect(path.startsWith('/'), `sed on a host path: ${c}`).toBe(true);
    const re = new RegExp(m[1].replace(/\[\[:space:\]\]/g, '\\s'));
    const text = texts.get(path);
    if (text !== undefined) texts.set(path, text.split('\n').map((l) => l.replace(re, m[2])).join('\n'));
  }
  return files.map((f) => parseSysctlConfig(texts.get(f.host)!, f.config.file));
}

describe('sysctl.ip-forward-not-persistent: the remedy survives sysctl --system', () => {
  const sysctl = [parseSysctlText('net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n', 'sysctl-a.txt')];

  it('fixes the slash form of the key in /etc/sysctl.conf, then reloads and checks', () => {
    const text = '# CIS 3.1.1\nnet/ipv4/ip_forward = 0\n';
    const config = parseSysctlConfig(text, 'etc/sysctl.conf');
    const [f] = runNode(notPersistent, { sysctl, sysctlConfig: [config] });
    const cmds = f.remedy.commands;
    const after = applySeds(cmds, [{ host: '/etc/sysctl.conf', config, text }]);
    expect(effectiveConfig(after, 'net.ipv4.ip_forward')?.value).toBe('1');
    // the reload comes after every edit, and a check follows it
    const reload = cmds.indexOf('sysctl --system');
    expect(reload).toBeGreaterThan(cmds.findIndex((c) => c.startsWith('sed ')));
    expect(reload).toBeGreaterThan(cmds.findIndex((c) => c.includes('/etc/sysctl.d/99-ip-forward.conf')));
    expect(cmds[cmds.length - 1]).toMatch(/^sysctl net\.ipv4\.ip_forward\b.*must print "net\.ipv4\.ip_forward = 1"/);
    expect(cmds.some((c) => /^grep -RnE .*net\[\.\/\]ipv4\[\.\/\]ip_forward.* \/etc\/sysctl\.conf \/etc\/sysctl\.d /.test(c))).toBe(true);
  });

  it('fixes every file that sets 0 (a sysctl.d file with the `-` prefix too), on host paths, /etc/sysctl.conf last', () => {
    const conf = { text: '# hardening\nnet.ipv4.ip_forward=0\n', file: 'sosreport-node-1/etc/sysctl.conf' };
    // (a hardening file, 10-cis.conf, is left to its tooling and overridden instead: test/analyzers/sysctl-fix-cis.test.ts)
    const dropIn = { text: '-net/ipv4/ip_forward = 0\n', file: 'sosreport-node-1/etc/sysctl.d/10-local.conf' };
    const files = [conf, dropIn].map((x) => ({ host: hostSysctlPath(x.file)!, text: x.text, config: parseSysctlConfig(x.text, x.file) }));
    const [f] = runNode(notPersistent, { sysctl, sysctlConfig: files.map((x) => x.config) });
    const seds = f.remedy.commands.filter((c) => c.startsWith('sed '));
    expect(seds).toHaveLength(2);
    expect(seds[0]).toMatch(/"\$\(readlink -f \/etc\/sysctl\.d\/10-local\.conf\)"$/);
    expect(seds[1]).toMatch(/ \/etc\/sysctl\.conf$/);
    const after = applySeds(f.remedy.commands, files);
    expect(after.flatMap((a) => a.entries.map((e) => e.value))).toEqual(['1', '1']);
  });

  it('never prints a relative path: a sysctl.d file of unknown place is named in words', () => {
    const config = parseSysctlConfig('net.ipv4.ip_forward = 0\n', 'ticket/sysctl.d/50-k8s.conf');
    const [f] = runNode(notPersistent, { sysctl, sysctlConfig: [config] });
    expect(f.remedy.commands.filter((c) => c.startsWith('sed '))).toEqual([]);
    expect(f.remedy.commands.some((c) => c.startsWith('# ticket/sysctl.d/50-k8s.conf of the bundle sets net.ipv4.ip_forward = 0 too'))).toBe(true);
    expect(f.remedy.summary).toMatch(/does not show/);
    for (const c of f.remedy.commands.filter((x) => !x.startsWith('#'))) expect(c).not.toMatch(/ (ticket\/|sysctl\.d\/50-k8s)/);
  });

  it('stays silent when the configuration sets 1', () => {
    const config = parseSysctlConfig('net/ipv4/ip_forward = 1\n', 'etc/sysctl.conf');
    expect(runNode(notPersistent, { sysctl, sysctlConfig: [config] })).toEqual([]);
  });
});

describe('sysctl.ip-forward-disabled: the remedy is not undone by its own sysctl --system', () => {
  const sysctl = [parseSysctlText('net.ipv4.ip_forward = 0\n', 'sysctl-a.txt')];
  const ipAddr = [parseInterfaces(DOCKER_IP_A, 'ip_a.txt')];

  it('turns it on, fixes the slash-form 0 in /etc/sysctl.conf, writes the drop-in, then reloads and checks', () => {
    const text = '# hardening\nnet/ipv4/ip_forward = 0\n';
    const config = parseSysctlConfig(text, 'etc/sysctl.conf');
    const [f] = runNode(disabled, { sysctl, sysctlConfig: [config], ipAddr });
    const cmds = f.remedy.commands;
    expect(cmds[0]).toBe('sysctl -w net.ipv4.ip_forward=1');
    const after = applySeds(cmds, [{ host: '/etc/sysctl.conf', config, text }]);
    const dropIn = parseSysctlConfig('net.ipv4.ip_forward = 1\n', 'etc/sysctl.d/99-ip-forward.conf');
    expect(cmds).toContain("echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-ip-forward.conf");
    expect(effectiveConfig([...after, dropIn], 'net.ipv4.ip_forward')?.value).toBe('1');
    const reload = cmds.indexOf('sysctl --system');
    expect(cmds.slice(0, reload).filter((c) => c.startsWith('sed ') || c.startsWith('echo '))).toHaveLength(2);
    expect(cmds[reload + 1]).toMatch(/^sysctl net\.ipv4\.ip_forward\b/);
    expect(f.remedy.summary).toMatch(/change net\.ipv4\.ip_forward from 0 to 1 in \/etc\/sysctl\.conf/);
  });

  it('a hand-made folder with sysctl.conf at its top: the sed edits /etc/sysctl.conf, not "sysctl.conf"', async () => {
    const dir = writeFolder({ 'hostname': 'docker-host-rv6\n', 'sysctl-a.txt': 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n', 'sysctl.conf': 'net.ipv4.ip_forward = 0\n', 'ip_a.txt': DOCKER_IP_A }, 'top-level-sysctl-conf');
    const r = await analyzeBundle(dir);
    const [f] = r.findings.filter((x) => x.id === 'sysctl.ip-forward-disabled' && x.title.startsWith('IPv4'));
    const seds = f.remedy.commands.filter((c) => c.startsWith('sed '));
    expect(seds).toHaveLength(1);
    expect(seds[0]).toMatch(/ \/etc\/sysctl\.conf$/);
  });

  it('without a configuration file that sets 0, persists through the drop-in alone', () => {
    const [f] = runNode(disabled, { sysctl, ipAddr });
    expect(f.remedy.commands.filter((c) => c.startsWith('sed '))).toEqual([]);
    expect(f.remedy.commands.slice(0, 2)).toEqual(['sysctl -w net.ipv4.ip_forward=1', "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-ip-forward.conf"]);
  });
});

describe('sysctl.ip-forward-disabled: IPv6 forwarding off on a host whose containers use IPv6', () => {
  const sysctl = [parseSysctlText(fixture('sysctl-a-ipv6-forwarding-off.txt'), 'sysctl-a.txt')];
  const ipAddr = [parseInterfaces(DOCKER_IP_A, 'ip_addr.txt')];
  const dockerNetworks = [parseDockerNetworks(fixture('docker_network_inspect_bridge-ipv6.json'), 'docker_network_inspect_bridge.json')];

  it('is critical, names IPv6 and the key, the Docker network with IPv6, and warns of router advertisements', () => {
    const found = runNode(disabled, { sysctl, ipAddr, dockerNetworks });
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('IPv6 forwarding is disabled');
    expect(f.message).toMatch(/^net\.ipv6\.conf\.all\.forwarding is 0 on node-1, whose Docker containers use IPv6 \(docker network bridge has IPv6/);
    expect(f.evidence[0]).toMatchObject({ file: 'sysctl-a.txt', line: 4, excerpt: 'net.ipv6.conf.all.forwarding = 0' });
    expect(f.evidence.some((e) => e.excerpt.includes('fd00:dead:beef::2'))).toBe(true);
    expect(f.remedy.commands[0]).toBe('sysctl -w net.ipv6.conf.all.forwarding=1');
    expect(f.remedy.commands).toContain("echo 'net.ipv6.conf.all.forwarding = 1' > /etc/sysctl.d/99-ipv6-forward.conf");
    expect(f.remedy.commands.at(-1)).toMatch(/^sysctl net\.ipv6\.conf\.all\.forwarding\b/);
    // eth0 has accept_ra = 1 but a static address: named in the caution, not changed
    expect(f.remedy.caution).toMatch(/accept_ra=2/);
    expect(f.remedy.caution).toMatch(/accept_ra = 1 on eth0/);
  });

  it('with a SLAAC uplink (a dynamic address, accept_ra = 1), keeps it taking router advertisements first', () => {
    const slaac = [parseInterfaces(DOCKER_IP_A.replace('inet6 2001:db8:1::10/64 scope global nodad', 'inet6 2001:db8:1::10/64 scope global dynamic mngtmpaddr'), 'ip_addr.txt')];
    const [f] = runNode(disabled, { sysctl, ipAddr: slaac, dockerNetworks });
    expect(f.remedy.commands.slice(0, 2)).toEqual(['sysctl -w net.ipv6.conf.eth0.accept_ra=2', 'sysctl -w net.ipv6.conf.all.forwarding=1']);
    expect(f.remedy.commands).toContain("printf '%s\\n' 'net.ipv6.conf.eth0.accept_ra = 2' 'net.ipv6.conf.all.forwarding = 1' > /etc/sysctl.d/99-ipv6-forward.conf");
  });

  it('fixes a slash-form 0 for the IPv6 key in /etc/sysctl.conf', () => {
    const text = 'net/ipv6/conf/all/forwarding=0\n';
    const config = parseSysctlConfig(text, 'etc/sysctl.conf');
    const [f] = runNode(disabled, { sysctl, ipAddr, dockerNetworks, sysctlConfig: [config] });
    const after = applySeds(f.remedy.commands, [{ host: '/etc/sysctl.conf', config, text }]);
    expect(effectiveConfig(after, 'net.ipv6.conf.all.forwarding')?.value).toBe('1');
  });

  it('pods with IPv6 (flannel dual-stack subnet.env) count too', () => {
    const env = parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n', 'run/flannel/subnet.env');
    const [f] = runNode(disabled, { sysctl, flannelSubnetEnv: [env] });
    expect(f.message).toMatch(/whose pods use IPv6 \(flannel gives this node an IPv6 pod subnet, run\/flannel\/subnet\.env:4/);
  });

  it('says nothing when nothing uses IPv6: an IPv4-only Docker network, only link-local fe80:: on docker0', () => {
    const v4only = DOCKER_IP_A.replace(/\n\s+inet6 fd00:dead:beef::1\/64 scope global nodad \n\s+valid_lft forever preferred_lft forever/, '');
    expect(v4only).not.toMatch(/fd00:dead/);
    const nets = [parseDockerNetworks(fixture('docker_network_inspect_bridge-ipv6.json').replace(/,\s*\{\s*"Subnet": "fd00:dead:beef::\/64",\s*"Gateway": "fd00:dead:beef::1"\s*\}/, '').replace('"fd00:dead:beef::2/64"', '""').replace('"EnableIPv6": true', '"EnableIPv6": false'), 'docker_network_inspect_bridge.json')];
    expect(nets[0].networks[0].subnets.map((s) => s.subnet)).toEqual(['172.17.0.0/16']);
    // the network as an IPv4-only Docker prints it: EnableIPv6 false (with it true, the network uses IPv6 whatever its subnets show)
    expect(nets[0].networks[0].enableIPv6?.value).toBe(false);
    expect(runNode(disabled, { sysctl, ipAddr: [parseInterfaces(v4only, 'ip_addr.txt')], dockerNetworks: nets })).toEqual([]);
  });

  it('says nothing when IPv6 forwarding is on', () => {
    const on = [parseSysctlText(fixture('sysctl-a-ipv6-forwarding-off.txt').replace('net.ipv6.conf.all.forwarding = 0', 'net.ipv6.conf.all.forwarding = 1'), 'sysctl-a.txt')];
    expect(runNode(disabled, { sysctl: on, ipAddr, dockerNetworks })).toEqual([]);
  });
});
