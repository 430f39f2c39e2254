/**
 * A bundle of rules alone (a customer pasted `iptables -nvL`, iptables-save or `nft list ruleset`, no
 * `ip addr`): forward-blocks-containers reads the bridges and subnets from Docker's own rules (nat
 * POSTROUTING `-s <subnet> ! -o <bridge> -j MASQUERADE`; with the filter table alone, Docker's per-bridge
 * FORWARD rules) and takes the uplink as "any interface no rule names" (reviewer R3, gap 1; moby/moby#49528).
 * The finding says so; a healthy host's rules give none; where an interface a rule names could be the
 * uplink and would pass, the coverage says what was not decided instead. port-blocked checks the host's
 * address on Docker's network (the subnet's first address) the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/r3-forward', ...p), 'utf8');
const UFW = 'ufw-reject-docker28';
const FORWARD = 'iptables.forward-blocks-containers';

async function report(files: Record<string, string>, name: string, requiredPorts: number[] = []): Promise<BundleReport> {
  return analyzeBundle(writeFolder(files, name), { requiredPorts });
}
const byId = (r: BundleReport, id: string) => r.findings.filter((f) => f.id === id);
const coverage = (r: BundleReport, id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id)!;

describe('forward-blocks-containers without ip addr: ufw DEFAULT_FORWARD_POLICY="REJECT" and Docker 28.0.0 (moby/moby#49528)', () => {
  it("the pasted listings alone: critical, ufw-reject-forward's REJECT named, docker0 and its subnet read from Docker's masquerade", async () => {
    const r = await report({ 'iptables-nvL.txt': fx(UFW, 'iptables-nvL.txt'), 'iptables-t-nat-nvL.txt': fx(UFW, 'iptables-t-nat-nvL.txt') }, 'r3-ufw-rules-only');
    const [f] = byId(r, FORWARD);
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: expect.stringMatching(/iptables-nvL\.txt$/), line: 111 });
    expect(f.facts).toMatchObject({ bridge: 'docker0', subnet: '172.17.0.0/16', uplink: null, uplinkKnown: false, verdict: 'REJECT', decidedBy: 'filter/ufw-reject-forward#1', basis: 'rules only: no ip addr in the bundle', bridgeFrom: 'docker masquerade', dockerRuleOrder: 'docker-28.0.0' });
    // the basis of the conclusion, and the cause: ufw's REJECT ahead of Docker's ACCEPTs (28.0.0's order)
    expect(f.message).toMatch(/the uplink is not in the bundle/);
    expect(f.message).toMatch(/DEFAULT_FORWARD_POLICY="REJECT"/);
    expect(f.message).toMatch(/FORWARD rule 11, .*iptables-nvL\.txt:22\) comes after ufw's jumps/);
    expect(f.message).toMatch(/Docker 28\.0\.0 .*moby\/moby#49518/);
    expect(f.message).toMatch(/read from Docker's own rules \(.*iptables-t-nat-nvL\.txt:14\)/);
    expect(f.evidence.map((e) => `${e.file.split('/').pop()}:${e.line}`)).toEqual(expect.arrayContaining(['iptables-t-nat-nvL.txt:14', 'iptables-nvL.txt:22']));
    // ufw-shaped: never an iptables rule in a chain ufw rebuilds, never RHEL's files on a ufw host
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^ufw route allow in on docker0   #/), expect.stringMatching(/DEFAULT_FORWARD_POLICY="DROP".*ufw reload/), expect.stringMatching(/28\.0\.1/)]));
    expect(f.remedy.commands.join('\n')).not.toMatch(/iptables (-t \S+ )?-I ufw/);
    expect(`${f.remedy.summary} ${f.remedy.caution}`).not.toMatch(/sysconfig|firewalld/);
    expect(f.remedy.summary).toMatch(/uplink is not in the bundle/);
    expect(coverage(r, FORWARD)).toMatchObject({ status: 'ran', reason: expect.stringMatching(/ran in part: interfaces and addresses \(ip addr\) are not in the bundle: docker0 was read from the rules.*collect ip addr/) });
  });

  it('with ip a: the same rule, the ufw rule narrowed to the uplink', async () => {
    const r = await report({ 'iptables-nvL.txt': fx(UFW, 'iptables-nvL.txt'), 'iptables-t-nat-nvL.txt': fx(UFW, 'iptables-t-nat-nvL.txt'), 'ip-a.txt': fx(UFW, 'ip-a.txt') }, 'r3-ufw-ipa');
    const [f] = byId(r, FORWARD);
    expect(f.facts).toMatchObject({ bridge: 'docker0', uplink: 'eth0', decidedBy: 'filter/ufw-reject-forward#1' });
    expect(f.facts).not.toHaveProperty('basis');
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^ufw route allow in on docker0 out on eth0   #/)]));
    expect(f.message).not.toMatch(/not in the bundle/);
  });

  it("iptables -nvL alone (no nat table): docker0 named by Docker's FORWARD rules, its subnet unknown, still the REJECT", async () => {
    const r = await report({ 'iptables-nvL.txt': fx(UFW, 'iptables-nvL.txt') }, 'r3-ufw-filter-only');
    const [f] = byId(r, FORWARD);
    expect(f.facts).toMatchObject({ bridge: 'docker0', subnet: null, decidedBy: 'filter/ufw-reject-forward#1', bridgeFrom: 'docker forward rules' });
    expect(f.message).toMatch(/a container on docker0 \(its subnet is not in the bundle\)/);
  });

  it.each([
    ['DEFAULT_FORWARD_POLICY="DROP" (save)', { 'iptables-save.txt': 'ufw-docker2800-policy-drop.iptables-save.txt' }],
    ['DEFAULT_FORWARD_POLICY="DROP" (filter listing only)', { 'iptables-nvL.txt': 'ufw-docker2800-policy-drop.iptables-nvL.txt' }],
    ['Docker 28.0.1+ (DOCKER-FORWARD first), REJECT kept (save)', { 'iptables-save.txt': 'ufw-docker2801.iptables-save.txt' }],
    ['Docker 28.0.1+ (filter listing only)', { 'iptables-nvL.txt': 'ufw-docker2801.iptables-nvL.txt' }],
    ['the remedy applied: ufw route allow in on docker0', { 'iptables-save.txt': 'ufw-docker2800-route.iptables-save.txt' }],
  ])('healthy, real dumps: %s gives no finding', async (_, files) => {
    const r = await report(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, fx('generated', v)])), `r3-healthy-${Object.values(files)[0]}`);
    expect(byId(r, FORWARD)).toEqual([]);
    expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });

  it('an interface a rule names could be the uplink and would pass: not decided, and the coverage says so', async () => {
    // ufw route allow in on docker0 out on eth0: eth0 passes, any other uplink is rejected; without ip addr, which is it?
    const r = await report({ 'iptables-save.txt': fx('generated', 'ufw-docker2800-route-eth0.iptables-save.txt') }, 'r3-ufw-route-eth0');
    expect(byId(r, FORWARD)).toEqual([]);
    expect(coverage(r, FORWARD).reason).toMatch(/rejected with what the bundle does not say \(the uplink\) taken as no rule names it, but not if the uplink is eth0, which a rule names: collect ip addr/);
    // with ip addr naming eth0 the uplink: it passes
    const withIp = await report({ 'iptables-save.txt': fx('generated', 'ufw-docker2800-route-eth0.iptables-save.txt'), 'ip-a.txt': fx(UFW, 'ip-a.txt') }, 'r3-ufw-route-eth0-ipa');
    expect(byId(withIp, FORWARD)).toEqual([]);
  });

  it("a bridge whose subnet is unknown (filter listing alone), a rule accepting a network it could be in: not decided", async () => {
    const r = await report({ 'iptables-nvL.txt': fx('generated', 'ufw-docker2800-src-accept.iptables-nvL.txt') }, 'r3-ufw-src-accept');
    expect(byId(r, FORWARD)).toEqual([]);
    expect(coverage(r, FORWARD).reason).toMatch(/a container on docker0 \(its subnet is not in the bundle\) .* is rejected with what the bundle does not say \(the uplink, the bridge's subnet\) taken as no rule names it, but not if the bridge's subnet holds 172\.16\.0\.2, which a rule matches/);
  });

  it('rules naming no container bridge: the coverage says to collect ip addr, not a bare "ran"', async () => {
    const plain = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', ''].join('\n');
    const r = await report({ 'iptables-save.txt': plain }, 'r3-plain');
    expect(coverage(r, FORWARD).reason).toMatch(/could not check container forwarding: interfaces and addresses \(ip addr\) are not in the bundle, and no rule names a container bridge.*collect ip addr/);
  });
});

describe('port-blocked without ip addr', () => {
  it("a required port dropped by ufw's INPUT policy, to the host's address on docker0 taken as 172.17.0.1: ufw-shaped fix", async () => {
    const r = await report({ 'iptables-nvL.txt': fx(UFW, 'iptables-nvL.txt'), 'iptables-t-nat-nvL.txt': fx(UFW, 'iptables-t-nat-nvL.txt') }, 'r3-ufw-port', [5432]);
    const [f] = byId(r, 'iptables.port-blocked');
    expect(f.facts).toMatchObject({ port: 5432, to: ['172.17.0.1'], blockedBy: ['INPUT#0'], basis: 'rules only: no ip addr in the bundle', hostAddressAssumed: ['docker0 172.17.0.1'] });
    expect(f.message).toMatch(/taken as 172\.17\.0\.1 \(the first address of the subnet/);
    expect(f.remedy.commands).toEqual([expect.stringMatching(/^ufw allow in on docker0 to 172\.17\.0\.1 port 5432 proto tcp   # ufw adds "-A ufw-user-input -i docker0 -p tcp -d 172\.17\.0\.1 --dport 5432 -j ACCEPT"/)]);
    expect(`${f.remedy.summary} ${f.remedy.caution}`).not.toMatch(/sysconfig/);
    expect(coverage(r, 'iptables.port-blocked').reason).toMatch(/ran in part: interfaces and addresses \(ip addr\) are not in the bundle: docker0 \(172\.17\.0\.0\/16\) read from Docker's rules, the host's address on it taken as 172\.17\.0\.1/);
  });

  it('a port Docker merely publishes is not checked without ip addr (the host address is assumed, and nothing asks for the port)', async () => {
    const save = fx('generated', 'ufw-docker2800.iptables-save.txt').replace('-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n', '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n');
    expect(save).toMatch(/--dport 8080 -j DNAT/);
    const r = await report({ 'iptables-save.txt': save }, 'r3-ufw-published');
    expect(byId(r, 'iptables.port-blocked')).toEqual([]);
  });

  it('the port allowed through ufw (the rule it prints, applied): no finding', async () => {
    const save = fx('generated', 'ufw-docker2800.iptables-save.txt').replace('-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT\n', '-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT\n-A ufw-user-input -d 172.17.0.1/32 -i docker0 -p tcp -m tcp --dport 5432 -j ACCEPT\n');
    expect(save).toMatch(/--dport 5432/);
    const r = await report({ 'iptables-save.txt': save }, 'r3-ufw-port-open', [5432]);
    expect(byId(r, 'iptables.port-blocked')).toEqual([]);
  });
});

/**
 * Every iptables dump of the corpus, alone (no ip addr): the checks now run on them, and must add no
 * critical a reading of the dump does not justify. None of these public dumps is of a host whose
 * containers cannot reach the outside, so neither check may fire on any; where they name Docker's
 * bridges, the coverage says what was read from the rules.
 */
const CORPUS_DIRS = ['iptables-save', 'iptables-list'];
const corpusDumps = hasCorpus ? CORPUS_DIRS.flatMap((d) => readdirSync(corpusPath(d)).map((f) => join(d, f))) : [];

describe.skipIf(!hasCorpus)('every corpus iptables dump without ip addr', () => {
  it('the corpus has its dumps', () => expect(corpusDumps.length).toBeGreaterThan(30));

  it.each(corpusDumps)('%s: no finding from forward-blocks-containers or port-blocked; no silent "ran" where Docker is named', async (rel) => {
    const name = rel.split('/').pop()!;
    const text = readFileSync(corpusPath(rel), 'utf8');
    const r = await report({ [name]: text }, `r3-corpus-${name}`);
    expect(r.findings.filter((f) => f.id === FORWARD || f.id === 'iptables.port-blocked').map((f) => f.message)).toEqual([]);
    const cov = coverage(r, FORWARD);
    if (/DOCKER/.test(text) && cov.status === 'ran') expect(cov.reason).toMatch(/^ran in part: /);
  });
});
