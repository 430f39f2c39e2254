/** The Markdown report through a real CommonMark/GFM renderer (marked): it renders as intended, and bundle text stays text. */
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { buildIndex, digestOf, indexEntry } from '../../src/batch/index-report.js';
import { render, renderIndex } from '../../src/report/render.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n';

describe('Markdown report rendered by marked (GFM)', () => {
  it('tables, headings, fenced excerpts and <details> come out as HTML elements', async () => {
    const path = writeTmp('md.tgz', await makeTarGz([
      { name: 't/node-a/sysctl.txt', content: OFF },
      { name: 't/node-b/sysctl.txt', content: OFF.replace('= 0', '= 1') },
      { name: 't/node-c/sysctl.txt', content: OFF.replace('= 0', '= 1') },
    ]));
    const md = render(await analyze([path]), 'md');
    const html = await marked.parse(md, { gfm: true });
    expect(html).toMatch(/<h1[^>]*>bundle-doctor report<\/h1>/);
    expect(html).toMatch(/<table>\s*<thead>\s*<tr>\s*<th><\/th>\s*<th>Finding<\/th>/);
    expect(html).toMatch(/<td><strong>IPv4 forwarding is disabled<\/strong> \(<code>sysctl\.ip-forward-disabled<\/code>\)<\/td>/);
    expect(html).toContain('<pre><code>net.ipv4.ip_forward = 0\n</code></pre>');
    expect(html).toMatch(/<pre><code class="language-sh">sysctl -w net\.ipv4\.ip_forward=1\n/);
    expect(html).toContain('<details><summary>Coverage: what was read and checked</summary>');
    // the cluster table marks the node that differs
    expect(html).toMatch(/<td><strong><code>0<\/code><\/strong> ⚠️<\/td>/);
  });

  it('bundle text with markup stays text: no raw tags, no broken tables', async () => {
    const hostile = 'x<script>alert(1)<\/script>|`**y**';
    const path = writeTmp('mdh.tgz', await makeTarGz([{ name: `t/${hostile}/sysctl.txt`, content: OFF }]));
    const md = render(await analyze([path]), 'md');
    const html = await marked.parse(md, { gfm: true });
    expect(html).not.toMatch(/<script>|<\/script>/);
    expect(html).not.toContain('<strong>y</strong>');
    // the summary table keeps its four columns
    expect(html.match(/<tr>\s*<td>[\s\S]*?<\/tr>/)?.[0].match(/<td>/g)).toHaveLength(4);
  });

  it('iptables table names, chain policies and owners from the bundle are escaped in the rule-set table (the cells stay five)', async () => {
    const rules = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD <script>alert(document.domain)</script> [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':EV|IL<b>`x` - [0:0]',
      '-A FORWARD -j DROP',
      'COMMIT',
      '*nat|x',
      ':PREROUTING ACCEPT [0:0]',
      'COMMIT',
      '',
    ].join('\n');
    const path = writeTmp('ipt.tgz', await makeTarGz([
      { name: 'case/node9/iptables-save.txt', content: rules },
      { name: 'case/node9/sysctl-a.txt', content: OFF },
    ]));
    const md = render(await analyze([path]), 'md');
    const html = await marked.parse(md, { gfm: true });
    expect(html).not.toMatch(/<script>|<\/script>|<b>/);
    const table = html.split('<th>Table</th>')[1]!.split('</table>')[0]!;
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const cells of rows) expect(cells).toHaveLength(5);
    expect(rows.find((c) => c[1] === '<code>FORWARD</code>')?.[2]).toBe('&lt;script&gt;alert(document.domain)&lt;/script&gt;');
    expect(rows.find((c) => c[1] === '<code>PREROUTING</code>')?.[0]).toBe('nat|x');
    expect(rows.some((c) => c[1] === '<code>EV|IL&lt;b&gt;`x`</code>')).toBe(true);
  });

  it('a | in a code span is escaped in table cells only: the Source line and evidence bullets show it without a backslash', async () => {
    const dir = tmpDir();
    mkdirSync(join(dir, 'ticket|7'));
    const path = writeTmp('ticket|7/b|1.tgz', await makeTarGz([{ name: 't/x|y/sysctl.txt', content: OFF }]), dir);
    const md = render(await analyze([path]), 'md');
    const html = await marked.parse(md, { gfm: true });
    expect(html).not.toContain('\\|');
    // the input lies outside the current directory: its base name (H56, R19 D4), `|` and all
    expect(html).toContain(`<strong>Source:</strong> <code>b|1.tgz</code>`);
    expect(html).toMatch(/<li><code>t\/x\|y\/sysctl\.txt:1<\/code>/);
    // the findings table: the same location in its cell, still four cells
    const row = html.match(/<tr>\s*<td>🔴 CRITICAL[\s\S]*?<\/tr>/)?.[0] ?? '';
    expect(row.match(/<td>/g)).toHaveLength(4);
    expect(row).toContain('<td><code>t/x|y/sysctl.txt:1</code></td>');
  });

  it('a bundle where nothing could be checked says so, instead of "no problems found"; a checked clean one says the latter', async () => {
    const unchecked = writeTmp('u.tgz', await makeTarGz([{ name: 't/README.md', content: '# what the customer sent\n\nSee attached.\n' }]));
    const checked = writeTmp('c.tgz', await makeTarGz([{ name: 't/sysctl.txt', content: OFF.replace('= 0', '= 1') }]));
    const routes = writeTmp('r.tgz', await makeTarGz([{ name: 't/ip-route.txt', content: readFileSync(projectPath('test/fixtures/overlay-ports/flannel-node.ip-route.txt'), 'utf8') }]));
    for (const format of ['md', 'html'] as const) {
      const none = render(await analyze([unchecked]), format);
      expect(none).toContain('Nothing could be checked:');
      expect(none).toContain('no file in the bundle is one bundle-doctor reads');
      expect(none).not.toContain('No problems found');
      // a file read that feeds no check alone (a ticket's ip route, R6's calico#4662 case): not "no file is read"
      const routesOnly = render(await analyze([routes]), format);
      expect(routesOnly).toContain('Nothing could be checked:');
      expect(routesOnly).toContain('what was read (routes) is not enough for any check on its own');
      expect(routesOnly).not.toContain('no file in the bundle is one bundle-doctor reads');
      // a sysctl file alone: checked, but not the core (rules, ip addr): no finding, not "no problems" (R13 #11)
      const clean = render(await analyze([checked]), format);
      expect(clean).toContain('No finding in what could be checked');
      expect(clean).not.toContain('No problems found');
      expect(clean).not.toContain('Nothing could be checked');
    }
    // the batch index tells the two apart too
    const report = await analyze([unchecked, checked]);
    const entries = report.bundles.map((b) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { md: 'x.md' }));
    expect(entries.map((e) => e.checked === 0)).toEqual([true, false]);
    const md = renderIndex(buildIndex(entries, new Map()), 'md');
    expect(md).toMatch(/`u\.tgz`.*nothing could be checked/);
    expect(md).toMatch(/`c\.tgz`.*no finding, \d+ of \d+ checks not run; missing: iptables rules, ip addr/);
    expect(md).not.toMatch(/`c\.tgz`.*healthy/);
    expect(renderIndex(buildIndex(entries, new Map()), 'html')).toContain('nothing checked');
  });

  it("the index says which bundles have each finding, linked to their reports; Markdown names ten, HTML all", async () => {
    const dir = tmpDir();
    const paths = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const ticket = `t-${String(i).padStart(2, '0')}`;
        mkdirSync(join(dir, ticket));
        return writeTmp(`${ticket}/bundle.tgz`, await makeTarGz([{ name: `n${i}/sysctl.txt`, content: OFF }]), dir);
      }),
    );
    const report = await analyze(paths);
    const known = new Map([['sysctl.ip-forward-disabled', { severity: 'critical' as const, title: 'IPv4 forwarding is disabled' }]]);
    const entries = report.bundles.map((b, i) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { md: `r${i}.md`, html: `r${i}.html` }));
    const md = renderIndex(buildIndex(entries, known), 'md');
    const row = md.split('\n').find((l) => l.includes('`sysctl.ip-forward-disabled`'))!;
    expect(row).toContain('| 12 | [t-00/bundle.tgz](r0.md), [t-01/bundle.tgz](r1.md), ');
    expect(row).toMatch(/\[t-09\/bundle\.tgz\]\(r9\.md\) and 2 more \|$/);
    const rendered = await marked.parse(md, { gfm: true });
    expect(rendered).toContain('<a href="r0.md">t-00/bundle.tgz</a>');
    const html = renderIndex(buildIndex(entries, known), 'html');
    expect(html).toContain('<td class="which"><details><summary>12</summary><a href="r0.html">t-00/bundle.tgz</a><br>');
    expect(html).toContain('<a href="r11.html">t-11/bundle.tgz</a><br></details>');
  });

  it('index: a merged index.json with markup in its report keys and labels keeps its table', async () => {
    const entry = {
      source: '/t/a|b<script>x</script>.tgz',
      reports: { 'md<script>alert(1)</script>|x': 'a.md' },
      nodes: 1,
      summary: { critical: 0, warning: 0, info: 0 },
      findingIds: [],
      checked: 1,
      ms: 1,
    };
    const index = buildIndex([entry], new Map());
    index.generatedAt = '<script>alert(2)</script>';
    const md = renderIndex(index, 'md');
    const row = md.split('\n').find((l) => l.startsWith('| `'))!;
    expect(row).toContain('[md&lt;script\\>alert(1)&lt;/script\\>\\|x](a.md)');
    const html = await marked.parse(md, { gfm: true });
    expect(html).not.toMatch(/<script>/);
    expect(html.match(/<tbody>\s*<tr>([\s\S]*?)<\/tr>/)?.[1].match(/<td>/g)).toHaveLength(7);
  });

  it('colour codes and control characters of log lines do not reach the Markdown or HTML report; JSON keeps them', async () => {
    const line = 'Nov 20 10:14:03 docker-host-01 dockerd[912]: \x1b[31mERRO\x1b[0m[0012] Handler for POST /v1.41/containers/web/start returned error: driver failed programming external connectivity on endpoint web: (iptables failed: iptables --wait -t nat -A DOCKER -p tcp -d 0/0 --dport 8080 -j DNAT --to-destination 172.17.0.2:80 ! -i docker0: iptables: No chain/target/match by that name.\r\n (exit status 1))\x1b]0;pwned\x07\x1b[2J';
    const path = writeTmp('ansi.tgz', await makeTarGz([{ name: 'h/var/log/messages', content: line + '\n' }]));
    const report = await analyze([path]);
    const f = report.bundles[0].findings.find((x) => x.id === 'log.docker-port-programming-failed');
    expect(f?.evidence[0].excerpt).toContain('\x1b[31m');
    for (const format of ['md', 'html'] as const) {
      const out = render(report, format);
      expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(out).not.toContain('[31m');
      expect(out).not.toContain('pwned');
      expect(out).toContain('ERRO[0012] Handler for POST');
    }
    expect(render(report, 'json')).toContain('\\u001b[31mERRO');
  });
});
