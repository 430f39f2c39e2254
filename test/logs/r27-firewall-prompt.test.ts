/**
 * log.firewall-restart made of commands typed at a shell prompt: what each command did. `firewall-cmd --reload`
 * rebuilds firewalld's own rules (with its nftables back end iptables-nft's tables, where the runtimes write, stay);
 * `systemctl restart iptables.service` loads the saved set and flushes what the runtimes added.
 * R27 11: https://github.com/portainer/kubesolo/issues/146 (test/fixtures/r27-cases/11-firewalld-cni0-transcript).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const TRANSCRIPT = readFileSync(projectPath('test/fixtures/r27-cases/11-firewalld-cni0-transcript/firewall-cmd-repro.txt'), 'utf8');

describe('a firewall command at a shell prompt: what it did', () => {
  it('kubesolo#146: firewall-cmd --reload is firewalld rebuilding its own rules, not a flush of the runtimes\' rules', async () => {
    const report = await analyzeBundle(writeFolder({ 'firewall-cmd-repro.txt': TRANSCRIPT }, 'kubesolo'));
    const f = report.findings.find((x) => x.id === 'log.firewall-restart')!;
    expect(f.title).toBe('A firewall restart command at a shell prompt');
    expect(f.message).toContain('firewalld rebuilt its own rules from the permanent configuration');
    expect(f.message).toContain("with firewalld's nftables back end (the default since firewalld 0.6) the iptables rules the container runtimes and Kubernetes added stay");
    expect(f.message).not.toContain('it ran and flushed');
    // busybox wget's failure (musl's strerror(EHOSTUNREACH): `Host is unreachable`) is read, its peer named
    const unreachable = report.findings.find((x) => x.id === 'log.no-route-to-host')!;
    expect(unreachable.evidence.map((e) => `${e.line} ${e.excerpt}`)).toEqual(["7 wget: can't connect to remote host (10.42.0.17): Host is unreachable"]);
    expect(unreachable.facts).toMatchObject({ host: ['10.42.0.17'] });
  });

  it('systemctl restart iptables.service typed at a prompt: it flushed them', async () => {
    // the line of OpenShift's documentation pasted into a ticket (../shared/seeds/000, line 40, verbatim)
    const report = await analyzeBundle(writeFolder({ 'session.txt': '# systemctl restart iptables.service\n' }, 'node1'));
    const f = report.findings.find((x) => x.id === 'log.firewall-restart')!;
    expect(f.message).toContain('it ran and flushed the rules the container runtimes and Kubernetes added at run time');
  });
});
