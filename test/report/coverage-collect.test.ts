/**
 * Coverage that says what to collect (R13 #12), "healthy" only when the core checks ran (R13 #11),
 * absence evidence as a note, not a quoted line (R13 #15), finding anchors in HTML.
 * Real bundles: the project's example bundles (bundles/*.tgz) and the corpus' insights 4-node archive.
 */
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { render, usePrecompiledTemplates } from '../../src/report/render.js';
import { coverageView, coreOf, missingOf } from '../../src/report/collect.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

usePrecompiledTemplates(false);

describe('coverage grouped by what to collect', () => {
  it('docker-chains-flushed: the ✅ lines collapse into one, not-run checks are grouped with the command that collects them', async () => {
    const report = await analyze([projectPath('bundles/docker-chains-flushed.tgz')]);
    const b = report.bundles[0];
    const md = render(report, 'md');
    const ran = b.coverage.nodes[0].analyzers.filter((a) => a.status === 'ran' && !a.reason && a.findings === 0).length;
    expect(ran).toBeGreaterThan(10);
    expect(md).toContain(`- ✅ ${ran} checks ran and found nothing: `);
    // no single ✅ line per check any more
    expect(md).not.toMatch(/^- ✅ `[a-z0-9]+\.[a-z0-9-]+`$/m);
    const coverage = md.slice(md.indexOf('Coverage: what was read and checked'));
    expect(coverage).toContain('**Collect next**');
    expect(coverage).toMatch(/- conntrack statistics \(\d+ checks?\): `conntrack -S`/);
    // past the first six, the kinds are named on one line (their commands are in the node lists below)
    expect(coverage).toMatch(/- also: [^\n]*the IPVS table/);
    expect(coverage).toMatch(/For a sosreport, one command collects those sos has a plugin for \(the others need their own command\): `sos report -o [a-z_,]*ipvs[a-z_,]*`/);
    // the JSON keeps every entry
    const json = JSON.parse(render(report, 'json'));
    expect(json.bundles[0].coverage.nodes[0].analyzers.length).toBe(b.coverage.nodes[0].analyzers.length);
    expect(json.bundles[0].view).toBeUndefined();
  });

  it('a not-run reason names its artifact kinds; "neither A nor B" is either one', () => {
    const m = missingOf({ id: 'x.y', status: 'not-run', findings: 0, reason: "not run: neither iptables rules (iptables-save, iptables -S or iptables -L output, or iptables-nft's tables in nft list ruleset) nor nftables rules (nft list ruleset) in the bundle" });
    expect(m).toEqual({ kinds: ['iptables', 'nftables'], anyOf: true });
    const n = missingOf({ id: 'x.y', status: 'not-run', findings: 0, reason: 'not run: firewalld zones (firewall-cmd --list-all-zones, zone XML); interfaces and addresses (ip addr) not in the bundle' });
    expect(n).toEqual({ kinds: ['firewalldZones', 'ipAddr'], anyOf: false });
    expect(missingOf({ id: 'x.y', status: 'not-run', findings: 0, reason: 'not run: needs at least 2 nodes; the bundle has 1' })).toBeUndefined();
    expect(missingOf({ id: 'x.y', status: 'ran', findings: 0 })).toBeUndefined();
  });

  it('the engine records the kinds a check lacked; the report reads them, not the reason\'s words (older reports: the words)', async () => {
    const report = await analyze([projectPath('bundles/kube-firewall-corrupted.tgz')]);
    const runs = report.bundles[0].coverage.nodes[0].analyzers;
    // not run for want of a required kind: the kind, not its description
    const sysctl = runs.find((r) => r.id === 'sysctl.ip-forward-disabled')!;
    expect(sysctl.status).toBe('not-run');
    expect(sysctl.missing).toEqual(['sysctl']);
    // "neither A nor B": any one would do
    const anyOf = runs.find((r) => r.status === 'not-run' && r.anyOf);
    if (anyOf) expect(anyOf.missing!.length).toBeGreaterThan(1);
    // every not-run run says what it lacked (possibly nothing an artifact gives)
    for (const r of runs.filter((x) => x.status === 'not-run')) expect(r.missing).toBeDefined();
    for (const r of runs.filter((x) => x.status === 'ran' && !x.reason)) expect(r.missing).toBeUndefined();
    // the field decides, whatever the reason says
    expect(missingOf({ id: 'x.y', status: 'ran', findings: 0, reason: 'ran in part: the uplink was not decided', missing: ['routes'] })).toEqual({ kinds: ['routes'], anyOf: false });
    expect(missingOf({ id: 'x.y', status: 'not-run', findings: 0, reason: 'not run: interfaces and addresses (ip addr) not in the bundle', missing: [] })).toBeUndefined();
    expect(missingOf({ id: 'x.y', status: 'not-run', findings: 0, reason: 'not run', missing: ['iptables', 'nftables', 'noSuchKind'], anyOf: true })).toEqual({ kinds: ['iptables', 'nftables'], anyOf: true });
    // an older report: the words
    expect(missingOf({ id: 'x.y', status: 'ran', findings: 0, reason: 'ran in part: the bundle has no ip rule listing: ...' })).toEqual({ kinds: ['ipRules'], anyOf: false });
  });

  it('healthy-docker-k8s: the core checks ran, so "No problems found" stands', async () => {
    const report = await analyze([projectPath('bundles/healthy-docker-k8s.tgz')]);
    const b = report.bundles[0];
    expect(coreOf(b).core).toBe(true);
    if (b.findings.length === 0) expect(render(report, 'md')).toContain('No problems found in what the bundle holds: the core checks');
    expect(render(report, 'md')).not.toContain('Partly checked');
  });

  it('kube-firewall-corrupted (no sysctl, no ip addr): partly checked, first line names what is missing', async () => {
    const report = await analyze([projectPath('bundles/kube-firewall-corrupted.tgz')]);
    const c = coreOf(report.bundles[0]);
    expect(c.core).toBe(false);
    expect(c.missing).toEqual(expect.arrayContaining(['kernel parameters', 'ip addr']));
    const md = render(report, 'md');
    expect(md).toMatch(/> ⏭️ \*\*Partly checked:\*\* \d+ of \d+ checks could not run\. Missing: kernel parameters, .*ip addr/);
  });
});

describe('absence evidence and HTML anchors', () => {
  it('docker-chains-flushed: "no DOCKER chain" is an italic note, never a fenced quote; findings have anchors linked from a summary table', async () => {
    const report = await analyze([projectPath('bundles/docker-chains-flushed.tgz')]);
    const absent = report.bundles[0].findings.flatMap((f) => f.evidence).find((e) => e.line === 0 && /^no DOCKER chain/.test(e.excerpt));
    expect(absent).toBeDefined();
    const md = render(report, 'md');
    expect(md).toContain(`  *${absent!.excerpt}*`);
    expect(md).not.toMatch(new RegExp('```\\n\\s*' + absent!.excerpt));
    // quoted lines stay fenced
    const quoted = report.bundles[0].findings.flatMap((f) => f.evidence).find((e) => e.line > 0)!;
    expect(md).toContain('```');
    expect(quoted).toBeDefined();
    const html = render(report, 'html');
    expect(html).toContain(`<p class="absent"><em>${absent!.excerpt}</em></p>`);
    expect(html).not.toContain(`<pre class="excerpt">${absent!.excerpt}</pre>`);
    const n = report.bundles[0].findings.length;
    for (let i = 1; i <= n; i++) {
      expect(html).toContain(`href="#b1-f${i}"`);
      expect(html).toContain(`id="b1-f${i}"`);
    }
    // readable without JS: every finding open, the JS-only controls hidden until the script shows them
    expect(html).not.toMatch(/<details class="finding[^>]*>(?<!open>)\s*<summary>/);
    expect(html).toMatch(/<div class="filters"[^>]*hidden>/);
  });
});

describe('absence notes stay text', () => {
  it('markup in an absence note (an interface named <b>x, R13 hostile bundle) is escaped in md and html; the italics hold', async () => {
    const report = await analyze([projectPath('bundles/docker-chains-flushed.tgz')]);
    const e = report.bundles[0].findings.flatMap((f) => f.evidence).find((x) => x.line === 0)!;
    e.excerpt = 'no "-s 172.17.0.0/16 ! -o <b>x -j MASQUERADE" *reachable* from `nat` POSTROUTING';
    const md = render(report, 'md');
    const html = await marked.parse(md, { gfm: true });
    expect(html).toContain('<em>no &quot;-s 172.17.0.0/16 ! -o &lt;b&gt;x -j MASQUERADE&quot; *reachable* from `nat` POSTROUTING</em>');
    expect(render(report, 'html')).toContain('<p class="absent"><em>no &quot;-s 172.17.0.0/16 ! -o &lt;b&gt;x -j MASQUERADE&quot; *reachable* from &#x60;nat&#x60; POSTROUTING</em></p>');
  });
});

describe.skipIf(!hasCorpus)('insights 4-node archive (R13 #11: 141 not run, 23 ran)', () => {
  it('is not called healthy: partly checked, with the missing core artifacts', async () => {
    const report = await analyze([corpusPath('bundles/insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz')]);
    const b = report.bundles[0];
    const view = coverageView(b);
    expect(view.notRun).toBeGreaterThan(view.runs / 2);
    const c = coreOf(b, view);
    expect(c.core).toBe(false);
    const md = render(report, 'md');
    expect(md).not.toContain('No problems found in what the bundle holds');
    expect(md).toMatch(/Partly checked:\*\* \d+ of \d+ checks could not run/);
    expect(md).toContain('**Collect next**');
  });
});
