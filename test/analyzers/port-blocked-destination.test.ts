/**
 * iptables.port-blocked: the log's peer decides the path (a remote server is reached through
 * FORWARD, not INPUT), the client's symptom must fit the verdict, and the remedy persists one rule
 * without saving Docker's chains into the boot configuration.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace } from '../../src/netfilter/trace.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { hasSeeds, projectPath, seedsDir } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const SYSCONFIG_PATH = 'bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/etc/sysconfig/iptables';
/** the stock RHEL /etc/sysconfig/iptables (INPUT and FORWARD end in REJECT --reject-with icmp-host-prohibited) */
const SYSCONFIG = () => fx(SYSCONFIG_PATH);
/** the real healthy Docker + kube-proxy + flannel rules, with the stock RHEL INPUT rules added to filter (what remote-db / local-db hold) */
function healthyWithRhelInput(reject = '-A INPUT -j REJECT --reject-with icmp-host-prohibited'): string {
  const input = SYSCONFIG()
    .split('\n')
    .filter((l) => l.startsWith('-A INPUT'))
    .map((l) => (l.includes('-j REJECT') ? reject : l));
  const healthy = fx('test/fixtures/netfilter/nft/iptables-save').split('\n');
  const filter = healthy.indexOf('*filter');
  const commit = healthy.indexOf('COMMIT', filter);
  return [...healthy.slice(0, commit), ...input, ...healthy.slice(commit)].join('\n');
}
/** the findings for the database's port (the fixture's rules also publish 8080, which the default-deny blocks from docker0 too) */
const db = (findings: ReturnType<typeof runNode>) => findings.filter((f) => f.facts?.port === 5432);
const ipA = () => parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a');
const routes = () => parseRoutes(fx('test/fixtures/iproute2/ip_route_show_table_all'), 'ip_route');
/** psql < 14, as the billing api logged it: the server by name and address */
const psql = (error: string, host: string, address?: string) =>
  scanLogText(`2026-11-20 10:19:41 UTC [api] psql: could not connect to server: ${error}\n\tIs the server running on host "${host}"${address ? ` (${address})` : ''} and accepting\n\tTCP/IP connections on port 5432?\n`, 'api.log');

describe('iptables.port-blocked traces to the address the log names', () => {
  it('a remote database (10.20.30.40) is reached through FORWARD: Docker accepts it there, so the default-deny INPUT is not on its path and nothing fires', () => {
    const rules = parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt');
    const log = psql('Connection refused', 'db01.corp.example', '10.20.30.40');
    expect(log.matches.find((m) => m.signature === 'log.connection-refused')?.facts).toMatchObject({ address: '10.20.30.40', port: '5432' });
    expect(db(runNode(portBlocked, { iptables: [rules], ipAddr: [ipA()], routes: [routes()], logs: [log] }))).toEqual([]);
    // the tracer agrees: forwarded and accepted
    const r = trace(mergeRulesets([rules]), 'forward', { src: '172.17.0.2', dst: '10.20.30.40', protocol: 'tcp', dport: 5432, sport: 40000, inInterface: 'docker0', outInterface: 'eth0', state: 'new', mark: 0 }, { localAddresses: ['192.168.56.11', '172.17.0.1', '10.244.1.1', '127.0.0.1'] });
    expect(r.path).toBe('forward');
    expect(r.verdict.kind).toBe('ACCEPT');
  });

  it('the same rules fire when the log names the docker0 address (local-db): the RHEL REJECT (INPUT rule 9, after kube-proxy\'s 4) named, "No route to host" is what it gives', () => {
    const rules = parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt');
    const [f, ...rest] = db(runNode(portBlocked, { iptables: [rules], ipAddr: [ipA()], routes: [routes()], logs: [psql('No route to host', '172.17.0.1')] }));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ port: 5432, from: ['172.17.0.0/16 (docker0)'], to: ['172.17.0.1'], clientSees: 'unreachable' });
    expect(f.facts).not.toHaveProperty('logSymptomMismatch');
    expect(f.evidence[0]).toMatchObject({ excerpt: '-A INPUT -j REJECT --reject-with icmp-host-prohibited', note: expect.stringMatching(/^filter\/INPUT rule 9 rejects docker0 -> 172\.17\.0\.1:5432$/) });
    expect(f.message).toMatch(/get "No route to host"\.$/);
  });

  it('the host\'s own eth0 address is local too: INPUT path', () => {
    const rules = parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt');
    const [f] = db(runNode(portBlocked, { iptables: [rules], ipAddr: [ipA()], routes: [routes()], logs: [psql('No route to host', 'node1', '192.168.56.11')] }));
    expect(f.facts).toMatchObject({ to: ['192.168.56.11'], blockedBy: ['INPUT#9', 'INPUT#9'] });
    expect(f.message).toMatch(/TCP port 5432 to 192\.168\.56\.11 \(an address of this node\)/);
  });

  it('a remote server behind a FORWARD that rejects (the stock config restored over Docker) is named with the FORWARD rule and a remedy for that destination', () => {
    const stock = parseIptablesSave(SYSCONFIG(), 'etc-sysconfig-restored');
    const [f] = runNode(portBlocked, { iptables: [stock], ipAddr: [ipA()], routes: [routes()], logs: [psql('No route to host', 'db01.corp.example', '10.20.30.40')] });
    expect(f.facts).toMatchObject({ to: ['10.20.30.40'], blockedBy: ['FORWARD#1', 'FORWARD#1'] });
    expect(f.message).toMatch(/10\.20\.30\.40 \(forwarded: not an address of this node\)/);
    expect(f.remedy.commands[0]).toBe('iptables -I FORWARD 1 -i docker0 -d 10.20.30.40/32 -p tcp --dport 5432 -j ACCEPT');
    // firewalld: a zone's rich rule filters traffic to the host only; forwarded traffic takes a policy (reviewer R1, D5)
    expect(f.remedy.commands.some((c) => /add-rich-rule=/.test(c))).toBe(false);
    expect(f.remedy.commands).toContainEqual(expect.stringMatching(/^# with firewalld, forwarded traffic \(to 10\.20\.30\.40 port 5432\) is not opened by a zone's rich rule: it takes a policy from the zone of docker0/));
  });

  it('a refused-log is not claimed to be explained by an icmp-host-prohibited REJECT; a plain REJECT (port-unreachable) does give "Connection refused"', () => {
    const rules = parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt');
    const [f] = db(runNode(portBlocked, { iptables: [rules], ipAddr: [ipA()], routes: [routes()], logs: [psql('Connection refused', '172.17.0.1')] }));
    expect(f.facts).toMatchObject({ clientSees: 'unreachable', logSymptomMismatch: ['api.log:1'] });
    expect(f.message).toMatch(/The log says "Connection refused" \(api\.log:1\), which this REJECT \(icmp-host-prohibited\) does not produce/);
    expect(f.evidence.find((e) => e.file === 'api.log')?.note).toMatch(/not explained by it/);
    const plain = parseIptablesSave(healthyWithRhelInput('-A INPUT -j REJECT'), 'iptables-save.txt');
    const [g] = db(runNode(portBlocked, { iptables: [plain], ipAddr: [ipA()], routes: [routes()], logs: [psql('Connection refused', '172.17.0.1')] }));
    expect(g.facts).toMatchObject({ clientSees: 'refused' });
    expect(g.facts).not.toHaveProperty('logSymptomMismatch');
    expect(g.message).not.toMatch(/does not produce/);
  });

  it.skipIf(!hasSeeds)('seed 002: the log names no address (host.domain.com): traced to the docker0 address as before, with the symptom mismatch stated', () => {
    const seed = readFileSync(join(seedsDir, '002_2a8c04afe49bbc5e.txt'), 'utf8');
    const line = seed.split('\n').find((l) => l.startsWith('psql: could not connect'))!;
    const log = scanLogText(`${line}\n`, 'api-container.log');
    const [f] = db(runNode(portBlocked, { iptables: [parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt')], ipAddr: [ipA()], routes: [routes()], logs: [log] }));
    expect(f.facts).toMatchObject({ to: ['172.17.0.1', '10.244.1.1'], blockedBy: ['INPUT#9', 'INPUT#9'], logSymptomMismatch: ['api-container.log:1'] });
    expect(f.evidence.find((e) => e.file === 'api-container.log')?.note).toMatch(/host\.domain\.com: no address in the bundle/);
  });

  it('a log naming localhost is the container\'s (or the host\'s) loopback: no bridge path, nothing to trace', () => {
    const rules = parseIptablesSave(healthyWithRhelInput(), 'iptables-save.txt');
    expect(db(runNode(portBlocked, { iptables: [rules], ipAddr: [ipA()], logs: [psql('Connection refused', 'localhost', '127.0.0.1')] }))).toEqual([]);
  });
});

describe('iptables.port-blocked remedy persists one rule, never the live rules', () => {
  it('no iptables-save over /etc/sysconfig/iptables; the sed it gives adds exactly the one ACCEPT to the saved config, which then lets the port in', () => {
    const live = parseIptablesSave(SYSCONFIG(), 'sosreport/etc-live');
    const saved = parseIptablesSave(SYSCONFIG(), 'sosreport-docker-host-01/etc/sysconfig/iptables', { origin: 'saved-config' });
    const [f] = runNode(portBlocked, { iptables: [live, saved], ipAddr: [ipA()] }, 'n', [5432]);
    const all = [...f.remedy.commands, f.remedy.summary, f.remedy.caution ?? ''].join('\n');
    expect(all).not.toMatch(/iptables-save\s*>/);
    expect(f.remedy.commands.filter((c) => !c.startsWith('#')).every((c) => !/iptables-save|service iptables save|netfilter-persistent save/.test(c))).toBe(true);
    const sed = f.remedy.commands.find((c) => c.startsWith('sed '))!;
    expect(sed).toMatch(/ \/etc\/sysconfig\/iptables$/);
    // run it (GNU sed) on a copy of the saved config
    const dir = mkdtempSync(join(tmpdir(), 'bd-sed-'));
    const copy = join(dir, 'iptables');
    writeFileSync(copy, SYSCONFIG());
    execFileSync('sh', ['-c', sed.replace(/\/etc\/sysconfig\/iptables$/, copy)]);
    const after = readFileSync(copy, 'utf8');
    const added = after.split('\n').filter((l) => !SYSCONFIG().split('\n').includes(l));
    expect(added).toEqual(['-A INPUT -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT', '-A INPUT -i cni0 -p tcp -m tcp --dport 5432 -j ACCEPT'].filter((l) => sed.includes(l)));
    expect(after).not.toMatch(/DOCKER/);
    // the saved config, restored, now lets docker0 in on 5432
    const restored = parseIptablesSave(after, 'restored');
    expect(runNode(portBlocked, { iptables: [restored], ipAddr: [ipA()] }, 'n', [5432]).filter((x) => (x.facts?.from as string[]).includes('172.17.0.0/16 (docker0)'))).toEqual([]);
  });

  it('without the saved config in the bundle it says to add the one line by hand, and offers firewalld rules that need no reload', () => {
    const [f] = runNode(portBlocked, { iptables: [parseIptablesSave(SYSCONFIG(), 'live')], ipAddr: [ipA()] }, 'n', [5432]);
    expect(f.remedy.commands).toContain('#   -A INPUT -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT   (above the line "-A INPUT -j REJECT --reject-with icmp-host-prohibited")');
    const fw = f.remedy.commands.find((c) => /firewall-cmd .*--add-rich-rule/.test(c))!;
    // in the zone docker0 is in (traffic from it is filtered there), else the default zone: not the default zone blindly
    expect(fw).toMatch(/^z=\$\(firewall-cmd --get-zone-of-interface=docker0 2>\/dev\/null \|\| firewall-cmd --get-default-zone\) && /);
    expect(fw).toMatch(/--permanent --zone="\$z" --add-rich-rule='rule family="ipv4" source address="172\.17\.0\.0\/16" port port="5432" protocol="tcp" accept'/);
    expect(fw).not.toMatch(/--reload/);
    expect([...f.remedy.commands, f.remedy.caution].join('\n')).not.toMatch(/iptables-save\s*>/);
  });
});
