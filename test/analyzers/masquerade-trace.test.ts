/**
 * iptables.docker-masquerade-missing decided by the packet tracer through nat POSTROUTING (and the
 * native nftables nat chains): masquerades for other traffic only (kube-proxy's and netavark's
 * marked packets, `-o` another interface, Calico's IP-pool set, Swarm's --src-type LOCAL) do not
 * hide a missing Docker MASQUERADE. Real namespace output in test/fixtures/rv5.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const ID = 'iptables.docker-masquerade-missing';
const DOCKER_MASQ = '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n';

/** The fixture's files, with edits; a node folder named by its hostname. */
function bundle(name: string, edit: (file: string, text: string) => string | undefined = (_f, t) => t): string {
  const dir = projectPath('test/fixtures/rv5', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.healthy.txt')) continue;
    const text = edit(f, readFileSync(`${dir}/${f}`, 'utf8'));
    if (text !== undefined) files[`node/${f}`] = text;
  }
  return writeFolder(files, name);
}
const masq = async (dir: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);

describe('kube-proxy nftables mode beside Docker (iptables-nft)', () => {
  it("kube-proxy's masquerading chain (meta mark & 0x4000 == 0 return) does not cover docker0: critical", async () => {
    const [f, ...rest] = await masq(bundle('kp-nft-masq-missing'));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', facts: { subnet: '172.17.0.0/16', bridge: 'docker0' } });
    // the control, without the nft listing: the same
    expect((await masq(bundle('kp-nft-masq-missing', (f, t) => (f.startsWith('nft') ? undefined : t)))).map((x) => x.severity)).toEqual(['critical']);
  });

  it("healthy: with Docker's MASQUERADE in the nat table, nothing", async () => {
    const ok = bundle('kp-nft-masq-missing', (f, t) => (f === 'iptables-save.txt' ? t.replace(':POSTROUTING ACCEPT [0:0]\n', `:POSTROUTING ACCEPT [0:0]\n`).replace(/(\n-A DOCKER -i docker0 -j RETURN\n)/, `$1${DOCKER_MASQ}`) : t));
    expect(readFileSync(`${ok}/node/iptables-save.txt`, 'utf8')).toContain(DOCKER_MASQ);
    expect(await masq(ok)).toEqual([]);
  });

  it('a masquerade in a native nftables table that does apply (no mark condition) covers it', async () => {
    const ok = bundle('kp-nft-masq-missing', (f, t) => (f.startsWith('nft') ? t.replace('\t\tmeta mark & 0x00004000 == 0x00000000 return\n', '') : t));
    expect(await masq(ok)).toEqual([]);
  });
});

describe('netavark (podman): its masquerade applies to marked packets only', () => {
  it("a Docker bridge on a podman host has no cover from netavark's `meta mark & 0x2000 == 0x2000 ... masquerade`", async () => {
    const nft = readFileSync(projectPath('test/fixtures/rv5/podman-fwd-off/nft_list_ruleset.txt'), 'utf8');
    const kp = bundle('kp-nft-masq-missing', (f, t) => (f.startsWith('nft') ? nft : t));
    expect((await masq(kp)).map((x) => x.severity)).toEqual(['critical']);
  });
});

describe('Calico + Docker', () => {
  it('healthy: nothing', async () => {
    expect(await masq(bundle('calico-healthy'))).toEqual([]);
  });

  it("Docker's MASQUERADE removed: cali-nat-outgoing (IP-pool set) and -o tunl0 do not cover docker0: critical", async () => {
    const [f, ...rest] = await masq(bundle('calico-healthy', (_f, t) => t.replace(DOCKER_MASQ, '')));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', facts: { subnet: '172.17.0.0/16', bridge: 'docker0' } });
    expect(f.message).toMatch(/apply to other traffic only/);
  });

  it('a set of a name we do not know could hold the subnet: a warning that says so, not a critical', async () => {
    const [f, ...rest] = await masq(bundle('calico-healthy', (_f, t) => t.replace(DOCKER_MASQ, '').replace(/cali40masq-ipam-pools/g, 'site-nat-sources')));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    // line 198 of the real file, one up with Docker's rule deleted
    expect(f.evidence[0]).toMatchObject({ line: 197 });
    expect(f.evidence[0].excerpt).toMatch(/--match-set site-nat-sources src/);
  });
});

describe('Docker Swarm', () => {
  it('healthy (ingress): nothing', async () => {
    expect(await masq(bundle('swarm-ingress'))).toEqual([]);
  });

  it("docker0's MASQUERADE removed: `-o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE` does not cover it: critical, for docker0 only", async () => {
    const found = await masq(bundle('swarm-ingress', (_f, t) => t.replace(DOCKER_MASQ, '')));
    expect(found.map((f) => [f.severity, f.facts?.bridge])).toEqual([['critical', 'docker0']]);
  });
});
