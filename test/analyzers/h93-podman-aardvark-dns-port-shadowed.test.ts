/**
 * podman.aardvark-dns-port-shadowed (analyzers/podman-aardvark-dns-port-shadowed.ts), containers/netavark#1470
 * (https://github.com/containers/netavark/issues/1470) and podman-container-tools/podman#23226.
 * Real text only:
 * - test/fixtures/h88-aardvark-inuse/podman-ps-14365.txt: podman ps -a of podman#14365 (pihole on 0.0.0.0:53->53/udp);
 * - test/fixtures/h88-podman-info/netavark-1470-excerpt.txt: netavark#1470's podman info excerpt (rootless, pasta);
 *   podman-4.3.1-root-cni.yaml: podman info run as root (H88);
 * - netavark#1470's typed `sysctl net.ipv4.ip_unprivileged_port_start=53`;
 * - ADGUARD_QUADLET: ~/.config/containers/systemd/adguard.container of a public AdGuard-Home-on-rootless-Podman guide
 *   (code corpus, stored file 61975273538), lines verbatim;
 * - BIND_RUN: the podman run of https://github.com/systemd/systemd/issues/42718 (port 53 published on host port 30053);
 * - PODMAN_NET: `podman network inspect podman` from podman-network-inspect(1)
 *   (https://github.com/containers/podman/blob/main/docs/source/markdown/podman-network-inspect.1.md), dns_enabled false;
 * - NSLOOKUP: nslookup's answer in https://github.com/podman-container-tools/podman/issues/23247.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { shadowedFindings } from '../../analyzers/podman-aardvark-dns-port-shadowed.js';
import { parsePodmanNetworkInspect, parsePodmanPs, parsePodmanPublishDeclared, sniffPodmanNetworkInspect, sniffPodmanPublishDeclared } from '../../src/parsers/podman.js';
import { parsePodmanInfo } from '../../src/parsers/podman-info.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { projectPath } from '../helpers/shared.js';

const fx = (dir: string, f: string) => readFileSync(projectPath(`test/fixtures/${dir}`, f), 'utf8');
const ps = () => parsePodmanPs(fx('h88-aardvark-inuse', 'podman-ps-14365.txt'), 'podman_ps_-a');
const rootless = () => parsePodmanInfo(fx('h88-podman-info', 'netavark-1470-excerpt.txt'), 'podman-info.txt');
const root = () => parsePodmanInfo(fx('h88-podman-info', 'podman-4.3.1-root-cni.yaml'), 'podman_info');
const sysctl = () => parseSysctlText('sysctl net.ipv4.ip_unprivileged_port_start=53\n', 'sysctl-w.txt');

const ADGUARD_QUADLET = `[Unit]
Description=AdGuard Home

[Container]
Image=docker.io/adguard/adguardhome:latest
ContainerName=adguard
AutoUpdate=registry

# DNS sur 53 (TCP+UDP). Interface d'admin sur 3000 (proxifiée par Caddy).
PublishPort=53:53/tcp
PublishPort=53:53/udp

[Service]
Restart=on-failure
`;
const BIND_RUN = `podman run -d --name bind-sec \\
  -p 30053:53/tcp -p 30053:53/udp \\
  -v /var/cache/bind-sec:/var/cache/bind \\
  my-bind-image:latest
`;
const PODMAN_NET = `[
    {
        "name": "podman",
        "id": "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9",
        "driver": "bridge",
        "network_interface": "podman0",
        "created": "2021-06-03T12:04:33.088567413+02:00",
        "subnets": [
            {
                "subnet": "10.88.0.0/16",
                "gateway": "10.88.0.1"
            }
        ],
        "ipv6_enabled": false,
        "internal": false,
        "dns_enabled": false,
        "ipam_options": {
            "driver": "host-local"
        }
    }
]
`;
const NSLOOKUP = `Server:         10.90.0.1
Address:        10.90.0.1:53

** server can't find web.dns.podman: NXDOMAIN
`;

describe('fires: rootless, port 53 published on every address (netavark#1470)', () => {
  it('podman ps + podman info + the typed sysctl: a warning with the publish, rootless and sysctl lines, remedy on one address', () => {
    const findings = shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [rootless()], sysctl: [sysctl()] });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe("Rootless Podman: pihole publishes port 53 on every address, which takes aardvark-dns's queries");
    expect(f.message).toMatch(/rootless Podman \(pasta\) runs pihole, and publishes port 53\/udp on 0\.0\.0\.0/);
    expect(f.message).toMatch(/net\.ipv4\.ip_unprivileged_port_start is 53 \(typed as a command\)/);
    expect(f.message).toMatch(/has no podman network inspect/);
    const ex = f.evidence.map((e) => `${e.file}:${e.line} ${e.excerpt}`);
    expect(ex).toEqual(expect.arrayContaining([expect.stringMatching(/^podman_ps_-a:3 pihole .*0\.0\.0\.0:53->53\/udp$/), 'podman-info.txt:4 rootless: true', 'sysctl-w.txt:1 sysctl net.ipv4.ip_unprivileged_port_start=53']));
    expect(f.remedy.commands[0]).toContain('-p <host IP>:53:53/udp');
    expect(f.facts).toMatchObject({ container: 'pihole', hostPort: '53', protocol: 'udp', unprivilegedPortStart: '53', nameLookupsFailing: 0 });
  });

  it('critical when container names fail to resolve (nslookup of a *.dns.podman name)', () => {
    const logs = scanLogText(NSLOOKUP, 'nslookup.txt', { catalog: SIGNATURES });
    expect(logs.matches.some((m) => m.signature === 'log.dns-lookup-failed')).toBe(true); // the catalog reads nslookup's line (H84)
    const [f] = shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [rootless()], logs: [logs] });
    expect(f.severity).toBe('critical');
    expect(f.evidence.some((e) => e.file === 'nslookup.txt' && /web\.dns\.podman/.test(e.excerpt))).toBe(true);
  });

  it("a rootless quadlet's PublishPort=53:53/udp on a netavark network (the guide's unit with Network=dns.network added)", () => {
    const q = ADGUARD_QUADLET.replace('AutoUpdate=registry', 'AutoUpdate=registry\nNetwork=dns.network');
    expect(sniffPodmanPublishDeclared(q)).toBe(true);
    const ports = parsePodmanPublishDeclared(q, 'adguard.container');
    expect(ports.ports.map((p) => `${p.name} ${p.hostIp ?? '*'} ${p.hostPort}/${p.protocol} ${p.network} ${p.ref.line}`)).toEqual(['adguard * 53/tcp dns.network 11', 'adguard * 53/udp dns.network 12']);
    const [f] = shadowedFindings('node-1', { podmanPorts: [ports], podmanInfo: [rootless()] });
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/runs adguard, and its quadlet unit publishes port 53\/tcp on every address/);
    expect(f.message).toMatch(/adguard is on the network dns\.network/);
    expect(f.evidence[0]).toMatchObject({ file: 'adguard.container', line: 11, excerpt: 'PublishPort=53:53/tcp' });
  });

  it('a running container from podman ps (its network not shown): the message says it holds on a netavark network', () => {
    const [f] = shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [rootless()] });
    expect(f.message).toMatch(/This holds where pihole is on a netavark network/);
  });
});

describe('rootless containers whose published 53 does not pass netavark (R31 c13, c14)', () => {
  it("the guide's quadlet as written (no Network=: pasta, rootless Podman 5's default): nothing", () => {
    const ports = parsePodmanPublishDeclared(ADGUARD_QUADLET, 'adguard.container');
    expect(ports.ports).toHaveLength(2);
    expect(ports.ports[0].network).toBeUndefined();
    expect(shadowedFindings('node-1', { podmanPorts: [ports], podmanInfo: [rootless()] })).toEqual([]);
  });
  it('podman run --network pasta -p 53:53: nothing', () => {
    const cmd = 'podman run -d --name pihole --network pasta -p 53:53/tcp -p 53:53/udp docker.io/pihole/pihole:latest\n';
    const ports = parsePodmanPublishDeclared(cmd, 'commands.txt');
    expect(ports.ports.map((p) => p.network)).toEqual(['pasta', 'pasta']);
    expect(shadowedFindings('node-1', { podmanPorts: [ports], podmanInfo: [rootless()] })).toEqual([]);
  });
  it('podman run --network host -p 53:53: podman discards the mappings, no port at all', () => {
    const cmd = 'podman run -d --name pihole --network host -p 53:53/tcp -p 53:53/udp docker.io/pihole/pihole:latest\n';
    expect(parsePodmanPublishDeclared(cmd, 'commands.txt').ports).toEqual([]);
  });
  it('podman run --network=apps -p 53:53/udp: fires', () => {
    const cmd = 'podman run -d --name pihole --network=apps -p 53:53/udp docker.io/pihole/pihole:latest\n';
    const [f] = shadowedFindings('node-1', { podmanPorts: [parsePodmanPublishDeclared(cmd, 'commands.txt')], podmanInfo: [rootless()] });
    expect(f.severity).toBe('warning');
  });
});

describe('healthy: must not fire', () => {
  it('root Podman publishing 0.0.0.0:53 (left to podman.aardvark-dns-failed)', () => {
    expect(shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [root()] })).toEqual([]);
  });

  it('rootless, port 53 published on one host address', () => {
    const q = ADGUARD_QUADLET.replace('AutoUpdate=registry', 'AutoUpdate=registry\nNetwork=dns.network').replace('PublishPort=53:53/tcp', 'PublishPort=192.168.1.10:53:53/tcp').replace('PublishPort=53:53/udp', 'PublishPort=192.168.1.10:53:53/udp');
    expect(shadowedFindings('node-1', { podmanPorts: [parsePodmanPublishDeclared(q, 'adguard.container')], podmanInfo: [rootless()] })).toEqual([]);
  });

  it("rootless, container port 53 published on host port 30053 (systemd#42718's podman run)", () => {
    expect(sniffPodmanPublishDeclared(BIND_RUN)).toBe(true);
    const ports = parsePodmanPublishDeclared(BIND_RUN, 'commands.txt');
    expect(ports.ports.map((p) => `${p.name} ${p.hostPort}->${p.containerPort}/${p.protocol} line ${p.ref.line}`)).toEqual(['bind-sec 30053->53/tcp line 1', 'bind-sec 30053->53/udp line 1']);
    expect(shadowedFindings('node-1', { podmanPorts: [ports], podmanInfo: [rootless()] })).toEqual([]);
  });

  it('rootless, network inspect shows only the default network, DNS off', () => {
    expect(sniffPodmanNetworkInspect(PODMAN_NET)).toBe(true);
    const nets = parsePodmanNetworkInspect(PODMAN_NET, 'podman_network_inspect');
    expect(nets.networks[0]).toMatchObject({ name: 'podman', dnsEnabled: false, gateways: ['10.88.0.1'], ref: { line: 16 } });
    expect(shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [rootless()], podmanNetworks: [nets] })).toEqual([]);
  });

  it('a DNS network in the same inspect output flips it back on (the dns_enabled line is evidence)', () => {
    const withDns = PODMAN_NET.replace('"name": "podman"', '"name": "dns"').replace('"dns_enabled": false', '"dns_enabled": true').replace('10.88.0.1', '10.89.0.1');
    const nets = parsePodmanNetworkInspect(withDns, 'podman_network_inspect');
    const [f] = shadowedFindings('node-1', { podmanPorts: [ps()], podmanInfo: [rootless()], podmanNetworks: [nets] });
    expect(f.message).toMatch(/podman network inspect shows DNS on dns\./);
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'podman_network_inspect', line: 16, excerpt: 'dns: "dns_enabled": true,' })]));
  });

  it('Docker containers publishing 53 (docker ps is not podmanPorts) and rootless info without any publish', () => {
    expect(shadowedFindings('node-1', { podmanInfo: [rootless()], sysctl: [sysctl()] })).toEqual([]);
  });

  it('the definition', () => {
    expect(analyzer.id).toBe('podman.aardvark-dns-port-shadowed');
    expect(analyzer.scope).toBe('node');
  });
});

describe('what the analyzer asks to collect', () => {
  const call = (artifacts: Record<string, unknown>) => {
    const notes: { what: string; missing?: readonly string[] }[] = [];
    if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
    const findings = analyzer.analyze({ node: 'n', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (what, missing) => notes.push({ what, missing }) });
    return { findings, notes };
  };
  it('a host without Podman (nothing of it in the bundle): nothing found, nothing asked', () => {
    expect(call({ sysctl: [sysctl()] })).toEqual({ findings: [], notes: [] });
  });
  it('rootless Podman shown by podman info, no podman ps: asks for the published ports', () => {
    const { findings, notes } = call({ podmanInfo: [rootless()] });
    expect(findings).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0].missing).toEqual(['podmanPorts']);
  });
  it('53 published on every address, no podman info: asks for podman info', () => {
    const { findings, notes } = call({ podmanPorts: [ps()] });
    expect(findings).toEqual([]);
    expect(notes.map((n) => n.missing)).toEqual([['podmanInfo']]);
  });
  it('rootful podman info, no podman ps: nothing asked (rootful is not this cause)', () => {
    expect(call({ podmanInfo: [root()] }).notes).toEqual([]);
  });
});

describe('which files are typed podman commands', () => {
  it('a terminal transcript (podman run, then its output and log lines) stays a log: podman#8048', () => {
    const transcript = readFileSync(projectPath('test/fixtures/r3-logs/podman-8048', 'terminal-output.txt'), 'utf8');
    expect(sniffPodmanPublishDeclared(transcript)).toBe(false);
  });
  it('a saved command after a prompt is one', () => {
    expect(sniffPodmanPublishDeclared(`user@host:~$ ${BIND_RUN}`)).toBe(true);
  });
});
