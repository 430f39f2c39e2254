/**
 * Prose, documentation and shell prompts are not log events (reviewer R13 #10 and its localhost:8080 note):
 * - seed 000 line 40, `# systemctl restart iptables.service` in OpenShift's documentation pasted into a
 *   ticket: a command at a shell prompt, worded as such ("A firewall service restarted" only for what the
 *   system logged: systemd's `Starting Uncomplicated firewall...`, test/fixtures/logs/healthy-k8s-worker-syslog.log).
 *   A typed `$ firewall-cmd --reload` of a terminal transcript (containers/podman#8048) still counts with
 *   Podman's error after it (test/logs/podman-flushed.test.ts).
 * - seed 002 line 52, the two words `Port Timeout` (Replicated's dashboard, quoted in an article): a firewall
 *   rule *may* block the port; line 81, `Customer: The app won’t start. It says “Error waiting for ports to
 *   enter listening state”.`: second-hand, info. The application's message on a line of its own stays a warning.
 * - seed 004 lines 208, 209, 217: kubectl without a kubeconfig (`The connection to the server localhost:8080
 *   was refused - did you specify the right host or port?`, an Ansible task's stderr): not a firewall; the
 *   seed's other refused connection (line 87, mdt-api-products:8060) stays a warning.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { scanLogText } from '../../src/logs/index.js';
import { PROMPT_LINE } from '../../src/logs/signatures.js';
import { runNode } from '../analyzers/helpers.js';
import { hasSeeds, projectPath, seedsDir } from '../helpers/shared.js';

const seed = (prefix: string) => readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith(prefix))!), 'utf8');
const run = (text: string, file: string, year?: number): FindingDraft[] => runNode(logSignatures, { logs: [scanLogText(text, file, year ? { year } : {})] });
const byId = (fs: FindingDraft[], id: string) => fs.filter((f) => f.id === id);

describe.skipIf(!hasSeeds)('a command at a shell prompt is not a logged restart', () => {
  it('seed 000 line 40: worded as a command that ran only if typed, not "A firewall service restarted"', () => {
    const [f, ...more] = byId(run(seed('000_'), 'seed-000.txt'), 'log.firewall-restart');
    expect(more).toEqual([]);
    expect(f.evidence.map((e) => e.line)).toEqual([40]);
    expect(f.title).toBe('A firewall restart command at a shell prompt');
    expect(f.message).toContain('a command to restart a firewall service at a shell prompt, not a line the system logged');
    expect(f.message).not.toMatch(/A firewall service started, stopped or reloaded/);
    expect(f.severity).toBe('info');
    expect(f.facts).toMatchObject({ shellCommand: true });
  });
});

describe('what the system logged stays a restart', () => {
  it("systemd's `Starting Uncomplicated firewall...` of a healthy worker: A firewall service restarted", () => {
    const file = 'healthy-k8s-worker-syslog.log';
    const [f] = byId(run(readFileSync(projectPath('test', 'fixtures', 'logs', file), 'utf8'), file, 2026), 'log.firewall-restart');
    expect(f.title).toBe('A firewall service restarted');
    expect(f.message).toContain('A firewall service started, stopped or reloaded');
    expect(f.facts).not.toHaveProperty('shellCommand');
  });

  it('the prompt shapes: `# `, `$ `, `user@host:~$ `, `[root@host ~]# `; not a syslog, journal or klog line', () => {
    for (const l of ['# systemctl restart iptables.service', '$ firewall-cmd --reload', '    # firewall-cmd --reload', 'admin@node1:~$ sudo systemctl restart firewalld', '[root@node1 ~]# systemctl stop firewalld'])
      expect(PROMPT_LINE.test(l), l).toBe(true);
    for (const l of [
      'Nov 20 09:57:50 k8s-worker-2 systemd[1]: Starting Uncomplicated firewall...',
      'Sep 01 12:16:10 PC4 firewalld[11649]: 2017-09-01 12:16:10 ERROR: COMMAND_FAILED',
      '2026-11-20T09:57:50+00:00 node1 systemd[1]: Reloading firewalld - dynamic firewall daemon...',
      '#1 [internal] load build definition from Dockerfile',
    ])
      expect(PROMPT_LINE.test(l), l).toBe(false);
  });
});

describe.skipIf(!hasSeeds)('seed 002: two words and a ticket quote are not a firewall verdict', () => {
  const fs = () => run(seed('002_'), 'seed-002.txt');

  it('line 52 `Port Timeout`: a firewall rule *may* block the port, and trace is named', () => {
    const [f] = byId(fs(), 'log.port-timeout');
    expect(f.evidence.map((e) => e.line)).toEqual([52]);
    expect(f.message).toContain('a firewall rule may block it, or nothing listens there yet');
    expect(f.message).not.toMatch(/a firewall rule blocks it/);
  });

  it("line 81 `Customer: ... It says “Error waiting for ports ...”`: second-hand, info", () => {
    const [f] = byId(fs(), 'log.ports-not-listening');
    expect(f.evidence.map((e) => e.line)).toEqual([81]);
    expect(f.severity).toBe('info');
    expect(f.title).toBe('Quoted in a ticket or article: ports never became reachable');
    expect(f.message).toContain('not the application\'s own log');
    expect(f.facts).toMatchObject({ quotedInProse: true });
  });

  it('the message the customer quotes, as the application prints it on a line of its own: a warning as before', () => {
    const quoted = seed('002_').split('\n')[80].match(/“([^”]+)”/)![1];
    expect(quoted).toBe('Error waiting for ports to enter listening state');
    const [f] = byId(run(`${quoted}\n`, 'app.log'), 'log.ports-not-listening');
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Ports never became reachable');
    expect(f.facts).not.toHaveProperty('quotedInProse');
  });
});

describe.skipIf(!hasSeeds)('seed 004: kubectl without a kubeconfig is not a firewall', () => {
  const all = () => run(seed('004_'), 'seed-004.txt', 2019);
  // one id per diagnosis: kubectl's own finding has its own id, so scripts counting log.connection-refused do not count it
  const fs = () => [...byId(all(), 'log.kubectl-no-kubeconfig'), ...byId(all(), 'log.connection-refused')];

  it('lines 208, 209, 217: one info finding of their own, kubectl named, no REJECT rule', () => {
    const kubectl = fs().find((f) => f.facts?.cause === 'kubectl-no-kubeconfig')!;
    expect(kubectl.evidence.map((e) => e.line)).toEqual([208, 209, 217]);
    expect(kubectl.id).toBe('log.kubectl-no-kubeconfig');
    expect(kubectl.severity).toBe('info');
    expect(kubectl.title).toBe('kubectl ran without a kubeconfig (localhost:8080 refused)');
    expect(kubectl.message).toMatch(/^3 lines in 1 log on node-1: kubectl found no kubeconfig/);
    expect(JSON.stringify(kubectl)).not.toMatch(/REJECT rule answers|bundle-doctor trace/);
    expect(kubectl.remedy.commands[0]).toMatch(/^kubectl config view --minify/);
  });

  it('line 87 (mdt-api-products:8060 refused) stays the warning it was, without the kubectl lines', () => {
    const other = fs().filter((f) => f.facts?.cause !== 'kubectl-no-kubeconfig');
    expect(other).toHaveLength(1);
    expect(other[0].severity).toBe('warning');
    expect(other[0].title).toBe('Connections refused');
    expect(other[0].evidence.map((e) => e.line)).toEqual([87]);
    expect(other[0].facts).toMatchObject({ count: 1, host: ['mdt-api-products'], port: ['8060'] });
  });
});
