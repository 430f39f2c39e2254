/**
 * Docker with --iptables=false adds no MASQUERADE (moby#13381; docker/docs#565). Without ip addr or
 * docker network inspect, docker-masquerade-missing has no subnet to trace, but the whole live nat
 * table says it: where no rule of it (nor of a native nftables table) MASQUERADEs or SNATs
 * anything, docker-chain-missing's "Docker does not manage iptables" is a warning saying so, not an
 * info asking the engineer to check. The nat listing is the thread's, verbatim.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const NAT = readFileSync(projectPath('test/fixtures/r4-iptables-off/iptables-t-nat-L-nv.txt'), 'utf8');
const OPTS = 'DOCKER_OPTS="--iptables=false"\n';
const of = async (files: Record<string, string>, name: string) => (await analyzeBundle(writeFolder(files, name))).findings.filter((f) => f.id === 'iptables.docker-chain-missing');

describe('Docker with iptables off and a nat table that masquerades nothing', () => {
  it('moby#13381: empty nat POSTROUTING, --iptables=false in /etc/default/docker: a warning citing both', async () => {
    const [f] = await of({ 'iptables-t-nat-L-nv.txt': NAT, 'etc/default/docker': OPTS }, 'moby-13381');
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Docker does not manage iptables, and nothing masquerades its networks');
    expect(f.message).toMatch(/no rule of the nat table \(iptables-t-nat-L-nv\.txt\) MASQUERADEs or SNATs anything/);
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['etc/default/docker:1', 'iptables-t-nat-L-nv.txt:10']));
    expect(f.facts).toMatchObject({ dockerIptables: false, sourceNat: 'none' });
  });

  it('the host masquerades the bridge itself (its own rule in nat POSTROUTING): the info as before', async () => {
    const withMasq = NAT.replace(
      /(Chain POSTROUTING \(policy ACCEPT 1521 packets, 91807 bytes\)\n pkts bytes target .*\n)/,
      '$1    7   420 MASQUERADE  all  --  *      eth0    172.17.0.0/16        0.0.0.0/0\n',
    );
    expect(withMasq).not.toBe(NAT);
    const [f] = await of({ 'iptables-t-nat-L-nv.txt': withMasq, 'etc/default/docker': OPTS }, 'host-masq');
    expect(f.severity).toBe('info');
    expect(f.facts?.sourceNat).toBeUndefined();
  });

  it('Docker managing iptables: no iptables-off finding at all', async () => {
    const found = await of({ 'iptables-t-nat-L-nv.txt': NAT, 'etc/default/docker': 'DOCKER_OPTS="--dns 8.8.8.8"\n' }, 'managed');
    expect(found.every((f) => f.facts?.dockerIptables !== false)).toBe(true);
  });
});
