/**
 * Where ipset output sits, per layout: the names of hand-made folders and calicoctl's diags, any
 * file whose content is `ipset list` / `ipset save` output (troubleshoot's run host collector,
 * `host-collectors/run-host/<name>.txt`), saved configurations (/etc/sysconfig/ipset and its
 * kin) in every layout, and the report's coverage.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ipset', f), 'utf8');
const LIST = fx('kube-proxy-ipvs.list');
const SAVE = fx('kube-proxy-ipvs.save');
const IPTABLES = readFileSync(projectPath('test/fixtures/rv5/calico-healthy/iptables-save.txt'), 'utf8');

let n = 0;
async function located(files: Record<string, string>) {
  const dir = writeFolder(files, `ipset-layout-${n++}`);
  const tree = await readBundle(dir, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
  return locate(tree, 'ticket');
}
const ipsetFiles = (l: Awaited<ReturnType<typeof located>>) =>
  l.nodes.flatMap((node) => node.files.filter((f) => f.format === 'ipset').map((f) => [node.name, f.relPath, !!f.savedConfig]));

describe('hand-made folders', () => {
  it('the names people give ipset output, and a saved configuration', async () => {
    const l = await located({
      'ipset_list': LIST,
      'ipset-save.txt': SAVE,
      'ipset.txt': LIST,
      'ipset_list_-t': fx('kube-proxy-ipvs.headers'),
      'etc/sysconfig/ipset': SAVE,
      'iptables-save.txt': IPTABLES,
    });
    expect(l.layout).toBe('flat');
    expect(ipsetFiles(l).sort()).toEqual(
      [
        ['ticket', 'etc/sysconfig/ipset', true],
        ['ticket', 'ipset-save.txt', false],
        ['ticket', 'ipset.txt', false],
        ['ticket', 'ipset_list', false],
        ['ticket', 'ipset_list_-t', false],
      ].sort(),
    );
  });

  it('ipset output under any other name is recognised by its content', async () => {
    const l = await located({ 'node-a/out-17.txt': LIST, 'node-a/iptables-save.txt': IPTABLES, 'node-b/saved.rules': SAVE, 'node-b/iptables-save.txt': IPTABLES });
    expect(ipsetFiles(l).sort()).toEqual([
      ['node-a', 'out-17.txt', false],
      ['node-b', 'saved.rules', false],
    ]);
  });

  it("calicoctl node diags: diagnostics/ipsets and ipset_container", async () => {
    const l = await located({ 'diagnostics/ipsets': fx('calico.list'), 'diagnostics/ipset_container': fx('calico.list'), 'diagnostics/ipv4_tables': IPTABLES, 'diagnostics/hostname': 'calico-node-1\n' });
    expect(ipsetFiles(l).map((f) => f[1]).sort()).toEqual(['ipset_container', 'ipsets']);
  });

  it('a file named like ipset output that holds something else is skipped, not an error', async () => {
    const report = await analyzeBundle(writeFolder({ ipset_list: 'ipset v7.17: Kernel error received: Operation not permitted\n', 'iptables-save.txt': IPTABLES }, `ipset-layout-${n++}`));
    expect(report.coverage.nodes[0].artifacts.ipsets).toBeUndefined();
    expect(JSON.stringify(report.coverage)).not.toMatch(/ipset_list.*error/i);
  });
});

describe('troubleshoot', () => {
  it("a run host collector's output (host-collectors/run-host/<name>.txt) by content; a copied /etc/sysconfig/ipset is saved configuration", async () => {
    const l = await located({
      'bundle/version.yaml': 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n',
      'bundle/host-collectors/run-host/ipset-list.txt': LIST,
      'bundle/host-collectors/run-host/ipset-list-info.json': '{"command":"/usr/sbin/ipset list","exitCode":"0"}',
      'bundle/host-collectors/run-host/iptables-save.txt': IPTABLES,
      'bundle/host-collectors/copy-ipset/sysconfig/ipset': SAVE,
    });
    expect(l.layout).toBe('troubleshoot');
    expect(ipsetFiles(l).map((f) => [f[1], f[2]]).sort()).toEqual([
      ['ipset', true],
      ['ipset-list.txt', false],
    ]);
  });
});

describe('sosreport', () => {
  it('no sos plugin runs ipset: only the saved configuration is read, and a sos_commands output if one appears', async () => {
    const l = await located({
      'sosreport-node1-2026-01-01-abcdef/sos_commands/networking/ip_-d_address': '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    inet 127.0.0.1/8 scope host lo\n',
      'sosreport-node1-2026-01-01-abcdef/etc/sysconfig/ipset': SAVE,
      'sosreport-node1-2026-01-01-abcdef/sos_commands/custom/ipset_list': LIST,
    });
    expect(l.layout).toBe('sosreport');
    expect(ipsetFiles(l).sort()).toEqual([
      ['node1', 'etc/sysconfig/ipset', true],
      ['node1', 'sos_commands/custom/ipset_list', false],
    ]);
  });
});

describe('coverage', () => {
  it('the report lists the ipset files read; the masquerade analyzer ran with them', async () => {
    const report = await analyzeBundle(writeFolder({ 'node/ipset_list': fx('calico.list'), 'node/iptables-save.txt': IPTABLES }, `ipset-layout-${n++}`));
    const node = report.coverage.nodes[0];
    expect(node.artifacts.ipsets).toEqual([expect.stringMatching(/node\/ipset_list$/)]);
  });
});
