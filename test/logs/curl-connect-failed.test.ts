/**
 * Recent curl (7.88 here, 8.x; git through libcurl too) print the error code's text, not the socket's: a refused
 * port, a REJECT and an unanswered SYN all read `Failed to connect to H port N after T ms: Couldn't
 * connect to server`; only the time tells an answer from none. The lines here are printed by the real
 * curl in a throw-away namespace; the analyzers must take the port from them and not read an answer as
 * a timeout (or a timeout as an answer).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { connectionSymptom } from '../../analyzers/lib/logs.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { canMakeNetns } from '../helpers/shared.js';
import { runNode } from '../analyzers/helpers.js';

const ns = `bdcurl${process.pid}`;
const haveNetns = canMakeNetns();
const haveCurl = spawnSync('curl', ['--version']).status === 0;

const inNs = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 20_000 });

/** What curl printed on stderr, as an application's log in a container holds it (Docker's syslog driver tags lines with the container id). */
const asContainerLog = (curlLines: string[]) => curlLines.map((l, i) => `Dec  2 10:00:0${i} docker-host-01 9f2e1c7b3a5d[2211]: ${l}`).join('\n');

describe.skipIf(!haveNetns || !haveCurl)('what the real curl prints, read as connection failures', () => {
  let printed: Record<string, string> = {};
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs('ip', 'addr', 'add', '10.9.0.1/24', 'dev', 'lo');
    inNs('iptables', '-A', 'OUTPUT', '-d', '10.9.0.1', '-p', 'tcp', '--dport', '81', '-j', 'DROP');
    inNs('iptables', '-A', 'OUTPUT', '-d', '10.9.0.1', '-p', 'tcp', '--dport', '82', '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited');
    const curl = (port: number) => inNs('curl', '-sS', '--connect-timeout', '1', `http://10.9.0.1:${port}/`).stderr.trim();
    printed = { closed: curl(80), dropped: curl(81), rejected: curl(82) };
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('closed port and REJECT: "after 0 ms: Couldn\'t connect to server", an answer; DROP at curl\'s own timeout: a timeout', () => {
    // the wording this test is about (the code's text, not the socket error's)
    expect(printed.closed).toMatch(/^curl: \(7\) Failed to connect to 10\.9\.0\.1 port 80 after \d+ ms: Couldn't connect to server$/);
    expect(printed.rejected).toMatch(/port 82 after \d+ ms: Couldn't connect to server$/);
    expect(printed.dropped).toMatch(/^curl: \(28\) Failed to connect to 10\.9\.0\.1 port 81 after 1\d{3} ms: Timeout was reached$/);
    const log = scanLogText([printed.closed, printed.dropped, printed.rejected].join('\n'), 'app.log');
    // log.client-connect-step (quiet: the client's own steps, read beside the failure) is left out
    expect(log.matches.filter((m) => m.signature !== 'log.client-connect-step').map((m) => [m.line, m.signature, m.facts.host, m.facts.port, connectionSymptom(m)])).toEqual([
      [1, 'log.connection-failed', '10.9.0.1', '80', 'answered'],
      [2, 'log.connection-timed-out', '10.9.0.1', '81', 'timeout'],
      [3, 'log.connection-failed', '10.9.0.1', '82', 'answered'],
    ]);
  });
});

describe("curl's 'Couldn't connect to server' in the analyzers", () => {
  // the stock RHEL 7 INPUT: everything not accepted before is rejected with icmp-host-prohibited
  const STOCK = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -p icmp -j ACCEPT',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
    '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
    '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
    'COMMIT',
    '',
  ].join('\n');
  const IP_A = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '       valid_lft forever preferred_lft forever',
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP group default qlen 1000',
    '    link/ether 52:54:00:8a:3c:11 brd ff:ff:ff:ff:ff:ff',
    '    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0',
    '       valid_lft 85914sec preferred_lft 85914sec',
    '3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default',
    '    link/ether 02:42:5c:1d:7e:21 brd ff:ff:ff:ff:ff:ff',
    '    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0',
    '       valid_lft forever preferred_lft forever',
    '',
  ].join('\n');
  const artifacts = (lines: string[]) => ({
    iptables: [parseIptablesSave(STOCK, 'iptables-save')],
    ipAddr: [parseInterfaces(IP_A, 'ip_a')],
    logs: [scanLogText(asContainerLog(lines), 'var/log/messages', { year: 2026 })],
  });

  it('a container that could not reach 172.17.0.1:5432 at once: the port is traced, found rejected, and the line explained by the REJECT', () => {
    const [f] = runNode(portBlocked, artifacts(["curl: (7) Failed to connect to 172.17.0.1 port 5432 after 0 ms: Couldn't connect to server"]), 'docker-host-01');
    expect(f?.facts).toMatchObject({ port: 5432, to: ['172.17.0.1'], explainsLogLines: ['var/log/messages:1'] });
    expect(f.evidence.find((e) => e.line === 1 && e.file === 'var/log/messages')?.note).not.toMatch(/not explained/);
  });

  it('the same port after 130 s (no answer: the kernel gave up): still the need, but the REJECT does not explain it', () => {
    const [f] = runNode(portBlocked, artifacts(["curl: (7) Failed to connect to 172.17.0.1 port 5432 after 130212 ms: Couldn't connect to server"]), 'docker-host-01');
    expect(f?.facts).toMatchObject({ port: 5432, logSymptomMismatch: ['var/log/messages:1'] });
    expect(f.evidence.find((e) => e.line === 1 && e.file === 'var/log/messages')?.note).toMatch(/it says a timeout, but the rule that blocks the port gives "No route to host"/);
  });

  it('after 3 s (an unanswered ARP, or anything): the need is kept, nothing is claimed about the symptom', () => {
    const [f] = runNode(portBlocked, artifacts(["curl: (7) Failed to connect to 172.17.0.1 port 5432 after 3071 ms: Couldn't connect to server"]), 'docker-host-01');
    expect(f?.facts).toMatchObject({ port: 5432, explainsLogLines: ['var/log/messages:1'] });
    expect(f.facts).not.toHaveProperty('logSymptomMismatch');
  });

  it('FORWARD rejecting the bridge: an immediate failure to the outside is among the lines it explains', () => {
    const [f] = runNode(forwardBlocks, artifacts(["curl: (7) Failed to connect to 93.184.215.14 port 443 after 1 ms: Couldn't connect to server"]), 'docker-host-01');
    expect(f?.facts).toMatchObject({ bridge: 'docker0', verdict: 'REJECT', explainsLogLines: ['var/log/messages:1'] });
  });

  it('healthy: no REJECT, no DROP: the line stays a log finding, no port is blocked', () => {
    const open = { ...artifacts(["curl: (7) Failed to connect to 172.17.0.1 port 5432 after 0 ms: Couldn't connect to server"]), iptables: [parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', 'iptables-save')] };
    expect(runNode(portBlocked, open, 'docker-host-01')).toEqual([]);
    expect(runNode(forwardBlocks, open, 'docker-host-01')).toEqual([]);
  });
});
