/**
 * forward-blocks-containers: its remedy, applied, must make the finding go away (replies too, no
 * loop); docker-chain-missing: Docker 28+ chains unreachable from FORWARD, nat OUTPUT's jump, and a
 * docker.service that failed to start (nothing flushed anything).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logSourceOf } from '../../src/layouts/logs.js';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave, parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { canMakeNetns, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const SOS = 'bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711';
const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
/** the stock RHEL config iptables.service restored over Docker's rules (the live rules of that sosreport) */
const SYSCONFIG = () => fx(SOS, 'etc/sysconfig/iptables');
const ipA = () => parseInterfaces(fx(SOS, 'sos_commands/networking/ip_-d_address'), 'ip_-d_address');
const routes = () => parseRoutes(fx(SOS, 'sos_commands/networking/ip_route_show_table_all'), 'ip_route');
const forward = (save: string) => runNode(forwardBlocks, { iptables: [parseIptablesSave(save, 'iptables-save')], ipAddr: [ipA()], routes: [routes()] });

/**
 * What an operator does with a remedy: run its iptables commands (not the comments, not systemctl)
 * on the rules. Applied to an iptables-save text's filter table: -I CHAIN [N], -A CHAIN, -D CHAIN N|spec,
 * and the guarded insert `iptables -C CHAIN spec 2>/dev/null || iptables -I CHAIN [N] spec`: the -I runs
 * only when -C fails (the chain does not hold that spec); the -C must name the table, chain and spec the
 * -I inserts, else the guard could never hold and a second paste would duplicate the rule.
 */
function apply(save: string, commands: string[]): string {
  const lines = save.split('\n');
  const start = lines.indexOf('*filter');
  const end = lines.indexOf('COMMIT', start);
  const section = lines.slice(start + 1, end);
  const headers = section.filter((l) => l.startsWith(':'));
  const chains = new Map(headers.map((h) => [h.slice(1).split(' ')[0], [] as string[]]));
  for (const l of section.filter((x) => x.startsWith('-A '))) chains.get(l.split(' ')[1])!.push(l.split(' ').slice(2).join(' '));
  const parse = (cmd: string) => {
    expect(cmd, cmd).toMatch(/^iptables /);
    const t = cmd.split(/\s+/).slice(1);
    let table = 'filter';
    if (t[0] === '-t') {
      table = t[1];
      t.splice(0, 2);
    }
    const [op, chain, ...rest] = t;
    const at = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) : undefined;
    return { table, op, chain, at, spec: rest.join(' ') };
  };
  for (const raw of commands) {
    let cmd = raw.replace(/\s+#.*$/, '').trim();
    if (!cmd.startsWith('iptables ')) continue;
    // `iptables -D CHAIN spec 2>/dev/null; <guarded insert>`: an accept the chain holds below the blocking rule, moved up
    const moved = /^(iptables (?:-t \S+ )?-D \S+ .+?) 2>\/dev\/null; (iptables .*)$/.exec(cmd);
    if (moved) {
      const del = parse(moved[1]);
      const i = chains.get(del.chain)!.indexOf(del.spec);
      if (i >= 0) chains.get(del.chain)!.splice(i, 1);
      cmd = moved[2];
    }
    const guarded = cmd.split(' || ');
    expect(guarded.length, cmd).toBeLessThanOrEqual(2);
    if (guarded.length === 2) {
      const check = parse(guarded[0].replace(/\s+2>\/dev\/null$/, ''));
      const insert = parse(guarded[1]);
      expect(check.op, cmd).toBe('-C');
      expect(check.at, cmd).toBeUndefined();
      expect(insert.op, cmd).toBe('-I');
      expect({ table: check.table, chain: check.chain, spec: check.spec }, cmd).toEqual({ table: insert.table, chain: insert.chain, spec: insert.spec });
      if (chains.get(check.chain)!.includes(check.spec)) continue; // -C succeeds: the rule is there, no insert
      cmd = guarded[1];
    }
    const { table, op, chain, at, spec } = parse(cmd);
    expect(table).toBe('filter');
    const rules = chains.get(chain)!;
    if (op === '-I') rules.splice((at ?? 1) - 1, 0, spec);
    else if (op === '-A') rules.push(spec);
    else if (op === '-D') {
      const i = at !== undefined ? at - 1 : rules.indexOf(spec);
      expect(i, `${cmd}: no such rule`).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(rules.length);
      rules.splice(i, 1);
    } else throw new Error(`not modelled: ${cmd}`);
  }
  const body = [...chains].flatMap(([c, rs]) => rs.map((r) => `-A ${c} ${r}`));
  return [...lines.slice(0, start + 1), ...headers, ...body, ...lines.slice(end)].join('\n');
}

describe('iptables.forward-blocks-containers: the remedy works when applied', () => {
  it('the stock config over Docker: the inserts it gives (replies included) make the finding go away', () => {
    const [f] = forward(SYSCONFIG());
    expect(f.facts).toMatchObject({ bridge: 'docker0', decidedBy: 'filter/FORWARD#1' });
    expect(f.remedy.commands).toContain('iptables -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I FORWARD 1 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies to the containers');
    const once = apply(SYSCONFIG(), f.remedy.commands);
    expect(forward(once)).toEqual([]);
    // safe to paste twice: the second paste adds nothing
    expect(apply(SYSCONFIG(), [...f.remedy.commands, ...f.remedy.commands])).toBe(once);
  });

  it('an accept appended below the REJECT by hand (it never matches there): moved up, not skipped by -C; pasted twice, one copy', () => {
    // H36 reproduced it with the real iptables: -C finds the rule anywhere in the chain, so the guarded insert did nothing
    const appended = SYSCONFIG().replace('\nCOMMIT', '\n-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT');
    expect(appended).not.toBe(SYSCONFIG());
    const [f] = forward(appended);
    expect(f.remedy.commands).toContain(
      'iptables -D FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null; iptables -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I FORWARD 1 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies to the containers (the chain holds it below the blocking rule, where it never matches: moved up)',
    );
    const once = apply(appended, f.remedy.commands);
    expect(forward(once)).toEqual([]);
    // a second paste moves the same rule up again (the accepts above the REJECT may change order among themselves): the same rules, once each
    const twice = apply(appended, [...f.remedy.commands, ...f.remedy.commands]);
    expect(twice.split('\n').sort()).toEqual(once.split('\n').sort());
    expect(forward(twice)).toEqual([]);
    expect(once.split('\n').filter((l) => l === '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')).toHaveLength(1);
  });

  it('the alternative, deleting the blocking rule, does not assume the inserts ran: by its spec, and it works on its own', () => {
    const [f] = forward(SYSCONFIG());
    const del = f.remedy.commands.find((c) => /iptables -D /.test(c))!;
    expect(del).toBe('# or instead, remove the blocking rule itself: iptables -D FORWARD -j REJECT --reject-with icmp-host-prohibited');
    expect(forward(apply(SYSCONFIG(), [del.replace(/^.*?: /, '')]))).toEqual([]);
  });

  it('no loop: after the old remedy (-I FORWARD 1 -s 172.17.0.0/16 -j ACCEPT, the remedy-applied bundle) the replies are still rejected; the new remedy for that state ends it', () => {
    const old = apply(SYSCONFIG(), ['iptables -I FORWARD 1 -s 172.17.0.0/16 -j ACCEPT']);
    const [f, ...rest] = forward(old);
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/the reply from the outside back to 172\.17\.0\.0\/16 \(docker0\) is rejected by filter\/FORWARD rule 2/);
    expect(f.remedy.commands.some((c) => /-s 172\.17\.0\.0\/16 -j ACCEPT/.test(c))).toBe(false);
    expect(forward(apply(old, f.remedy.commands))).toEqual([]);
    // its delete alternative names the REJECT by spec, not "rule 3" after inserts that may not have run
    const del = f.remedy.commands.find((c) => /iptables -D /.test(c))!;
    expect(forward(apply(old, [del.replace(/^.*?: /, '')]))).toEqual([]);
  });

  it('the listing format (the remedy-applied sosreport): the delete is rebuilt as a rule spec from the listing', () => {
    const listing = fx(SOS, 'sos_commands/firewall_tables/iptables_-t_filter_-nvL').split('\n');
    const fwd = listing.findIndex((l) => l.startsWith('Chain FORWARD'));
    listing.splice(fwd + 2, 0, '    0     0 ACCEPT     0    --  *      *       172.17.0.0/16        0.0.0.0/0           ');
    const rs = parseIptablesList(listing.join('\n'), 'sos_commands/firewall_tables/iptables_-t_filter_-nvL', { table: 'filter' });
    const [f] = runNode(forwardBlocks, { iptables: [rs], ipAddr: [ipA()], routes: [routes()] });
    expect(f.facts).toMatchObject({ decidedBy: 'filter/FORWARD#2' });
    expect(f.remedy.commands).toEqual([
      '# Option A (restarts every container): Docker inserts its FORWARD rules ahead of rule 2; run the line below without its "# ", and skip option B:',
      '# systemctl restart docker',
      "# Option B (no restart; safe to paste twice): accept the bridge's traffic ahead of rule 2:",
      'iptables -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I FORWARD 2 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies to the containers',
      "iptables -C FORWARD -i docker0 ! -o docker0 -j ACCEPT 2>/dev/null || iptables -I FORWARD 2 -i docker0 ! -o docker0 -j ACCEPT   # the containers' own connections (172.17.0.0/16)",
      'iptables -C FORWARD -i docker0 -o docker0 -j ACCEPT 2>/dev/null || iptables -I FORWARD 2 -i docker0 -o docker0 -j ACCEPT   # containers on docker0 reaching each other (bridged traffic passes iptables: net.bridge.bridge-nf-call-iptables = 1 or not known)',
      '# or instead, remove the blocking rule itself: iptables -D FORWARD -j REJECT --reject-with icmp-host-prohibited',
    ]);
    expect(`${f.remedy.caution}`).not.toMatch(/iptables-save\s*>/);
  });

  it('healthy rules are silent', () => {
    expect(forward(fx('test/fixtures/netfilter/nft/iptables-save'))).toEqual([]);
  });

  it.skipIf(!canMakeNetns())('the real iptables agrees: restore the stock config in a namespace, run the remedy, iptables-save: nothing blocks', () => {
    const ns = `bdfix${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: apply(SYSCONFIG(), ['iptables -I FORWARD 1 -s 172.17.0.0/16 -j ACCEPT']) });
      const [f] = forward(execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' }));
      expect(f.facts).toMatchObject({ decidedBy: 'filter/FORWARD#2' });
      const run = () => {
        for (const c of f.remedy.commands.filter((x) => x.startsWith('iptables '))) execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', c]);
        return execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' });
      };
      const rulesOf = (save: string) => save.replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '');
      const once = run();
      expect(forward(once)).toEqual([]);
      // pasted a second time (the -C guards hold): not one rule more
      expect(rulesOf(run())).toBe(rulesOf(once));
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

/** The real Docker rules of the corpus with FORWARD's jumps removed and its policy DROP (what a FORWARD flush leaves). */
function fwdFlushed(file: string): string {
  return readCorpus('iptables-save', file)
    .split('\n')
    .filter((l) => !l.startsWith('-A FORWARD '))
    .map((l) => (l === '-P FORWARD ACCEPT' ? '-P FORWARD DROP' : l))
    .join('\n');
}

describe.skipIf(!hasCorpus)('iptables.docker-chain-missing: chains that exist but FORWARD does not reach', () => {
  it('Docker 28 with FORWARD flushed: DOCKER-BRIDGE still jumps to DOCKER, but DOCKER-FORWARD is unreachable: fires', () => {
    const f = 'moby-docker28-swarm-ingress-iptables-S.txt';
    const [m] = runNode(dockerChainMissing, { iptables: [parseIptablesSpec(fwdFlushed(f), f)], ipAddr: [ipA()] });
    expect(m.severity).toBe('critical');
    expect(m.evidence[0].excerpt).toMatch(/^filter FORWARD does not reach Docker's chains DOCKER-FORWARD, DOCKER-USER .*so DOCKER, DOCKER-BRIDGE, DOCKER-CT, DOCKER-INGRESS, DOCKER-ISOLATION-STAGE-1, DOCKER-ISOLATION-STAGE-2 behind DOCKER-FORWARD are never consulted$/);
    expect(m.message).not.toMatch(/fail to start with "No chain/);
    expect(m.remedy.commands[0]).toBe('systemctl restart docker');
  });

  it('Docker 27 and 29 with FORWARD flushed fire too; their untouched rules do not', () => {
    for (const f of ['moby-docker27-new-daemon-iptables-S.txt', 'moby-docker29-usernet-portmap-iptables-S.txt']) {
      const [m] = runNode(dockerChainMissing, { iptables: [parseIptablesSpec(fwdFlushed(f), f)], ipAddr: [ipA()] });
      expect(m?.severity, f).toBe('critical');
      expect(m.evidence[0].excerpt, f).toMatch(/^filter FORWARD does not reach Docker's chains? (DOCKER|DOCKER-FORWARD)\b/);
      expect(runNode(dockerChainMissing, { iptables: [parseIptablesSpec(readCorpus('iptables-save', f), f)], ipAddr: [ipA()] }), f).toEqual([]);
    }
  });

  it('a FORWARD that passes through other chains first (calico#1129\'s cali-FORWARD jump ahead of Docker 28\'s) still reaches Docker: silent', () => {
    const f = 'moby-docker28-swarm-ingress-iptables-S.txt';
    const cali = readCorpus('iptables-save', 'calico-1129-iptables-save-c-counters-cali-docker-isolation-fragment.txt').split('\n').find((l) => l.includes('-j cali-FORWARD'))!.replace(/^\[\d+:\d+\] /, '');
    const text = readCorpus('iptables-save', f).replace('-N DOCKER\n', '-N DOCKER\n-N cali-FORWARD\n').replace('-A FORWARD -j DOCKER-USER', `${cali}\n-A FORWARD -j DOCKER-USER`);
    const rs = parseIptablesSpec(text, f);
    expect(rs.tables.filter.chains.FORWARD.rules[0].target).toBe('cali-FORWARD');
    expect(runNode(dockerChainMissing, { iptables: [rs], ipAddr: [ipA()] })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('iptables.docker-chain-missing: nat OUTPUT', () => {
  it('nat OUTPUT without its jump to DOCKER (PREROUTING intact) is a warning; with PREROUTING gone too it is critical', () => {
    const f = 'moby-docker27-new-daemon-iptables-S.txt';
    const text = readCorpus('iptables-save', f);
    const noOutput = text.split('\n').filter((l) => !/^-A OUTPUT .*-j DOCKER$/.test(l)).join('\n');
    const [m, ...rest] = runNode(dockerChainMissing, { iptables: [parseIptablesSpec(noOutput, f)], ipAddr: [ipA()] });
    expect(rest).toEqual([]);
    expect(m.severity).toBe('warning');
    expect(m.evidence[0].excerpt).toMatch(/^nat OUTPUT does not jump to DOCKER/);
    const neither = noOutput.split('\n').filter((l) => !/^-A PREROUTING .*-j DOCKER$/.test(l)).join('\n');
    const [n] = runNode(dockerChainMissing, { iptables: [parseIptablesSpec(neither, f)], ipAddr: [ipA()] });
    expect(n.severity).toBe('critical');
    expect(n.evidence.map((e) => e.excerpt.split(' (')[0])).toEqual(expect.arrayContaining(['nat PREROUTING does not jump to DOCKER', 'nat OUTPUT does not jump to DOCKER']));
  });

  it('with "userland-proxy": false in daemon.json no docker-proxy answers instead: nat OUTPUT alone is critical, and says why', () => {
    const f = 'moby-docker27-new-daemon-iptables-S.txt';
    const noOutput = readCorpus('iptables-save', f).split('\n').filter((l) => !/^-A OUTPUT .*-j DOCKER$/.test(l)).join('\n');
    const daemon = parseDockerDaemonJson('{\n  "userland-proxy": false,\n  "log-driver": "journald"\n}\n', 'etc/docker/daemon.json');
    const [m] = runNode(dockerChainMissing, { iptables: [parseIptablesSpec(noOutput, f)], ipAddr: [ipA()], dockerDaemon: [daemon] });
    expect(m.severity).toBe('critical');
    expect(m.evidence[0].excerpt).toMatch(/daemon\.json turns docker-proxy off \("userland-proxy": false, etc\/docker\/daemon\.json:2\)/);
    // proxy on (the default, or said so): the warning as before
    const on = parseDockerDaemonJson('{ "userland-proxy": true }', 'etc/docker/daemon.json');
    expect(runNode(dockerChainMissing, { iptables: [parseIptablesSpec(noOutput, f)], ipAddr: [ipA()], dockerDaemon: [on] })[0].severity).toBe('warning');
  });

  it('a jump through another chain counts (Docker 28 swarm: OUTPUT -> DOCKER-INGRESS, OUTPUT -> DOCKER); a dump cut after PREROUTING says nothing of OUTPUT', () => {
    const f = 'moby-docker28-swarm-ingress-iptables-S.txt';
    expect(runNode(dockerChainMissing, { iptables: [parseIptablesSpec(readCorpus('iptables-save', f), f)], ipAddr: [ipA()] })).toEqual([]);
    const cut = 'kubeadm-784-arm-node-nat-no-kube-svc-truncated.txt';
    expect(runNode(dockerChainMissing, { iptables: [parseIptablesSave(readCorpus('iptables-save', cut), cut)], ipAddr: [ipA()] })).toEqual([]);
  });
});

describe('iptables.docker-chain-missing when docker.service failed to start', () => {
  const UNITS = parseSystemctlText(
    [
      '  UNIT                           LOAD   ACTIVE SUB     DESCRIPTION',
      '  containerd.service             loaded active running containerd container runtime',
      '● docker.service                 loaded failed failed  Docker Application Container Engine',
      '  docker.socket                  loaded active listening Docker Socket for the API',
      '',
      '3 loaded units listed. Pass --all to see loaded but inactive units, too.',
      '',
    ].join('\n'),
    'sos_commands/systemd/systemctl_list-units',
  );
  const FILES = parseSystemctlText('UNIT FILE                                     STATE   \ndocker.service                                enabled \ndocker.socket                                 enabled \n\n2 unit files listed.\n', 'sos_commands/systemd/systemctl_list-unit-files');
  /** live rules without any Docker chain (the sosreport's listings of the stock RHEL config) */
  const plain = () => ['filter', 'nat'].map((t) => parseIptablesList(fx(SOS, `sos_commands/firewall_tables/iptables_-t_${t}_-nvL`), `iptables_-t_${t}_-nvL`, { table: t }));
  const ipNoDocker = () => parseInterfaces('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n    inet 10.33.188.138/24 brd 10.33.188.255 scope global noprefixroute eth0\n', 'ip_-d_address');
  const journal = (text: string) => scanLogText(text, 'sos_commands/docker/journalctl_--no-pager_--unit_docker', { year: 2026 });

  it('says dockerd is not running (failed), points at the unit state and the journal, and does not prescribe a restart loop', () => {
    const logs = journal('Nov 20 07:58:31 web-07 dockerd[1022]: time="2026-11-20T07:58:31.402Z" level=info msg="Starting up"\nNov 20 07:58:32 web-07 dockerd[1022]: failed to start daemon: error initializing graphdriver: driver not supported: overlay2\nNov 20 07:58:32 web-07 systemd[1]: Failed to start Docker Application Container Engine.\n');
    const [m] = runNode(dockerChainMissing, { iptables: plain(), ipAddr: [ipNoDocker()], services: [FILES, UNITS], logs: [logs] });
    expect(m.severity).toBe('critical');
    expect(m.message).toMatch(/dockerd is not running: docker\.service is failed \(sos_commands\/systemd\/systemctl_list-units:3\)/);
    expect(m.message).not.toMatch(/Docker runs|flushed them:|Something flushed/);
    expect(m.evidence[0]).toMatchObject({ file: 'sos_commands/systemd/systemctl_list-units', line: 3, note: expect.stringMatching(/docker\.service is failed/) });
    expect(m.evidence.some((e) => e.file === 'sos_commands/docker/journalctl_--no-pager_--unit_docker')).toBe(true);
    expect(m.facts).toMatchObject({ dockerd: 'failed' });
    expect(m.remedy.commands).not.toContain('systemctl restart docker');
    expect(m.remedy.commands.some((c) => c.startsWith('journalctl -u docker'))).toBe(true);
  });

  it("finds dockerd's journal by the writer the layout named, not by its path: kURL's run-host/journalctl-docker.txt; containerd's journal is not it", () => {
    // no start error a signature knows: the journal itself is what to read
    const text = 'Nov 20 07:58:31 web-07 dockerd[1022]: time="2026-11-20T07:58:31.402Z" level=info msg="Starting up"\nNov 20 07:58:32 web-07 dockerd[1022]: time="2026-11-20T07:58:32.118Z" level=info msg="Processing signal \'terminated\'"\nNov 20 07:58:32 web-07 systemd[1]: docker.service: Main process exited, code=exited, status=1/FAILURE\n';
    const docker = scanLogText(text, 'host-collectors/run-host/journalctl-docker.txt', { year: 2026, source: logSourceOf('host-collectors/run-host/journalctl-docker.txt') });
    const containerd = scanLogText('Nov 20 07:58:30 web-07 containerd[990]: time="2026-11-20T07:58:30.101Z" level=info msg="containerd successfully booted in 0.04s"\n', 'host-collectors/run-host/journalctl-containerd.txt', { year: 2026, source: logSourceOf('host-collectors/run-host/journalctl-containerd.txt') });
    expect(docker.source).toEqual({ unit: 'docker' });
    const [m] = runNode(dockerChainMissing, { iptables: plain(), ipAddr: [ipNoDocker()], services: [FILES, UNITS], logs: [containerd, docker] });
    expect(m.evidence.filter((e) => e.excerpt.includes("dockerd's journal")).map((e) => e.file)).toEqual(['host-collectors/run-host/journalctl-docker.txt']);
    expect(m.message).toMatch(/Its start error is in host-collectors\/run-host\/journalctl-docker\.txt\./);
  });

  it.skipIf(!hasCorpus)('names the start error when a signature catches it (moby#37694: the nat table does not exist)', () => {
    const logs = journal(readCorpus('logs/moby-37694-dockerd-nat-table-does-not-exist-centos7.log').replace(/^8月 /gm, 'Aug '));
    const [m] = runNode(dockerChainMissing, { iptables: plain(), ipAddr: [ipNoDocker()], services: [FILES, UNITS], logs: [logs] });
    expect(m.message).toMatch(/The log says why it did not start: .*Error initializing network controller/);
  });

  it('docker.service enabled but not among the units list-units shows (sos runs it without --all): not running (inactive); start it', () => {
    const listed = parseSystemctlText('  UNIT                           LOAD   ACTIVE SUB     DESCRIPTION\n  containerd.service             loaded active running containerd container runtime\n  sshd.service                   loaded active running OpenSSH server daemon\n\n2 loaded units listed. Pass --all to see loaded but inactive units, too.\n', 'sos_commands/systemd/systemctl_list-units');
    const [m] = runNode(dockerChainMissing, { iptables: plain(), ipAddr: [ipNoDocker()], services: [FILES, listed] });
    expect(m.message).toMatch(/dockerd is not running: docker\.service is inactive \(sos_commands\/systemd\/systemctl_list-units\)/);
    expect(m.facts).toMatchObject({ dockerd: 'inactive' });
    expect(m.remedy.commands[0]).toBe('systemctl start docker');
  });

  it('docker.service active: the flushed-chains diagnosis and its restart stand', () => {
    const active = parseSystemctlText('  UNIT                           LOAD   ACTIVE SUB     DESCRIPTION\n  docker.service                 loaded active running Docker Application Container Engine\n\n1 loaded units listed.\n', 'sos_commands/systemd/systemctl_list-units');
    const [m] = runNode(dockerChainMissing, { iptables: plain(), ipAddr: [ipNoDocker()], services: [FILES, active] });
    expect(m.message).toMatch(/^Docker runs on node-1 but no DOCKER chain in the filter table/);
    expect(m.remedy.commands[0]).toBe('systemctl restart docker');
  });
});
