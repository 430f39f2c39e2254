/**
 * network.mtu-mismatch on real text: `ip link` / `ifconfig` / `ip route` pasted in the public threads
 * (moby/moby#22297, #22495, #49398; flannel-io/flannel#1775, #841: test/fixtures/mtu/SOURCE.md), and the
 * output of the real binaries in network namespaces built like a Docker host and a flannel node
 * (test/fixtures/mtu/make-fixtures.sh: iproute2, iptables-save after the TCPMSS stop-gap, nft list
 * ruleset); the corpus' ip addr dumps, flannel subnet.env and Docker network inspect read in place.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { CLAMP_COMMAND } from '../../analyzers/network-mtu-mismatch.js';
import { BUILTIN_ANALYZERS } from '../../analyzers/index.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { corpusPath, hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const DIR = 'test/fixtures/mtu';
const read = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const ipAddr = (f: string) => parseInterfaces(read(f), f);
const routes = (f: string) => parseRoutes(read(f), f);
const run = (a: NodeArtifacts) => runNode(analyzer, a);

describe('network.mtu-mismatch: containers larger than the uplink', () => {
  it("fires on moby/moby#22297's ip link: docker0 1500 with carrier over eth0 1400, no routes in the bundle", () => {
    const f = run({ ipAddr: [ipAddr('moby-22297.ip-link.txt')] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/docker0 use MTU 1500, larger than eth0 \(MTU 1400\), the only interface up besides container ones \(the bundle has no default route\)/);
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['moby-22297.ip-link.txt:3', 'moby-22297.ip-link.txt:5']);
    expect(f[0].remedy.commands).toContain('# /etc/docker/daemon.json: add "mtu": 1400 (the default bridge docker0 only)');
    expect(f[0].remedy.commands).toContain(CLAMP_COMMAND);
    expect(f[0].facts).toMatchObject({ containerMtu: 1500, uplinkMtu: 1400, uplinkFrom: 'interfaces', mssClamp: false });
  });

  it('is registered and fires end to end on the pasted file as a bundle', async () => {
    expect(BUILTIN_ANALYZERS.map((a) => a.id)).toContain('network.mtu-mismatch');
    const report = await analyzeBundle(projectPath(DIR, 'moby-22297.ip-link.txt'));
    const f = report.findings.filter((x) => x.id === 'network.mtu-mismatch');
    expect(f).toHaveLength(1);
    expect(f[0].evidence[1].excerpt).toMatch(/^3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500/);
  });

  it("takes the default route's interface, the veth's MTU as the container's, and leaves an idle bridge alone (real netns)", () => {
    const f = run({ ipAddr: [ipAddr('netns-docker-1400.ip-link.txt')], routes: [routes('netns-docker-1400.ip-route.txt')] });
    // br-0123456789ab never had a port: `LOWER_UP … state UNKNOWN` on kernel 6.18, not a bridge with traffic
    expect(f.map((x) => x.facts?.bridge)).toEqual(['docker0']);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/eth0 \(MTU 1400\), the interface of the default route/);
    expect(f[0].evidence.map((e) => e.excerpt)).toEqual(expect.arrayContaining(['default via 192.0.2.1 dev eth0', expect.stringMatching(/^5: veth1a2b3c4@eth0c: .* mtu 1500 … master docker0/)]));
  });

  it("uses the default route's own mtu attribute when it is smaller than the interface's (real netns)", () => {
    const f = run({ ipAddr: [ipAddr('netns-route-mtu.ip-link.txt')], routes: [routes('netns-route-mtu.ip-route.txt')] });
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ uplink: ['eth0'], uplinkMtu: 1400, containerMtu: 1500 });
    expect(f[0].evidence[0]).toMatchObject({ excerpt: 'default via 192.0.2.1 dev eth0 mtu 1400', note: expect.stringMatching(/route's MTU 1400/) });
  });

  it('says info only when a TCPMSS clamp covers forwarded SYNs: iptables-save after `-C || -A` pasted twice (one rule), and nftables', () => {
    const save = parseIptablesSave(read('netns-docker-1400.mangle-clamp.iptables-save.txt'), 'iptables-save.txt');
    // the stop-gap pasted twice added one rule
    expect(read('netns-docker-1400.mangle-clamp.iptables-save.txt').match(/TCPMSS/g)).toHaveLength(1);
    const base = { ipAddr: [ipAddr('netns-docker-1400.ip-link.txt')], routes: [routes('netns-docker-1400.ip-route.txt')] };
    const withIpt = run({ ...base, iptables: [save] });
    expect(withIpt).toHaveLength(1);
    expect(withIpt[0].severity).toBe('info');
    expect(withIpt[0].evidence.at(-1)).toMatchObject({ excerpt: '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu' });
    expect(withIpt[0].remedy.commands).not.toContain(CLAMP_COMMAND);
    const nft = parseNftText(read('netns-docker-1400.nft-clamp.txt'), 'nft-list-ruleset.txt');
    const withNft = run({ ...base, nftables: [nft] });
    expect(withNft.map((x) => x.severity)).toEqual(['info']);
    expect(withNft[0].evidence.at(-1)?.excerpt).toMatch(/maxseg size set rt mtu/);
  });

  it('stays silent once docker0 and its veth have the uplink MTU, and under a jumbo uplink (real netns)', () => {
    expect(run({ ipAddr: [ipAddr('netns-docker-fixed.ip-link.txt')], routes: [routes('netns-docker-fixed.ip-route.txt')] })).toEqual([]);
    expect(run({ ipAddr: [ipAddr('netns-jumbo-uplink.ip-link.txt')], routes: [routes('netns-docker-fixed.ip-route.txt')] })).toEqual([]);
  });

  it("stays silent on moby/moby#22495 (docker0 9000 without RUNNING: no container; `docker pull` is dockerd's own traffic); #49398's idle docker0 1500 over enp7s0 1450 is info (the next containers get 1500)", () => {
    expect(run({ ipAddr: [ipAddr('moby-22495.ifconfig-grep-mtu.txt')] })).toEqual([]);
    const f = run({ ipAddr: [ipAddr('moby-49398.ip-addr.txt')], routes: [routes('moby-49398.ip-route.txt')] });
    expect(f.map((x) => [x.severity, x.facts?.bridge, x.facts?.idle, x.facts?.uplinkMtu])).toEqual([['info', 'docker0', true, 1450]]);
  });

  it('without routes, speaks only if every interface that could be the way out is smaller: eth0 1500 and eth1 1420 up; with the default route by eth1 it fires (real netns)', () => {
    const itfs = ipAddr('netns-two-uplinks.ip-link.txt');
    const partly: string[] = [];
    expect(analyzer.scope === 'node' && analyzer.analyze({ node: 'n', artifacts: { ipAddr: [itfs] } as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) })).toEqual([]);
    // the coverage says what it could not decide
    expect(partly).toEqual([expect.stringMatching(/^no default route in the bundle: docker0 \(MTU 1500\) is larger than some interfaces .*eth1.*collect ip route$/)]);
    const f = run({ ipAddr: [itfs], routes: [routes('netns-two-uplinks-eth1-default.ip-route.txt')] });
    expect(f.map((x) => x.facts)).toEqual([expect.objectContaining({ bridge: 'docker0', uplink: ['eth1'], uplinkMtu: 1420, uplinkFrom: 'route' })]);
  });

  it("without routes, the container's end of a veth (`eth0c@veth…`, in the host's listing of a test topology) is no way out: eth0 1400 decides (real netns)", () => {
    const f = run({ ipAddr: [ipAddr('netns-docker-1400.ip-link.txt')] });
    expect(f.map((x) => x.facts)).toEqual([expect.objectContaining({ bridge: 'docker0', uplink: ['eth0'], uplinkMtu: 1400, uplinkFrom: 'interfaces' })]);
  });

  it('says info for a jumbo container side over a 1500 uplink (veth 9000, eth0 1500): only jumbo peers are hurt (real netns)', () => {
    const f = run({ ipAddr: [ipAddr('netns-jumbo-bridge.ip-link.txt')], routes: [routes('netns-docker-fixed.ip-route.txt')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'info', facts: expect.objectContaining({ containerMtu: 9000, uplinkMtu: 1500 }) });
    expect(f[0].message).toMatch(/peers on 1500-byte networks are unaffected/);
  });

  it("the kernel's rule the bridge check relies on: a bridge left alone takes the smallest MTU of its ports (real netns)", () => {
    const br = parseInterfaces(read('netns-bridge-auto-mtu.ip-link.txt'), 'x').interfaces[0];
    expect(br).toMatchObject({ name: 'br-auto', mtu: 1450 });
  });

  it.skipIf(!hasCorpus)("cites a Docker network's MTU option beside the interfaces (docker docs' inspect of the default bridge, read in place)", () => {
    const nets = parseDockerNetworks(readCorpus('docker-network', 'dockercli-docs-inspect-default-bridge.json'), 'docker-network-inspect.json');
    const f = run({ ipAddr: [ipAddr('moby-22297.ip-link.txt')], dockerNetworks: [nets] });
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ bridge: 'docker0', network: 'bridge' });
    expect(f[0].evidence.map((e) => e.note)).toContain('docker network bridge: its MTU option');
  });
});

describe('network.mtu-mismatch: flannel', () => {
  const flannelNode = (state: string): NodeArtifacts => ({ ipAddr: [ipAddr(`netns-${state}.ip-d-link.txt`)], routes: [routes('netns-flannel-underlay-1450.ip-route.txt')] });

  it('fires when flannel.1 (1450) leaves less than 50 bytes of its underlay (eth0 lowered to 1450), and when a pod is above flannel.1 (real netns)', () => {
    const f = run(flannelNode('flannel-underlay-1450'));
    expect(f.map((x) => x.title)).toEqual(['flannel.1 leaves no room for the VXLAN header', "Pods' MTU larger than flannel's"]);
    expect(f.map((x) => x.severity)).toEqual(['warning', 'info']);
    expect(f[0].message).toMatch(/flannel.1 has MTU 1450, but its underlay eth0 carries 1450: .* at most 1400/);
    expect(f[0].evidence.map((e) => e.excerpt)).toEqual([expect.stringMatching(/^2: eth0@if2: .* mtu 1450/), expect.stringMatching(/^\d+: flannel.1: .* mtu 1450/)]);
    expect(f[1].message).toMatch(/pods on cni0 use MTU 1500, larger than flannel.1 \(MTU 1450\)/);
    expect(f[1].evidence[1].excerpt).toMatch(/^\d+: vethc0ffee01@eth0p2: .* mtu 1500 … master cni0/);
    // cni0 is judged against flannel.1, not again against the uplink
    expect(f.some((x) => x.title === 'Container MTU larger than the way out')).toBe(false);
  });

  it.skipIf(!hasCorpus)('names FLANNEL_MTU from subnet.env beside flannel.1 (flannel docs\' subnet.env, read in place)', () => {
    const env = parseSubnetEnv(readCorpus('flannel', 'flannel-docs-running-subnet.env'), 'subnet.env');
    const f = run({ ...flannelNode('flannel-underlay-1450'), flannelSubnetEnv: [env] });
    expect(f[1].message).toMatch(/larger than flannel.1 \(MTU 1450\) and FLANNEL_MTU \(1450\)/);
    expect(f[1].evidence.map((e) => e.excerpt)).toContain('FLANNEL_MTU=1450');
  });

  it('stays silent on a healthy flannel node: real netns, flannel#1775 (ifconfig, every veth 1450, docker0 idle), flannel#841 (flannel.1 1500 over eth0 9001)', () => {
    expect(run(flannelNode('flannel-healthy'))).toEqual([]);
    expect(run({ ipAddr: [ipAddr('flannel-1775.ifconfig-grep-mtu.txt')] })).toEqual([]);
    expect(run({ ipAddr: [ipAddr('flannel-841.ip-d-link.txt')] })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('network.mtu-mismatch on the corpus (read in place)', () => {
  const files = hasCorpus ? readdirSync(corpusPath('ip-addr')) : [];
  it('finds nothing in any ip addr dump of the corpus (idle docker0s, flannel.1 = uplink - 50, a 9000-class OpenStack node), with its subnet.env files', () => {
    const envs = hasCorpus ? readdirSync(corpusPath('flannel')).filter((f) => f.endsWith('.env')).map((f) => parseSubnetEnv(readCorpus('flannel', f), f)) : [];
    for (const f of files) {
      let list;
      try {
        list = parseInterfaces(readCorpus('ip-addr', f), f);
      } catch {
        continue;
      }
      expect(run({ ipAddr: [list] }), f).toEqual([]);
      // FLANNEL_MTU 1450 against nodes whose pods are at 1450 or have no cni0
      for (const env of envs) expect(run({ ipAddr: [list], flannelSubnetEnv: [env] }), `${f} + ${env.file}`).toEqual([]);
    }
  });
});

describe.skipIf(!hasSeeds)('network.mtu-mismatch on the seeds (read in place)', () => {
  it('finds nothing in any seed', async () => {
    for (const f of hasSeeds ? readdirSync(seedsDir) : []) {
      const report = await analyzeBundle(`${seedsDir}/${f}`);
      expect(report.findings.filter((x) => x.id === 'network.mtu-mismatch'), f).toEqual([]);
    }
  });
});
