/**
 * iptables.docker-masquerade-missing for IPv6: Docker masquerades a network's IPv6 subnet when it
 * manages ip6tables (true by default since Docker 27) and the network is in NAT mode. The hosts are
 * the dual-stack Docker fixtures made with the real binaries (test/fixtures/ipv6: Docker 28's
 * rules; test/fixtures/docker-ipv6: Docker 27's), the MASQUERADE gone the way ip6tables-save prints
 * it; Docker 29's nftables back end with its table `ip6 docker-bridges` as nft lists it. Healthy
 * cases: the real rules, routed IPv6 networks (gateway_mode_ipv6=routed), `"ip-masq": false` with a
 * global prefix, Docker not managing ip6tables, IPv6 on the host but not on the containers. Then
 * each broken state is built in namespaces (ip6tables-nft, ip6tables-legacy, nft) and the printed
 * commands are run: the container's IPv6 connection to a host beyond the node fails before and gets
 * through after.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { DualStackHost } from '../helpers/dualstack.js';
import { canBridge } from '../tracer/topology.js';

const ID = 'iptables.docker-masquerade-missing';
const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const dual = () => readFolder(projectPath('test/fixtures/ipv6/docker-dualstack-healthy'));
const commandsOf = (f: { remedy: { commands: string[] } }) => f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''));
const run = (dir: string) => analyzeBundle(dir);
const masq = async (dir: string) => (await run(dir)).findings.filter((f) => f.id === ID);
const MASQ6 = /^-A POSTROUTING -s fd00:dead:beef::\/64 ! -o docker0 -j MASQUERADE\n/m;

/** Docker 28's host after `ip6tables -t nat -D POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE`. */
function unmasqueraded(files = dual()): Record<string, string> {
  expect(files['ip6tables-save.txt']).toMatch(MASQ6);
  files['ip6tables-save.txt'] = files['ip6tables-save.txt'].replace(MASQ6, '');
  return files;
}

/** The same host with docker0's IPv6 subnet a global one (2001:db8:2::/64) instead of the ULA, everywhere it shows. */
function global(files: Record<string, string>): Record<string, string> {
  for (const k of Object.keys(files)) files[k] = files[k].replace(/fd00:dead:beef:/g, '2001:db8:2:');
  return files;
}

/**
 * Docker 29's nftables back end, IPv6 side: its table `ip6 docker-bridges` for docker0 (written in
 * Docker's layout, loaded with nft 1.0.6 and listed back: this is the listing), beside the IPv4 one
 * of test/fixtures/netfilter/docker-direct-access/docker29-nat.nft.
 */
const DOCKER29_IP6 = `table ip6 docker-bridges {
	map filter-forward-in-jumps {
		type ifname : verdict
		elements = { "docker0" : jump filter-forward-in__docker0 }
	}

	map filter-forward-out-jumps {
		type ifname : verdict
		elements = { "docker0" : jump filter-forward-out__docker0 }
	}

	map nat-postrouting-in-jumps {
		type ifname : verdict
		elements = { "docker0" : jump nat-postrouting-in__docker0 }
	}

	map nat-postrouting-out-jumps {
		type ifname : verdict
		elements = { "docker0" : jump nat-postrouting-out__docker0 }
	}

	chain filter-forward-in__docker0 {
		ct state established,related counter packets 0 bytes 0 accept
		iifname "docker0" counter packets 0 bytes 0 accept comment "ICC"
		counter packets 0 bytes 0 drop comment "UNPUBLISHED PORT DROP"
	}

	chain filter-forward-out__docker0 {
		ct state established,related counter packets 0 bytes 0 accept
		counter packets 0 bytes 0 accept comment "OUTGOING"
	}

	chain nat-postrouting-in__docker0 {
	}

	chain nat-postrouting-out__docker0 {
		oifname != "docker0" ip6 saddr fd00:dead:beef::/64 counter packets 0 bytes 0 masquerade comment "MASQUERADE"
	}

	chain nat-prerouting-and-output {
	}

	chain filter-FORWARD {
		type filter hook forward priority filter; policy accept;
		oifname vmap @filter-forward-in-jumps
		iifname vmap @filter-forward-out-jumps
	}

	chain nat-OUTPUT {
		type nat hook output priority -100; policy accept;
		ip6 daddr != ::1 fib daddr type local counter packets 0 bytes 0 jump nat-prerouting-and-output
	}

	chain nat-POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		iifname vmap @nat-postrouting-out-jumps
		oifname vmap @nat-postrouting-in-jumps
	}

	chain nat-PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter packets 0 bytes 0 jump nat-prerouting-and-output
	}

	chain raw-PREROUTING {
		type filter hook prerouting priority raw; policy accept;
		ip6 daddr fd00:dead:beef::2 iifname != "docker0" counter packets 0 bytes 0 drop comment "DROP DIRECT ACCESS"
	}
}
`;
const NFT_MASQ6 = '\t\toifname != "docker0" ip6 saddr fd00:dead:beef::/64 counter packets 0 bytes 0 masquerade comment "MASQUERADE"\n';

/** Docker 29's host (nftables back end, no iptables rules): the ip and ip6 docker-bridges tables, docker0 dual-stack. */
function docker29(ip6 = DOCKER29_IP6): Record<string, string> {
  const d = dual();
  return { hostname: 'docker29\n', 'ip_a.txt': d['ip_a.txt'], 'ip_route.txt': d['ip_route.txt'], 'docker_network_inspect_bridge.json': d['docker_network_inspect_bridge.json'], 'nft_list_ruleset.txt': fx('test/fixtures/netfilter/docker-direct-access/docker29-nat.nft') + ip6 };
}

describe('iptables.docker-masquerade-missing, IPv6 subnets', () => {
  it("Docker 28's IPv6 MASQUERADE removed: the ULA fd00:dead:beef::/64 cannot leave the node; critical, with the ip6tables rule Docker adds", async () => {
    const [f, ...more] = await masq(writeFolder(unmasqueraded(), 'v6-nomasq'));
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('No IPv6 MASQUERADE for a Docker network');
    expect(f.facts).toMatchObject({ subnet: 'fd00:dead:beef::/64', bridge: 'docker0', network: 'bridge', family: 'ipv6', ula: true });
    expect(f.message).toMatch(/^IPv6 traffic from fd00:dead:beef::\/64 \(docker network bridge, bridge docker0\) on docker-dualstack-healthy leaves without source NAT: ip6tables nat POSTROUTING has no MASQUERADE rule for it/);
    expect(f.message).toMatch(/unique local \(ULA\) prefix/);
    expect(f.evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', line: 0, excerpt: 'no "-s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE" reachable from ip6tables nat POSTROUTING' });
    // why Docker would have masqueraded it: it manages ip6tables (Docker 28's DOCKER-FORWARD in the IPv4 rules)
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'iptables-save.txt', excerpt: ':DOCKER-FORWARD - [0:0]', note: expect.stringMatching(/manages ip6tables by default/) }));
    expect(commandsOf(f)).toEqual(['systemctl restart docker', 'ip6tables -t nat -C POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE 2>/dev/null || ip6tables -t nat -A POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE']);
  });

  it('the same from an ip6tables-legacy dump (its own header) with "ip6tables": true in daemon.json', async () => {
    const files = unmasqueraded();
    files['ip6tables-save.txt'] = files['ip6tables-save.txt'].replace(/ \(nf_tables\)/g, '');
    files['etc/docker/daemon.json'] = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:dead:beef::/64",\n  "ip6tables": true\n}\n';
    const [f, ...more] = await masq(writeFolder(files, 'v6-nomasq-legacy'));
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ subnet: 'fd00:dead:beef::/64', family: 'ipv6' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'etc/docker/daemon.json', note: expect.stringMatching(/^Docker manages ip6tables \(ip6tables true/) }));
  });

  it('a global prefix without its MASQUERADE: a warning (it works only if the upstream routes it here)', async () => {
    const [f] = await masq(writeFolder(global(unmasqueraded()), 'v6-nomasq-gua'));
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ subnet: '2001:db8:2::/64', ula: false });
    expect(f.message).toMatch(/global prefix.*gateway_mode_ipv6=routed/);
  });

  it("healthy: Docker 28's and Docker 27's real dual-stack rules masquerade their IPv6 subnet", async () => {
    expect(await masq(writeFolder(dual(), 'v6-healthy-28'))).toEqual([]);
    const d = (f: string) => fx('test/fixtures/docker-ipv6', f);
    expect(await masq(writeFolder({ 'ip_addr.txt': d('ip_addr.txt'), 'docker_network_inspect_bridge.json': d('docker_network_inspect_bridge.json'), 'iptables-save.txt': d('iptables-save-docker27'), 'ip6tables-save.txt': d('ip6tables-save-docker') }, 'v6-healthy-27'))).toEqual([]);
  });

  it('a routed IPv6 network (gateway_mode_ipv6=routed) has no IPv6 masquerade by design: nothing', async () => {
    const files = unmasqueraded();
    files['docker_network_inspect_bridge.json'] = files['docker_network_inspect_bridge.json'].replace('"com.docker.network.bridge.enable_icc": "true",', '"com.docker.network.bridge.enable_icc": "true",\n            "com.docker.network.bridge.gateway_mode_ipv6": "routed",');
    expect(await masq(writeFolder(files, 'v6-routed'))).toEqual([]);
  });

  it('"ip-masq": false with a global --fixed-cidr-v6 (routed without NAT): nothing; without the setting, the warning', async () => {
    const files = global(unmasqueraded());
    // the bridge known from ip a alone: the setting is all that says it is not masqueraded
    delete files['docker_network_inspect_bridge.json'];
    expect((await masq(writeFolder(files, 'v6-gua-no-setting'))).map((f) => f.severity)).toEqual(['warning']);
    files['etc/docker/daemon.json'] = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "2001:db8:2::/64",\n  "ip-masq": false\n}\n';
    expect(await masq(writeFolder(files, 'v6-gua-ip-masq-false'))).toEqual([]);
  });

  it('Docker told not to manage ip6tables ("ip6tables": false): its IPv6 masquerade is not its to make; nothing', async () => {
    const files = unmasqueraded();
    files['etc/docker/daemon.json'] = '{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:dead:beef::/64",\n  "ip6tables": false\n}\n';
    expect(await masq(writeFolder(files, 'v6-ip6tables-false'))).toEqual([]);
  });

  it('IPv6 on the host, IPv4 containers (no IPv6 on docker0, no IPv6 network): nothing to masquerade, however the ip6tables nat table looks', async () => {
    const files = unmasqueraded();
    files['ip_a.txt'] = files['ip_a.txt'].replace(/^\s+inet6 fd00:dead:beef::1\/64.*\n.*\n/m, '');
    files['docker_network_inspect_bridge.json'] = files['docker_network_inspect_bridge.json'].replace(/,\s*\{\s*"Subnet": "fd00:dead:beef::\/64",\s*"Gateway": "fd00:dead:beef::1"\s*\}/, '').replace(/"IPv6Address": "fd00:dead:beef::2\/64"/, '"IPv6Address": ""').replace('"EnableIPv6": true', '"EnableIPv6": false');
    const r = await run(writeFolder(files, 'v6-host-only'));
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
    expect(r.coverage.nodes[0].analyzers.find((a) => a.id === ID)?.reason).toBeUndefined();
  });

  it('no ip6tables dump in the bundle: the IPv6 subnet is not checked, and the coverage says so', async () => {
    const files = dual();
    delete files['ip6tables-save.txt'];
    const r = await run(writeFolder(files, 'v6-no-dump'));
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
    expect(r.coverage.nodes[0].analyzers.find((a) => a.id === ID)?.reason).toMatch(/the IPv6 masquerade of fd00:dead:beef::\/64 \(docker0\) was not checked: the bundle has no ip6tables nat rules/);
  });

  it("Docker 29's nftables back end: its ip6 docker-bridges table masquerades docker0's IPv6 subnet (healthy); without that rule, the finding names its chain and gives nft commands", async () => {
    expect(await masq(writeFolder(docker29(), 'v6-docker29'))).toEqual([]);
    expect(DOCKER29_IP6).toContain(NFT_MASQ6);
    const [f, ...more] = await masq(writeFolder(docker29(DOCKER29_IP6.replace(NFT_MASQ6, '')), 'v6-docker29-nomasq'));
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ subnet: 'fd00:dead:beef::/64', bridge: 'docker0', firewallBackend: 'nftables', family: 'ipv6' });
    expect(f.evidence[0]).toMatchObject({ file: 'nft_list_ruleset.txt', excerpt: expect.stringMatching(/^\s*chain nat-postrouting-out__docker0 \{$/), note: expect.stringMatching(/^Docker's chain for docker0's outgoing NAT: no masquerade for fd00:dead:beef::\/64 in it/) });
    expect(commandsOf(f)).toEqual([
      'systemctl restart docker',
      'nft list chain ip6 docker-bridges nat-postrouting-out__docker0',
      `nft list chain ip6 docker-bridges nat-postrouting-out__docker0 | grep -q 'ip6 saddr fd00:dead:beef::/64 .*masquerade' || nft add rule ip6 docker-bridges nat-postrouting-out__docker0 oifname != "docker0" ip6 saddr fd00:dead:beef::/64 counter masquerade comment "MASQUERADE"`,
    ]);
  });
});

// ---- the remedies, run with the real binaries --------------------------------------------------

const ok = canBridge();

/** The dual-stack host with Docker 28's rules of both families (the instance's back end), then the breakage. */
class MasqHost extends DualStackHost {
  constructor(backend: 'nft' | 'legacy') {
    super('h1mq', backend);
  }
  load(breakage: string[] = []): void {
    this.run(this.h, `${this.tool('iptables-restore')} < ${projectPath('test/fixtures/ipv6/docker28.iptables-restore')} && ${this.tool('ip6tables-restore')} < ${projectPath('test/fixtures/ipv6/docker28.ip6tables-restore')}`);
    for (const c of breakage) this.run(this.h, this.tool(c));
  }
}

for (const backend of ['nft', 'legacy'] as const)
  describe.skipIf(!ok)(`the IPv6 masquerade remedies, run with ip6tables-${backend} / nft in namespaces built to the broken state`, () => {
    let host: MasqHost;
    beforeAll(async () => {
      host = new MasqHost(backend);
      await host.start([{ at: 'o', port: 80 }]);
    }, 60_000);
    afterAll(() => host?.close());

    it("Docker 28's IPv6 MASQUERADE deleted: the container's connection out gets no answer; the printed ip6tables rule brings it back", async () => {
      host.load();
      expect(host.connect('2001:db8:1::1', 80)).toBe('connected');
      host.load(['ip6tables -t nat -D POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE']);
      expect(host.connect('2001:db8:1::1', 80)).toBe('timeout');
      const dir = host.snapshot({ 'iptables-save.txt': host.run(host.h, host.tool('iptables-save')), 'ip6tables-save.txt': host.run(host.h, host.tool('ip6tables-save')) });
      try {
        const [f, ...more] = await masq(dir);
        expect(more).toEqual([]);
        expect(f.facts).toMatchObject({ subnet: 'fd00:dead:beef::/64', family: 'ipv6' });
        const cmds = commandsOf(f).filter((c) => c.startsWith('ip6tables '));
        expect(cmds).toEqual(['ip6tables -t nat -C POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE 2>/dev/null || ip6tables -t nat -A POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE']);
        // pasted twice (or after the restart put Docker's rule back): the rule once
        for (let i = 0; i < 2; i++) for (const c of cmds) host.run(host.h, host.tool(c));
        expect(host.connect('2001:db8:1::1', 80)).toBe('connected');
        expect(host.run(host.h, host.tool('ip6tables-save')).split('\n').filter((l) => l === '-A POSTROUTING -s fd00:dead:beef::/64 ! -o docker0 -j MASQUERADE')).toHaveLength(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it.skipIf(backend !== 'nft')("Docker 29's ip6 docker-bridges without its masquerade: no answer; the printed nft rule brings it back", async () => {
      // no iptables rules at all: Docker's nftables back end
      host.run(host.h, 'nft flush ruleset');
      host.run(host.h, 'nft -f -', fx('test/fixtures/netfilter/docker-direct-access/docker29-nat.nft') + DOCKER29_IP6);
      try {
        // the fixture's text is what nft lists
        expect(host.run(host.h, 'nft list table ip6 docker-bridges')).toBe(DOCKER29_IP6);
        expect(host.connect('2001:db8:1::1', 80)).toBe('connected');
        const handle = /# handle (\d+)\n/.exec(host.run(host.h, 'nft -a list chain ip6 docker-bridges nat-postrouting-out__docker0').split('masquerade')[1] ?? '')?.[1];
        host.run(host.h, `nft delete rule ip6 docker-bridges nat-postrouting-out__docker0 handle ${handle}`);
        expect(host.connect('2001:db8:1::1', 80)).toBe('timeout');
        const dir = host.snapshot({ 'nft_list_ruleset.txt': host.run(host.h, 'nft list ruleset') });
        try {
          const [f, ...more] = await masq(dir);
          expect(more).toEqual([]);
          const cmds = commandsOf(f).filter((c) => / \|\| nft add /.test(c));
          expect(cmds).toHaveLength(1);
          // pasted twice: one masquerade (reviewer R2)
          host.run(host.h, cmds[0]);
          host.run(host.h, cmds[0]);
          expect(host.connect('2001:db8:1::1', 80)).toBe('connected');
          expect(host.run(host.h, 'nft list chain ip6 docker-bridges nat-postrouting-out__docker0').match(/masquerade/g)).toHaveLength(1);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } finally {
        host.run(host.h, 'nft flush ruleset');
      }
    }, 120_000);
  });
