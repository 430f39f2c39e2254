/**
 * The cause before its symptoms (R13 #2): in bundles/docker-chains-flushed.tgz iptables.service
 * restarted at 10:14:02 (var/log/messages:2-8, RHEL's iptables.init: "Flushing firewall rules"),
 * flushed every rule and restored /etc/sysconfig/iptables with its FORWARD REJECT. The missing
 * DOCKER chains, the missing MASQUERADE and the FORWARD REJECT are that one flush: they fold into
 * iptables.service-conflict, which turns critical, leads the report and carries facts.rootCause.
 * Healthy and unlogged cases must not get a root cause; firewalld's fix names only bridges that
 * the bundle's ip addr shows (firewalld-blocks-postgres has br-5c2d5b9a3f0e and docker0, no cni0).
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { correlate } from '../../src/engine/correlate.js';
import type { Finding } from '../../src/report/schema.js';
import { projectPath } from '../helpers/shared.js';

const rootCause = (f: Finding) => (f.facts as Record<string, unknown> | undefined)?.rootCause;

describe('cause first: docker-chains-flushed', () => {
  it('folds the flush symptoms into the logged cause, which leads as a critical with a root-cause sentence', async () => {
    const r = await analyzeBundle(projectPath('bundles', 'docker-chains-flushed.tgz'));
    const first = r.findings[0];
    expect(first.id).toBe('iptables.service-conflict');
    expect(first.severity).toBe('critical');
    expect(first.related).toEqual(expect.arrayContaining(['iptables.docker-chain-missing', 'iptables.docker-masquerade-missing', 'iptables.forward-blocks-containers', 'log.firewall-restart']));
    const ids = r.findings.map((f) => f.id);
    for (const symptom of ['iptables.docker-chain-missing', 'iptables.docker-masquerade-missing', 'iptables.forward-blocks-containers']) expect(ids).not.toContain(symptom);
    expect(r.summary.critical).toBe(r.findings.filter((f) => f.severity === 'critical').length);
    const cause = rootCause(first);
    expect(typeof cause).toBe('string');
    expect(cause).toMatch(/^iptables\.service restarted at 2026-11-20T10:14:02Z \(messages:2-8/);
    expect(cause).toMatch(/restored \/etc\/sysconfig\/iptables/);
    expect(cause).toMatch(/no masquerade for a docker network/i);
    // the symptoms' evidence moved into the cause: the restored REJECT and the messages lines
    const at = first.evidence.map((e) => `${e.file.split('/').slice(-1)[0]}:${e.line}`);
    expect(at).toEqual(expect.arrayContaining(['messages:2', 'messages:8', 'iptables_-t_filter_-nvL:11', 'iptables:13']));
    // one fix, one docker restart
    const restarts = first.remedy.commands.filter((c) => /systemctl restart docker/.test(c.split('#')[0]));
    expect(restarts).toHaveLength(1);
    expect(JSON.stringify(r)).not.toMatch(/\bseed \d{3}\b/);
  });

  it('gives no root cause on a healthy bundle', async () => {
    const r = await analyzeBundle(projectPath('bundles', 'healthy-docker-k8s.tgz'));
    expect(r.findings.filter((f) => rootCause(f) !== undefined)).toEqual([]);
    expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });

  it('firewalld without a logged restart stays a warning, and names only bridges in ip addr', async () => {
    const r = await analyzeBundle(projectPath('bundles', 'firewalld-blocks-postgres.tgz'));
    const sc = r.findings.find((f) => f.id === 'iptables.service-conflict')!;
    expect(sc.severity).toBe('warning');
    expect(rootCause(sc)).toBeUndefined();
    const zoned = sc.remedy.commands.flatMap((c) => [...c.matchAll(/--add-interface=(\S+)/g)].map((m) => m[1]));
    // docker0 is in firewalld's docker zone already (firewall-cmd --list-all-zones in the bundle): not added again
    expect(zoned.sort()).toEqual(['br-5c2d5b9a3f0e']);
    expect(sc.remedy.commands.join('\n')).not.toContain('cni0');
  });
});

describe('cause first: the fold needs its anchor', () => {
  const base = { title: 't', message: 'm', analyzer: 'a', remedy: { summary: 's', commands: [] } };
  const cause: Finding = {
    ...base,
    id: 'iptables.service-conflict',
    severity: 'warning',
    node: 'n1',
    title: 'A firewall service restart wiped the container rules',
    evidence: [{ file: 'var/log/messages', line: 2, excerpt: 'Stopping IPv4 firewall with iptables...', time: '2026-11-20T10:14:02.000Z' }],
    facts: { loggedRestart: { time: '2026-11-20T10:14:02.000Z', at: 'var/log/messages:2' }, cause: 'iptables.service restarted' },
  };
  const masq: Finding = { ...base, id: 'iptables.docker-masquerade-missing', severity: 'critical', node: 'n1', title: 'No MASQUERADE for a Docker network', evidence: [{ file: 'nat', line: 0, excerpt: 'x' }] };
  const chains: Finding = { ...base, id: 'iptables.docker-chain-missing', severity: 'critical', node: 'n1', title: "Docker's iptables chains are missing", evidence: [{ file: 'filter', line: 0, excerpt: 'y' }] };

  it('does not fold when Docker chains are present (Docker re-created its rules after the restart)', () => {
    const out = correlate([structuredClone(cause), structuredClone(masq)], []);
    expect(out.map((f) => f.id).sort()).toEqual(['iptables.docker-masquerade-missing', 'iptables.service-conflict']);
    expect(out.find((f) => f.id === 'iptables.service-conflict')!.severity).toBe('warning');
  });

  it('does not fold without a logged restart', () => {
    const unlogged = { ...structuredClone(cause), facts: {} };
    expect(correlate([unlogged, structuredClone(chains), structuredClone(masq)], []).map((f) => f.id)).toHaveLength(3);
  });

  it('does not fold across nodes', () => {
    expect(correlate([structuredClone(cause), { ...structuredClone(chains), node: 'n2' }, structuredClone(masq)], [])).toHaveLength(3);
  });

  it('folds on the same node, takes the symptoms\' severity and sets the root cause', () => {
    const out = correlate([structuredClone(masq), structuredClone(chains), structuredClone(cause)], []);
    expect(out).toHaveLength(1);
    expect(out[0].severity).toBe('critical');
    expect(rootCause(out[0])).toMatch(/^iptables\.service restarted; .*no MASQUERADE for a Docker network/);
  });
});
