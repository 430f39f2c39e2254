/**
 * H100: Docker Swarm's encrypted overlay networks (iptables.overlay-port-blocked's ESP trace) and Docker's data path
 * port bug (swarm.encrypted-overlay-datapath-port).
 * Fixtures (test/fixtures/h100-swarm-esp, README.md there):
 * - moby26523.ufw-status.txt: the `ufw status` of moby/moby#26523 (https://github.com/moby/moby/issues/26523), verbatim:
 *   ufw opens 2377/tcp, 7946, 4789 on eth1 but not ESP; encrypted overlays got no traffic.
 * - moby45635.iptables-save.txt: the iptables-save of moby/moby#45635 (https://github.com/moby/moby/issues/45635),
 *   verbatim: Docker's encrypted-overlay rules on the data path port 4777.
 * - docs1078-encrypted.network-inspect.json: docker network inspect of an encrypted overlay, verbatim from
 *   docker/docs#1078 (https://github.com/docker/docs/issues/1078): `"encrypted": ""` in Options.
 * - ufw-*, docker-enc-ufw-*, node.ip-*: ufw 0.36.2 and iptables 1.8.9 run for real in network namespace h100x (see README).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/overlay-port-blocked.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { execFileSync } from 'node:child_process';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const h = (f: string) => fx('h100-swarm-esp', f);
const ip = { 'ip_addr.txt': h('node.ip-addr.txt'), 'ip_route.txt': h('node.ip-route.txt') };
const ESP = 'IP protocol 50 (ESP)';

async function run(files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; parts: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const parts: string[] = [];
  const findings = analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (w) => parts.push(w) }) : [];
  return { findings, parts };
}
const espOf = (fs: FindingDraft[]) => fs.filter((f) => (f.facts as { ports?: string[] } | undefined)?.ports?.includes(ESP));

describe('h100: ESP (IP protocol 50) with a lone ufw status', () => {
  it("R32 01 (moby#26523): plain ufw status opening Swarm's ports, no ESP, no sign of encryption: an info, default deny said to be assumed", async () => {
    const { findings } = await run({ 'ufw-status.txt': h('moby26523.ufw-status.txt') }, 'h100-26523');
    const esp = espOf(findings);
    expect(esp).toHaveLength(1);
    expect(esp[0].severity).toBe('info');
    expect(esp[0].title).toMatch(/^ESP \(IP protocol 50\) is not allowed/);
    expect(esp[0].message).toMatch(/likely a Swarm node/);
    expect(esp[0].message).toMatch(/assumed/);
    expect(esp[0].message).toMatch(/does not show whether any overlay network is encrypted/);
    expect(esp[0].evidence[0]).toMatchObject({ file: 'ufw-status.txt', line: 2, excerpt: 'Status: active' });
    expect(esp[0].evidence.map((e) => e.excerpt)).toEqual(expect.arrayContaining([expect.stringContaining('2377/tcp on eth1'), expect.stringContaining('4789 on eth1')]));
    expect(esp[0].remedy.commands[0]).toMatch(/^ufw allow in on eth1 proto esp from any /);
  });

  it("ufw status verbose (real ufw 0.36.2): the default line 'deny (incoming)' decides, nothing assumed", async () => {
    const { findings } = await run({ 'ufw-status-verbose.txt': h('ufw-noesp-status-verbose.txt'), ...ip }, 'h100-verbose');
    const esp = espOf(findings);
    expect(esp).toHaveLength(1);
    expect(esp[0].severity).toBe('info');
    expect(esp[0].message).not.toMatch(/assumed/);
    expect(esp[0].evidence[0]).toMatchObject({ excerpt: 'Default: deny (incoming), allow (outgoing), disabled (routed)' });
    expect(esp[0].remedy.commands[0]).toMatch(/^ufw allow in on eth1 proto esp from 10\.0\.0\.0\/24 /);
  });

  it('healthy: `ufw allow proto esp from 10.0.0.0/24` (real ufw prints `Anywhere  ALLOW IN  10.0.0.0/24/esp`), the peer on 10.0.0.0/24', async () => {
    const { findings, parts } = await run({ 'ufw-status-verbose.txt': h('ufw-esp-status-verbose.txt'), ...ip }, 'h100-verbose-esp');
    expect(espOf(findings)).toEqual([]);
    expect(parts.filter((p) => /ESP/.test(p))).toEqual([]);
  });

  it('the same without ip addr: the peer is unknown, so a rule for 10.0.0.0/24 only is left undecided (coverage), no finding', async () => {
    const { findings, parts } = await run({ 'ufw-status-verbose.txt': h('ufw-esp-status-verbose.txt') }, 'h100-verbose-esp-noip');
    expect(espOf(findings)).toEqual([]);
    expect(parts.join('\n')).toMatch(/accepts ESP .*only .*10\.0\.0\.0\/24\/esp/);
  });

  it('healthy: `ufw allow proto esp from any` (`Anywhere/esp  ALLOW  Anywhere/esp`)', async () => {
    const { findings } = await run({ 'ufw-status.txt': h('ufw-esp-any-status.txt') }, 'h100-esp-any');
    expect(espOf(findings)).toEqual([]);
  });
});

describe('h100: ESP traced through iptables (ufw chains, Docker encrypted-overlay rules; real iptables-save in h100x)', () => {
  it("Docker's encrypted-overlay rules + ufw without ESP: critical, the deny and Docker's mark as evidence, ufw allow proto esp", async () => {
    const { findings } = await run({ 'iptables-save.txt': h('docker-enc-ufw-noesp.iptables-save.txt'), ...ip }, 'h100-enc-noesp');
    const esp = espOf(findings);
    expect(esp).toHaveLength(1);
    const [f] = esp;
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/^Encrypted overlay networks' ESP \(IP protocol 50\) is blocked/);
    expect(f.facts).toMatchObject({ encrypted: true, uplink: 'eth1', peer: '10.0.0.12' });
    expect(f.message).toMatch(/dropped by filter\/ufw-skip-to-policy-input rule 1 in INPUT|dropped by filter\/INPUT policy in INPUT/);
    expect(f.evidence.map((e) => e.excerpt)).toEqual(expect.arrayContaining([expect.stringContaining('MARK --set-xmark 0xd0c4e3/0xffffffff'), expect.stringContaining('--pol ipsec')]));
    expect(f.remedy.commands[0]).toMatch(/^ufw allow proto esp from 10\.0\.0\.0\/24/);
    expect(f.remedy.caution).toMatch(/IP protocol 50/);
  });

  it('healthy: the same after `ufw allow proto esp from 10.0.0.0/24` (-A ufw-user-input -s 10.0.0.0/24 -p esp -j ACCEPT)', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': h('docker-enc-ufw-esp.iptables-save.txt'), ...ip }, 'h100-enc-esp');
    expect(espOf(findings)).toEqual([]);
    expect(parts.filter((p) => /ESP/.test(p))).toEqual([]);
  });

  it('docker network inspect proves encryption (docker/docs#1078\'s `"encrypted": ""`): critical with that line', async () => {
    const { findings } = await run({ 'iptables-save.txt': h('ufw-noesp-iptables-save.txt'), 'docker_network_inspect.json': h('docs1078-encrypted.network-inspect.json'), ...ip }, 'h100-inspect');
    const esp = espOf(findings);
    expect(esp).toHaveLength(1);
    expect(esp[0].severity).toBe('critical');
    expect(esp[0].evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: expect.stringContaining('"encrypted": ""') })]));
  });

  it('ufw opening the Swarm ports, no sign of encryption (iptables-save): info only, never critical', async () => {
    const { findings } = await run({ 'iptables-save.txt': h('ufw-noesp-iptables-save.txt'), ...ip }, 'h100-noenc');
    const esp = espOf(findings);
    expect(esp).toHaveLength(1);
    expect(esp[0].severity).toBe('info');
  });

  it.skipIf(!hasCorpus)('healthy: an unencrypted overlay (docker CLI docs\' inspect of ov1) behind ufw with ESP allowed: nothing; and a host with no Swarm at all: nothing', async () => {
    const unenc = await run({ 'iptables-save.txt': h('ufw-esp-iptables-save.txt'), 'docker_network_inspect.json': readCorpus('docker-network', 'dockercli-docs-inspect-overlay-verbose-services.json'), ...ip }, 'h100-unenc');
    expect(espOf(unenc.findings)).toEqual([]);
    const none = await run({ 'iptables-save.txt': fx('ufw', 'ufw-allow8080-iptables-save.txt'), 'ufw-status-verbose.txt': fx('ufw', 'ufw-allow8080-status-verbose.txt') }, 'h100-noswarm');
    expect(espOf(none.findings)).toEqual([]);
  });

  it('no sign of Swarm or encryption (ufw default deny, no Swarm ports): silent', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': fx('ufw', 'ufw-allow8080-iptables-save.txt') }, 'h100-plain');
    expect(espOf(findings)).toEqual([]);
    expect(parts.filter((p) => /ESP/.test(p))).toEqual([]);
  });
});

describe('h100: swarm.encrypted-overlay-datapath-port (R32 02, moby#45635)', () => {
  const dp = (fs: FindingDraft[]) => fs.filter((f) => f.id === 'swarm.encrypted-overlay-datapath-port');

  it('version unknown: no finding, the coverage asks for docker version; ESP itself is accepted (INPUT policy ACCEPT)', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': h('moby45635.iptables-save.txt') }, 'h100-45635');
    expect(dp(findings)).toEqual([]);
    expect(espOf(findings)).toEqual([]);
    expect(parts.join('\n')).toMatch(/data path port 4777\/udp, not 4789 .*collect docker version/);
  });

  it('Docker 20.10.24 (a real docker version; before 23.0.7): warning with the mark rule, the INPUT rule and the version line', async () => {
    const { findings } = await run({ 'iptables-save.txt': h('moby45635.iptables-save.txt'), 'docker_version.txt': fx('docker-info', 'debian-20.10.24', 'docker-version.txt') }, 'h100-45635-old');
    const [f, ...rest] = dp(findings);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ dockerVersion: '20.10.24+dfsg1', dataPathPorts: [4777] });
    expect(f.evidence[0].excerpt).toContain('--dport 4777');
    expect(f.evidence.some((e) => /Version:\s+20\.10\.24/.test(e.excerpt))).toBe(true);
    expect(f.remedy.summary).toMatch(/24\.0\.2.*23\.0\.7/);
  });

  it('healthy: Docker 24.0.7 (fixed): no finding', async () => {
    const { findings } = await run({ 'iptables-save.txt': h('moby45635.iptables-save.txt'), docker_version: fx('h68', '12-firewalld-reload-docker24', 'docker_version') }, 'h100-45635-new');
    expect(dp(findings)).toEqual([]);
  });

  it('healthy: the default port 4789 (encrypted-overlay rules of h100x): no finding whatever the version', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': h('docker-enc-ufw-esp.iptables-save.txt'), 'docker_version.txt': fx('docker-info', 'debian-20.10.24', 'docker-version.txt'), ...ip }, 'h100-4789');
    expect(dp(findings)).toEqual([]);
    expect(parts.filter((p) => /data path port/.test(p))).toEqual([]);
  });
});

describe.skipIf(!canMakeNetns())('h100: live iptables in namespace h100x (iptables-restore, an ESP rule added by iptables, iptables-save)', () => {
  it('critical before `iptables -I INPUT -s 10.0.0.0/24 -p esp -j ACCEPT`, nothing after; `-p 50` is saved as `-p esp`', async () => {
    const ns = `h100x${process.pid}`;
    const sh = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      sh(['iptables-restore'], h('docker-enc-ufw-noesp.iptables-save.txt'));
      const before = sh(['iptables-save']);
      sh(['iptables', '-I', 'INPUT', '3', '-s', '10.0.0.0/24', '-p', '50', '-j', 'ACCEPT']);
      const after = sh(['iptables-save']);
      expect(after).toContain('-A INPUT -s 10.0.0.0/24 -p esp -j ACCEPT');
      const a = await run({ 'iptables-save.txt': before, ...ip }, 'h100-live-before');
      expect(espOf(a.findings).map((f) => f.severity)).toEqual(['critical']);
      const b = await run({ 'iptables-save.txt': after, ...ip }, 'h100-live-after');
      expect(espOf(b.findings)).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
