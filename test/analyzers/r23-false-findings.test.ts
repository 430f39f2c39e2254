/**
 * R23's false findings in this session's FORWARD and Docker-chain checks, on its inputs (test/fixtures/r23,
 * SOURCES.md): a paste trimmed with `...` is not "Docker's accepts were removed"; Calico's own "Unknown
 * interface" DROP on a node with no workload is no catch-all (its fix would bypass Calico's policy); a nat
 * listing cut by head whose DOCKER chain counts references is not "Docker's jumps are gone". The firing
 * counterparts: the REJECT really above Docker's accepts, the whole firewalld listing silent too.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const run = async (c: string) => (await analyzeBundle(projectPath('test/fixtures/r23', c))).findings;
const ids = (f: { id: string; severity: string }[]) => f.map((x) => `${x.severity}:${x.id}`);

describe("R23's false findings", () => {
  it('a `...` in FORWARD hides the accepts: no forward-blocks finding (iptables-save and -nvL)', async () => {
    for (const c of ['33-save-with-trim-marks', '35-listing-with-trim-mark']) expect(ids(await run(c)), c).not.toContain('warning:iptables.forward-blocks-containers');
    for (const c of ['33-save-with-trim-marks', '35-listing-with-trim-mark']) expect(ids(await run(c)).filter((i) => /forward-blocks|docker-chain-missing/.test(i)), c).toEqual([]);
  });

  it("the stock REJECT really above Docker's accepts still fires", async () => {
    const f = (await run('06-rhel-reject-before-docker')).find((x) => x.id === 'iptables.forward-blocks-containers');
    expect(f?.severity).toBe('critical');
  });

  it("Calico's dispatch DROP on a node without workloads is Calico's policy, not a catch-all", async () => {
    expect(ids(await run('44-calico-no-workloads-kubeproxy-conntrack-accept')).filter((i) => i.endsWith('forward-blocks-containers'))).toEqual([]);
  });

  it("a nat listing cut by head, its DOCKER chain referenced twice: not 'Docker's jumps are gone'", async () => {
    for (const c of ['17-firewalld-direct-docker-jump-nat-head', '18-firewalld-direct-docker-jump-nat-whole'])
      expect(ids(await run(c)).filter((i) => /^(critical|warning):iptables\.docker-chain-missing/.test(i)), c).toEqual([]);
  });
});

describe('R23: a REJECT of a multicast packet', () => {
  it('the trace says no ICMP error is sent for it (a silent drop to the sender); a unicast REJECT says nothing of it', async () => {
    const { formatTrace, traceBundle } = await import('../../src/engine/trace-bundle.js');
    const dir = projectPath('test/fixtures/r23', '04-rhel-reject-after-docker-listing');
    const m = await traceBundle(dir, { src: '172.17.0.2', dst: '224.0.0.251', dport: 5353, protocol: 'udp', state: 'new' });
    expect(m.verdict.kind).toBe('REJECT');
    expect(formatTrace(m)).toMatch(/verdict: REJECT \(icmp-host-prohibited\) by filter\/INPUT rule 5 .*\(no ICMP error is sent for a broadcast or multicast packet: the sender sees a silent drop\)/);
    const u = await traceBundle(dir, { src: '10.9.9.9', dst: '172.17.0.1', dport: 5353, protocol: 'udp', state: 'new' });
    expect(u.verdict.kind).toBe('REJECT');
    expect(formatTrace(u)).not.toMatch(/no ICMP error/);
  });
});
