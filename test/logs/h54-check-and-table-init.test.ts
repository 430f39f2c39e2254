/**
 * H54 (review R18 cases 04 and 08): iptables log lines that misread version skew.
 *
 * - https://github.com/cloudnativelabs/kube-router/issues/1676 (test/fixtures/h54/kube-router-1676, verbatim: aauren's
 *   2024-05-27 comment and TPXP's iptables-save rows): `iptables -t filter -C KUBE-ROUTER-INPUT ...` answered `Bad rule`
 *   for a rule listed on the line above. The check's prefilter missed `-t filter` before -C, so the line read as
 *   "someone removed your rules". iptables 1.8.10's -C is broken; fixed in 1.8.11 (kube-router#1789).
 * - https://github.com/istio/istio/issues/23009 with rancher/rancher#31012's error block (test/fixtures/h54/istio-23009,
 *   verbatim): legacy `iptables-restore v1.6.1: iptables-restore: unable to initialize table 'nat'` in istio-init: no
 *   iptable_nat / nf_nat on the host. Istio's module list: istio.io "Platform Requirements".
 * Healthy: a -C answered by nothing (it succeeded), a `Bad rule` after a -D (a real removal), another module-missing kind.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { specKey } from '../../analyzers/lib/r12-wording.js';
import { projectPath } from '../helpers/shared.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { runNode } from '../analyzers/helpers.js';
import type { Finding } from '../../src/report/schema.js';

const DIR = projectPath('test/fixtures/h54');
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id);
const ids = (text: string) => scanLogText(text, 'x.log').matches.map((m) => m.signature);

describe('kube-router#1676: a -C of a rule listed beside it', () => {
  it('the check with -t before -C is read as a check (prefilter); the version unknown, both known -C bugs are named', async () => {
    const report = await analyzeBundle(`${DIR}/kube-router-1676`);
    const f = byId(report.findings, 'log.iptables-bad-rule')!;
    expect(f).toBeDefined();
    expect(f.message).not.toMatch(/tried to delete|someone else removed/);
    expect(f.message).toMatch(/for a check \(-C\) \(iptables-check\.txt:3\), not a delete/);
    expect(f.title).toMatch(/1\.8\.0-1\.8\.2 or 1\.8\.10/);
    expect(f.message).toMatch(/kube-router#1676/);
    expect(f.remedy.summary).toMatch(/1\.8\.11/);
    // the checked rule is listed only in the same file (line 2), a paste the analyzer does not read as rules
  });

  it("where the node's iptables-save holds the checked rule, the check itself is broken", async () => {
    const report = await analyzeBundle(`${DIR}/kube-router-1676-with-save`);
    const f = byId(report.findings, 'log.iptables-bad-rule')!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/-C does not find a rule|check is broken|check itself is broken/);
    expect(f.evidence.some((e) => e.file.endsWith('iptables-save.txt') && e.line === 9)).toBe(true);
  });

  it('a Bad rule answers the command right above it: checks that succeeded, then a -D, is a delete (R20)', async () => {
    const report = await analyzeBundle(`${DIR}/check-then-delete`);
    const f = byId(report.findings, 'log.iptables-bad-rule')!;
    expect(f).toBeDefined();
    expect(f.facts?.answersCheck).toBeUndefined();
    expect(f.title).not.toMatch(/check \(-C\)/);
  });

  it('the prefilter takes options before -C, ip6tables, -nft/-legacy and sudo; a -D or a plain listing is no check', () => {
    for (const line of [
      'root@vm:~ #iptables -t filter -C KUBE-ROUTER-INPUT -d 10.243.1.0/24 -j RETURN',
      '$ sudo ip6tables -w 5 -t nat --check POSTROUTING -j MASQUERADE',
      '# iptables-nft -v -C INPUT -t filter -p tcp -d 10.20.30.40 --dport 53 -j ACCEPT',
      '# iptables-legacy --table=mangle -C PREROUTING -j MARK --set-mark 1',
    ])
      expect(ids(line), line).toContain('log.iptables-check-command');
    expect(ids('$ iptables -t filter -D KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP')).not.toContain('log.iptables-check-command');
    expect(ids('$ iptables -t nat -L POSTROUTING -n')).not.toContain('log.iptables-check-command');
  });

  it('specs compare modulo quoting and the order iptables prints in', () => {
    expect(specKey('-d 10.0.0.1 -m comment --comment "a b" -j RETURN')).toBe(specKey('-d 10.0.0.1/32 -m comment --comment \'a b\' -j RETURN'));
    expect(specKey('-p tcp --dport 80 -j ACCEPT')).toBe(specKey('-p tcp -m tcp --dport 80 -j ACCEPT'));
    expect(specKey('-j ACCEPT -s 10.0.0.0/8')).toBe(specKey('-s 10.0.0.0/8 -j ACCEPT'));
    expect(specKey('-s 10.0.0.0/8 -j ACCEPT')).not.toBe(specKey('-s 10.0.0.0/8 -j DROP'));
  });

  it('healthy: a -C that succeeded prints nothing, no finding; a Bad rule after a -D keeps the removal wording', async () => {
    const ok = scanLogText('root@vm:~ #iptables -t filter -C KUBE-ROUTER-INPUT -d 10.243.1.0/24 -j RETURN\nroot@vm:~ #echo $?\n0\n', 'ok.txt');
    expect(ok.matches.filter((m) => m.signature !== 'log.iptables-check-command')).toEqual([]);
    // the same listing and a -D of it: a delete that found nothing (the rule as written differs: no comment)
    const text = [
      '-A KUBE-ROUTER-INPUT -d 10.243.1.0/24 -m comment --comment "allow traffic to load balancer IP range: 10.243.1.0/24 - GNMUGXUVWPZFLO4Q" -j RETURN',
      'root@kube-router-vm2:~ #iptables -t filter -D KUBE-ROUTER-INPUT -d 10.243.1.0/24 -j RETURN',
      'iptables: Bad rule (does a matching rule exist in that chain?).',
      '',
    ].join('\n');
    const report = { findings: runNode(logSignatures, { logs: [scanLogText(text, 'session.log')] }) as unknown as Finding[] };
    const f = byId(report.findings, 'log.iptables-bad-rule')!;
    expect(f.message).toMatch(/tried to delete a rule that was no longer there/);
    expect(f.message).not.toMatch(/check is broken/);
  });
});

describe("istio#23009: istio-init's legacy iptables-restore cannot initialize the nat table", () => {
  it('only ip6tables failed: the IPv6 module named, IPv6 disabled at boot said as the other reading, not critical (R20)', async () => {
    const report = await analyzeBundle(`${DIR}/istio-ip6-only`);
    const f = byId(report.findings, 'log.iptables-module-missing')!;
    expect(f).toBeDefined();
    expect(f.severity).not.toBe('critical');
    expect(f.message).toMatch(/ip6table_nat/);
    expect(f.message).toMatch(/Only ip6tables failed: .*ipv6\.disable=1/);
  });

  it('one critical module-missing finding: iptable_nat and nf_nat, Istio\'s modules, the message line cited, the restore folded', async () => {
    const report = await analyzeBundle(`${DIR}/istio-23009`);
    expect(report.findings.map((f) => f.id)).toEqual(['log.iptables-module-missing']);
    const f = report.findings[0];
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: 'istio-init-error.log', line: 2 });
    expect(f.related).toContain('log.iptables-restore-failed');
    expect(f.message).toMatch(/iptable_nat, nf_nat/);
    expect(f.message).toMatch(/legacy iptables 1\.6\.1 in istio-init's image/);
    expect(f.message).toMatch(/an init container cannot load kernel modules/);
    const cmds = f.remedy.commands.join('\n');
    expect(cmds).toContain('xt_REDIRECT');
    expect(cmds).toContain('xt_owner');
    expect(cmds).toMatch(/> \/etc\/modules-load\.d\/istio-iptables\.conf/);
    expect(cmds).not.toMatch(/>> /);
  });

  it('healthy: another kind of module-missing line keeps its extension wording; the older insmod wording stays table-unavailable', () => {
    const other = scanLogText("Warning: Extension recent revision 0 not supported, missing kernel module?\n", 'k.log').matches;
    expect(other.map((m) => m.signature)).toContain('log.iptables-module-missing');
    expect(other.find((m) => m.signature === 'log.iptables-module-missing')!.facts.initTable).toBeUndefined();
    expect(ids("iptables v1.4.21: can't initialize iptables table `nat': Table does not exist (do you need to insmod?)")).not.toContain('log.iptables-module-missing');
  });
});
