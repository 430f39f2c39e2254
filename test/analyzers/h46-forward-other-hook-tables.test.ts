/**
 * iptables.forward-blocks-containers when iptables accepts and containers still fail: the other filter on the
 * same forward hook (R14 cases 02 and 03).
 *
 * - firewalld/firewalld#844 (https://github.com/firewalld/firewalld/issues/844, firewalld 1.0 and a Docker
 *   `internal: true` network): the reporter's pastes, verbatim (test/fixtures/h46/firewalld-844: the start of
 *   the 2021-08-29 iptables-save paste, its continued filter part, and the 2021-08-31 `iptables -t filter -L -v -n`,
 *   cut where the stored copy of the thread cuts them). FORWARD policy ACCEPT, 13965 packets through DOCKER-USER,
 *   iptables-save v1.8.7, no nft listing: no finding, and the coverage says that tables iptables-save never
 *   shows (firewalld's inet firewalld, netavark's inet netavark) filter on the same hook, and to collect
 *   `nft list ruleset`, `firewall-cmd --get-active-zones`, `ip -br a`.
 * - podman#24486 (https://github.com/containers/podman/issues/24486, Fedora 41): netavark's nftables driver accepts
 *   podman0 in `table inet netavark`, and Docker's ip filter FORWARD policy DROP drops it all the same. One finding
 *   for that cause: docker.forward-drop-other-engine (H82/H89); iptables.forward-blocks-containers leaves podman0 to it.
 *   Real output made on this machine (namespace h46-f41, iptables-nft v1.8.9, nft): Docker 27's filter and nat
 *   rules (test/fixtures/h46/inputs/docker-rules.txt) loaded with iptables-nft-restore, a netavark-style table
 *   (inputs/netavark.nft) with nft -f, bridges docker0 (172.17.0.1/16) and podman0 (10.88.0.1/16), uplink eth0 (a
 *   veth); then ip addr, ip route, nft list ruleset, iptables-nft-save. f41-netavark-docker-fixed: the same after
 *   the remedy's two DOCKER-USER commands (run twice: added once). docker-nft-healthy: the same host without
 *   Podman (netavark's table and podman0 removed): accepted, with an nft listing, so no note.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const FORWARD = 'iptables.forward-blocks-containers';
const dir = (d: string) => projectPath('test/fixtures/h46', d);
const load = (d: string, only?: string[]) =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => !only || only.includes(f)).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));
const byId = (r: BundleReport) => r.findings.filter((f) => f.id === FORWARD);
const coverage = (r: BundleReport) => r.coverage.nodes[0].analyzers.find((a) => a.id === FORWARD)!;
const OTHER_TABLES = /tables iptables-save never shows/;

describe('forward-blocks-containers: iptables accepts, another table on the forward hook may not', () => {
  it("firewalld#844's pastes: no finding; the coverage names firewalld's and netavark's tables and what to collect", async () => {
    const r = await analyzeBundle(writeFolder(load('firewalld-844'), 'h46-fw844'));
    expect(byId(r)).toHaveLength(0);
    const c = coverage(r);
    expect(c.status).toBe('ran');
    expect(c.reason).toMatch(OTHER_TABLES);
    expect(c.reason).toMatch(/FORWARD policy ACCEPT, 13965 packets through DOCKER-USER \(iptables-L-v-n\.txt:6\), 284 packets accepted for br-de132c61a0aa \(iptables-L-v-n\.txt:12\)/);
    expect(c.reason).toMatch(/iptables here is 1\.8\.7 \(iptables-save-nat\.txt:1\)/);
    expect(c.reason).toMatch(/table inet firewalld/);
    expect(c.reason).toMatch(/moby\/libnetwork#2647/);
    expect(c.reason).toMatch(/inet netavark/);
    expect(c.reason).toContain('Collect `nft list ruleset`, `firewall-cmd --get-active-zones` and `ip -br a`');
    expect(c.missing).toEqual(expect.arrayContaining(['nftables', 'ipAddr']));
  });

  it('an accepted case with the nft listing present (Docker alone, iptables-nft): no finding and no note on other tables', async () => {
    const r = await analyzeBundle(writeFolder(load('docker-nft-healthy'), 'h46-docker-ok'));
    expect(byId(r)).toHaveLength(0);
    expect(coverage(r).reason ?? '').not.toMatch(OTHER_TABLES);
    expect(coverage(r).missing ?? []).not.toContain('nftables');
  });

  it('the same accepted rules without the nft listing: the note (iptables-nft-save v1.8.9 header)', async () => {
    const r = await analyzeBundle(writeFolder(load('docker-nft-healthy', ['iptables-save.txt', 'ip-addr.txt', 'ip-route.txt']), 'h46-docker-no-nft'));
    expect(byId(r)).toHaveLength(0);
    expect(coverage(r).reason).toMatch(OTHER_TABLES);
    expect(coverage(r).reason).toMatch(/the iptables rules accept the containers' forwarded traffic \(docker0\)/);
    expect(coverage(r).reason).toMatch(/iptables here is 1\.8\.9 \(iptables-save\.txt:1\)/);
  });

  it('where iptables decides a drop (podman0 under Docker\'s FORWARD policy DROP, no nft listing): the finding, never the note', async () => {
    const r = await analyzeBundle(writeFolder(load('f41-netavark-docker', ['iptables-save.txt', 'ip-addr.txt', 'ip-route.txt']), 'h46-f41-no-nft'));
    expect(byId(r)).toHaveLength(1);
    expect(coverage(r).reason ?? '').not.toMatch(OTHER_TABLES);
  });
});

describe("podman#24486: netavark's nftables table beside Docker's FORWARD policy DROP (docker.forward-drop-other-engine owns it)", () => {
  it("fires on podman0, names netavark's own accept, Fedora 41's known issue, and the DOCKER-USER remedy", async () => {
    const r = await analyzeBundle(writeFolder(load('f41-netavark-docker'), 'h46-f41'));
    // one finding for one cause: not iptables.forward-blocks-containers
    expect(byId(r)).toHaveLength(0);
    const f = r.findings.filter((x) => x.id === 'docker.forward-drop-other-engine');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { engines: ['Podman (netavark)'], policy: 'DROP', droppedPackets: 0, uplink: 'eth0' } });
    // podman0 only: docker0 (Docker's own accepts) passes
    expect((f[0].facts as { networks: unknown[] }).networks).toEqual([{ owner: 'Podman (netavark)', bridge: 'podman0', subnet: '10.88.0.0/16', publishedPortsDropped: 0, outboundDropped: true, nftTable: 'inet netavark' }]);
    expect(f[0].evidence[0]).toMatchObject({ file: 'iptables-save.txt', line: 4, excerpt: ':FORWARD DROP [0:0]' });
    expect(f[0].message).toMatch(
      /Podman \(netavark\) keeps its rules in its own nftables table \(table inet netavark, nft-list-ruleset\.txt:\d+\); its own accepts there \(nft-list-ruleset\.txt:\d+: ip saddr 10\.88\.0\.0\/16 accept; nft-list-ruleset\.txt:\d+: ip daddr 10\.88\.0\.0\/16 ct state established,related accept\) cannot override Docker's FORWARD policy DROP: nftables runs every base chain on the forward hook/,
    );
    expect(f[0].message).toMatch(/This is Fedora 41's known issue with Docker \(podman#24486\)/);
    expect(f[0].message).toContain('https://fedoraproject.org/wiki/Changes/NetavarkNftablesDefault');
    expect(f[0].message).not.toMatch(/No rule accepts this bridge's traffic|NETAVARK_FORWARD/);
    expect(f[0].evidence.some((e) => e.file === 'nft-list-ruleset.txt' && e.excerpt === 'ip saddr 10.88.0.0/16 accept')).toBe(true);
    expect(f[0].evidence.some((e) => e.file === 'nft-list-ruleset.txt' && e.excerpt === 'table inet netavark')).toBe(true);
    expect(f[0].impact).toMatch(/^Podman containers on podman0 cannot reach anything outside the host \(out eth0\)/);
    const pair = [
      'iptables -C DOCKER-USER -i podman0 -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i podman0 -j ACCEPT',
      'iptables -C DOCKER-USER -o podman0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -o podman0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ];
    expect(f[0].remedy!.commands).toEqual([
      `${pair[0]}   # what leaves podman0`,
      `${pair[1]}   # the replies back in`,
      `# persist: DOCKER-USER's rules do not survive a reboot; run both lines each time docker starts, e.g. a drop-in /etc/systemd/system/docker.service.d/podman0-forward.conf holding "[Service]" and "ExecStartPost=/bin/sh -c '${pair.join('; ')}'", then: systemctl daemon-reload`,
      expect.stringMatching(/^# or instead \(Fedora's workaround, podman#24486\): mkdir -p \/etc\/containers\/containers\.conf\.d && printf '\[network\]\\nfirewall_driver = "iptables"\\n' > \/etc\/containers\/containers\.conf\.d\/50-netavark-iptables\.conf, then restart the rootful Podman containers/),
      expect.stringMatching(/^# or, Docker 28 or later: "ip-forward-no-drop": true/),
    ]);
  });

  it('after the remedy (DOCKER-USER accepts podman0, real output): nothing, and no note', async () => {
    const r = await analyzeBundle(writeFolder(load('f41-netavark-docker-fixed'), 'h46-f41-fixed'));
    expect(byId(r)).toHaveLength(0);
    expect(r.findings.filter((x) => x.id === 'docker.forward-drop-other-engine')).toHaveLength(0);
    expect(coverage(r).reason ?? '').not.toMatch(OTHER_TABLES);
  });
});
