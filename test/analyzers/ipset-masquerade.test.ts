/**
 * iptables.docker-masquerade-missing with the node's ipset listing: Calico's cali-nat-outgoing
 * masquerades `-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst`;
 * the members the real `ipset list` printed (test/fixtures/ipset, made by make-fixtures.sh) decide
 * whether Docker's subnet is in the pool, ahead of what the set's name suggests. The rules are the
 * real Calico + Docker node of test/fixtures/rv5/calico-healthy with Docker's own MASQUERADE removed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const ID = 'iptables.docker-masquerade-missing';
const DOCKER_MASQ = '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n';
const ipsetFixture = (f: string) => readFileSync(projectPath('test/fixtures/ipset', f), 'utf8');

let n = 0;
/** calico-healthy without Docker's MASQUERADE, plus the given extra files (an ipset listing). */
function node(extra: Record<string, string>, edit: (text: string) => string = (t) => t): string {
  const dir = projectPath('test/fixtures/rv5/calico-healthy');
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.healthy.txt')) continue;
    const text = readFileSync(`${dir}/${f}`, 'utf8');
    files[`node/${f}`] = f === 'iptables-save.txt' ? edit(text.replace(DOCKER_MASQ, '')) : text;
  }
  for (const [p, t] of Object.entries(extra)) files[`node/${p}`] = t;
  return writeFolder(files, `ipset-masq-${n++}`);
}
const masq = async (dir: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);

describe('Calico IP-pool sets decided from the ipset listing', () => {
  it('the listing shows 172.17.0.0/16 is not in cali40masq-ipam-pools: critical, the set cited with its members', async () => {
    const found = await masq(node({ 'ipset_list.txt': ipsetFixture('calico.list') }));
    expect(found.map((f) => [f.severity, f.facts?.subnet])).toEqual([['critical', '172.17.0.0/16']]);
    const setEvidence = found[0].evidence.find((e) => e.excerpt === 'Name: cali40masq-ipam-pools');
    expect(setEvidence).toMatchObject({ file: expect.stringMatching(/ipset_list\.txt$/), line: 11 });
    expect(setEvidence?.note).toBe('hash:net set cali40masq-ipam-pools holds 10.244.0.0/16: not 172.17.0.0/16');
  });

  it('the listing shows 172.17.0.0/16 in the Calico pool (masqueraded by cali-nat-outgoing): no finding, where the name alone said critical', async () => {
    expect(await masq(node({ 'ipset_list.txt': ipsetFixture('calico-docker-pool.list') }))).toEqual([]);
    // without the listing, the name-based assumption (Calico pools are not Docker's subnet) stands
    expect((await masq(node({}))).map((f) => f.severity)).toEqual(['critical']);
  });

  it('ipset save output decides the same', async () => {
    const save = [
      'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1b5b2e1a',
      'add cali40all-ipam-pools 10.244.0.0/16',
      'add cali40all-ipam-pools 172.17.0.0/16',
      'create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x5d8f3a40',
      'add cali40masq-ipam-pools 10.244.0.0/16',
      'add cali40masq-ipam-pools 172.17.0.0/16',
      '',
    ].join('\n');
    expect(await masq(node({ ipset_save: save }))).toEqual([]);
    expect((await masq(node({ ipset_save: save.replace('add cali40masq-ipam-pools 172.17.0.0/16\n', '') }))).map((f) => f.severity)).toEqual(['critical']);
  });

  it('a headers-only listing (ipset list -t) decides nothing: the name-based assumption stays', async () => {
    const headers = ipsetFixture('calico-docker-pool.list').replace(/Members:\n[^\n]*(\n[^\n]+)*/g, '').replace(/\n\n+/g, '\n\n');
    expect(headers).not.toContain('Members:');
    expect((await masq(node({ 'ipset-list.txt': headers }))).map((f) => f.severity)).toEqual(['critical']);
  });

  it('a saved configuration (/etc/sysconfig/ipset) is not the live sets', async () => {
    const save = 'create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576\nadd cali40masq-ipam-pools 172.17.0.0/16\n';
    expect((await masq(node({ 'etc/sysconfig/ipset': save }))).map((f) => f.severity)).toEqual(['critical']);
  });

  it('a set of a name nothing is assumed about: the listing turns the warning into a decision', async () => {
    const renamed = (t: string) => t.replace(/cali40masq-ipam-pools/g, 'site-nat-sources');
    // without a listing: a warning (the set could hold the subnet)
    expect((await masq(node({}, renamed))).map((f) => f.severity)).toEqual(['warning']);
    // listed without the subnet: critical; with it: covered
    expect((await masq(node({ ipsets: renamed(ipsetFixture('calico.list')) }, renamed))).map((f) => f.severity)).toEqual(['critical']);
    expect(await masq(node({ ipsets: renamed(ipsetFixture('calico-docker-pool.list')) }, renamed))).toEqual([]);
  });
});
