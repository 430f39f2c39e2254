/**
 * aws-node's settings (ipamd's introspection endpoint /v1/networkutils-env-settings, saved by the EKS
 * log collector as ipamd/networkutils-env-settings.json) in iptables.aws-snat-missing.
 *
 * The real shape: the JSON of networkutils.GetConfigForDebug() (aws/amazon-vpc-cni-k8s
 * pkg/networkutils/network.go: a map of the env var names to the values ipamd uses, marshalled by Go:
 * one line, keys sorted; the exclusions a CIDR list or null, RANDOMIZESNAT its snatType number, 0 none,
 * 1 hashrandom, 2 prng), as the collector writes it (`curl --max-time 3 --silent
 * http://localhost:61679/v1/networkutils-env-settings >> ipamd/networkutils-env-settings.json`,
 * awslabs/amazon-eks-ami log-collector-script/linux/eks-log-collector.sh): the fixture folder's
 * ipamd/networkutils-env-settings.json. The pretty-printed older shape (with
 * AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER and RANDOMIZESNAT 1) is the one a public EKS workshop page
 * ("VPC Advanced") quotes from `curl http://localhost:61679/v1/networkutils-env-settings | python -m json.tool`.
 * The rules are the real iptables-save fixtures of test/fixtures/aws-snat (make-fixtures.sh).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-aws-snat-missing.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { SIGNATURES, scanLogText } from '../../src/logs/index.js';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseAwsCniNetworkSettings, sniffAwsCniNetworkSettings } from '../../src/parsers/aws-cni.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const E2E = 'eks_i-0a1b2c3d4e5f60718_2026-12-01_1031-UTC_0.7.8';
const FOLDER = projectPath('test/fixtures/aws-snat', E2E);
const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/aws-snat', ...p), 'utf8');
const NODE = 'ip-192-168-12-34.us-west-2.compute.internal';
const SAVE = 'networking/iptables-save.txt';
const SETTINGS_FILE = 'ipamd/networkutils-env-settings.json';
/** the collector's file of the fixture folder: external SNAT false, no exclusions, prng */
const REAL = fx(E2E, SETTINGS_FILE);
const EXTERNAL = REAL.replace('"AWS_VPC_K8S_CNI_EXTERNALSNAT":false', '"AWS_VPC_K8S_CNI_EXTERNALSNAT":true');
const PRETTY = `{
    "AWS_VPC_CNI_NODE_PORT_SUPPORT": true,
    "AWS_VPC_ENI_MTU": 9001,
    "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER": true,
    "AWS_VPC_K8S_CNI_CONNMARK": 128,
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": null,
    "AWS_VPC_K8S_CNI_EXTERNALSNAT": false,
    "AWS_VPC_K8S_CNI_RANDOMIZESNAT": 1
}
`;
/** ipamd.log of a version that did not print shouldExist: says nothing of the setting */
const IPAMD_OLD = fx(E2E, 'var_log/aws-routed-eni/ipamd.log').replace(/ shouldExist (true|false) rule \[[^\]]*\]/g, '');
const IPAMD_LOG = fx(E2E, 'var_log/aws-routed-eni/ipamd.log');

function eksNode(rules: string, settings: string | undefined, ipamd = IPAMD_OLD, save = fx(rules)): NodeArtifacts {
  return {
    iptables: [parseIptablesSave(save, SAVE)],
    ipAddr: [parseInterfaces(fx(E2E, 'networking/ifconfig.txt'), 'networking/ifconfig.txt')],
    routes: [parseRoutes(fx(E2E, 'networking/iproute.txt'), 'networking/iproute.txt')],
    logs: [scanLogText(ipamd, 'var_log/aws-routed-eni/ipamd.log', { catalog: SIGNATURES, source: { unit: 'ipamd' }, year: 2026 })],
    ...(settings === undefined ? {} : { awsCniSettings: [parseAwsCniNetworkSettings(settings, SETTINGS_FILE)] }),
  };
}

function withCoverage(a: NodeArtifacts) {
  const said: string[] = [];
  const found = analyzer.scope === 'node' ? analyzer.analyze({ node: NODE, artifacts: a as never, options: { requiredPorts: [] }, partly: (w) => said.push(w) }) : [];
  return { found, said };
}

describe("the settings file's real shapes", () => {
  it("ipamd's own (one line, as the collector saves it): every key with its line and text", () => {
    const s = parseAwsCniNetworkSettings(REAL, SETTINGS_FILE);
    expect(s.warnings).toEqual([]);
    expect(s.externalSnat).toEqual({ value: false, ref: { file: SETTINGS_FILE, line: 1 }, excerpt: '"AWS_VPC_K8S_CNI_EXTERNALSNAT":false' });
    expect(s.excludeSnatCidrs).toMatchObject({ value: [], excerpt: '"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":null' });
    expect(s.randomizeSnat).toMatchObject({ value: 'prng', excerpt: '"AWS_VPC_K8S_CNI_RANDOMIZESNAT":2' });
    expect(s.nodePortSupport?.value).toBe(true);
    expect(s.connmark?.value).toBe(128);
    expect(s.vethPrefix?.value).toBe('eni');
    expect(sniffAwsCniNetworkSettings(REAL)).toBe(true);
  });

  it('pretty-printed (python -m json.tool), an older version: a line per key', () => {
    const s = parseAwsCniNetworkSettings(PRETTY, 'networkutils-env-settings.json');
    expect(s.externalSnat).toEqual({ value: false, ref: { file: 'networkutils-env-settings.json', line: 7 }, excerpt: '"AWS_VPC_K8S_CNI_EXTERNALSNAT": false' });
    expect(s.randomizeSnat?.value).toBe('hashrandom');
    expect(s.vethPrefix).toBeUndefined();
    // exclusions over lines (json.tool writes a list an item per line)
    const listed = parseAwsCniNetworkSettings(PRETTY.replace('"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": null', '"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": [\n        "10.0.0.0/8",\n        "172.16.0.0/12"\n    ]'), 'f.json');
    expect(listed.excludeSnatCidrs).toMatchObject({ value: ['10.0.0.0/8', '172.16.0.0/12'], ref: { line: 6 } });
  });

  it('empty (ipamd did not answer the collector) is skipped; other text is a parse problem', () => {
    expect(() => parseAwsCniNetworkSettings('', SETTINGS_FILE)).toThrow(SkipFile);
    expect(() => parseAwsCniNetworkSettings('404 page not found\n', SETTINGS_FILE)).toThrow(ParseError);
    expect(() => parseAwsCniNetworkSettings('{"WARM_ENI_TARGET":1}', 'ipamd/ipamd-env-settings.json')).toThrow(SkipFile);
    expect(sniffAwsCniNetworkSettings('{"WARM_ENI_TARGET":1}')).toBe(false);
  });
});

describe('AWS_VPC_K8S_CNI_EXTERNALSNAT=false: the missing SNAT is a fault, the key its proof', () => {
  it('`iptables -t nat -F` (empty chains, the very table external SNAT leaves): critical, citing the key (nothing without the file)', () => {
    expect(runNode(analyzer, eksNode('nat-flushed.rules', undefined), NODE)).toEqual([]);
    const [f, ...more] = runNode(analyzer, eksNode('nat-flushed.rules', REAL), NODE);
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ snatChain: 'empty', proof: 'aws-node-settings' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: SETTINGS_FILE, line: 1, excerpt: '"AWS_VPC_K8S_CNI_EXTERNALSNAT":false' }));
    expect(f.message).toMatch(/The settings aws-node reported when the bundle was collected \(ipamd's introspection\) say the node does the pods' SNAT/);
    // the rule aws-node would write by the settings: the one the real iptables printed in the healthy dump
    const healthy = fx('healthy.rules').split('\n').find((l) => l.includes('"AWS, SNAT"'));
    expect(`-A AWS-SNAT-CHAIN-0 ${f.facts!.expectedSnatRule}`).toBe(healthy);
    expect(f.remedy.commands.find((c) => c.startsWith('iptables -t nat -S'))).toContain(`(${healthy})`);
  });

  it('the chain gone after a firewall restart: critical with the key (a warning without it)', () => {
    expect(runNode(analyzer, eksNode('firewall-restarted.rules', undefined), NODE)[0]?.severity).toBe('warning');
    const [f] = runNode(analyzer, eksNode('firewall-restarted.rules', REAL), NODE);
    expect(f).toMatchObject({ severity: 'critical', facts: { snatChain: 'absent', proof: 'aws-node-settings' } });
  });

  it('exclusions name the RETURNs aws-node writes in the remedy; exclusions of every address make the loss harmless', () => {
    const some = REAL.replace('"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":null', '"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":["10.0.0.0/8"]');
    const [f] = runNode(analyzer, eksNode('postrouting-flushed.rules', some), NODE);
    expect(f.severity).toBe('critical');
    expect(f.remedy.commands.find((c) => c.startsWith('iptables -t nat -S'))).toContain('and the exclusions 10.0.0.0/8');
    for (const all of ['["0.0.0.0/0"]', '["0.0.0.0/1","128.0.0.0/1"]']) {
      const { found, said } = withCoverage(eksNode('postrouting-flushed.rules', REAL.replace('"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":null', `"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":${all}`)));
      expect(found).toEqual([]);
      expect(said).toEqual([expect.stringMatching(/cover every IPv4 destination/)]);
    }
  });

  it.skipIf(!canMakeNetns())('with the real iptables: the rules aws-node writes by these settings, added to the flushed table, leave nothing to report', () => {
    const ns = `hawsset${process.pid}`;
    const run = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      run(['iptables-restore'], fx('nat-flushed.rules'));
      const some = REAL.replace('"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":null', '"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":["10.0.0.0/8"]');
      const [f] = runNode(analyzer, eksNode('nat-flushed.rules', some), NODE);
      expect(f.severity).toBe('critical');
      // updateIptablesRules: the jump appended, the chain's CIDR rules inserted at 1 (VPC, then the exclusion), the SNAT appended
      run(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-m', 'comment', '--comment', 'AWS SNAT CHAIN', '-j', 'AWS-SNAT-CHAIN-0']);
      run(['iptables', '-t', 'nat', '-I', 'AWS-SNAT-CHAIN-0', '1', '-d', '192.168.0.0/16', '-m', 'comment', '--comment', 'AWS SNAT CHAIN', '-j', 'RETURN']);
      run(['iptables', '-t', 'nat', '-I', 'AWS-SNAT-CHAIN-0', '1', '-d', '10.0.0.0/8', '-m', 'comment', '--comment', 'AWS SNAT CHAIN EXCLUSION', '-j', 'RETURN']);
      run(['iptables', '-t', 'nat', '-A', 'AWS-SNAT-CHAIN-0', '!', '-o', 'vlan+', '-m', 'comment', '--comment', 'AWS, SNAT', '-m', 'addrtype', '!', '--dst-type', 'LOCAL', '-j', 'SNAT', '--to-source', '192.168.12.34', '--random-fully']);
      const after = run(['iptables-save']);
      // the rule the finding says aws-node writes is the real iptables' text of it
      expect(after.split('\n')).toContain(`-A AWS-SNAT-CHAIN-0 ${f.facts!.expectedSnatRule}`);
      expect(after).toContain('-A AWS-SNAT-CHAIN-0 -d 10.0.0.0/8 -m comment --comment "AWS SNAT CHAIN EXCLUSION" -j RETURN');
      expect(runNode(analyzer, eksNode('nat-flushed.rules', some, IPAMD_OLD, after), NODE)).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('AWS_VPC_K8S_CNI_EXTERNALSNAT=true: the empty chains are what aws-node leaves', () => {
  it('no finding, and the coverage cites the key', () => {
    const { found, said } = withCoverage(eksNode('external-snat.rules', EXTERNAL));
    expect(found).toEqual([]);
    expect(said).toEqual([`aws-node writes no SNAT for pods here, as configured: ${SETTINGS_FILE} line 1 says "AWS_VPC_K8S_CNI_EXTERNALSNAT":true (a NAT gateway source-NATs the pods' traffic leaving the VPC; it is outside the bundle and was not checked)`]);
  });

  it("the settings, read when the bundle was collected, outweigh an earlier ipamd start's log line (shouldExist true)", () => {
    expect(runNode(analyzer, eksNode('nat-flushed.rules', undefined, IPAMD_LOG), NODE)[0]?.severity).toBe('critical');
    expect(runNode(analyzer, eksNode('nat-flushed.rules', EXTERNAL, IPAMD_LOG), NODE)).toEqual([]);
  });

  it('a healthy node (its SNAT reached) stays silent with either setting', () => {
    expect(runNode(analyzer, eksNode('healthy.rules', REAL), NODE)).toEqual([]);
    expect(runNode(analyzer, eksNode('healthy.rules', EXTERNAL), NODE)).toEqual([]);
  });
});

describe('end to end, the collector folder with its settings file', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const copyWith = (settings: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'bd-awsset-'));
    dirs.push(dir);
    const root = join(dir, E2E);
    cpSync(FOLDER, root, { recursive: true });
    writeFileSync(join(root, SETTINGS_FILE), settings);
    return dir;
  };

  it('false (the fixture): the file is read as aws-node\'s settings, and the critical cites it', async () => {
    const report = await analyzeBundle(FOLDER);
    expect(report.coverage.nodes[0].artifacts.awsCniSettings).toEqual([SETTINGS_FILE]);
    const f = report.findings.find((x) => x.id === 'iptables.aws-snat-missing');
    expect(f).toMatchObject({ severity: 'critical', facts: { proof: 'aws-node-settings' } });
    expect(f?.evidence).toContainEqual(expect.objectContaining({ file: SETTINGS_FILE, line: 1, excerpt: '"AWS_VPC_K8S_CNI_EXTERNALSNAT":false' }));
    // aws-node's log, named by the layout's log source
    expect(f?.evidence).toContainEqual(expect.objectContaining({ file: 'var_log/aws-routed-eni/ipamd.log', line: 0, note: "aws-node's log (ipamd): the VPC CNI runs here" }));
  });

  it('true, with the rules external SNAT leaves: no finding; the coverage says why', async () => {
    const dir = copyWith(EXTERNAL);
    writeFileSync(join(dir, E2E, SAVE), fx('external-snat.rules'));
    const report = await analyzeBundle(dir);
    expect(report.findings.filter((x) => x.id === 'iptables.aws-snat-missing')).toEqual([]);
    const ran = report.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.aws-snat-missing');
    expect(ran).toMatchObject({ status: 'ran', findings: 0 });
    expect(ran?.reason).toMatch(/"AWS_VPC_K8S_CNI_EXTERNALSNAT":true/);
  });

  it("empty (introspection off): nothing read, no parse problem, and the rules and ipamd's log decide as before", async () => {
    const report = await analyzeBundle(copyWith(''));
    expect(report.coverage.nodes[0].artifacts.awsCniSettings ?? []).toEqual([]);
    expect(report.coverage.nodes[0].parseProblems).toEqual([]);
    expect(report.findings.find((x) => x.id === 'iptables.aws-snat-missing')).toMatchObject({ severity: 'critical', facts: { proof: 'ipamd-log' } });
  });
});
