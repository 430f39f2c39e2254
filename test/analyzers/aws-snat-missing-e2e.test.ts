/**
 * iptables.aws-snat-missing end to end, on an EKS log collector archive's folder
 * (test/fixtures/aws-snat/eks_i-..., its folder names those eks-log-collector.sh writes: networking/,
 * sysctls/, system/, var_log/aws-routed-eni/, kubelet/, cni/, ipamd/): someone ran
 * `iptables -t nat -F POSTROUTING` on the node (var_log/messages has the sudo line), kube-proxy put
 * its own jump back, aws-node did not. Its rules are the real iptables-save of make-fixtures.sh.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const ARCHIVE = 'eks_i-0a1b2c3d4e5f60718_2026-12-01_1031-UTC_0.7.8';
const FOLDER = projectPath('test/fixtures/aws-snat', ARCHIVE);
const NODE = 'ip-192-168-12-34.us-west-2.compute.internal';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe('EKS log collector archive, nat POSTROUTING flushed while aws-node ran', () => {
  it('the folder: one critical on the node, citing networking/iptables-save.txt, the pods\' routes and ipamd.log', async () => {
    const report = await analyzeBundle(FOLDER);
    expect(report.nodes.map((n) => n.name)).toEqual([NODE]);
    const found = report.findings.filter((f) => f.id === 'iptables.aws-snat-missing');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f).toMatchObject({ severity: 'critical', node: NODE });
    const save = readFileSync(join(FOLDER, 'networking/iptables-save.txt'), 'utf8').split('\n');
    expect(f.evidence[0].file).toBe('networking/iptables-save.txt');
    expect(save[f.evidence[0].line - 1]).toBe(':POSTROUTING ACCEPT [0:0]');
    expect(f.evidence.map((e) => e.file)).toEqual(expect.arrayContaining(['networking/iproute.txt', 'var_log/aws-routed-eni/ipamd.log']));
    expect(f.remedy.commands).toContain(`kubectl -n kube-system delete pod -l k8s-app=aws-node --field-selector spec.nodeName=${NODE}`);
    const ran = report.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.aws-snat-missing');
    expect(ran).toMatchObject({ status: 'ran', findings: 1 });
    // the collector's files are read as what they are
    expect(report.coverage.nodes[0].parseProblems).toEqual([]);
    expect(report.coverage.nodes[0].artifacts.routes).toEqual(['networking/iproute.txt']);
  });

  it('the archive as the collector makes it (its folders at the top of eks_<instance>_<time>_<version>.tar.gz): the same finding', async () => {
    const items = files(FOLDER).map((p) => ({ name: `./${relative(FOLDER, p)}`, content: readFileSync(p) }));
    const report = await analyzeBundle(writeTmp(`${ARCHIVE}.tar.gz`, await makeTarGz(items)));
    const f = report.findings.find((x) => x.id === 'iptables.aws-snat-missing');
    expect(f).toMatchObject({ severity: 'critical', node: NODE });
    expect(f?.evidence[0].file).toBe('networking/iptables-save.txt');
  });
});
