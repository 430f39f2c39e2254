/**
 * H81: one reading of a bridge's firewalld zone, from the zone files and from the running firewalld's own nft table
 * (src/nft/firewalld.ts: zoneDispatchOf / liveZoneOfInterface), for iptables.service-conflict and
 * firewalld.container-interface-unzoned alike. Docker 20.10+ binds its bridges to the docker zone at runtime over
 * D-Bus (moby libnetwork's firewalld.go): no zone file shows it, firewalld's table does (`iifname "docker0" jump
 * filter_IN_docker`).
 * Fixtures: test/fixtures/h81-fw-live-zone (reviewer R26's case 15 verbatim; case 16's Docker 27 files; a listing
 * without the docker0 dispatch made with the real nft binary), test/fixtures/nft/firewalld-real (firewalld 0.9's
 * `goto` dispatch), test/fixtures/nft/firewalld-vmap, test/fixtures/h43/trace-zoned.txt (nft monitor trace).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import { liveZoneOfInterface, zoneDispatchOf } from '../../src/nft/firewalld.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseNftTrace } from '../../src/parsers/nft-trace.js';
import { projectPath } from '../helpers/shared.js';

const FX = projectPath('test/fixtures/h81-fw-live-zone');
const SOS = 'sosreport-rhel9fw-2026-12-04-abcdef';
const NFT = 'sos_commands/firewall_tables/nft_-a_list_ruleset';
const fx = (...p: string[]) => readFileSync(join(FX, ...p), 'utf8');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** R26 15 as it is, or with case 16's Docker 27.5.1 files and/or the listing that binds docker0 to no zone */
function tree(opts: { docker27?: boolean; unbound?: boolean } = {}): string {
  if (!opts.docker27 && !opts.unbound) return join(FX, 'r26-15');
  const dir = mkdtempSync(join(tmpdir(), 'h81-fw-'));
  dirs.push(dir);
  cpSync(join(FX, 'r26-15'), dir, { recursive: true });
  const put = (from: string, to: string) => cpSync(join(FX, 'docker27', from), join(dir, SOS, to));
  if (opts.docker27) {
    put('docker_info', 'sos_commands/docker/docker_info');
    put('docker_version', 'sos_commands/docker/docker_version');
    put('messages', 'var/log/messages');
  }
  if (opts.unbound) put('nft_-a_list_ruleset', NFT);
  return dir;
}

async function run(dir: string) {
  const b = await loadBundle(dir);
  const artifacts = b.nodes[0].artifacts as never;
  const notes: string[] = [];
  const ctx = { node: 'rhel9fw', artifacts, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) };
  if (serviceConflict.scope !== 'node' || unzoned.scope !== 'node') throw new Error('node analyzers expected');
  return { conflict: await serviceConflict.analyze(ctx), unzoned: await unzoned.analyze(ctx), notes };
}

describe('zoneDispatchOf: one reading of firewalld\'s dispatch rules', () => {
  const r15 = fx('r26-15', SOS, NFT).split('\n');
  const line = (n: number) => r15[n - 1].trim();

  it("firewalld 1.x's POLICIES chains (R26 15, verbatim lines): the zone the bridge is in", () => {
    expect(line(99)).toBe('iifname "docker0" jump filter_IN_docker # handle 34');
    expect(zoneDispatchOf(line(99), 'docker0')).toBe('docker');
    expect(zoneDispatchOf(line(108), 'docker0')).toBe('docker'); // iifname "docker0" oifname "docker0" jump filter_FWD_docker
    expect(zoneDispatchOf(line(110), 'docker0')).toBe('docker');
    expect(zoneDispatchOf(line(101), 'eth0')).toBe('public');
  });

  it('not a dispatch for the bridge: another interface, an accept, a real policy\'s chain, the default zone\'s catch-all', () => {
    expect(zoneDispatchOf(line(101), 'docker0')).toBeUndefined(); // iifname "eth0" jump filter_IN_public
    expect(zoneDispatchOf(line(100), 'docker0')).toBeUndefined(); // iifname "docker0" accept
    expect(line(114)).toMatch(/^oifname "docker0" jump filter_FWD_policy_docker-forwarding/);
    expect(zoneDispatchOf(line(114), 'docker0')).toBeUndefined(); // a policy names no zone
    expect(zoneDispatchOf(line(103), 'docker0')).toBeUndefined(); // jump filter_IN_public, no interface
    expect(zoneDispatchOf(line(99), 'docker01')).toBeUndefined();
  });

  it("firewalld 0.9's ZONES chains (`goto`, nat and mangle too): ingress by iifname, egress by oifname", () => {
    const real = readFileSync(projectPath('test/fixtures/nft/firewalld-real/nft_list_ruleset'), 'utf8').split('\n').map((l) => l.trim());
    const zoneOf = (ifname: string) => [...new Set(real.map((l) => zoneDispatchOf(l, ifname)).filter(Boolean))];
    expect(real).toContain('iifname "docker0" goto filter_IN_docker');
    expect(real).toContain('oifname "docker0" goto nat_POST_docker');
    expect(zoneOf('docker0')).toEqual(['docker']);
    expect(zoneOf('cni0')).toEqual(['trusted']);
    expect(zoneOf('br-5f2c1a9e7b30')).toEqual([]);
    // the direction matters: an egress chain entered by the ingress interface is not this bridge's zone
    expect(zoneDispatchOf('iifname "docker0" goto filter_FWDO_docker', 'docker0')).toBeUndefined();
    expect(zoneDispatchOf('oifname "docker0" goto filter_FWDO_docker', 'docker0')).toBe('docker');
  });

  it('the staged dispatch of newer firewalld (chain names as nftables.py builds them: _to_, _dispatch_stage2)', () => {
    // https://github.com/firewalld/firewalld/blob/main/src/firewall/core/nftables.py: build_dispatch_stage1_rules,
    // build_dispatch_stage2_rules, _zone_dispatch_chain_name ("{table}_{SHORTCUT}_{ingress}_to_{egress}")
    expect(zoneDispatchOf('iifname "docker0" jump filter_IN_docker_to_HOST', 'docker0')).toBe('docker');
    expect(zoneDispatchOf('iifname "docker0" jump filter_FWD_docker_dispatch_stage2', 'docker0')).toBe('docker');
    expect(zoneDispatchOf('oifname "docker0" jump filter_FWD_public_to_docker', 'docker0')).toBe('docker');
    expect(zoneDispatchOf('oifname "docker0" jump nat_POST_HOST_to_docker', 'docker0')).toBe('docker');
    // firewalld writes an interface `docker+` as nft's `docker*`
    expect(zoneDispatchOf('iifname "docker*" jump filter_IN_docker_to_HOST', 'docker0')).toBe('docker');
    expect(zoneDispatchOf('iifname "docker*" jump filter_IN_docker_to_HOST', 'br-5f2c1a9e7b30')).toBeUndefined();
  });

  it('a trace hop\'s rule text reads the same (h43 trace-zoned, firewalld 1.x layout)', () => {
    const log = parseNftTrace(readFileSync(projectPath('test/fixtures/h43/trace-zoned.txt'), 'utf8'), 'trace.txt');
    const hops = log.traces.flatMap((t) => t.hops).filter((h) => h.kind === 'rule' && h.table === 'firewalld');
    expect(hops.map((h) => zoneDispatchOf(h.rule ?? '', 'br-0123456789ab')).filter(Boolean)).toEqual(['docker']);
  });
});

describe('liveZoneOfInterface: the running firewalld\'s binding, with the rule that shows it', () => {
  it('R26 15: docker0 in the docker zone at filter_INPUT_POLICIES, line 99', () => {
    const rs = parseNftText(fx('r26-15', SOS, NFT), NFT);
    expect(liveZoneOfInterface([rs], 'docker0')).toEqual({ zone: 'docker', ref: { file: NFT, line: 99 }, excerpt: 'iifname "docker0" jump filter_IN_docker', chain: 'filter_INPUT_POLICIES' });
    expect(liveZoneOfInterface([rs], 'eth0')?.zone).toBe('public');
    expect(liveZoneOfInterface([rs], 'cni0')).toBeUndefined();
  });

  it('the listing with the docker0 rules taken out (real nft output): no binding', () => {
    expect(liveZoneOfInterface([parseNftText(fx('docker27', 'nft_-a_list_ruleset'), 'x')], 'docker0')).toBeUndefined();
    expect(liveZoneOfInterface([parseNftText(fx('docker27', 'nft_-a_list_ruleset'), 'x')], 'eth0')?.zone).toBe('public');
    expect(liveZoneOfInterface(undefined, 'docker0')).toBeUndefined();
  });

  it('nft -j and the text listing of the same firewalld agree; verdict maps with `br-*` are read', () => {
    const dir = projectPath('test/fixtures/nft/firewalld-real');
    const text = liveZoneOfInterface([parseNftText(readFileSync(join(dir, 'nft_-a_list_ruleset'), 'utf8'), 't')], 'docker0');
    const json = liveZoneOfInterface([parseNftJson(readFileSync(join(dir, 'nft_-j_list_ruleset'), 'utf8'), 'j')], 'docker0');
    expect(text?.zone).toBe('docker');
    expect(json?.zone).toBe('docker');
    expect(json?.chain).toBe(text?.chain);
    const vmap = parseNftText(readFileSync(projectPath('test/fixtures/nft/firewalld-vmap/nft_-a_list_ruleset'), 'utf8'), 'v');
    expect(liveZoneOfInterface([vmap], 'br-5f2c1a9e7b30')?.zone).toBe('docker');
    expect(liveZoneOfInterface([vmap], 'cni0')?.zone).toBe('trusted');
    expect(liveZoneOfInterface([vmap], 'podman0')).toBeUndefined();
  });
});

describe('iptables.service-conflict and firewalld.container-interface-unzoned on R26 15 and its controls', () => {
  it('R26 15 (Docker 28.3.3, docker0 bound to the docker zone at runtime): silent, both analyzers', async () => {
    const { conflict, unzoned: u, notes } = await run(tree());
    expect(conflict).toEqual([]);
    expect(u).toEqual([]);
    // decided by the live rules, not by the "zone files only" fallback
    expect(notes).toEqual([]);
  });

  it('R26 15 through the whole engine: neither finding', async () => {
    const r = await analyzeBundle(tree());
    expect(r.findings.filter((f) => f.id === 'iptables.service-conflict' || f.id === 'firewalld.container-interface-unzoned')).toEqual([]);
  });

  it('firing control: Docker 27.5.1, docker0 dispatched nowhere: the warning, and docker0 to add to a zone', async () => {
    const { conflict, unzoned: u, notes } = await run(tree({ docker27: true, unbound: true }));
    expect(conflict.map((f) => f.severity)).toEqual(['warning']);
    const [f] = conflict;
    expect(f.remedy.commands).toContain('firewall-cmd --permanent --zone=trusted --add-interface=docker0');
    expect(f.message).not.toMatch(/at runtime/);
    expect(f.evidence.some((e) => e.file.endsWith(NFT))).toBe(false);
    // the unzoned analyzer falls back to "the zone files only" for Docker's bridge
    expect(u).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^docker0: the zones are the permanent configuration only/)]);
  });

  it('Docker 28.3.3 with docker0 dispatched nowhere: the info as before, docker0 to add', async () => {
    const { conflict } = await run(tree({ unbound: true }));
    expect(conflict.map((f) => f.severity)).toEqual(['info']);
    expect(conflict[0].remedy.commands).toContain('firewall-cmd --permanent --zone=trusted --add-interface=docker0');
  });

  it('Docker 27.5.1 with the live binding: still the warning (reloads cost Docker 27 its rules), but no bridge to add', async () => {
    const { conflict } = await run(tree({ docker27: true }));
    expect(conflict.map((f) => f.severity)).toEqual(['warning']);
    const [f] = conflict;
    expect(f.remedy.commands.some((c) => /--add-interface/.test(c))).toBe(false);
    expect(f.remedy.summary).toMatch(/already \(docker0: docker\)/);
    expect(f.message).toMatch(/docker0 is bound to the docker zone at runtime \(firewalld's live rules, .*nft_-a_list_ruleset:99\)/);
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ line: 99, excerpt: 'iifname "docker0" jump filter_IN_docker', note: "docker0 is bound to the docker zone at runtime (firewalld's live rules)" }),
    );
    expect(f.evidence.find((e) => e.line === 99)?.file).toMatch(/nft_-a_list_ruleset$/);
  });
});
