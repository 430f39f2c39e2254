/**
 * projectcalico/calico#10538 (R9: PARTIAL, "restart the owner" would not hold): kube-proxy's restore fails on
 * `Couldn't load target 'KUBE-SVC-...'` because Calico's eBPF data plane (bpfEnabled) deletes kube-proxy's chains
 * while bpfKubeProxyIptablesCleanupEnabled is not false (its default). FelixConfiguration is read now; the finding
 * names Felix and the patch where it shows, says the cleanup is off where it is, and puts the Felix check before a
 * kube-proxy restart where the bundle has no Felix configuration. Texts: test/fixtures/calico-ebpf-cleanup/README.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { felixKubeProxyCleanup, parseFelixConfig, sniffFelixConfig } from '../../src/parsers/calico-felix-config.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath('test/fixtures/calico-ebpf-cleanup', p), 'utf8');
const log = fx('kube-proxy.log');
const after = fx('felixconfiguration.yaml');
// the broken state: the same configuration without the line that turned the cleanup off (one line left out)
const before = after.split('\n').filter((l) => !/^\s*bpfKubeProxyIptablesCleanupEnabled:/.test(l)).join('\n');
const finding = async (files: Record<string, string>, name: string) => (await analyzeBundle(writeFolder(files, name))).findings.find((f) => f.id === 'log.iptables-couldnt-load-match')!;

describe("Felix's configuration", () => {
  it('reads bpfEnabled and the cleanup switch with their lines; the comments naming them are not settings', () => {
    expect(sniffFelixConfig(after)).toBe(true);
    const c = parseFelixConfig(after, 'felixconfiguration.yaml');
    expect(c.bpfEnabled.map((s) => [s.value, s.ref.line])).toEqual([[true, 6]]);
    expect(c.bpfKubeProxyIptablesCleanupEnabled.map((s) => [s.value, s.ref.line])).toEqual([[false, 8]]);
    expect(felixKubeProxyCleanup([c])).toMatchObject({ cleans: false });
    expect(felixKubeProxyCleanup([parseFelixConfig(before, 'f.yaml')])).toMatchObject({ cleans: true });
  });

  it("calico-node's FELIX_BPFENABLED in an Installation's calicoNodeDaemonSet", () => {
    const env = fx('calico-node-env.yaml');
    expect(sniffFelixConfig(env)).toBe(true);
    const c = parseFelixConfig(env, 'installation.yaml');
    expect(c.bpfEnabled).toEqual([expect.objectContaining({ value: true, from: 'environment', ref: { file: 'installation.yaml', line: 9 } })]);
    expect(felixKubeProxyCleanup([c])?.cleans).toBe(true);
  });
});

describe("kube-proxy's chains deleted under it (calico#10538)", () => {
  it("eBPF on, the cleanup at its default: Felix named, the patch first, facts say who deletes", async () => {
    const f = await finding({ 'kube-proxy.log': log, 'felixconfiguration.yaml': before }, 'calico-ebpf-before');
    expect(f.message).toMatch(/Calico's eBPF data plane is on \(bpfEnabled: true, felixconfiguration\.yaml:6\)/);
    expect(f.message).toMatch(/defaults to true/);
    expect(f.facts).toMatchObject({ deletedBy: 'calico-ebpf-kube-proxy-cleanup', missingChains: ['KUBE-SVC-UOLAULR5MHUYULMB'] });
    expect(f.remedy.commands[0]).toBe(`kubectl patch felixconfiguration default --type merge -p '{"spec":{"bpfKubeProxyIptablesCleanupEnabled":false}}'   # kube-proxy stays: Felix stops deleting its chains`);
    expect(f.evidence.some((e) => e.file === 'felixconfiguration.yaml' && e.line === 6)).toBe(true);
  });

  it('the cleanup turned off (the thread after its fix): said so, a kube-proxy restart', async () => {
    const f = await finding({ 'kube-proxy.log': log, 'felixconfiguration.yaml': after }, 'calico-ebpf-after');
    expect(f.message).toMatch(/kube-proxy cleanup turned off \(bpfKubeProxyIptablesCleanupEnabled: false, felixconfiguration\.yaml:8\)/);
    expect(f.remedy.commands[0]).toMatch(/^kubectl -n kube-system delete pod -l k8s-app=kube-proxy/);
    expect(JSON.stringify(f.remedy)).not.toMatch(/felixconfiguration default --type merge/);
  });

  it('the log alone: the deleters named, the Felix check before the restart', async () => {
    const f = await finding({ 'kube-proxy.log': log }, 'calico-ebpf-log-only');
    expect(f.message).toMatch(/another agent deleted it in between/);
    expect(f.remedy.commands[0]).toMatch(/^kubectl get felixconfiguration -o yaml/);
    expect(f.remedy.commands.at(-1)).toMatch(/^kubectl -n kube-system delete pod -l k8s-app=kube-proxy/);
  });

  it("Felix's configuration without kube-proxy's failure: nothing", async () => {
    const report = await analyzeBundle(writeFolder({ 'felixconfiguration.yaml': before }, 'calico-ebpf-healthy'));
    expect(report.findings).toEqual([]);
  });
});
