/**
 * iptables.port-blocked over IPv6: the peers a container's log names by an IPv6 address (Go's
 * `dial tcp [fd00:dead:beef::1]:5432`, Node's `connect ETIMEDOUT 2001:db8:1::1:5432`), ports
 * required or published, traced through the ip6tables rules from the bridge's IPv6 side. The hosts
 * are the dual-stack Docker fixtures made with the real binaries (test/fixtures/ipv6: Docker 28's
 * rules; test/fixtures/docker-ipv6: Docker 27's, and RHEL's stock /etc/sysconfig/ip6tables restored
 * over them), broken the way ip6tables would print it. Then each state is built in network
 * namespaces with the real ip6tables (nf_tables and legacy), the bundle is snapshotted from there,
 * and every remedy command printed is run: the connection must fail before and get through after.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { DualStackHost } from '../helpers/dualstack.js';
import { canBridge } from '../tracer/topology.js';
import { runNode } from './helpers.js';

const ID = 'iptables.port-blocked';
const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const dual = () => readFolder(projectPath('test/fixtures/ipv6/docker-dualstack-healthy'));
const commandsOf = (f: { remedy: { commands: string[] } }) => f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''));
const blocked = async (dir: string, requiredPorts: number[] = []) => (await analyzeBundle(dir, { requiredPorts })).findings.filter((f) => f.id === ID);
/** a container's log lines, as a hand-made bundle holds them */
const appLog = (...lines: string[]) => lines.map((l, i) => `2026-12-02T03:40:0${i}Z web[1]: ${l}`).join('\n') + '\n';

/**
 * RHEL / CentOS 7's stock /etc/sysconfig/ip6tables (iptables-services), as `cat` prints it on
 * CentOS 7.4: what ip6tables.service restores at boot, over Docker's rules.
 */
const STOCK6 = `# sample configuration for ip6tables service
# you can edit this manually or use system-config-firewall
# please do not ask us to add additional ports/services to this default configuration
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -d fe80::/64 -p udp -m udp --dport 546 -m state --state NEW -j ACCEPT
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited
COMMIT
`;

/**
 * A hand-written /etc/nftables.conf that ends its input chain in a reject (what `nft list table inet
 * filter` printed for it, nft 1.0.6): ICMP and ICMPv6 accepted, so neighbour discovery works.
 */
const HARDENING_NFT = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		iif "lo" accept
		meta l4proto { icmp, ipv6-icmp } accept
		tcp dport 22 accept
		reject with icmpx admin-prohibited
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
	}

	chain output {
		type filter hook output priority filter; policy accept;
	}
}
`;

/** Docker 28's host with ip6tables' INPUT policy DROP (`ip6tables -P INPUT DROP`): neighbour discovery is dropped too. */
function inputDropped(files = dual()): Record<string, string> {
  files['ip6tables-save.txt'] = files['ip6tables-save.txt'].replace(/^:INPUT ACCEPT (\[\d+:\d+\])$/m, ':INPUT DROP $1');
  return files;
}

/** Docker 28's host with an admin's `ip6tables -I DOCKER-USER -p tcp --dport 5432 -j DROP`. */
function dockerUserDrop(files = dual()): Record<string, string> {
  files['ip6tables-save.txt'] = files['ip6tables-save.txt'].replace(/^-A DOCKER-USER -j RETURN$/m, '-A DOCKER-USER -p tcp -m tcp --dport 5432 -j DROP\n-A DOCKER-USER -j RETURN');
  return files;
}

/** Docker 27's host (test/fixtures/docker-ipv6) after ip6tables.service restored the stock config over Docker's rules, the config itself in the bundle. */
function stockRestored(): Record<string, string> {
  const d = (f: string) => fx('test/fixtures/docker-ipv6', f);
  return {
    'ip_addr.txt': d('ip_addr.txt'),
    'docker_network_inspect_bridge.json': d('docker_network_inspect_bridge.json'),
    'iptables-save.txt': d('iptables-save-docker27'),
    'ip6tables-save.txt': d('ip6tables-save-flushed'),
    'etc/sysconfig/ip6tables': STOCK6,
  };
}

describe('iptables.port-blocked, IPv6 peers and ports (the real dual-stack Docker hosts)', () => {
  it('Go names the bridge address in brackets; INPUT policy DROP: the port and the neighbour solicitation are dropped, "No route to host", ip6tables remedies', async () => {
    const files = inputDropped();
    files['app.log'] = appLog('dial tcp [fd00:dead:beef::1]:5432: connect: no route to host');
    const [f, ...more] = (await blocked(writeFolder(files, 'v6-input-drop'))).filter((x) => x.facts?.port === 5432);
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ port: 5432, family: 'ipv6', from: ['fd00:dead:beef::/64 (docker0)'], to: ['fd00:dead:beef::1'], blockedBy: ['INPUT#0'], neighbourDiscoveryBlockedBy: ['docker0:INPUT#0'], clientSees: 'unreachable', explainsLogLines: ['app.log:1'] });
    expect(f.message).toMatch(/TCP port 5432 \(IPv6\) is dropped from fd00:dead:beef::\/64 \(docker0\) by the INPUT policy\. And the INPUT policy drops the neighbour solicitation \(ICMPv6 135\)/);
    expect(f.evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', excerpt: ':INPUT DROP', note: expect.stringMatching(/drops docker0 -> \[fd00:dead:beef::1\]:5432; it also drops the neighbour solicitation/) });
    expect(commandsOf(f)).toEqual([
      'ip6tables -I INPUT 1 -i docker0 -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT',
      'ip6tables -I INPUT 1 -i docker0 -p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT',
      'ip6tables -I INPUT 1 -i docker0 -p tcp --dport 5432 -j ACCEPT',
      '# persist: edit the saved configuration by hand (/etc/sysconfig/ip6tables for ip6tables.service, /etc/iptables/rules.v6 for netfilter-persistent) and add only these lines:',
      '#   -A INPUT -i docker0 -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT (in the *filter section, before COMMIT)',
      '#   -A INPUT -i docker0 -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT (in the *filter section, before COMMIT)',
      '#   -A INPUT -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT (in the *filter section, before COMMIT)',
      "# or, with firewalld: the same at runtime and permanently, in the zone of the container's interface (no reload, which would remove Docker's rules):",
      `z=$(firewall-cmd --get-zone-of-interface=docker0 2>/dev/null || firewall-cmd --get-default-zone) && firewall-cmd --zone="$z" --add-rich-rule='rule family="ipv6" source address="fd00:dead:beef::/64" port port="5432" protocol="tcp" accept' && firewall-cmd --permanent --zone="$z" --add-rich-rule='rule family="ipv6" source address="fd00:dead:beef::/64" port port="5432" protocol="tcp" accept'`,
    ]);
  });

  it('Node names a remote server without brackets (connect ETIMEDOUT 2001:db8:1::1:5432); a DROP in DOCKER-USER: the forward path, an ACCEPT for that address ahead of it', async () => {
    const files = dockerUserDrop();
    files['app.log'] = appLog('Error: connect ETIMEDOUT 2001:db8:1::1:5432');
    const [f, ...more] = await blocked(writeFolder(files, 'v6-docker-user'));
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ port: 5432, family: 'ipv6', to: ['2001:db8:1::1'], blockedBy: ['DOCKER-USER#1'], clientSees: 'timeout', explainsLogLines: ['app.log:1'] });
    expect(f.facts).not.toHaveProperty('neighbourDiscoveryBlockedBy');
    expect(f.message).toMatch(/TCP port 5432 \(IPv6\) to 2001:db8:1::1 \(forwarded: not an address of this node\) is dropped from fd00:dead:beef::\/64 \(docker0\) by DOCKER-USER rule 1/);
    expect(f.evidence.find((e) => e.file === 'app.log')?.note).toBe('the application could not reach [2001:db8:1::1]:5432');
    expect(commandsOf(f)[0]).toBe('ip6tables -I DOCKER-USER 1 -i docker0 -d 2001:db8:1::1/128 -p tcp --dport 5432 -j ACCEPT');
    expect(commandsOf(f)).toContain(
      '# with firewalld, forwarded traffic (to 2001:db8:1::1 port 5432) is not opened by a zone\'s rich rule: it takes a policy from the zone of docker0 (firewall-cmd --get-zone-of-interface) to the egress zone that accepts this port (firewall-cmd --permanent --new-policy <name>; --policy <name> --add-ingress-zone / --add-egress-zone / --add-rich-rule; firewalld 0.9 or later)',
    );
    // a zone's rich rule filters traffic to the host only: none for a forwarded destination
    expect(commandsOf(f).some((c) => /add-rich-rule=/.test(c))).toBe(false);
  });

  it('RHEL\'s stock ip6tables restored over Docker 27\'s rules, --require-port 5432: icmp6-adm-prohibited is "Permission denied"; the ACCEPT goes above the REJECT, live and in /etc/sysconfig/ip6tables', async () => {
    const [f, ...more] = await blocked(writeFolder(stockRestored(), 'v6-stock'), [5432]);
    // IPv4: Docker 27's rules accept it; only the IPv6 side is blocked
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ port: 5432, family: 'ipv6', to: ['fd00:dead:beef::1'], blockedBy: ['INPUT#6'], clientSees: 'prohibited' });
    expect(f.message).toMatch(/rejected \(icmp6-adm-prohibited\) from fd00:dead:beef::\/64 \(docker0\) by INPUT rule 6\. Containers that connect to the host on this port get "Permission denied" \(EACCES\)\./);
    const sed = "sed -i '/^-A INPUT -j REJECT --reject-with icmp6-adm-prohibited$/i -A INPUT -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT' /etc/sysconfig/ip6tables";
    expect(commandsOf(f).slice(0, 3)).toEqual(['ip6tables -I INPUT 6 -i docker0 -p tcp --dport 5432 -j ACCEPT', '# persist: add only this rule to the saved configuration the firewall service restores at boot, above the rule that blocks it:', sed]);
    // the sed puts the line where ip6tables.service will restore it ahead of the REJECT
    const dir = mkdtempSync(join(tmpdir(), 'v6sed-'));
    try {
      writeFileSync(join(dir, 'ip6tables'), STOCK6);
      execFileSync('sh', ['-c', sed.replace('/etc/sysconfig/ip6tables', join(dir, 'ip6tables'))]);
      const lines = readFileSync(join(dir, 'ip6tables'), 'utf8').split('\n');
      expect(lines.indexOf('-A INPUT -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT')).toBe(lines.indexOf('-A INPUT -j REJECT --reject-with icmp6-adm-prohibited') - 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an nftables table rejects with icmpx admin-prohibited: to an IPv6 client that is "Permission denied", to an IPv4 one "No route to host"; nft remedies with ip6 / ip addresses', async () => {
    const files = { ...dual(), 'nft_list_table_inet_filter.txt': HARDENING_NFT, 'app.log': appLog('Error: connect ECONNREFUSED 2001:db8:1::10:5432') };
    const found = await blocked(writeFolder(files, 'v6-nft-reject'), [5432]);
    const f6 = found.find((f) => f.facts?.family === 'ipv6' && f.facts.port === 5432)!;
    const f4 = found.find((f) => f.facts?.family === undefined && f.facts?.port === 5432)!;
    // (8080, which Docker publishes, is rejected the same way: only the publishing names it, so it is in the
    // node's one info finding for such ports, both families listed)
    expect(found.map((f) => [f.facts?.port, f.facts?.family, f.severity])).toEqual([
      [5432, undefined, 'critical'],
      [5432, 'ipv6', 'critical'],
      [undefined, undefined, 'info'],
    ]);
    const quiet = found.find((f) => f.severity === 'info')!;
    expect(quiet.title).toBe("Port Docker publishes is closed to the containers through the host's address".replace('Port Docker publishes is', 'Ports Docker publishes are'));
    expect(quiet.facts?.ports).toMatchObject([{ port: 8080 }, { port: 8080, family: 'ipv6' }]);
    expect(f4.facts).toMatchObject({ to: ['172.17.0.1'], clientSees: 'unreachable' });
    // the log names the host's eth0 address: the INPUT path too; what it says (refused) is not what this REJECT gives
    expect(f6.facts).toMatchObject({ to: ['fd00:dead:beef::1', '2001:db8:1::10'], blockedBy: ['inet filter input#5', 'inet filter input#5'], clientSees: 'prohibited', logSymptomMismatch: ['app.log:1'] });
    expect(f6.evidence[0]).toMatchObject({ excerpt: 'reject with icmpx admin-prohibited', note: expect.stringMatching(/^nftables inet filter chain input rule 5 rejects docker0 -> \[fd00:dead:beef::1\]:5432/) });
    expect(commandsOf(f6).slice(0, 2)).toEqual(['nft insert rule inet filter input position <handle of rule 5> iifname "docker0" tcp dport 5432 accept', 'nft insert rule inet filter input position <handle of rule 5> iifname "docker0" ip6 daddr 2001:db8:1::10 tcp dport 5432 accept']);
  });

  it('an IPv4-mapped peer (::ffff:172.17.0.1, as Node prints a dual-stack socket\'s) is traced as the IPv4 address it is', () => {
    const rhel = parseIptablesSave(fx('bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/etc/sysconfig/iptables'), 'iptables-save');
    const log = scanLogText('2026-11-20T10:00:00Z web[1]: Error: connect ECONNREFUSED ::ffff:172.17.0.1:5432\n', 'app.log');
    const [f] = runNode(portBlocked, { iptables: [rhel], ipAddr: [parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a')], logs: [log] });
    expect(f.facts).toMatchObject({ port: 5432, to: ['172.17.0.1'], from: ['172.17.0.0/16 (docker0)'] });
    expect(f.facts).not.toHaveProperty('family');
  });

  it('healthy: Docker 28 and Docker 27 dual-stack with their real rules, peers named over IPv6 and a port required, raise nothing', async () => {
    const lines = appLog('dial tcp [fd00:dead:beef::1]:5432: connect: connection refused', 'Error: connect ETIMEDOUT 2001:db8:1::1:443', 'dial tcp [2001:db8:1::10]:6443: i/o timeout');
    expect(await blocked(writeFolder({ ...dual(), 'app.log': lines }, 'v6-healthy-28'), [5432])).toEqual([]);
    const d27 = stockRestored();
    d27['ip6tables-save.txt'] = fx('test/fixtures/docker-ipv6/ip6tables-save-docker');
    delete d27['etc/sysconfig/ip6tables'];
    expect(await blocked(writeFolder({ ...d27, 'app.log': lines }, 'v6-healthy-27'), [5432])).toEqual([]);
  });

  it('::1 and link-local peers are the container itself or its link, never traced; nor a port that only they name', async () => {
    const files = inputDropped();
    files['app.log'] = appLog('dial tcp [::1]:6379: connect: connection refused', 'dial tcp [fe80::b0b0:f3ff:fe26:ce94]:11211: connect: no route to host', 'Error: connect ECONNREFUSED ::1:27017');
    const found = await blocked(writeFolder(files, 'v6-loopback'));
    // only 8080 (Docker publishes it), in the node's one finding for ports only the publishing names
    expect(found.flatMap((f) => (f.facts?.ports as { port: number }[] | undefined)?.map((p) => p.port) ?? [f.facts?.port])).toEqual([8080]);
  });

  it('a node with IPv6 addresses but IPv4 containers (no IPv6 on docker0, no IPv6 network): an IPv6 peer in the logs is not traced, however the ip6tables rules look', async () => {
    const files = inputDropped();
    files['ip_a.txt'] = files['ip_a.txt'].replace(/^\s+inet6 fd00:dead:beef::1\/64.*\n.*\n/m, '');
    files['docker_network_inspect_bridge.json'] = files['docker_network_inspect_bridge.json'].replace(/,\s*\{\s*"Subnet": "fd00:dead:beef::\/64",\s*"Gateway": "fd00:dead:beef::1"\s*\}/, '').replace('"EnableIPv6": true', '"EnableIPv6": false');
    files['app.log'] = appLog('Error: connect ETIMEDOUT 2001:db8:1::1:5432');
    const r = await analyzeBundle(writeFolder(files, 'v6-eth0-only'), { requiredPorts: [5432] });
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
    expect(r.coverage.nodes[0].analyzers.find((a) => a.id === ID)).toMatchObject({ status: 'ran' });
    expect(r.coverage.nodes[0].analyzers.find((a) => a.id === ID)?.reason).toBeUndefined();
  });

  it('no IPv6 rules in the bundle: the IPv6 side is not checked, and the coverage says so', async () => {
    const files = stockRestored();
    delete files['ip6tables-save.txt'];
    delete files['etc/sysconfig/ip6tables'];
    const r = await analyzeBundle(writeFolder(files, 'v6-no-rules'), { requiredPorts: [5432] });
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
    expect(r.coverage.nodes[0].analyzers.find((a) => a.id === ID)?.reason).toMatch(/IPv6 was not checked for port 5432: the bundle has no ip6tables rules/);
  });
});

// ---- the remedies, run with the real binaries --------------------------------------------------

const ok = canBridge();
const RULES4 = projectPath('test/fixtures/ipv6/docker28.iptables-restore');
const RULES6 = projectPath('test/fixtures/ipv6/docker28.ip6tables-restore');

/** The dual-stack host with Docker 28's rules; its listeners on [fd00:dead:beef::1]:5432 and [2001:db8:1::1]:5432. */
class PortHost extends DualStackHost {
  constructor(backend: 'nft' | 'legacy') {
    super('h1pb', backend);
  }
  /** Docker 28's rules (both families), then the IPv6 rules to restore over them, then the breakage (ip6tables commands). */
  load(ip6rules: string | undefined, breakage: string[] = []): void {
    this.run(this.h, `${this.tool('iptables-restore')} < ${RULES4} && ${this.tool('ip6tables-restore')} < ${RULES6}`);
    if (ip6rules) execFileSync('ip', ['netns', 'exec', this.h, this.tool('ip6tables-restore')], { input: ip6rules });
    for (const c of breakage) this.sh(c);
  }
  sh(ip6tablesCommand: string): void {
    this.run(this.h, this.tool(ip6tablesCommand));
  }
  /** runs nft in the host namespace, with a ruleset on stdin when given */
  nft(args: string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', this.h, 'nft', ...args], { encoding: 'utf8', input });
  }
  /** with both rule dumps */
  snapshot(extra: Record<string, string>): string {
    return super.snapshot({ 'iptables-save.txt': this.run(this.h, this.tool('iptables-save')), 'ip6tables-save.txt': this.run(this.h, this.tool('ip6tables-save')), ...extra });
  }
}

for (const backend of ['nft', 'legacy'] as const)
  describe.skipIf(!ok)(`the IPv6 port remedies, run with ip6tables-${backend} in namespaces built to the broken state`, () => {
    let host: PortHost;
    beforeAll(async () => {
      host = new PortHost(backend);
      await host.start([{ at: 'h', port: 5432 }, { at: 'o', port: 5432 }]);
    }, 60_000);
    afterAll(() => host?.close());

    /** analyzes the snapshot, runs every ip6tables command the finding prints, and returns what the connection does then */
    const remedy = async (extra: Record<string, string>, port: number, dst: string, facts: Record<string, unknown>, requiredPorts: number[] = []) => {
      const dir = host.snapshot(extra);
      try {
        expect(readFileSync(join(dir, 'ip6tables-save.txt'), 'utf8')).toMatch(backend === 'nft' ? /^# Generated by ip6tables(?:-nft)?-save v[\d.]+ \(nf_tables\)/ : /^# Generated by ip6tables(?:-legacy)?-save v[\d.]+ on /);
        const f = (await blocked(dir, requiredPorts)).find((x) => x.facts?.port === port)!;
        expect(f.facts).toMatchObject({ family: 'ipv6', ...facts });
        const cmds = commandsOf(f).filter((c) => c.startsWith('ip6tables '));
        expect(cmds.length).toBeGreaterThan(0);
        for (const c of cmds) host.sh(c);
        return { after: host.connect(dst, 5432), finding: f };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('INPUT policy DROP: the container reaches neither the host nor the outside over IPv6 ("No route to host"); the printed rules let both through', async () => {
      host.load(undefined);
      expect(host.connect('fd00:dead:beef::1', 5432)).toBe('connected');
      host.load(undefined, ['ip6tables -P INPUT DROP']);
      expect(host.connect('fd00:dead:beef::1', 5432)).toBe('unreachable');
      expect(host.connect('2001:db8:1::1', 5432)).toBe('unreachable');
      const log = appLog('dial tcp [fd00:dead:beef::1]:5432: connect: no route to host', 'Error: connect EHOSTUNREACH 2001:db8:1::1:5432');
      const { after, finding } = await remedy({ 'app.log': log }, 5432, 'fd00:dead:beef::1', { to: ['fd00:dead:beef::1', '2001:db8:1::1'], clientSees: 'unreachable', neighbourDiscoveryBlockedBy: ['docker0:INPUT#0', 'eth0:INPUT#0'] });
      expect(after).toBe('connected');
      expect(host.connect('2001:db8:1::1', 5432)).toBe('connected');
      // the TCP rule alone (without the neighbour discovery) is not enough: what the kernel says
      host.load(undefined, ['ip6tables -P INPUT DROP', commandsOf(finding).find((c) => /--dport 5432/.test(c))!]);
      expect(host.connect('fd00:dead:beef::1', 5432)).toBe('unreachable');
    }, 120_000);

    it.skipIf(backend !== 'nft')('an nftables table that rejects with icmpx admin-prohibited: EACCES; the printed nft insert, at the blocking rule\'s handle, lets it through', async () => {
      host.load(undefined);
      host.nft(['-f', '-'], HARDENING_NFT);
      try {
        expect(host.connect('fd00:dead:beef::1', 5432)).toBe('prohibited');
        // the fixture's text is what nft lists for it
        const listed = host.nft(['list', 'table', 'inet', 'filter']);
        expect(listed).toBe(HARDENING_NFT);
        const dir = host.snapshot({ 'nft_list_table_inet_filter.txt': listed });
        let cmds: string[];
        try {
          const f = (await blocked(dir, [5432])).find((x) => x.facts?.family === 'ipv6' && x.facts.port === 5432)!;
          expect(f.facts).toMatchObject({ blockedBy: ['inet filter input#5'], clientSees: 'prohibited' });
          cmds = commandsOf(f).filter((c) => c.startsWith('nft '));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        expect(cmds).toEqual(['nft insert rule inet filter input position <handle of rule 5> iifname "docker0" tcp dport 5432 accept']);
        // the handle, as the caution says: nft -a list chain
        const handles = [...host.nft(['-a', 'list', 'chain', 'inet', 'filter', 'input']).matchAll(/^\t\t(?!type ).*# handle (\d+)$/gm)].map((m) => m[1]);
        host.run(host.h, cmds[0].replace('<handle of rule 5>', handles[4]));
        expect(host.connect('fd00:dead:beef::1', 5432)).toBe('connected');
      } finally {
        host.nft(['delete', 'table', 'inet', 'filter']);
      }
    }, 120_000);

    it("a DROP for 5432 in DOCKER-USER: the outside server times out; the ACCEPT for it ahead of the DROP lets it through", async () => {
      host.load(undefined, ['ip6tables -I DOCKER-USER -p tcp --dport 5432 -j DROP']);
      expect(host.connect('2001:db8:1::1', 5432)).toBe('timeout');
      const { after } = await remedy({ 'app.log': appLog('Error: connect ETIMEDOUT 2001:db8:1::1:5432') }, 5432, '2001:db8:1::1', { to: ['2001:db8:1::1'], blockedBy: ['DOCKER-USER#1'], clientSees: 'timeout' });
      expect(after).toBe('connected');
    }, 120_000);

    it("RHEL's stock ip6tables restored over Docker's: EACCES; the ACCEPT above the REJECT lets it through, and so does the stock file with the printed sed, restored", async () => {
      host.load(STOCK6);
      expect(host.connect('fd00:dead:beef::1', 5432)).toBe('prohibited');
      const { after, finding } = await remedy({ 'etc/sysconfig/ip6tables': STOCK6 }, 5432, 'fd00:dead:beef::1', { blockedBy: ['INPUT#6'], clientSees: 'prohibited' }, [5432]);
      expect(after).toBe('connected');
      // the persisted fix: the printed sed run on the stock file, which ip6tables.service restores at boot
      const sed = commandsOf(finding).find((c) => c.startsWith('sed '))!;
      expect(sed).toMatch(/ \/etc\/sysconfig\/ip6tables$/);
      const dir = mkdtempSync(join(tmpdir(), 'h1pb-sed-'));
      try {
        writeFileSync(join(dir, 'ip6tables'), STOCK6);
        execFileSync('sh', ['-c', sed.replace('/etc/sysconfig/ip6tables', join(dir, 'ip6tables'))]);
        host.load(readFileSync(join(dir, 'ip6tables'), 'utf8'));
        expect(host.connect('fd00:dead:beef::1', 5432)).toBe('connected');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  });
