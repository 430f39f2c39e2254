/**
 * An excerpt cited at a file and line is that line's text; an analyzer's description of the line
 * moves into the note. Real dumps: Docker 27's `iptables -S` and an `ip -d address`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { quotes, readableLine } from '../../src/engine/quote.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

describe('quotes(): is the excerpt the line?', () => {
  it('the whole line, a capped one, pieces around "…", spaces aside', () => {
    const line = 'Nov 20 10:15:02 docker-host-01 dockerd[1134]: msg="driver failed programming external connectivity: iptables: No chain/target/match by that name."';
    expect(quotes(line, line)).toBe(true);
    expect(quotes(line.slice(0, 60) + '…', line)).toBe(true);
    expect(quotes('Nov 20 10:15:02 docker-host-01 dockerd[1134]: …No chain/target/match by that name."', line)).toBe(true);
    expect(quotes('-A  FORWARD   -j DOCKER-USER', '-A FORWARD -j DOCKER-USER')).toBe(true);
    expect(quotes(':FORWARD DROP', '-P FORWARD DROP')).toBe(false);
    // pieces out of order are not the line
    expect(quotes('No chain…Nov 20', line)).toBe(false);
  });
});

describe.skipIf(!hasCorpus)('findings quote the bundle', () => {
  it('a FORWARD policy cited in -S output and docker0 in ip addr show their own lines', async () => {
    // Docker 27's real rules, with Docker's FORWARD jumps gone and the policy DROP
    const rules = readFileSync(corpusPath('iptables-save', 'moby-docker27-new-daemon-iptables-S.txt'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('-A FORWARD'))
      .map((l) => (l === '-P FORWARD ACCEPT' ? '-P FORWARD DROP' : l))
      .join('\n');
    const ipA = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000',
      '    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff',
      '    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0',
      '3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default',
      '    link/ether 02:42:7a:1b:2c:3d brd ff:ff:ff:ff:ff:ff',
      '    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0',
      '',
    ].join('\n');
    const report = await analyzeBundle(writeFolder({ 'iptables-S.txt': rules, 'ip-a.txt': ipA }, 'docker-host-03'));
    const files = { 'iptables-S.txt': rules.split('\n'), 'ip-a.txt': ipA.split('\n') } as Record<string, string[]>;
    const cited = report.findings.flatMap((f) => f.evidence).filter((e) => e.line > 0 && files[e.file.split('/').pop()!]);
    expect(cited.length).toBeGreaterThan(0);
    for (const e of cited) expect(quotes(e.excerpt, files[e.file.split('/').pop()!][e.line - 1]), `${e.file}:${e.line} ${e.excerpt}`).toBe(true);
    // forward-blocks' policy evidence (docker-chain-missing cites the same line for its missing jumps)
    const policy = report.findings.find((f) => f.id === 'iptables.forward-blocks-containers')?.evidence.find((e) => e.excerpt === '-P FORWARD DROP');
    expect(policy?.note).toMatch(/policy drops .*\(:FORWARD DROP\)$/);
    const docker0 = report.findings.flatMap((f) => f.evidence).find((e) => e.excerpt.startsWith('3: docker0:'));
    expect(docker0?.note).toBe('the docker0 bridge exists (docker0 172.17.0.1/16)');
  });
});

describe('a cited line that is no line of text keeps the analyzer\'s excerpt', () => {
  const dump = (dir: string) => projectPath('test', 'fixtures', 'nft', dir);

  it('readableLine: text lines yes; a JSON document on one line, or a line far longer than an excerpt, no', () => {
    const json = readFileSync(`${dump('fwddrop-json')}/nft_-j_list_ruleset`, 'utf8');
    expect(json.trimEnd().split('\n')).toHaveLength(1);
    expect(readableLine(json.trimEnd())).toBe(false);
    expect(readableLine('[{"Name": "bridge", "Id": "a1b2c3d4e5f6", "Driver": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]}}]')).toBe(false);
    expect(readableLine('x'.repeat(5000))).toBe(false);
    expect(readableLine('-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU')).toBe(true);
    expect(readableLine('        "Subnet": "172.17.0.0/16",')).toBe(true);
    expect(readableLine('{"a": 1}')).toBe(true);
    expect(readableLine('\tchain FORWARD {')).toBe(true);
  });

  it('nft -j: every rule is at line 1; the evidence says which rule, not the metainfo that starts the line', async () => {
    const report = await analyzeBundle(dump('fwddrop-json'));
    const cited = report.findings.flatMap((f) => f.evidence).filter((e) => e.file.endsWith('nft_-j_list_ruleset') && e.line > 0);
    expect(cited.length).toBeGreaterThan(0);
    for (const e of cited) {
      expect(e.line).toBe(1);
      expect(e.excerpt).not.toMatch(/metainfo|^\{"nftables"|^\[/);
    }
    // the policy that drops, as forward-blocks-containers names it
    const policy = report.findings.filter((f) => f.id === 'iptables.forward-blocks-containers').flatMap((f) => f.evidence);
    expect(policy.length).toBeGreaterThan(0);
    for (const e of policy) expect(e.excerpt).toBe(':FORWARD DROP');
    // the same rules listed as text quote their own line
    const text = await analyzeBundle(dump('fwddrop-text'));
    const lines = readFileSync(`${dump('fwddrop-text')}/nft_list_ruleset`, 'utf8').split('\n');
    const quoted = text.findings.flatMap((f) => f.evidence).filter((e) => e.file.endsWith('nft_list_ruleset') && e.line > 0);
    expect(quoted.length).toBeGreaterThan(0);
    for (const e of quoted) expect(quotes(e.excerpt, lines[e.line - 1]), `${e.line} ${e.excerpt}`).toBe(true);
  });
});
