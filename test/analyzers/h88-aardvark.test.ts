/**
 * podman.aardvark-dns-failed (analyzers/podman-aardvark-dns-failed.ts). The analyzer is called on artifacts read
 * by the project's own parsers and log scanner (the catalog with H88's signatures wired as signatures.ts will).
 * Real text only: test/fixtures/h88-aardvark-725/SOURCES.md (containers/aardvark-dns#725, reviewer R27 05, and
 * `ip addr` made in a namespace), test/fixtures/h88-aardvark-inuse/SOURCES.md (aardvark-dns's EADDRINUSE line,
 * podman#14365's podman ps, ss made in a namespace), test/fixtures/h88-podman-info/SOURCES.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { aardvarkFindings } from '../../analyzers/podman-aardvark-dns-failed.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES, type LogSignature } from '../../src/logs/signatures.js';
import { PODMAN_SIGNATURES } from '../../src/logs/signatures-podman.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseListeningSockets } from '../../src/parsers/listening.js';
import { parsePodmanPs } from '../../src/parsers/podman.js';
import { parsePodmanInfo } from '../../src/parsers/podman-info.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { projectPath } from '../helpers/shared.js';

const CATALOG: readonly LogSignature[] = SIGNATURES.some((s) => s.id === 'log.aardvark-dns-bind-failed') ? SIGNATURES : [...SIGNATURES, ...PODMAN_SIGNATURES];
const fx = (dir: string, f: string) => readFileSync(projectPath(`test/fixtures/${dir}`, f), 'utf8');
const logs = (dir: string, f: string) => scanLogText(fx(dir, f), f, { catalog: CATALOG });
const ipAddr = (dir: string, f: string) => parseInterfaces(fx(dir, f), f);
const info = (f: string) => parsePodmanInfo(fx('h88-podman-info', f), f);

type A = NodeArtifacts & { podmanInfo?: ReturnType<typeof parsePodmanInfo>[] };
function run(artifacts: A): { findings: FindingDraft[]; notes: string[] } {
  const notes: string[] = [];
  const findings = aardvarkFindings('node-1', artifacts, (m) => notes.push(m));
  return { findings, notes };
}

describe('containers/aardvark-dns#725 (R27 05): the IPv6 gateway still tentative', () => {
  it("critical from the reporter's ip monitor: tentative where the ip addr parser reads ip monitor's address rows, else said not held", () => {
    const ip = ipAddr('h88-aardvark-725', 'ip-monitor.txt');
    const { findings } = run({ logs: [logs('h88-aardvark-725', 'podman-run-debug.log')], ipAddr: [ip] });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ address: '2001:db8::1', port: 53, errno: 99 });
    expect(f.evidence[0].excerpt).toContain('failed to bind udp listener on [2001:db8::1]:53');
    // src/parsers/interfaces.ts reads `Deleted 48: pod-net-4-6    inet6 2001:db8::1/64 scope global tentative` once it
    // takes ip monitor's one-line address rows (H88's report); until then the address is not among the parsed ones
    if (ip.interfaces.some((i) => i.addresses.some((a) => a.address === '2001:db8::1'))) {
      expect(f.title).toBe('aardvark-dns could not bind [2001:db8::1]:53: the IPv6 gateway was still tentative (DAD)');
      expect(f.message).toMatch(/pod-net-4-6 holds 2001:db8::1\/64 as tentative: IPv6 duplicate address detection had not finished/);
      expect(f.facts).toMatchObject({ cause: 'tentative', interface: 'pod-net-4-6' });
      expect(f.remedy.commands.join('\n')).toContain('net.ipv6.conf.pod-net-4-6.accept_dad=0');
    } else {
      expect(f.facts).toMatchObject({ cause: 'absent' });
      expect(f.message).toMatch(/No address line of the bundle's ip addr \(ip-monitor\.txt\) holds 2001:db8::1.*still tentative when aardvark-dns starts fails the same way/);
    }
    expect(f.remedy.commands.join('\n')).toContain('net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0');
  });

  it('the same with `ip addr` made in a namespace (the bridge down, the address tentative), and podman info naming rootless pasta', () => {
    const { findings } = run({
      logs: [logs('h88-aardvark-725', 'podman-run-debug.log')],
      ipAddr: [ipAddr('h88-aardvark-725', 'ip-addr-netns-tentative.txt')],
      podmanInfo: [info('gitlab-runner-rootless-pasta.txt')],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ cause: 'tentative', interface: 'pod-net-4-6', rootless: true, rootlessNetworkCmd: 'pasta', aardvarkDns: '1.12.2', netavark: '1.12.2' });
    expect(findings[0].title).toBe('aardvark-dns could not bind [2001:db8::1]:53: the IPv6 gateway was still tentative (DAD)');
    expect(findings[0].evidence.map((e) => e.excerpt)).toEqual(expect.arrayContaining([expect.stringContaining('2001:db8::1/64 scope global tentative')]));
    expect(findings[0].remedy.commands.join('\n')).toContain('net.ipv6.conf.pod-net-4-6.accept_dad=0');
    expect(findings[0].message).toMatch(/Podman runs rootless with pasta as its network command/);
    expect(findings[0].message).toMatch(/podman info: netavark 1\.12\.2, aardvark-dns 1\.12\.2\./);
  });

  it('the address held without tentative (nodad, made in a namespace): still critical, the race said in the past', () => {
    const { findings } = run({ logs: [logs('h88-aardvark-725', 'podman-run-debug.log')], ipAddr: [ipAddr('h88-aardvark-725', 'ip-addr-netns-nodad.txt')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ cause: 'present', interface: 'pod-net-4-6' });
    expect(findings[0].title).toBe('aardvark-dns could not bind [2001:db8::1]:53');
    expect(findings[0].message).toMatch(/without tentative: the address was not usable yet when aardvark-dns started/);
  });

  it('without ip addr: critical on the log alone, and the coverage asks for ip addr', () => {
    const { findings, notes } = run({ logs: [logs('h88-aardvark-725', 'podman-run-debug.log')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ cause: 'other' });
    expect(notes.join('\n')).toMatch(/without ip addr the bundle does not say whether that address was tentative/);
  });
});

describe('errno 99 on an IPv4 gateway no interface holds', () => {
  it('critical: the gateway is not on its bridge (the namespace-made bridge holds 192.0.2.1, not 10.89.0.1)', () => {
    const { findings } = run({ logs: [logs('h88-aardvark-inuse', 'aardvark-eaddrnotavail-v4.log')], ipAddr: [ipAddr('h88-aardvark-725', 'ip-addr-netns-nodad.txt')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ address: '10.89.0.1', errno: 99, cause: 'absent' });
    expect(findings[0].message).toMatch(/No address line of the bundle's ip addr \(ip-addr-netns-nodad\.txt\) holds 10\.89\.0\.1: the network's gateway was not on its bridge/);
  });
});

describe('port 53 already in use (errno 98)', () => {
  it('a container publishing 0.0.0.0:53 (podman#14365 podman ps): names it and the remedy publishes on one host address', () => {
    const { findings } = run({ logs: [logs('h88-aardvark-inuse', 'aardvark-inuse.log')], podmanPorts: [parsePodmanPs(fx('h88-aardvark-inuse', 'podman-ps-14365.txt'), 'podman_ps_-a')] });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('aardvark-dns could not bind 10.89.0.1:53: the port is already in use');
    expect(f.message).toMatch(/Container pihole publishes port 53\/udp on 0\.0\.0\.0/);
    expect(f.facts).toMatchObject({ errno: 98, cause: 'published' });
    expect(f.remedy.commands.join('\n')).toContain('-p <host IP>:53:53/udp');
  });

  it('a host process on 0.0.0.0:53 (ss made in a namespace)', () => {
    const { findings } = run({ logs: [logs('h88-aardvark-inuse', 'aardvark-inuse.log')], sockets: [parseListeningSockets(fx('h88-aardvark-inuse', 'ss-lunp-netns.txt'), 'ss_-lunp')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ cause: 'listener' });
    expect(findings[0].message).toMatch(/python3 listens on 0\.0\.0\.0:53\/udp/);
  });

  it('neither podman ps nor sockets: critical, cause unknown, the coverage asks for them', () => {
    const { findings, notes } = run({ logs: [logs('h88-aardvark-inuse', 'aardvark-inuse.log')] });
    expect(findings[0].facts).toMatchObject({ cause: 'in-use' });
    expect(notes.join('\n')).toMatch(/neither podman ps nor the listening sockets/);
  });
});

describe('healthy hosts: nothing', () => {
  it("a running aardvark-dns's lines (containers/aardvark-dns#151) with a healthy rootless podman info", () => {
    const text = 'Aug 01 08:57:28 VPS1 aardvark-dns[524]: Failed while parsing message: unexpected end of input reached\n';
    const { findings } = run({ logs: [scanLogText(text, 'journal.txt', { catalog: CATALOG })], podmanInfo: [info('gitlab-runner-rootless-pasta.txt')], ipAddr: [ipAddr('h88-aardvark-725', 'ip-addr-netns-nodad.txt')] });
    expect(findings).toEqual([]);
  });

  it("R27 06's podman info excerpt alone (rootless pasta, no podman ps): the decisive published port is not in the bundle", () => {
    expect(run({ podmanInfo: [parsePodmanInfo(fx('h88-podman-info', 'netavark-1470-excerpt.txt'), 'podman-info.txt')] }).findings).toEqual([]);
  });

  it('a container publishing 0.0.0.0:53 on a root Podman (podman info 4.3.1 as root): nothing without a failure', () => {
    const ports = parsePodmanPs(fx('h88-aardvark-inuse', 'podman-ps-14365.txt'), 'podman_ps_-a');
    expect(run({ podmanPorts: [ports], podmanInfo: [info('podman-4.3.1-root-cni.yaml')] }).findings).toEqual([]);
  });
});

describe('rootless Podman with a container publishing DNS on every address, no failure logged (containers/netavark#1470)', () => {
  it('left to podman.aardvark-dns-port-shadowed (one finding for one cause): nothing here', () => {
    const ports = parsePodmanPs(fx('h88-aardvark-inuse', 'podman-ps-14365.txt'), 'podman_ps_-a');
    const { findings } = run({ podmanPorts: [ports], podmanInfo: [parsePodmanInfo(fx('h88-podman-info', 'netavark-1470-excerpt.txt'), 'podman-info.txt')] });
    expect(findings).toEqual([]);
  });
});

describe('the analyzer definition', () => {
  it('id and kinds', () => {
    expect(analyzer.id).toBe('podman.aardvark-dns-failed');
    expect(analyzer.scope).toBe('node');
  });
});
