/**
 * docker.forward-drop-other-engine: Docker's FORWARD policy DROP on a host where Podman (netavark, CNI), libvirt
 * or LXD also run their networks.
 *
 * Real text (test/fixtures/h71-two-engines/SOURCES.md):
 * - containers/netavark#532 (https://github.com/containers/netavark/issues/532): the nat table pasted alone;
 * - containers/podman#6139 (https://github.com/podman-container-tools/podman/issues/6139): iptables -nvL with
 *   Docker's DROP and accepts for docker0 only;
 * - the rest made with iptables-restore / iptables and iptables-save in the namespace h71x by make-fixtures.sh.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-forward-drop-other-engine.js';
import blocks from '../../analyzers/iptables-forward-blocks-containers.js';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h71-two-engines', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));

async function run(files: Record<string, string>, name: string, a: Analyzer = analyzer as never): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const notes: string[] = [];
  const findings = a.scope === 'node' ? await a.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { findings, notes };
}

describe('containers/netavark#532: the nat table alone, with Docker\'s and netavark\'s DNAT chains', () => {
  it('a warning: both engines program the host, the filter table is not in the bundle', async () => {
    const { findings, notes } = await run(folder('netavark-532'), 'h71-532');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.title).toMatch(/Docker and Podman \(netavark\) both program this host/);
    expect(f.message).toMatch(/podman's published ports are DNAT'ed/);
    expect(f.message).toMatch(/The filter table is not in the bundle/);
    expect(f.facts).toMatchObject({ engine: 'Podman (netavark)', filterTable: false, networks: ['podman0 10.88.0.0/16'] });
    expect(f.evidence.map((e) => e.excerpt)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^2043 87676 DOCKER /), expect.stringMatching(/1993 85736 NETAVARK-HOSTPORT-DNAT/), expect.stringMatching(/NETAVARK-1D8721804F16F .*10\.88\.0\.0\/16/)]),
    );
    expect(f.remedy.commands.join('\n')).toContain('-I DOCKER-USER -o podman0 -m conntrack --ctstate DNAT -j ACCEPT');
    expect(notes.join('\n')).toMatch(/collect iptables-save/);
  });

  it('the same nat table without netavark\'s chains (Docker alone): nothing', async () => {
    const text = folder('netavark-532')['iptables_-t_nat_-nvL.txt'].split('\n').filter((l) => !/NETAVARK/.test(l)).join('\n');
    expect((await run({ 'iptables_-t_nat_-nvL.txt': text }, 'h71-532-docker-only')).findings).toEqual([]);
  });
});

describe('containers/podman#6139: iptables -nvL with Docker\'s DROP, accepts for docker0 only', () => {
  it('the paste alone (nothing in the bundle shows another engine): nothing', async () => {
    expect((await run(folder('podman-6139'), 'h71-6139')).findings).toEqual([]);
  });

  it('with ip addr showing cni-podman0 (made in a namespace): a warning naming the bridge, DOCKER-USER not in the paste', async () => {
    const files = { ...folder('podman-6139'), 'ip_addr.txt': folder('docker-cni-published')['ip_addr.txt'] };
    const { findings, notes } = await run(files, 'h71-6139-ip');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ engines: ['Podman (CNI)'], policy: 'DROP', droppedPackets: 0 });
    expect((f.facts as { unlistedChains: string[] }).unlistedChains).toContain('DOCKER-USER');
    expect(f.message).toMatch(/cni-podman0 10\.88\.0\.0\/16: what leaves it and its replies: no rule accepts them/);
    expect(f.message).toMatch(/DOCKER-USER.* not in the dump/);
    expect(f.evidence.some((e) => e.line === 4 && /policy DROP/.test(e.note ?? ''))).toBe(true);
    expect(f.remedy.commands.join('\n')).toContain('-I DOCKER-USER -i cni-podman0 -j ACCEPT');
    expect(notes.join('\n')).toMatch(/DOCKER-USER.*not in the dump/);
  });
});

describe('Docker and Podman (netavark, iptables driver) on one host, rules made in a namespace', () => {
  it('a published port (NETAVARK-DN DNAT to 10.88.0.2:5432): critical, netavark accepts only its subnet\'s own and RELATED,ESTABLISHED', async () => {
    const { findings } = await run(folder('docker-netavark-published'), 'h71-nv-pub');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ engines: ['Podman (netavark)'], networks: [{ owner: 'Podman (netavark)', bridge: 'podman0', subnet: '10.88.0.0/16', publishedPortsDropped: 1, outboundDropped: false }], unlistedChains: [] });
    expect(f.message).toMatch(/tcp 5432 -> 10\.88\.0\.2/);
    expect(f.message).toMatch(/containers\/netavark#532/);
    expect(f.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ excerpt: ':FORWARD DROP [0:0]' }),
        expect.objectContaining({ excerpt: '-A NETAVARK-DN-1D8721804F16F -p tcp -m tcp --dport 5432 -j DNAT --to-destination 10.88.0.2:5432' }),
      ]),
    );
    const cmds = f.remedy.commands.join('\n');
    expect(cmds).toContain('iptables -I DOCKER-USER -i podman0 -j ACCEPT');
    expect(cmds).toContain('iptables -I DOCKER-USER -o podman0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(cmds).toContain('iptables -I DOCKER-USER -o podman0 -m conntrack --ctstate DNAT -j ACCEPT');
    expect(cmds).toMatch(/ip-forward-no-drop/);
  });

  it('the policy counting drops: the count is in the message', async () => {
    const f = folder('docker-netavark-published');
    const text = f['iptables-save.txt'].replace(':FORWARD DROP [0:0]', ':FORWARD DROP [37:2220]');
    expect(text).not.toBe(f['iptables-save.txt']);
    const { findings } = await run({ ...f, 'iptables-save.txt': text }, 'h71-nv-pub-count');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].message).toMatch(/The policy has dropped 37 packets/);
  });

  it('the remedy applied (DOCKER-USER accepts podman0, its replies, its DNAT\'ed connections): nothing', async () => {
    expect((await run(folder('docker-netavark-fixed'), 'h71-nv-fixed')).findings).toEqual([]);
  });

  it('no published port: NETAVARK_FORWARD accepts the subnet before the policy: nothing', async () => {
    expect((await run(folder('docker-netavark-healthy'), 'h71-nv-ok')).findings).toEqual([]);
  });

  it('podman alone (FORWARD policy ACCEPT, no Docker): nothing', async () => {
    expect((await run(folder('podman-alone'), 'h71-podman-alone')).findings).toEqual([]);
  });
});

describe('Docker and rootful Podman with CNI (firewall + portmap plugins)', () => {
  it('a published port (CNI-DN DNAT to 10.88.0.61:443) that CNI-FORWARD does not accept as a new connection: critical', async () => {
    const { findings } = await run(folder('docker-cni-published'), 'h71-cni-pub');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ engines: ['Podman (CNI)'], networks: [expect.objectContaining({ bridge: 'cni-podman0', publishedPortsDropped: 1 })] });
    expect(f.message).toMatch(/tcp 443 -> 10\.88\.0\.61/);
  });

  it('without ip addr: the network read from CNI\'s masquerade rule, the per-container accepts count for what leaves it', async () => {
    const { 'ip_addr.txt': _, ...files } = folder('docker-cni-published');
    const { findings } = await run(files, 'h71-cni-noip');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ networks: [{ owner: 'Podman (CNI)', subnet: '10.88.0.0/16', publishedPortsDropped: 1, outboundDropped: false }] });
    expect(f.remedy.commands.join('\n')).toContain('iptables -I DOCKER-USER -d 10.88.0.0/16 -m conntrack --ctstate DNAT -j ACCEPT');
  });
});

describe('healthy hosts and other analyzers\' ground: nothing from this one', () => {
  it('Docker + libvirt (LIBVIRT_FWI/FWO accept virbr0 before the policy): nothing, and forward-blocks-containers nothing', async () => {
    expect((await run(folder('docker-libvirt-healthy'), 'h71-libvirt')).findings).toEqual([]);
    expect((await run(folder('docker-libvirt-healthy'), 'h71-libvirt-b', blocks as never)).findings).toEqual([]);
  });

  it('Docker alone: nothing', async () => {
    expect((await run(folder('docker-alone'), 'h71-docker')).findings).toEqual([]);
  });

  it('a Kubernetes node with Docker (KUBE-FORWARD): nothing from this one', async () => {
    expect((await run(folder('docker-kubernetes'), 'h71-kube')).findings).toEqual([]);
  });

  it('virbr0 beside Docker with none of libvirt\'s rules: forward-blocks-containers traces it; this one stays silent', async () => {
    expect((await run(folder('docker-virbr0-no-rules'), 'h71-virbr0')).findings).toEqual([]);
    const b = await run(folder('docker-virbr0-no-rules'), 'h71-virbr0-b', blocks as never);
    expect(b.findings.map((f) => f.message).join('\n')).toMatch(/virbr0/);
  });

  it('docker.forward-policy-drops-routed does not fire on any of these (no double finding for one cause)', async () => {
    for (const d of ['docker-netavark-published', 'docker-cni-published', 'docker-libvirt-healthy', 'netavark-532'])
      expect((await run(folder(d), `h71-routed-${d}`, routed as never)).findings).toEqual([]);
  });
});
