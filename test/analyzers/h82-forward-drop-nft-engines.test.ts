/**
 * docker.forward-drop-other-engine with engines whose rules are in their own nftables table: netavark's nftables
 * driver (Podman 5, Fedora 41+: podman#24486), libvirt 9+ (table ip libvirt_network: moby/moby#52612), LXD and
 * Incus (table inet lxd / inet incus). Docker's iptables-nft filter FORWARD policy DROP drops their traffic even
 * though their own table accepts it: every base chain on the forward hook must accept a packet.
 *
 * Fixtures: test/fixtures/h82-nft-engines (SOURCES.md), made with iptables-nft-restore and `nft -f` in the network
 * namespace h82x by make-fixtures.sh.
 *
 * Division of labour checked here: on those hosts this analyzer reports both directions and the published ports;
 * iptables.forward-blocks-containers' findings there are all for bridges otherEngineBridges() names, decided by
 * filter FORWARD's policy: the ones it leaves to this finding (wiring in iptables-forward-blocks-containers.ts).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { otherEngineBridges } from '../../analyzers/docker-forward-drop-other-engine.js';
import blocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h82-nft-engines', d);
const folder = (d: string, drop: string[] = []): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir(d))
      .filter((f) => statSync(`${dir(d)}/${f}`).isFile() && !drop.includes(f))
      .map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]),
  );

/** What the engine hands an analyzer: the artifacts it requires or takes as optional (src/engine/run.ts pick). */
function pick(all: NodeArtifacts, a: Analyzer): NodeArtifacts {
  const kinds = [...a.requires, ...(a.optional ?? [])] as (keyof NodeArtifacts)[];
  return Object.fromEntries(kinds.filter((k) => (all[k] as unknown[] | undefined)?.length).map((k) => [k, all[k]])) as NodeArtifacts;
}

let seq = 0;
/** findings of `a`; `artifacts`: what iptables.forward-blocks-containers is handed (it calls otherEngineBridges with them) */
async function run(files: Record<string, string>, a: Analyzer = analyzer as never): Promise<{ findings: FindingDraft[]; artifacts: NodeArtifacts }> {
  const b = await loadBundle(writeFolder(files, `h82-${++seq}`));
  expect(b.nodes).toHaveLength(1);
  const all = b.nodes[0].artifacts as NodeArtifacts;
  const findings = a.scope === 'node' ? await a.analyze({ node: 'node-1', artifacts: pick(all, a) as never, options: { requiredPorts: [] }, partly: () => {} }) : [];
  return { findings, artifacts: pick(all, blocks as never) };
}

/** Each evidence excerpt is the text at its file and line (the constructed ones, ip addr's and a chain's header, aside). */
function evidenceIsReal(f: FindingDraft, files: Record<string, string>): void {
  for (const e of f.evidence) {
    if (e.file === 'ip_addr.txt' || e.excerpt?.startsWith('chain ')) continue;
    const line = files[e.file]?.split('\n')[e.line - 1];
    expect(line, `${e.file}:${e.line}`).toBeDefined();
    expect(line!.trim()).toContain(e.excerpt!.trim());
  }
}

interface Net {
  owner: string;
  bridge?: string;
  subnet?: string;
  publishedPortsDropped: number;
  outboundDropped: boolean;
  nftTable?: string;
}
const nets = (f: FindingDraft) => (f.facts as { networks: Net[] }).networks;

describe('Docker + netavark nftables driver (R26 01): a published port and what leaves podman0', () => {
  it('critical, one finding: the DNAT in table inet netavark and Docker\'s policy line as evidence', async () => {
    const files = folder('docker-netavark-nft-published');
    const { findings } = await run(files);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe("Docker's FORWARD policy DROP drops Podman (netavark) traffic on this host");
    expect(f.message).toContain('its published ports (tcp 5432 -> 10.88.0.2)');
    expect(f.message).toContain('what leaves it and its replies: no iptables rule accepts them');
    expect(f.message).toMatch(/its own nftables table \(table inet netavark, nft_list_ruleset\.txt:\d+\)/);
    expect(f.message).toContain('podman#24486');
    // netavark's iptables-driver explanation (NETAVARK_FORWARD) does not apply here
    expect(f.message).not.toContain('NETAVARK_FORWARD');
    expect(nets(f)).toEqual([{ owner: 'Podman (netavark)', bridge: 'podman0', subnet: '10.88.0.0/16', publishedPortsDropped: 1, outboundDropped: true, nftTable: 'inet netavark' }]);
    expect(f.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'iptables-save.txt', excerpt: ':FORWARD DROP [0:0]' }),
        expect.objectContaining({ file: 'nft_list_ruleset.txt', excerpt: 'tcp dport 5432 dnat ip to 10.88.0.2:5432' }),
        expect.objectContaining({ file: 'nft_list_ruleset.txt', excerpt: 'table inet netavark' }),
      ]),
    );
    evidenceIsReal(f, files);
    const cmds = f.remedy.commands.join('\n');
    expect(cmds).toContain('iptables -I DOCKER-USER -i podman0 -j ACCEPT');
    expect(cmds).toContain('iptables -I DOCKER-USER -o podman0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(cmds).toContain('iptables -I DOCKER-USER -o podman0 -m conntrack --ctstate DNAT -j ACCEPT');
  });

  it('the nft listing alone (no iptables-save): the same finding, Docker\'s policy line from the listing', async () => {
    const files = folder('docker-netavark-nft-published', ['iptables-save.txt']);
    const { findings } = await run(files);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    const policy = f.evidence[0];
    expect(policy.file).toBe('nft_list_ruleset.txt');
    expect(files['nft_list_ruleset.txt'].split('\n')[policy.line - 1]).toMatch(/type filter hook forward priority filter; policy drop;/);
    expect(nets(f)[0]).toMatchObject({ bridge: 'podman0', publishedPortsDropped: 1, outboundDropped: true });
  });

  it('no published port: critical for what leaves podman0 only, no DNAT line in the remedy', async () => {
    const { findings } = await run(folder('docker-netavark-nft-no-port'));
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(nets(findings[0])).toEqual([expect.objectContaining({ bridge: 'podman0', publishedPortsDropped: 0, outboundDropped: true })]);
    expect(findings[0].remedy.commands.join('\n')).not.toContain('--ctstate DNAT');
  });
});

describe('libvirt 9+ (table ip libvirt_network) and LXD / Incus (table inet lxd / incus)', () => {
  it('libvirt: critical, virbr0 and its subnet, libvirt\'s own accept as evidence', async () => {
    const files = folder('docker-libvirt-nft');
    const { findings } = await run(files);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(nets(findings[0])).toEqual([{ owner: 'libvirt', bridge: 'virbr0', subnet: '192.168.122.0/24', publishedPortsDropped: 0, outboundDropped: true, nftTable: 'ip libvirt_network' }]);
    expect(findings[0].evidence.map((e) => e.excerpt)).toContain('ip saddr 192.168.122.0/24 iif "virbr0" counter packets 0 bytes 0 accept');
    evidenceIsReal(findings[0], files);
  });

  it('LXD with a proxy device (nat=true): critical, the published port 8080 -> 10.10.10.2 from prert.c1.web', async () => {
    const files = folder('docker-lxd-nft-proxy');
    const { findings } = await run(files);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('its published ports (tcp 8080 -> 10.10.10.2)');
    expect(nets(f)).toEqual([{ owner: 'LXD', bridge: 'lxdbr0', subnet: '10.10.10.0/24', publishedPortsDropped: 1, outboundDropped: true, nftTable: 'inet lxd' }]);
    expect(f.evidence.map((e) => e.excerpt)).toContain('ip daddr 192.168.1.50 tcp dport 8080 dnat ip to 10.10.10.2:80');
    evidenceIsReal(f, files);
  });

  it('LXD docs\' fix applied (lxdbr0 both ways in DOCKER-USER): the proxy\'s published port is still dropped, nothing else', async () => {
    const files = folder('docker-lxd-nft-proxy-docs-fix');
    const { findings } = await run(files);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(nets(findings[0])).toEqual([expect.objectContaining({ bridge: 'lxdbr0', publishedPortsDropped: 1, outboundDropped: false })]);
    expect(findings[0].message).not.toContain('what leaves it');
    // what leaves lxdbr0 is accepted: the packet tracer agrees
    expect((await run(files, blocks as never)).findings).toEqual([]);
  });

  it('LXD with connections DNAT\'ed to lxdbr0 accepted too: nothing', async () => {
    expect((await run(folder('docker-lxd-nft-proxy-fixed'))).findings).toEqual([]);
  });

  it('Incus: critical for incusbr0', async () => {
    const { findings } = await run(folder('docker-incus-nft'));
    expect(findings).toHaveLength(1);
    expect(nets(findings[0])).toEqual([{ owner: 'Incus', bridge: 'incusbr0', subnet: '10.20.30.0/24', publishedPortsDropped: 0, outboundDropped: true, nftTable: 'inet incus' }]);
  });
});

describe('healthy controls: nothing', () => {
  for (const [d, why] of [
    ['docker-netavark-nft-user-accepts', "Docker's DROP with DOCKER-USER accepting podman0 both ways and connections DNAT'ed to it"],
    ['docker-forward-accept-netavark-nft', "Docker's chains with FORWARD policy ACCEPT"],
    ['netavark-nft-alone', "netavark's nftables table alone (no Docker)"],
    ['admin-drop-netavark-nft', 'FORWARD policy DROP with no Docker chains (not Docker\'s)'],
  ] as const)
    it(`${why}: nothing from this analyzer, no bridge claimed`, async () => {
      const { findings, artifacts } = await run(folder(d));
      expect(findings).toEqual([]);
      expect([...otherEngineBridges('node-1', artifacts)]).toEqual([]);
    });

  it('Docker + netavark with DOCKER-USER accepts: the packet tracer finds nothing either', async () => {
    expect((await run(folder('docker-netavark-nft-user-accepts'), blocks as never)).findings).toEqual([]);
  });
});

describe('one finding for one cause: what iptables.forward-blocks-containers leaves to this one', () => {
  for (const d of ['docker-netavark-nft-published', 'docker-netavark-nft-no-port', 'docker-libvirt-nft', 'docker-lxd-nft-proxy', 'docker-incus-nft'])
    it(`${d}: forward-blocks-containers reports nothing this finding does not (before the wiring: only bridges it covers, decided by filter FORWARD's policy; after it: nothing)`, async () => {
      const files = folder(d);
      const { findings, artifacts } = await run(files);
      expect(findings).toHaveLength(1);
      const owned = otherEngineBridges('node-1', artifacts);
      expect([...owned]).toEqual([nets(findings[0])[0].bridge]);
      const b = await run(files, blocks as never);
      // what the wiring in iptables-forward-blocks-containers.ts leaves out (the same condition)
      const kept = b.findings.filter((f) => {
        const facts = f.facts as { bridge?: string; decidedBy?: string };
        return !(facts.decidedBy === 'filter/FORWARD#0' && facts.bridge !== undefined && owned.has(facts.bridge));
      });
      expect(kept).toEqual([]);
    });

  it("an engine known from its iptables rules or its bridge alone (h71's virbr0 without libvirt's rules) is not claimed", async () => {
    const h71 = projectPath('test/fixtures/h71-two-engines', 'docker-virbr0-no-rules');
    const files = Object.fromEntries(readdirSync(h71).filter((f) => statSync(`${h71}/${f}`).isFile()).map((f) => [f, readFileSync(`${h71}/${f}`, 'utf8')]));
    const { findings, artifacts } = await run(files);
    expect(findings).toEqual([]);
    expect([...otherEngineBridges('node-1', artifacts)]).toEqual([]);
    expect((await run(files, blocks as never)).findings.length).toBeGreaterThan(0);
  });
});
