/**
 * H68: false and misleading findings reviewer R23 found (inputs copied from /tmp/r23 into test/fixtures/h68).
 * - 46: an app pod's own `iptables v1.8.7 (legacy)` (wireguard, its pod's namespace) on an nf_tables host whose rules
 *   hold KUBE-* and FLANNEL-* chains: no "images on legacy" warning (kubernetes#71305 is about kube-proxy / CNI images).
 * - 39 / 40: legacy iptables-restore's `unable to initialize table 'nat'` (istio/istio#23009): kube-proxy's image on an
 *   nf_tables host is the back end (no iptable_nat advice); istio-init keeps the module advice.
 * - 14: firewalld's passthrough failing on Docker's chain (moby/moby#15948), then systemd's `Started Docker Application
 *   Container Engine.` and dockerd's `API listen on /var/run/docker.sock`: dockerd started again.
 * - 38: dockerd's lock race with iptables-restore.service (coreos/bugs#469), then a start that came through.
 * - 13: Docker's start-up deletes of its old nat jumps through firewalld (docker/for-linux#1104, moby/moby#27114).
 * - 12: a firewalld reload with Docker 24.0.7 (docker version): Docker writes its rules again by itself.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const F = (c: string) => projectPath(`test/fixtures/h68/${c}`);
const run = async (path: string) => (await analyzeBundle(path)).findings;
/** a copy of a fixture folder with files replaced or added */
function variant(c: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'h68-'));
  cpSync(F(c), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('R23 46: an app pod legacy iptables is not an image writing the host rules', () => {
  it('wireguard pod on an nf_tables host with KUBE-/FLANNEL- chains: no mixed-backends finding', async () => {
    const f = await run(F('46-app-pod-legacy-iptables-own-netns'));
    expect(f.filter((x) => x.id === 'iptables.mixed-backends')).toEqual([]);
  });
  it('firing: the same legacy line from a kube-proxy pod, the nf_tables rules without KUBE- chains: warning', async () => {
    const wg = readFileSync(join(F('46-app-pod-legacy-iptables-own-netns'), 'cluster-resources/pods/logs/vpn/wireguard-0/wireguard.log'), 'utf8');
    const dir = variant('46-app-pod-legacy-iptables-own-netns', { 'iptables-save': '' });
    const kp = join(dir, 'cluster-resources/pods/logs/kube-system/kube-proxy-abcde');
    cpSync(join(dir, 'cluster-resources/pods/logs/vpn/wireguard-0'), kp, { recursive: true });
    writeFileSync(join(kp, 'kube-proxy.log'), wg);
    const f = (await run(dir)).filter((x) => x.id === 'iptables.mixed-backends');
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].message).toMatch(/kube-proxy writes with legacy iptables/);
    expect(f[0].evidence.map((e) => e.file)).toContain('cluster-resources/pods/logs/kube-system/kube-proxy-abcde/kube-proxy.log');
    expect(f[0].evidence.map((e) => e.file)).not.toContain('cluster-resources/pods/logs/vpn/wireguard-0/wireguard.log');
  });
});

describe("R23 39/40: legacy iptables-restore's unable to initialize table 'nat'", () => {
  it("kube-proxy's image on an nf_tables host: the back end first, no iptable_nat to load", async () => {
    const f = (await run(F('39-kube-proxy-legacy-image-on-nft-host'))).filter((x) => x.id === 'log.iptables-module-missing');
    expect(f).toHaveLength(1);
    expect(f[0].title).toMatch(/legacy iptables finds no nat table: the host uses nf_tables/);
    expect(f[0].remedy!.summary).toMatch(/^Run a kube-proxy image that picks the host's back end/);
    expect(f[0].remedy!.commands.join('\n')).not.toMatch(/modprobe/);
    expect(f[0].message).not.toMatch(/load iptable_nat/);
  });
  it('istio-init (its pod namespace) keeps the module advice', async () => {
    const f = (await run(F('40-istio-init-legacy-restore-rhel8-nft'))).filter((x) => x.id === 'log.iptables-module-missing');
    expect(f).toHaveLength(1);
    expect(f[0].remedy!.summary).toMatch(/load iptable_nat, nf_nat/);
    expect(f[0].title).not.toMatch(/legacy iptables finds no/);
  });
});

describe('R23 14: dockerd started again after firewalld removed its chain', () => {
  it("systemd's Started line and dockerd's API listen on count: not critical, started again said", async () => {
    const f = (await run(F('14-firewalld-no-chain-then-docker-restarted'))).filter((x) => x.id === 'log.iptables-no-chain');
    expect(f).toHaveLength(1);
    expect(f[0].severity).not.toBe('critical');
    expect(f[0].message).not.toMatch(/nothing later in the logs shows dockerd starting again/);
    expect(f[0].message).toMatch(/dockerd started after it \(messages:10\)/);
  });
  it('firing: the same lines without the restart: critical', async () => {
    const text = readFileSync(join(F('14-firewalld-no-chain-then-docker-restarted'), 'messages'), 'utf8').split('\n').slice(0, 4).join('\n') + '\n';
    const f = (await run(variant('14-firewalld-no-chain-then-docker-restarted', { messages: text }))).filter((x) => x.id === 'log.iptables-no-chain');
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toMatch(/nothing later in the logs shows dockerd starting again/);
  });
});

describe('R23 38: the lock race when dockerd started later', () => {
  it('info, a title that says it started later, only the After= drop-in', async () => {
    const f = (await run(F('38-lock-race-docker-restarted-ok'))).filter((x) => x.facts?.cause === 'concurrent-iptables-writer');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].title).toMatch(/failed to start once .* and started later/);
    expect(f[0].remedy!.commands).not.toContain('systemctl start docker');
    expect(f[0].remedy!.commands.join('\n')).toMatch(/After=iptables-restore\.service/);
  });
  it('firing: no start after the failure: warning or worse, start docker first', async () => {
    const text = readFileSync(join(F('38-lock-race-docker-restarted-ok'), 'journalctl_--no-pager'), 'utf8').split('\n').slice(0, 9).join('\n') + '\n';
    const f = (await run(variant('38-lock-race-docker-restarted-ok', { 'journalctl_--no-pager': text }))).filter((x) => x.facts?.cause === 'concurrent-iptables-writer');
    expect(f).toHaveLength(1);
    expect(f[0].severity).not.toBe('info');
    expect(f[0].title).toMatch(/^Docker did not start/);
    expect(f[0].remedy!.commands[0]).toBe('systemctl start docker');
  });
});

describe("R23 13: Docker's start-up deletes of its old nat jumps are routine", () => {
  it('bare -D PREROUTING/OUTPUT, the addrtype jumps and the ICC DROP: routine cleanup', async () => {
    const f = (await run(F('13-firewalld-log-docker-start-cleanup'))).filter((x) => x.id === 'log.iptables-bad-rule');
    expect(f).toHaveLength(1);
    expect(f[0].title).toMatch(/^Routine cleanup: Docker tried to delete/);
    expect(f[0].message).not.toMatch(/someone else removed or replaced/);
  });
  it('firing: a delete of a rule of another kind among them keeps the general wording', async () => {
    const text =
      readFileSync(join(F('13-firewalld-log-docker-start-cleanup'), 'var/log/firewalld'), 'utf8') +
      "2020-02-15 23:04:44 WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' failed: iptables: Bad rule (does a matching rule exist in that chain?).\n";
    const f = (await run(variant('13-firewalld-log-docker-start-cleanup', { 'var/log/firewalld': text }))).filter((x) => x.id === 'log.iptables-bad-rule');
    expect(f).toHaveLength(1);
    expect(f[0].title).not.toMatch(/Routine cleanup/);
  });
});

describe('R23 12: firewalld reloaded under Docker 24.0.7', () => {
  it('Docker >= 20.10 writes its rules again: nothing to restart, no "does not show which"', async () => {
    const f = (await run(F('12-firewalld-reload-docker24'))).filter((x) => x.id === 'log.firewall-restart');
    expect(f).toHaveLength(1);
    expect(f[0].remedy!.summary).toMatch(/^Nothing needs doing for Docker/);
    expect(f[0].remedy!.summary).not.toMatch(/does not show which/);
    expect(f[0].remedy!.commands.join('\n')).not.toMatch(/^systemctl restart docker/m);
    expect(f[0].message).toMatch(/Docker 24\.0\.7 runs here \(docker_version/);
  });
  it('firing: Docker 19.03 keeps the restart', async () => {
    const v = readFileSync(join(F('12-firewalld-reload-docker24'), 'docker_version'), 'utf8').replace(/24\.0\.7/g, '19.03.15');
    const f = (await run(variant('12-firewalld-reload-docker24', { docker_version: v }))).filter((x) => x.id === 'log.firewall-restart');
    expect(f).toHaveLength(1);
    expect(f[0].remedy!.summary).not.toMatch(/^Nothing needs doing/);
    expect(f[0].remedy!.summary).toMatch(/restart docker/);
  });
});
