/**
 * docker.forward-policy-drops-routed: the reviewer's false warnings of round 16 (cases c03, c04, c05) and
 * what still fires.
 *
 * Real text: test/fixtures/h47/c03, c04, c05 are the reviewer's R16 bundles, copied verbatim (made with
 * iptables v1.8.9 nf_tables and iproute2 in network namespaces); vpn-gateway-nat/ and two-nic-nat/ were made
 * the same way on this machine by test/fixtures/h47/make-fixtures.sh (see SOURCES.md). The sysctl.d line is
 * the one Tailscale's exit-node docs have the admin write (https://tailscale.com/kb/1103/exit-nodes:
 * `echo 'net.ipv4.ip_forward = 1' | sudo tee -a /etc/sysctl.d/99-tailscale.conf`).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-forward-policy-drops-routed.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h47', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));
const TS_SYSCTL = 'net.ipv4.ip_forward = 1\n';

async function run(files: Record<string, string>, name: string): Promise<FindingDraft[]> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  return analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: () => {} }) : [];
}

describe('R16 c03: a plain Docker 27 host with two NICs, the policy counting packets Docker sent it', () => {
  it('the reviewer bundle (412 policy drops = the 412 of `-o docker0 -j DOCKER`): nothing', async () => {
    expect(await run(folder('c03'), 'h47-c03')).toEqual([]);
  });

  it('the policy counting more than Docker can account for, still no router sign on plain NICs: nothing', async () => {
    const f = folder('c03');
    const text = f['iptables-save.txt'].replace(':FORWARD DROP [412:24720]', ':FORWARD DROP [9412:564720]');
    expect(text).not.toBe(f['iptables-save.txt']);
    expect(await run({ ...f, 'iptables-save.txt': text }, 'h47-c03-more')).toEqual([]);
  });

  it('the same host NATing eth1 out eth0 (made in a namespace): a warning, its drops named as possibly Docker\'s', async () => {
    const findings = await run(folder('two-nic-nat'), 'h47-2nic-nat');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv4', notAccepted: ['eth1'], uplink: 'eth0', router: 'source-nat', droppedPackets: 412 });
    expect(f.message).toMatch(/The policy has dropped 412 packets, 412 of which can be Docker's own/);
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: expect.stringContaining('-s 10.20.0.0/24 -o eth0 -j MASQUERADE') })]));
  });
});

describe('R16 c04: an OpenVPN gateway whose FORWARD accepts its subnet and the replies', () => {
  it('the reviewer bundle (`-s 10.8.0.0/24 -j ACCEPT`, `--state RELATED,ESTABLISHED -j ACCEPT`): nothing', async () => {
    expect(await run(folder('c04'), 'h47-c04')).toEqual([]);
  });

  it('only the subnet accept, no accept of the replies: a warning for tun0', async () => {
    const f = folder('c04');
    const text = f['iptables-save.txt'].replace('[0:0] -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT\n', '');
    expect(text).not.toBe(f['iptables-save.txt']);
    const findings = await run({ ...f, 'iptables-save.txt': text }, 'h47-c04-noreply');
    expect(findings.map((x) => x.facts?.notAccepted)).toEqual([['tun0']]);
  });

  it('an accept of a narrower source (10.8.0.0/25) does not cover the /24: a warning', async () => {
    const f = folder('c04');
    const text = f['iptables-save.txt'].replace('-A FORWARD -s 10.8.0.0/24 -j ACCEPT', '-A FORWARD -s 10.8.0.0/25 -j ACCEPT');
    expect(text).not.toBe(f['iptables-save.txt']);
    expect((await run({ ...f, 'iptables-save.txt': text }, 'h47-c04-narrow')).map((x) => x.facts?.notAccepted)).toEqual([['tun0']]);
  });

  it('the gateway without those accepts (made in a namespace): a warning with the tun0 -> eth0 pair', async () => {
    const findings = await run(folder('vpn-gateway-nat'), 'h47-vpn-nat');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv4', notAccepted: ['tun0'], uplink: 'eth0', router: 'source-nat' });
    expect(f.remedy.commands[0]).toMatch(/^iptables -C DOCKER-USER -i tun0 -o eth0 -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -i tun0 -o eth0 -j ACCEPT/);
  });
});

describe('R16 c05: a Docker 28 host that is a Tailscale client', () => {
  it('the reviewer bundle (tailscale0 /32, ts-forward, no router sign): nothing', async () => {
    expect(await run(folder('c05'), 'h47-c05')).toEqual([]);
  });

  it("an exit node (forwarding set in /etc/sysctl.d, as Tailscale's docs say): ts-forward's mark accept covers tailscale0, nothing", async () => {
    expect(await run({ ...folder('c05'), 'etc/sysctl.d/99-tailscale.conf': TS_SYSCTL }, 'h47-c05-exit')).toEqual([]);
  });

  it('the exit node with the mark accept gone from ts-forward: a warning for tailscale0, forwarding set by the admin as the sign', async () => {
    const f = folder('c05');
    const text = f['iptables-save.txt'].replace('[0:0] -A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT\n', '');
    expect(text).not.toBe(f['iptables-save.txt']);
    const findings = await run({ ...f, 'iptables-save.txt': text, 'etc/sysctl.d/99-tailscale.conf': TS_SYSCTL }, 'h47-c05-nomark');
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ notAccepted: ['tailscale0'], router: 'sysctl-config' });
    expect(findings[0].evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: 'net.ipv4.ip_forward = 1', file: expect.stringMatching(/99-tailscale\.conf$/) })]));
  });
});
