/**
 * LXD beside Docker, on the real kernel (canonical/lxd#8716): an iptables-nft `ip filter FORWARD` with
 * Docker's policy DROP, LXD's `table inet lxd` accepting lxdbr0, a veth pair as lxdbr0's port to an
 * "instance" namespace, and a veth uplink to an "outside" namespace. A TCP connection from the instance
 * to the outside fails; docker.forward-drop-other-engine, the one finding for that cause (H89), given the
 * namespace's own `nft list ruleset`, `ip addr` and `ip route`, names Docker's policy (and
 * iptables.forward-blocks-containers gives none); its remedy, run twice, adds each DOCKER-USER rule once; the
 * connection then succeeds and the finding is gone. Namespaces are prefixed h89 and deleted at the end; skipped
 * where namespaces cannot be made.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { BridgeHost } from '../helpers/bridge-host.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const gen = (f: string) => projectPath('test/fixtures/r3-forward/generated', f);
const host = new BridgeHost({ prefix: 'h89lxd', bridge: 'lxdbr0', bridgeAddress: '10.148.92.1/24', instanceAddress: '10.148.92.50/24' });
const H = host.h;
const inNs = (ns: string, cmd: string, input?: string) => host.run(ns, cmd, input);
const connects = () => host.connects();
async function analyze(name: string) {
  const files = { 'nft-list-ruleset.txt': inNs(H, 'nft list ruleset'), 'ip-a.txt': inNs(H, 'ip addr'), 'ip-route.txt': inNs(H, 'ip route') };
  const r = await analyzeBundle(writeFolder(files, name));
  return { owner: r.findings.filter((f) => f.id === 'docker.forward-drop-other-engine'), blocks: r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers') };
}
const nets = (f: { facts?: unknown }) => (f.facts as { networks: { bridge?: string }[] }).networks;

describe.skipIf(!canMakeNetns())('LXD beside Docker in network namespaces', () => {
  beforeAll(() => {
    host.start();
    // Docker's rules (FORWARD policy DROP) through iptables-nft, LXD's table through nft
    host.run(H, 'iptables-nft-restore', readFileSync(gen('docker20-filter-nat.rules'), 'utf8'));
    host.run(H, 'nft -f -', readFileSync(gen('lxd.nft'), 'utf8'));
  });
  afterAll(() => host.close());

  it("fails as the finding says; the remedy, run twice, adds each rule once; then the connection passes and the finding is gone", async () => {
    expect(connects()).toBe(false);
    const before = await analyze('h89-lxd-netns-before');
    expect(before.blocks).toEqual([]);
    expect(before.owner).toHaveLength(1);
    const [f] = before.owner;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ engines: ['LXD'], policy: 'DROP', uplink: 'enp3s0' });
    expect(nets(f)).toEqual([expect.objectContaining({ owner: 'LXD', bridge: 'lxdbr0', outboundDropped: true, nftTable: 'inet lxd' })]);
    expect(f.evidence[0].excerpt).toMatch(/type filter hook forward priority filter; policy drop;/);
    const commands = f.remedy.commands.filter((c) => !c.startsWith('#')).map((c) => c.replace(/\s+#.*$/, ''));
    expect(commands).toHaveLength(2);
    for (let run = 0; run < 2; run++) for (const c of commands) inNs(H, c);
    expect(inNs(H, 'iptables -S DOCKER-USER').trim().split('\n')).toEqual([
      '-N DOCKER-USER',
      '-A DOCKER-USER -o lxdbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A DOCKER-USER -i lxdbr0 -j ACCEPT',
      '-A DOCKER-USER -j RETURN',
    ]);
    expect(connects()).toBe(true);
    const after = await analyze('h89-lxd-netns-after');
    expect(after.owner.filter((x) => nets(x).some((n) => n.bridge === 'lxdbr0'))).toEqual([]);
    expect(after.blocks).toEqual([]);
  });
});
