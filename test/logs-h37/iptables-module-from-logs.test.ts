/**
 * H37 (reviewer R15, cases 02 and 06): an iptables extension the kernel cannot give, read from the logs.
 *
 * - https://github.com/k3s-io/k3s/issues/10099: `iptables-restore v1.8.7 (legacy): Couldn't load target `REJECT':No such
 *   file or directory` inside k3s' kube-proxy `"Failed to execute iptables-restore" err=<`: the vendor kernel lacks
 *   CONFIG_IP_NF_TARGET_REJECT. REJECT is a built-in extension (iptables refuses a chain of that name), not a chain.
 * - https://github.com/k3s-io/k3s/issues/9243: iptables-nft 1.8.8's `Warning: Extension recent revision 0 not supported,
 *   missing kernel module?` in the same kind of restore: xt_recent, CONFIG_NETFILTER_XT_MATCH_RECENT (not the `set` options).
 * - https://github.com/kubernetes/kubernetes/issues/96468 (test/fixtures/missing-chain/k8s96468-kube-proxy.log, verbatim):
 *   `Couldn't load target `KUBE-MARK-DROP'` is a chain that is not there and keeps the chain wording.
 * - healthy: kube-proxy's start in iptables mode from rancher/rke2#7438 (test/fixtures/kube-proxy-nft-errors) and
 *   kube-router#1777's k3s log (corpus) name no extension and must not fire.
 * The module and option tables are checked against Debian 12's kernel package (test/fixtures/h37/README.md): its
 * modinfo and its /boot/config; the options come from the kernel's net/netfilter/Kconfig and net/ipv4/netfilter/Kconfig.
 * Both tickets' fixes were one finding each before: module-missing (or couldnt-load-match's chain/version wording) plus a
 * second log.iptables-restore-failed warning telling to "use one back end".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { XT_EXTENSION_CONFIG, XT_EXTENSION_MODULES, XT_IP6_EXTENSION_CONFIG, XT_IP6_EXTENSION_MODULES, XT_MORE_EXTENSION_MODULES } from '../../src/logs/signatures.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import { runNode } from '../analyzers/helpers.js';

const DIR = projectPath('test/fixtures/h37');
const text = (p: string) => readFileSync(`${DIR}/${p}`, 'utf8');
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id);

describe('k3s-io/k3s#10099: legacy iptables cannot load the REJECT target', () => {
  it('one critical finding: the module and its kernel option, the restore folded in, k3s restarted; no chain or back-end wording', async () => {
    const report = await analyzeBundle(`${DIR}/k3s-10099`);
    expect(report.findings.map((f) => f.id)).toEqual(['log.iptables-module-missing']);
    const f = report.findings[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('iptables: kernel module ipt_REJECT is missing');
    expect(f.message).toContain('"REJECT" is a built-in iptables extension, not a chain');
    expect(f.message).toContain("kube-proxy's iptables-restore");
    expect(f.message).not.toMatch(/the chain it jumps to|another iptables version/);
    expect(f.related).toEqual(['log.iptables-restore-failed']);
    // the restore's header (1), the module line (2), `Error occurred at line: 9` (4): one failure
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2, 4]);
    expect(f.remedy.summary).toContain('CONFIG_IP_NF_TARGET_REJECT for REJECT');
    expect(f.remedy.summary).not.toMatch(/one back end|align iptables|CONFIG_NETFILTER_XT_SET/);
    expect(f.remedy.commands).toEqual(
      expect.arrayContaining([
        'lsmod | grep -qw ipt_REJECT || modprobe ipt_REJECT',
        "printf '%s\\n' ipt_REJECT > /etc/modules-load.d/iptables-reject.conf   # loaded again at boot",
        'k3s check-config   # the kernel options k3s needs, and which this kernel lacks',
      ]),
    );
    expect(f.remedy.commands.some((c) => c.startsWith('systemctl restart k3s'))).toBe(true);
    expect(f.remedy.commands.some((c) => c.includes('CONFIG_IP_NF_TARGET_REJECT') && c.includes('/proc/config.gz'))).toBe(true);
    expect(f.facts).toMatchObject({ extension: ['REJECT'], kernelModules: ['ipt_REJECT'], kubeProxySyncBlocked: true });
  });

  it("ip6tables' REJECT is ip6t_REJECT and CONFIG_IP6_NF_TARGET_REJECT", () => {
    // the ticket's line as ip6tables-restore prints it (kube-proxy syncs each family with its own restore)
    const v6 = text('k3s-10099/journalctl-u-k3s.txt').replace('iptables-restore v1.8.7', 'ip6tables-restore v1.8.7');
    const [f] = runNode(logSignatures, { logs: [scanLogText(v6, 'journalctl-u-k3s.txt')] });
    expect(f.id).toBe('log.iptables-module-missing');
    expect(f.title).toBe('iptables: kernel module ip6t_REJECT is missing');
    expect(f.remedy.summary).toContain('CONFIG_IP6_NF_TARGET_REJECT for REJECT');
  });
});

describe('k3s-io/k3s#9243: iptables-nft cannot use the recent match', () => {
  it("one critical finding with recent's own kernel option, the restore folded in, k3s named", async () => {
    const report = await analyzeBundle(`${DIR}/k3s-9243`);
    expect(report.findings.map((f) => f.id)).toEqual(['log.iptables-module-missing']);
    const f = report.findings[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('iptables: kernel module xt_recent is missing');
    expect(f.related).toEqual(['log.iptables-restore-failed']);
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2]);
    expect(f.remedy.summary).toContain('CONFIG_NETFILTER_XT_MATCH_RECENT for recent');
    expect(f.remedy.summary).not.toMatch(/CONFIG_NETFILTER_XT_SET|CONFIG_IP_SET|one back end/);
    expect(f.remedy.summary).toContain('Then restart k3s');
    expect(f.remedy.commands[0]).toBe('lsmod | grep -qw xt_recent || modprobe xt_recent');
    expect(f.remedy.commands.some((c) => c.startsWith('systemctl restart k3s'))).toBe(true);
  });

  it('kube-proxy starting again after the failure (a later "Using iptables Proxier", rke2#7438\'s line): a warning, said so', () => {
    const start = text('../kube-proxy-nft-errors/rke2-7438-kube-proxy-iptables-mode.log').split('\n').find((l) => l.includes('"Using iptables Proxier"'))!;
    expect(start).toBeDefined();
    const log = `${text('k3s-9243/journalctl-u-k3s.txt')}Jan 16 03:25:02 hogsmeade2 k3s[1171442]: ${start}\n`;
    const out = runNode(logSignatures, { logs: [scanLogText(log, 'journalctl-u-k3s.txt', { year: 2024 })] });
    const f = out.find((x) => x.id === 'log.iptables-module-missing')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('kube-proxy started again after it');
    expect(f.facts).not.toHaveProperty('kubeProxySyncBlocked');
  });
});

describe('a jump to a chain keeps the chain wording', () => {
  it("kubernetes#96468's Couldn't load target `KUBE-MARK-DROP': the missing-chain finding, not a module", () => {
    const log = readFileSync(projectPath('test/fixtures/missing-chain/k8s96468-kube-proxy.log'), 'utf8');
    const out = runNode(logSignatures, { logs: [scanLogText(log, 'kube-proxy.log', { year: 2020, source: { namespace: 'kube-system', pod: 'kube-proxy-7xk2p', container: 'kube-proxy' } })] });
    expect(out.map((f) => f.id)).toEqual(['log.iptables-couldnt-load-match']);
    expect(out[0].title).toBe('The rules jump to a chain that does not exist (KUBE-MARK-DROP)');
    expect(scanLogText(log, 'kube-proxy.log').counts['log.iptables-module-missing']).toBeUndefined();
  });
});

describe('healthy logs do not fire', () => {
  it("kube-proxy's start in iptables mode (rke2#7438)", () => {
    const log = text('../kube-proxy-nft-errors/rke2-7438-kube-proxy-iptables-mode.log');
    const out = runNode(logSignatures, { logs: [scanLogText(log, 'kube-proxy.log', { year: 2024 })] });
    expect(out.filter((f) => /module-missing|couldnt-load|restore-failed/.test(f.id))).toEqual([]);
  });

  it.skipIf(!hasCorpus)("a k3s node's log with iptables-nft warnings but no extension (kube-router#1777)", () => {
    const log = readFileSync(corpusPath('logs', 'kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'utf8');
    const out = runNode(logSignatures, { logs: [scanLogText(log, 'k3s.log', { year: 2024 })] });
    expect(out.filter((f) => f.id === 'log.iptables-module-missing')).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('iptables-restore failing elsewhere: "one back end" only where the logs show both', () => {
  // read when the tests run: a describe's body runs at collection, where the corpus may be absent
  const restore = hasCorpus ? readFileSync(corpusPath('logs', 'flannel-971-kube-proxy-restore-line-3868.log'), 'utf8') : '';
  it('flannel#971 alone: the error lines, no back-end advice', () => {
    const f = runNode(logSignatures, { logs: [scanLogText(restore, 'kube-proxy.log')] }).find((x) => x.id === 'log.iptables-restore-failed')!;
    expect(f.remedy.summary).not.toMatch(/one back end/);
    expect(f.facts).not.toHaveProperty('backEndsSplit');
  });
  it("with iptables-nft's `iptables-legacy tables present` on the node (k3s#3117): use one back end", () => {
    const legacy = readFileSync(corpusPath('logs', 'k3s-3117-growing-rules-legacy-tables-present.log'), 'utf8');
    const f = runNode(logSignatures, { logs: [scanLogText(restore, 'kube-proxy.log'), scanLogText(legacy, 'session.txt')] }).find((x) => x.id === 'log.iptables-restore-failed')!;
    expect(f.remedy.summary).toMatch(/The logs show both iptables back ends \("iptables-legacy tables present", session\.txt:\d+\): use one back end/);
    expect(f.facts).toMatchObject({ backEndsSplit: true });
  });
});

describe("the extension tables, against Debian 12's kernel", () => {
  const blocks = new Map<string, string[]>();
  for (const file of ['modinfo-6.1.0-50-amd64-extra.txt', '../h13-logs/modinfo-6.1.0-50-amd64.txt'])
    for (const block of text(file).split(/^== /m).slice(1)) {
      const name = /^name:\s+(\S+)/m.exec(block)?.[1];
      if (name) blocks.set(name, [...block.matchAll(/^alias:\s+(\S+)/gm)].map((m) => m[1]));
    }
  const config = new Set([...text('config-6.1.0-50-amd64-netfilter.txt').matchAll(/^(?:# )?(CONFIG_\w+)[= ]/gm)].map((m) => m[1]));

  it('each extra module exists and is the one iptables asks for (its alias ipt_<extension>, or its own name)', () => {
    for (const [ext, [mod]] of Object.entries(XT_MORE_EXTENSION_MODULES)) {
      expect(blocks.has(mod), `${ext} -> ${mod}`).toBe(true);
      expect(mod === `ipt_${ext}` || blocks.get(mod)!.includes(`ipt_${ext}`), `${ext} -> ${mod}`).toBe(true);
    }
    expect(XT_IP6_EXTENSION_MODULES.REJECT).toEqual(['ip6t_REJECT']);
    expect(blocks.has('ip6t_REJECT')).toBe(true);
  });

  it('every extension with a module has its kernel option, and every option is one the kernel has', () => {
    for (const ext of [...Object.keys(XT_EXTENSION_MODULES), ...Object.keys(XT_MORE_EXTENSION_MODULES)]) expect(XT_EXTENSION_CONFIG[ext], ext).toBeDefined();
    for (const [ext, options] of [...Object.entries(XT_EXTENSION_CONFIG), ...Object.entries(XT_IP6_EXTENSION_CONFIG)])
      for (const o of options) expect(config.has(o), `${ext}: ${o}`).toBe(true);
    expect(XT_EXTENSION_CONFIG.recent).toEqual(['CONFIG_NETFILTER_XT_MATCH_RECENT']);
    expect(XT_EXTENSION_CONFIG.REJECT).toEqual(['CONFIG_IP_NF_TARGET_REJECT']);
  });
});
