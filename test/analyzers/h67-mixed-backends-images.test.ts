/**
 * iptables.mixed-backends (helper H67): the host's iptables on nf_tables, the images' (kube-proxy, flannel) on legacy.
 * - geerlingguy/raspberry-pi-dramble#156 https://github.com/geerlingguy/raspberry-pi-dramble/issues/156: verbatim
 *   `iptables v1.8.2 (nf_tables)` on a Debian 10 kubeadm + flannel node, and the kubelet event (subnet.env missing).
 * - kubernetes/kubernetes#96468 https://github.com/kubernetes/kubernetes/issues/96468: kube-proxy's log naming its
 *   `ip6tables-restore v1.8.3 (legacy)` (test/fixtures/missing-chain).
 * - flannel-io/flannel#1306 https://github.com/flannel-io/flannel/issues/1306: legacy iptables finding no nat table is
 *   log.signatures' finding (the image writes nothing): not this one.
 * - Node objects of Kubernetes v1.28.13 (test/fixtures/flannel-public-ip): a release whose kube-proxy picks the back end.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const ID = 'iptables.mixed-backends';
const D = (f: string) => projectPath('test/fixtures/h67/dramble-156', f);
const KP = projectPath('test/fixtures/missing-chain/k8s96468-kube-proxy.log');
const NODES = projectPath('test/fixtures/flannel-public-ip/nodes/host-gw.json');
const findings = async (path: string) => (await analyzeBundle(path)).findings.filter((f) => f.id === ID);
function folder(files: Record<string, string>, texts: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'h67-'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  for (const [name, text] of Object.entries(texts)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('host on nf_tables, images on legacy', () => {
  it('raspberry-pi-dramble#156 (iptables -V nf_tables, flannel shown, no version of the images): info, not a warning', async () => {
    const f = await findings(projectPath('test/fixtures/h67/dramble-156'));
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toContain('iptables v1.8.2 (nf_tables), iptables_--version.txt:2');
    expect(f[0].message).toMatch(/flannel writes rules on it/);
    expect(f[0].message).toMatch(/not proven/);
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables_--version.txt:2', 'kubelet_events.txt:1']);
  });

  it("a container's log names its iptables (legacy): warning, fix update-alternatives to legacy on every node and reboot", async () => {
    const f = await findings(folder({ 'iptables_--version.txt': D('iptables_--version.txt'), 'kube-proxy.log': KP }));
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].message).toMatch(/kube-proxy writes with legacy iptables from its image/);
    expect(f[0].message).toContain('the log names its iptables "(legacy)" (kube-proxy.log:2)');
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables_--version.txt:2', 'kube-proxy.log:2']);
    const cmds = f[0].remedy!.commands.join('\n');
    for (const t of ['iptables', 'ip6tables', 'arptables', 'ebtables']) expect(cmds).toContain(`update-alternatives --set ${t} /usr/sbin/${t}-legacy`);
    expect(cmds).toMatch(/^reboot/m);
  });

  it('the host on legacy (iptables v1.8.3 (legacy) from the same log is the image; the host says legacy): nothing', async () => {
    const f = await findings(folder({ 'kube-proxy.log': KP }, { 'iptables_--version.txt': 'iptables v1.8.7 (legacy)\n' }));
    expect(f).toEqual([]);
  });

  it('Kubernetes v1.28 Node objects and no flannel: kube-proxy picks the host back end, nothing said', async () => {
    expect(await findings(folder({ 'iptables_--version.txt': D('iptables_--version.txt'), 'nodes.json': NODES }))).toEqual([]);
  });

  it('iptables -V alone (nothing shows Kubernetes or flannel): nothing', async () => {
    expect(await findings(folder({ 'iptables_--version.txt': D('iptables_--version.txt') }))).toEqual([]);
  });

  it("flannel#1306's legacy iptables finding no nat table: left to log.signatures, no second finding", async () => {
    const r = await analyzeBundle(folder({ 'iptables_--version.txt': D('iptables_--version.txt') }, {
      // verbatim lines of flannel-io/flannel#1306 (kube-flannel.log of /tmp/r22/06)
      'kube-flannel.log':
        "E0615 13:46:02.007083       1 iptables.go:115] Failed to ensure iptables rules: Error checking rule existence: failed to check rule existence: running [/sbin/iptables -t nat -C POSTROUTING -s 100.96.0.0/11 -d 100.96.0.0/11 -j RETURN --wait]: exit status 3: modprobe: can't change directory to '/lib/modules': No such file or directory\niptables v1.8.3 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.\n",
    }));
    expect(r.findings.filter((f) => f.id === ID).map((f) => f.severity)).not.toContain('warning');
    expect(r.findings.some((f) => f.id === 'log.flannel-iptables-failed' && f.severity === 'critical')).toBe(true);
  });
});
