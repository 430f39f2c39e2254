/**
 * flannel.masquerade-missing on k3s with only a grep of the nat listing (no FLANNEL chain, no subnet.env):
 * k3s-io/k3s#6047 and the k3s releases whose flannel cannot write its rules with an iptables before 1.6.2.
 *
 * Real text (test/fixtures/h41, SOURCES.md):
 * - k3s-io/k3s#6047 (https://github.com/k3s-io/k3s/issues/6047), verbatim: `iptables -vnL -t nat |grep 'MASQUERADE  all'`
 *   on k3s v1.22.13+k3s1 (kube-proxy's two rows, no flannel row), `k3s -v`, and `k3s check-config`
 *   (`- /sbin iptables v1.6.1: older than v1.8`);
 * - k3s-io/k3s#6092 (https://github.com/k3s-io/k3s/issues/6092), verbatim: `k3s -v` of the development build
 *   v1.22.13+k3s-42190acd, which carries the fixed flannel v0.19.2;
 * - made with the real iptables 1.8.9 in a network namespace (make-fixtures.sh) from ../k8s-flush/k3s-healthy.rules:
 *   greps of a healthy k3s node's nat listing that show flannel's MASQUERADE rows, and k3s#6047's grep verbatim,
 *   which shows nothing on 1.8.9 (it prints the protocol `0`, not `all`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import flannelMasqueradeMissing, { flannelRowsForTest } from '../../analyzers/flannel-masquerade-missing.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseK3sCheckConfig } from '../../src/parsers/k3s-check-config.js';
import { parseK3sVersion } from '../../src/parsers/k3s-version.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h41', name), 'utf8');
const GREP = 'k3s6047-iptables-vnL-nat-grep-MASQUERADE.txt';
const listing = (name: string) => parseIptablesList(fx(name), name, { fragments: true });
const K3S_6047 = () => parseK3sVersion(fx('k3s6047-k3s-version.txt'), 'k3s-version.txt');
const CHECK_CONFIG = () => parseK3sCheckConfig(fx('k3s6047-check-config.txt'), 'k3s-check-config.txt');
const k3s = (v: string) => parseK3sVersion(`k3s version ${v} (3daf4ed4)\ngo version go1.16.10\n`, 'k3s-version.txt');

function run(artifacts: Partial<NodeArtifacts>): { findings: FindingDraft[]; partly: { what: string; kinds?: readonly string[] }[] } {
  const partly: { what: string; kinds?: readonly string[] }[] = [];
  const findings = flannelMasqueradeMissing.analyze({ node: 'ip-172-31-15-30', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (what: string, kinds?: readonly string[]) => partly.push({ what, kinds }) } as never);
  return { findings, partly };
}
const coverage = (r: BundleReport, id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id)!;

describe("k3s#6047 verbatim: grep 'MASQUERADE  all', k3s v1.22.13+k3s1, check-config's iptables v1.6.1", () => {
  const artifacts = () => ({ iptables: [listing(GREP)], k3sVersion: [K3S_6047()], iptablesVersion: [CHECK_CONFIG()] });

  it('fires critical, names k3s#6047, flannel v0.19.1 and the fixed release of the 1.22 line, cites the grep, both versions and the rows shown', () => {
    const { findings, partly } = run(artifacts());
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe("flannel's masquerade for the pod network is missing");
    expect(f.message).toContain("the pasted `|grep 'MASQUERADE  all'` (" + GREP + ':1) would have shown flannel\'s two MASQUERADE rows');
    expect(f.message).toContain('This is k3s-io/k3s#6047: k3s v1.22.13+k3s1 (k3s-version.txt:1) with iptables 1.6.1 (k3s-check-config.txt:8)');
    expect(f.message).toContain('flannel v0.19.1');
    expect(f.message).toContain('Fixed in v1.22.15+k3s1 (k3s#6094');
    expect(f.message).not.toContain('7096');
    expect(f.facts).toMatchObject({ knownIssue: 'k3s-io/k3s#6047', k3sVersion: 'v1.22.13+k3s1', iptablesVersion: '1.6.1', fixedIn: 'v1.22.15+k3s1', network: '10.42.0.0/16', networkAssumed: true });
    const lines = fx(GREP).split('\n');
    expect(f.evidence[0]).toMatchObject({ file: GREP, line: 1, excerpt: lines[0] });
    expect(f.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: GREP, line: 3, excerpt: lines[2].trim() === lines[2] ? lines[2] : expect.any(String), note: "not flannel's (/* kubernetes service traffic requiring SNAT */)" }),
        expect.objectContaining({ file: 'k3s-version.txt', line: 1, excerpt: 'k3s version v1.22.13+k3s1 (3daf4ed4)' }),
        expect.objectContaining({ file: 'k3s-check-config.txt', line: 8, excerpt: '- /sbin iptables v1.6.1: older than v1.8', note: 'older than 1.6.2: iptables-restore has no --version' }),
      ]),
    );
  });

  it('the fix is the upgrade to v1.22.15+k3s1 (the release URL of that tag), the stop-gap has no --random-fully', () => {
    const [f] = run(artifacts()).findings;
    expect(f.remedy.summary).toMatch(/^Upgrade k3s on ip-172-31-15-30 to v1\.22\.15\+k3s1 or later \(k3s-io\/k3s#6047\)/);
    expect(f.remedy.commands[0]).toContain('https://github.com/k3s-io/k3s/releases/download/v1.22.15%2Bk3s1/k3s$A');
    // no command (the words before a `#` comment) asks for --random-fully, which iptables 1.6.1 refuses
    expect(f.remedy.commands.map((c) => c.replace(/#.*$/, '')).join('\n')).not.toContain('--random-fully');
  });

  it('without the iptables version (no check-config, no iptables -V): no finding, the coverage says the grep shows the rows only as iptables before 1.8.9 prints them, and asks for the version', () => {
    const { findings, partly } = run({ iptables: [listing(GREP)], k3sVersion: [K3S_6047()] });
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0].what).toMatch(/^k3s6047-iptables-vnL-nat-grep-MASQUERADE\.txt lists 2 nat rows without their chains, none of them flannel's, on a k3s node \(k3s v1\.22\.13\+k3s1 \(k3s-version\.txt:1\)/);
    expect(partly[0].what).toContain("which would have shown flannel's MASQUERADE rows only if iptables printed their protocol as `all` (before 1.8.9)");
    expect(partly[0].what).toContain('k3s check-config');
    expect(partly[0].kinds).toEqual(['iptables', 'iptablesVersion']);
  });

  it('with iptables -V 1.6.1 instead of check-config: the same critical, citing iptables -V', () => {
    const { findings } = run({ iptables: [listing(GREP)], k3sVersion: [K3S_6047()], iptablesVersion: [parseIptablesVersion('iptables v1.6.1\n', 'iptables-version.txt')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain('with iptables 1.6.1 (iptables-version.txt:1)');
  });

  it('check-config alone says k3s, but not the release: no finding, the coverage says what the grep shows', () => {
    const { findings, partly } = run({ iptables: [listing(GREP)], iptablesVersion: [CHECK_CONFIG()] });
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0].what).toContain('on a k3s node (k3s check-config (k3s-check-config.txt:8)');
  });

  it('the same paste without any k3s sign: nothing is flannel\'s, nothing said (a Docker host greps MASQUERADE too)', () => {
    const { findings, partly } = run({ iptables: [listing(GREP)], iptablesVersion: [parseIptablesVersion('iptables v1.6.1\n', 'iptables-version.txt')] });
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });
});

describe('k3s releases outside the gate, with the same grep and iptables 1.6.1: never the k3s#6047 cause', () => {
  for (const v of ['v1.22.12+k3s1', 'v1.22.15+k3s1', 'v1.24.6+k3s1', 'v1.25.0+k3s1', 'v1.27.1+k3s1']) {
    it(`${v}: no finding, "ran in part"`, () => {
      const { findings, partly } = run({ iptables: [listing(GREP)], k3sVersion: [k3s(v)], iptablesVersion: [CHECK_CONFIG()] });
      expect(findings).toEqual([]);
      expect(partly).toHaveLength(1);
      expect(partly[0].what).toContain('flannel does not run here (--flannel-backend=none, another CNI) or its masquerade is missing');
      expect(partly[0].kinds).toEqual(['iptables', 'flannelSubnetEnv']);
    });
  }

  it('the 1.22 development build the fix was validated on (k3s#6092, v1.22.13+k3s-42190acd): not k3s#6047', () => {
    const { findings } = run({ iptables: [listing(GREP)], k3sVersion: [parseK3sVersion(fx('k3s6092-k3s-version-devbuild.txt'), 'k3s-version.txt')], iptablesVersion: [CHECK_CONFIG()] });
    expect(findings).toEqual([]);
  });

  it('the other release lines of k3s#6047 (v1.23.10+k3s1, v1.24.4+k3s1) fire, each with its own fixed release', () => {
    for (const [v, fixed] of [['v1.23.10+k3s1', 'v1.23.12+k3s1'], ['v1.24.4+k3s1', 'v1.24.6+k3s1']]) {
      const { findings } = run({ iptables: [listing(GREP)], k3sVersion: [k3s(v)], iptablesVersion: [CHECK_CONFIG()] });
      expect(findings).toHaveLength(1);
      expect(findings[0].facts).toMatchObject({ knownIssue: 'k3s-io/k3s#6047', fixedIn: fixed });
    }
  });

  it('v1.22.13+k3s1 with an iptables that has --version and --random-fully (1.8.4 as on Ubuntu 20.04): not k3s#6047', () => {
    const { findings, partly } = run({ iptables: [listing(GREP)], k3sVersion: [K3S_6047()], iptablesVersion: [parseIptablesVersion('iptables v1.8.4 (legacy)\n', 'iptables-version.txt')] });
    expect(findings).toEqual([]);
    expect(partly[0].what).toContain('or its masquerade is missing');
  });
});

describe('healthy k3s greps (real iptables 1.8.9 in a namespace)', () => {
  const IPT_189 = () => parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'iptables-version.txt');
  for (const name of ['healthy-grep-MASQUERADE-0.txt', 'healthy-grep-MASQUERADE.txt']) {
    it(`${name}: flannel's rows are shown, no finding and nothing to say, even on a release of the gate`, () => {
      const { findings, partly } = run({ iptables: [listing(name)], k3sVersion: [K3S_6047()], iptablesVersion: [IPT_189()] });
      expect(findings).toEqual([]);
      expect(partly).toEqual([]);
    });
  }

  it("k3s#6047's grep 'MASQUERADE  all' would not show flannel's rows on iptables 1.8.9 (it prints `0`): with a kube-proxy row of 1.8.9 no finding, the coverage says why", () => {
    // the healthy node's rows as 1.8.9 printed them, under the thread's command line
    const rows = fx('healthy-grep-MASQUERADE-0.txt').split('\n').slice(1).filter((l) => !l.includes('flanneld'));
    const text = [fx(GREP).split('\n')[0], ...rows].join('\n');
    const { findings, partly } = run({ iptables: [parseIptablesList(text, 'grep.txt', { fragments: true })], k3sVersion: [K3S_6047()], iptablesVersion: [IPT_189()] });
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0].what).toContain("which would not have shown flannel's MASQUERADE rows");
    expect(partly[0].what).toContain('as iptables 1.8.9 prints them');
  });

  it("the rows flannel's rules are printed as match iptables 1.8.9's, column for column", () => {
    const lines = fx('healthy-grep-MASQUERADE-0.txt').split('\n');
    const { listedAs, protocolSpellings } = flannelRowsForTest;
    const N = { value: '10.42.0.0/16', negated: false };
    expect(protocolSpellings(parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'v'))).toEqual(['0']);
    expect(protocolSpellings(CHECK_CONFIG())).toEqual(['all']);
    expect(listedAs({ src: N, dst: { value: '224.0.0.0/4', negated: true }, target: 'MASQUERADE' }, '0', '    0     0 ', true)).toBe(lines[2]);
    expect(listedAs({ src: { ...N, negated: true }, dst: N, target: 'MASQUERADE' }, '0', '    0     0 ', true)).toBe(lines[3]);
  });
});

describe('through the whole engine', () => {
  it("k3s#6047's grep and k3s -v, verbatim: flannel.masquerade-missing is \"ran in part\", not \"found nothing\"", async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-vnL-nat-grep-MASQUERADE.txt': fx(GREP), 'k3s-version.txt': fx('k3s6047-k3s-version.txt') }, 'k3s6047'));
    expect(r.findings.map((f) => f.id)).not.toContain('flannel.masquerade-missing');
    expect(coverage(r, 'flannel.masquerade-missing').reason).toMatch(/^ran in part: iptables-vnL-nat-grep-MASQUERADE\.txt lists 2 nat rows without their chains, none of them flannel's, on a k3s node/);
  });

  it("with iptables -V of the same host (iptables v1.6.1): one critical naming k3s#6047", async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-vnL-nat-grep-MASQUERADE.txt': fx(GREP), 'k3s-version.txt': fx('k3s6047-k3s-version.txt'), 'iptables-version.txt': 'iptables v1.6.1\n' }, 'k3s6047v'));
    const f = r.findings.filter((x) => x.id === 'flannel.masquerade-missing');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toContain('k3s-io/k3s#6047');
  });

  it("the ticket's three pastes as they came (grep, k3s -v, k3s check-config): check-config's iptables v1.6.1 decides it, one critical", async () => {
    const r = await analyzeBundle(
      writeFolder({ 'iptables-vnL-nat-grep-MASQUERADE.txt': fx(GREP), 'k3s-version.txt': fx('k3s6047-k3s-version.txt'), 'k3s-check-config.txt': fx('k3s6047-check-config.txt') }, 'k3s6047cc'),
    );
    expect(r.coverage.nodes[0].artifacts.iptablesVersion).toEqual(['k3s-check-config.txt']);
    const f = r.findings.filter((x) => x.id === 'flannel.masquerade-missing');
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toContain('k3s-io/k3s#6047');
  });
});
