/**
 * docker.bridge-netfilter-forward-drop on moby/moby#48411 (Docker 27.2.0, "iptables": false, ip6tables left on:
 * dockerd loaded br_netfilter, bridge-nf-call-iptables became 1, and the host's nft forward chain with policy
 * drop dropped traffic between containers on the `hass` bridge; robmry's moby#48492, fixed in 27.3.0). The
 * texts are the ticket's (daemon.json, the iptables errors) and real binaries' output (test/fixtures/docker-brnf/SOURCE.txt).
 *
 * Fires: the bundle as the ticket pasted it (warning: nothing says the Docker version nor the sysctl), with the
 * sysctl (critical), with docker version 27.2.0 and ip addr (critical), on iptables-save and native nft tables,
 * on two tables that both drop (one accept each), Docker 28 with userland-proxy false (warning), Docker 26 with
 * the sysctl on. Healthy, must not fire: Docker 27.3.1, "ip6tables": false (the reporter's fix),
 * bridge-nf-call-iptables = 0, the forward chain accepting the bridge, one container on the bridge, Docker
 * managing iptables. The printed commands run in namespaces on the ticket's ruleset: they let two containers on the
 * bridge connect, and pasted twice add one rule.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const ID = 'docker.bridge-netfilter-forward-drop';
const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const own = (name: string) => fx('docker-brnf', name);
/** Real `docker version` (CLI 28.2.2) with the Engine's version set to the one a ticket names. */
const dockerVersion = (v: string) => fx('docker-info/debian-20.10.24/docker-version-cli28.txt').replace(/^ {2}Version: +20\.10\.24\+dfsg1$/m, `  Version:          ${v}`);

/** the bundle as moby#48411 pasted it */
const TICKET = { 'daemon.json': own('daemon.json'), 'nft-list-ruleset.txt': own('nft-list-ruleset.txt'), 'iptables-nvL.txt': own('iptables-nvL.txt') };
const HOST = { 'ip-addr.txt': own('ip-addr.txt'), 'ip-route.txt': own('ip-route.txt') };
/** the reporter's fix: ip6tables off */
const DAEMON_IP6_OFF = own('daemon.json').replace('"iptables":false,', '"iptables":false,\n"ip6tables":false,');
const DAEMON_IPTABLES_ON = own('daemon.json').replace('"iptables":false,\n', '');

let n = 0;
async function findings(files: Record<string, string>): Promise<Finding[]> {
  const report = await analyzeBundle(writeFolder(files, `brnf-${++n}`));
  return report.findings.filter((f) => f.id === ID);
}

describe('moby#48411: Docker 27.0-27.2, "iptables": false, the host\'s forward chain drops traffic within a bridge', () => {
  it('the bundle as pasted: a warning naming docker0 and hass, the forward policy, and nft commands that work on native tables', async () => {
    const [f, ...more] = await findings(TICKET);
    expect(more).toHaveLength(0);
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/If this Docker is 27\.0-27\.2 \(docker version is not in the bundle\)/);
    expect(f.message).toMatch(/FORWARD policy DROP \(nft-list-ruleset\.txt:31\)/);
    expect(f.facts?.bridges).toEqual([
      { name: 'docker0', subnet: null, droppedBy: 'filter/FORWARD#0' },
      { name: 'hass', subnet: null, droppedBy: 'filter/FORWARD#0' },
    ]);
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['daemon.json:2', 'daemon.json:0', 'nft-list-ruleset.txt:31', 'nft-list-ruleset.txt:27']));
    const cmds = f.remedy.commands;
    expect(cmds).toContain(`nft list chain ip filter FORWARD | grep -qF 'iifname "hass" oifname "hass" accept' || nft insert rule ip filter FORWARD iifname "hass" oifname "hass" accept   # containers on hass reach each other`);
    expect(cmds).toContain('nft list chain ip filter FORWARD   # the forward chain that drops it');
    // R4: `iptables -S INPUT` fails on this host ("incompatible"): no iptables command at all
    expect(cmds.filter((c) => /^iptables /.test(c))).toEqual([]);
    expect(cmds.some((c) => c.startsWith('# or: upgrade Docker to 27.3.0 or later'))).toBe(true);
    expect(cmds.some((c) => c.startsWith('# or: add "ip6tables": false'))).toBe(true);
  });

  it('with the sysctl (bridge-nf-call-iptables = 1): critical, on the sysctl line', async () => {
    const [f] = await findings({ ...TICKET, 'sysctl.txt': own('sysctl-bridge.txt') });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Bridge netfilter is on \(net\.bridge\.bridge-nf-call-iptables = 1, sysctl\.txt:3\): br_netfilter is loaded, as Docker 27\.0-27\.2 do/);
    expect(f.evidence.some((e) => e.file === 'sysctl.txt' && e.line === 3)).toBe(true);
  });

  it('with docker version 27.2.0 and ip addr: critical, hass 10.1.5.0/24 only (no docker0 in ip addr)', async () => {
    const [f, ...more] = await findings({ ...TICKET, ...HOST, 'docker-version.txt': dockerVersion('27.2.0') });
    expect(more).toHaveLength(0);
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Docker 27\.2\.0 \(docker-version\.txt:12\) loads br_netfilter when it starts with ip6tables on, even with iptables off/);
    expect(f.facts?.bridges).toEqual([{ name: 'hass', subnet: '10.1.5.0/24', droppedBy: 'filter/FORWARD#0' }]);
    expect(f.facts?.dockerLoadsBrNetfilter).toBe('at-start');
    expect(f.remedy.commands.some((c) => c.includes('(this is 27.2.0)'))).toBe(true);
  });

  it('iptables-save with FORWARD DROP (hass accepted out, not within): iptables commands, -C before -I, and the lines to persist', async () => {
    const [f] = await findings({ 'daemon.json': own('daemon.json'), 'iptables-save.txt': own('iptables-save-forward-drop.txt'), 'sysctl.txt': own('sysctl-bridge.txt'), ...HOST });
    expect(f.severity).toBe('critical');
    expect(f.facts?.bridges).toEqual([{ name: 'hass', subnet: '10.1.5.0/24', droppedBy: 'filter/FORWARD#0' }]);
    expect(f.remedy.commands).toContain('iptables -C FORWARD -i hass -o hass -j ACCEPT 2>/dev/null || iptables -I FORWARD -i hass -o hass -j ACCEPT   # containers on hass reach each other');
    expect(f.remedy.commands.some((c) => c.includes('-A FORWARD -i hass -o hass -j ACCEPT'))).toBe(true);
    expect(f.remedy.commands.some((c) => c.startsWith('nft '))).toBe(false);
  });

  it('a native table inet filter: the accept goes into its forward chain', async () => {
    const [f] = await findings({ 'daemon.json': own('daemon.json'), 'nft-list-ruleset.txt': own('nft-inet-forward-drop.txt'), 'sysctl.txt': own('sysctl-bridge.txt'), ...HOST });
    expect(f.severity).toBe('critical');
    expect(f.facts?.bridges).toEqual([{ name: 'hass', subnet: '10.1.5.0/24', droppedBy: 'inet filter/forward#0' }]);
    expect(f.remedy.commands).toContain(`nft list chain inet filter forward | grep -qF 'iifname "hass" oifname "hass" accept' || nft insert rule inet filter forward iifname "hass" oifname "hass" accept   # containers on hass reach each other`);
  });

  it('Docker 28 with "userland-proxy": false (loads br_netfilter for its networks, moby#48676): a warning, no upgrade advice', async () => {
    const daemon = own('daemon.json').replace('"iptables":false,', '"iptables":false,\n"userland-proxy":false,');
    const [f] = await findings({ ...TICKET, ...HOST, 'daemon.json': daemon, 'docker-version.txt': dockerVersion('28.0.1') });
    expect(f.severity).toBe('warning');
    expect(f.facts?.dockerLoadsBrNetfilter).toBe('on-demand');
    // with iptables off, only through ip6tables, for a network with IPv6 (the bundle does not list the networks)
    expect(f.message).toMatch(/Docker 28\.0\.1 \(docker-version\.txt:12\) loads br_netfilter for a bridge network with IPv6 when userland-proxy is false \(daemon\.json:3\) and ip6tables is on/);
    expect(f.remedy.commands.some((c) => c.includes('upgrade Docker'))).toBe(false);
  });

  it('Docker 26 (does not load br_netfilter with iptables off) and bridge-nf-call-iptables = 1: critical, loaded by something else', async () => {
    const [f] = await findings({ ...TICKET, ...HOST, 'sysctl.txt': own('sysctl-bridge.txt'), 'docker-version.txt': dockerVersion('26.1.4') });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/br_netfilter is loaded, though not by Docker 26\.1\.4 .* with these settings/);
    expect(f.remedy.commands.some((c) => /upgrade Docker|"ip6tables": false/.test(c))).toBe(false);
  });

  it('firewalld (moby#48375: Docker 27.1, iptables off, a bridge in no zone): its public zone rejects; the fix is a zone, not an nft rule in firewalld\'s table', async () => {
    const [f] = await findings({ 'daemon.json': own('daemon.json'), 'nft-list-ruleset.txt': fx('nft/firewalld-real/nft_list_ruleset'), 'sysctl.txt': own('sysctl-bridge.txt'), ...HOST });
    expect(f.severity).toBe('critical');
    expect(f.facts?.bridges).toEqual([{ name: 'hass', subnet: '10.1.5.0/24', droppedBy: 'inet firewalld/filter_FWD_public#8' }]);
    expect(f.message).toMatch(/rejects it: .*connections are refused at once/);
    expect(f.remedy.commands.filter((c) => c.startsWith('firewall-cmd '))).toEqual([
      'firewall-cmd --zone=trusted --change-interface=hass && firewall-cmd --permanent --zone=trusted --change-interface=hass   # now and at boot: firewalld forwards within the trusted zone (or the "docker" zone where it exists, moby#48375)',
    ]);
    expect(f.remedy.commands.some((c) => c.includes('nft insert'))).toBe(false);
  });

  it('two forward chains with policy drop (ip filter and inet filter): one accept in each', async () => {
    const [f] = await findings({ 'daemon.json': own('daemon.json'), 'nft-list-ruleset.txt': own('nft-two-tables-forward-drop.txt'), 'sysctl.txt': own('sysctl-bridge.txt'), ...HOST });
    const inserts = f.remedy.commands.filter((c) => / nft insert rule /.test(c));
    expect(inserts.map((c) => /nft insert rule (\S+ \S+ \S+)/.exec(c)?.[1]).sort()).toEqual(['inet filter forward', 'ip filter FORWARD']);
    expect(f.remedy.summary).not.toMatch(/Not all of it could be traced/);
  });
});

describe('healthy hosts: no finding', () => {
  it('Docker 27.3.1 (loads br_netfilter only when a network needs it), no sysctl', async () => {
    expect(await findings({ ...TICKET, ...HOST, 'docker-version.txt': dockerVersion('27.3.1') })).toEqual([]);
  });

  it('"ip6tables": false (the reporter\'s fix) on 27.2.0, no sysctl', async () => {
    expect(await findings({ ...TICKET, ...HOST, 'daemon.json': DAEMON_IP6_OFF, 'docker-version.txt': dockerVersion('27.2.0') })).toEqual([]);
  });

  it('bridge-nf-call-iptables = 0 (real sysctl output), on 27.2.0', async () => {
    expect(await findings({ ...TICKET, ...HOST, 'sysctl.txt': own('sysctl-bridge-off.txt'), 'docker-version.txt': dockerVersion('27.2.0') })).toEqual([]);
  });

  it('the forward chain accepts traffic within the bridge (the printed command run on the real rules)', async () => {
    for (const [file, text] of [
      ['iptables-save.txt', own('iptables-save-forward-accepts-bridge.txt')],
      ['nft-list-ruleset.txt', own('nft-inet-forward-accepts-bridge.txt')],
    ])
      expect(await findings({ 'daemon.json': own('daemon.json'), [file]: text, 'sysctl.txt': own('sysctl-bridge.txt'), ...HOST })).toEqual([]);
  });

  it('one container on the bridge (ip addr shows one veth on hass): no traffic between containers to drop', async () => {
    const oneVeth = own('ip-addr.txt').replace(/^7: vethc05e9d1@if2:[\s\S]*$/m, '');
    expect(oneVeth).not.toMatch(/vethc05e9d1/);
    expect(await findings({ ...TICKET, 'ip-addr.txt': oneVeth, 'ip-route.txt': own('ip-route.txt'), 'sysctl.txt': own('sysctl-bridge.txt') })).toEqual([]);
  });

  it('Docker manages iptables (no "iptables": false): it writes its own accepts', async () => {
    expect(await findings({ ...TICKET, 'daemon.json': DAEMON_IPTABLES_ON, 'sysctl.txt': own('sysctl-bridge.txt') })).toEqual([]);
  });
});

// ---- the remedy on the real kernel -------------------------------------------------------------

const bridgeNetfilter = existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
const hasNft = (() => {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!(canMakeNetns() && hasNft && bridgeNetfilter))('the printed commands on the ticket\'s ruleset, two containers on hass (real kernel)', () => {
  const h = `bdf3h${process.pid}`;
  const c1 = `bdf3a${process.pid}`;
  const c2 = `bdf3b${process.pid}`;
  const sh = (ns: string, cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  let server: ReturnType<typeof spawn> | undefined;
  const connects = () =>
    execFileSync('ip', ['netns', 'exec', c1, process.execPath, '-e', 'const s=require("net").connect(8080,"10.1.5.3",()=>{console.log("ok");process.exit(0)});s.setTimeout(1500,()=>{console.log("timeout");process.exit(0)});s.on("error",e=>{console.log(e.code);process.exit(0)})'], { encoding: 'utf8' }).trim() === 'ok';

  beforeAll(() => {
    for (const ns of [h, c1, c2]) execFileSync('ip', ['netns', 'add', ns]);
    sh(h, 'ip link add hass type bridge && ip addr add 10.1.5.1/24 dev hass && ip link set hass up && sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1');
    for (const [i, ns] of [c1, c2].entries()) {
      execFileSync('ip', ['link', 'add', `bdf3v${i}${process.pid}`.slice(0, 15), 'netns', h, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh(h, `ip link set ${`bdf3v${i}${process.pid}`.slice(0, 15)} master hass up`);
      sh(ns, `ip addr add 10.1.5.${i + 2}/24 dev eth0 && ip link set eth0 up && ip link set lo up`);
    }
    server = spawn('ip', ['netns', 'exec', c2, process.execPath, '-e', 'require("net").createServer((s)=>s.end()).listen(8080,"10.1.5.3",()=>console.log("up"))'], { stdio: ['ignore', 'pipe', 'ignore'] });
    return new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));
  });
  afterAll(() => {
    server?.kill();
    for (const ns of [c1, c2, h]) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('dropped under the ticket\'s ruleset; the printed commands, pasted twice, let the containers connect with one rule added', async () => {
    expect(connects()).toBe(true);
    sh(h, `nft -f - <<'EOF'\n${own('nft-list-ruleset.txt')}\nEOF`);
    expect(connects()).toBe(false);
    const [f] = await findings({ ...TICKET, ...HOST, 'docker-version.txt': dockerVersion('27.2.0') });
    const run = f.remedy.commands.filter((c) => !c.startsWith('#'));
    expect(run.some((c) => c.includes('nft insert rule'))).toBe(true);
    for (const c of [...run, ...run]) sh(h, c);
    const chain = sh(h, 'nft list chain ip filter FORWARD');
    expect(chain.split('\n').filter((l) => l.includes('iifname "hass" oifname "hass" accept'))).toHaveLength(1);
    expect(connects()).toBe(true);
    // the rules as they are now: nothing left to report
    expect(await findings({ ...TICKET, ...HOST, 'nft-list-ruleset.txt': sh(h, 'nft list ruleset'), 'docker-version.txt': dockerVersion('27.2.0') })).toEqual([]);
  });
});
