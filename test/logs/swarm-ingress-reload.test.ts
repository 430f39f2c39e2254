/**
 * firewalld/firewalld#503 (with moby/libnetwork#947, moby#50443): on a Swarm node, after `firewall-cmd --reload`,
 * firewalld's journal shows Docker's checks of Swarm's routing-mesh chain failing
 * (`-nL DOCKER-INGRESS ... No chain`, `-C DOCKER-INGRESS -j RETURN ... Bad rule`). R9 found them called a
 * harmless cleanup. The same lines come from Docker's own checks at a healthy Swarm start, so alone they stay
 * info, worded for Swarm; a reload before them makes a warning, a Swarm node whose nat rules lack the chain a
 * critical, and the chain in the rules now rules the loss out. Texts: test/fixtures/swarm-ingress-reload/README.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const text = (p: string) => readFileSync(projectPath(`test/fixtures/${p}`), 'utf8');
const journal = text('swarm-ingress-reload/firewalld-journal.txt');
const logIds = (findings: Finding[]) => findings.map((f) => f.id).filter((id) => id.startsWith('log.'));
const ingress = (findings: Finding[]) => findings.find((f) => f.id === 'log.docker-ingress-chain-missing')!;

describe("Swarm's ingress chain found missing (firewalld#503)", () => {
  it('the lines alone: one Swarm-worded info, not a harmless cleanup nor a bad rule', async () => {
    const report = await analyzeBundle(writeFolder({ 'journalctl.txt': journal }, 'swarm-ingress-alone'));
    expect(logIds(report.findings)).toEqual(['log.docker-ingress-chain-missing']);
    const f = ingress(report.findings);
    expect(f.severity).toBe('info');
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(f.message).toMatch(/healthy start/);
    expect(f.message).toMatch(/moby#50443/);
    expect(f.remedy.commands.join('\n')).toContain('iptables -t nat -S DOCKER-INGRESS');
  });

  it('firewall-cmd --reload before them: a warning naming the reload, with the restart of docker', async () => {
    const report = await analyzeBundle(writeFolder({ 'journalctl.txt': journal, 'commands.txt': '# firewall-cmd --reload\nsuccess\n' }, 'swarm-ingress-reload'));
    const f = ingress(report.findings);
    expect(f.severity).toBe('warning');
    expect(f.title).toMatch(/firewalld reload removed/);
    expect(f.message).toContain('commands.txt:1');
    expect(f.remedy.commands.some((c) => /systemctl restart docker/.test(c))).toBe(true);
    expect(f.remedy.summary).toMatch(/29\.0/);
  });

  it("a Swarm node (docker info) whose nat rules lack DOCKER-INGRESS: critical, the routing mesh is down", async () => {
    const report = await analyzeBundle(
      writeFolder(
        { 'journalctl.txt': journal, 'docker-info.txt': text('docker-info/debian-20.10.24/docker-info-swarm.txt'), 'iptables-save.txt': text('swarm-ingress-reload/iptables-save.txt') },
        'swarm-ingress-gone',
      ),
    );
    const f = ingress(report.findings);
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Swarm: active/);
    expect(f.message).toContain('iptables-save.txt');
    // Docker 20.10 does not re-create Swarm's ingress rules on a reload: restart it
    expect(f.remedy.summary).toMatch(/Docker 20\.10\.24\+dfsg1 on a Swarm node does not re-create/);
    expect(f.remedy.commands.some((c) => /systemctl restart docker/.test(c))).toBe(true);
  });

  it('DOCKER-INGRESS in the nat rules now: info, it is there', async () => {
    const report = await analyzeBundle(
      writeFolder(
        { 'journalctl.txt': journal, 'docker-info.txt': text('docker-info/debian-20.10.24/docker-info-swarm.txt'), 'iptables-save.txt': text('direct-routing/swarm/iptables-save.txt') },
        'swarm-ingress-present',
      ),
    );
    const f = ingress(report.findings);
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/DOCKER-INGRESS is in the nat rules now \(iptables-save\.txt:\d+\)/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/restart docker/);
  });

  it('adding to the chain failing stays log.iptables-no-chain', async () => {
    // the journal's first line with the listing replaced by an append (a one-line edit of the thread's text)
    const line = journal.split('\n')[0].replace('-nL DOCKER-INGRESS', '-A DOCKER-INGRESS -j RETURN');
    const report = await analyzeBundle(writeFolder({ 'journalctl.txt': `${line}\n` }, 'swarm-ingress-append'));
    expect(logIds(report.findings)).toEqual(['log.iptables-no-chain']);
  });

  it("firewalld's start at boot, then Docker's start-up checks: no reload, info (R11 p22)", async () => {
    const guide = text('swarm-ingress-reload/kubeadm-guide-firewalld-status-journal.txt');
    const report = await analyzeBundle(writeFolder({ 'journalctl-u-firewalld.txt': guide }, 'swarm-ingress-boot'));
    expect(ingress(report.findings).severity).toBe('info');
  });

  it("a reload, then Docker's start-up cleanup before the checks: dockerd restarted after it, info", async () => {
    // the guide's journal with its boot start made a reload (one word of systemd's message: Started -> Reloaded)
    const guide = text('swarm-ingress-reload/kubeadm-guide-firewalld-status-journal.txt').replace('Started firewalld - dynamic firewall daemon.', 'Reloaded firewalld - dynamic firewall daemon.');
    const report = await analyzeBundle(writeFolder({ 'journalctl-u-firewalld.txt': guide }, 'swarm-ingress-reload-then-start'));
    const f = ingress(report.findings);
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/dockerd started after the firewall's reload \(its start-up cleanup, journalctl-u-firewalld\.txt:4\)/);
  });
});
