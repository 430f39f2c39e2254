/**
 * ufw.published-ports-bypass on the real kernel. The rules (../fixtures/ufw/ufw-docker0-netns.rules)
 * are the real ufw 0.36's (`ufw enable` in a namespace, default deny incoming, 8080 not allowed) with
 * Docker's chains for docker0 (Docker 28+'s layout, as moby's own tests expect it) publishing
 * 0.0.0.0:8080 -> 172.17.0.2:80, DOCKER-USER jumped to first. In namespaces: the host (docker0, uplink
 * enp3s0 192.0.2.1), a container 172.17.0.2 listening on 80, the outside 192.0.2.2.
 * - the outside reaches 192.0.2.1:8080 although ufw allows no 8080: the finding says so;
 * - the printed DOCKER-USER block, loaded as ufw loads after.rules (iptables-restore -n), twice: the
 *   port is closed, DOCKER-USER holds the same two rules, the finding is gone;
 * - the printed `ufw route allow` (its rule as the real ufw writes it): the port is open again, and
 *   that is ufw's decision now: no finding;
 * - the other fix, publishing on 127.0.0.1: closed from outside, no finding.
 * Skipped where namespaces cannot be made.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { BridgeHost } from '../helpers/bridge-host.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const host = new BridgeHost({ prefix: 'bdufwp', bridge: 'docker0', bridgeAddress: '172.17.0.1/16', instanceAddress: '172.17.0.2/16' });
const H = host.h;

/** A TCP connection from the outside namespace to the host's 8080, established within 2 seconds. */
function reachable(): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', host.o, 'timeout', '2', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.1/8080'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function findings(name: string) {
  const files = { 'iptables-save.txt': host.run(H, 'iptables-save'), 'ip-a.txt': host.run(H, 'ip addr'), 'ip-route.txt': host.run(H, 'ip route') };
  const r = await analyzeBundle(writeFolder(files, name));
  return r.findings.filter((f) => f.id === 'ufw.published-ports-bypass');
}

/** The after.rules block the remedy appends, as lines (from its printf '%s\n' 'line' ... command). */
function blockOf(command: string): string {
  return [...command.matchAll(/'([^']*)'/g)].map((m) => m[1]).filter((l) => l !== '%s\\n' && !l.startsWith('^#')).join('\n') + '\n';
}

describe.skipIf(!canMakeNetns())('ufw active, Docker publishing 8080 on 0.0.0.0, in network namespaces', () => {
  beforeAll(() => {
    host.start();
    host.run(H, 'iptables-restore', readFileSync(projectPath('test/fixtures/ufw/ufw-docker0-netns.rules'), 'utf8'));
    host.listenInInstance(80);
  });
  afterAll(() => host.close());

  it('reachable from outside past ufw; the DOCKER-USER block closes it (twice: the same rules); ufw route allow opens it as ufw decides', async () => {
    expect(reachable()).toBe(true);
    const [f] = await findings('ufw-netns-open');
    expect(f).toBeDefined();
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ ports: [{ family: 4, protocol: 'tcp', port: 8080, hostAddress: '192.0.2.1', to: '172.17.0.2:80', bridge: 'docker0' }] });
    const append = f.remedy.commands.find((c) => c.startsWith("grep -q '^# BEGIN bundle-doctor DOCKER-USER' /etc/ufw/after.rules"))!;
    expect(append).toContain("'-A DOCKER-USER -o docker0 ! -i docker0 -m conntrack --ctstate NEW -j DROP'");
    const block = blockOf(append);
    // ufw loads after.rules with iptables-restore -n: the :DOCKER-USER line flushes the chain, so a second load changes nothing
    host.run(H, 'iptables-restore -n', block);
    const once = host.run(H, 'iptables -S DOCKER-USER');
    host.run(H, 'iptables-restore -n', block);
    expect(host.run(H, 'iptables -S DOCKER-USER')).toBe(once);
    expect(once.trim().split('\n')).toEqual(['-N DOCKER-USER', '-A DOCKER-USER -j ufw-user-forward', '-A DOCKER-USER ! -i docker0 -o docker0 -m conntrack --ctstate NEW -j DROP']);
    expect(reachable()).toBe(false);
    expect(await findings('ufw-netns-closed')).toEqual([]);
    // the port meant to be public: ufw route allow proto tcp from any to 172.17.0.2 port 80 (the rule ufw 0.36 writes for it)
    expect(f.remedy.commands).toContain('ufw route allow proto tcp from any to 172.17.0.2 port 80   # only for a port meant to be public (8080/tcp -> 172.17.0.2:80)');
    host.run(H, 'iptables -A ufw-user-forward -p tcp -d 172.17.0.2 --dport 80 -j ACCEPT');
    expect(reachable()).toBe(true);
    expect(await findings('ufw-netns-route-allow')).toEqual([]);
    host.run(H, 'iptables -D ufw-user-forward -p tcp -d 172.17.0.2 --dport 80 -j ACCEPT');
    host.run(H, 'iptables -F DOCKER-USER');
    expect(reachable()).toBe(true);
  });

  it('the other fix, publishing on 127.0.0.1: closed from outside, no finding', async () => {
    host.run(H, 'iptables -t nat -R DOCKER 1 -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
    expect(reachable()).toBe(false);
    expect(await findings('ufw-netns-loopback')).toEqual([]);
  });
});
