/**
 * Messages and remedies quote commands between backticks (`iptables-legacy-save`). The Markdown
 * report showed them as escaped backticks (\`iptables-legacy-save\`) and the HTML report as
 * literal ones (reviewer R3); they are code now. What a bundle puts between backticks stays text:
 * a code span and <code> show their content as it is.
 */
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { htmlProse, mdProse, render } from '../../src/report/render.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('prose with `quoted commands`', () => {
  it('Markdown: each backtick pair is a code span, the rest escaped text; an unpaired backtick stays a character', async () => {
    const md = mdProse("Find the component that writes legacy rules (`iptables-legacy-save`) and switch it to the host's back end; a lone ` stays.");
    expect(md).toBe("Find the component that writes legacy rules (`iptables-legacy-save`) and switch it to the host's back end; a lone \\` stays.");
    const html = await marked.parse(md, { gfm: true });
    expect(html).toContain('(<code>iptables-legacy-save</code>)');
    expect(html).toContain('a lone ` stays.');
  });

  it('markup between backticks stays text, in Markdown and in HTML', async () => {
    const hostile = 'on `<img src=x onerror=alert(1)>` and **`x|y`** <b>z</b>';
    const html = await marked.parse(mdProse(hostile), { gfm: true });
    expect(html).not.toMatch(/<img|<b>|<strong>/);
    expect(html).toContain('<code>&lt;img src=x onerror=alert(1)&gt;</code>');
    expect(htmlProse(hostile, esc)).toBe('on <code>&lt;img src=x onerror=alert(1)&gt;</code> and **<code>x|y</code>** &lt;b&gt;z&lt;/b&gt;');
  });

  it('a real finding: the ip_forward remedy line that quotes a file renders as code in both reports', async () => {
    // a runtime 1 over a sysctl.conf that sets 0: sysctl.ip-forward-not-persistent quotes `sysctl --system`
    const path = writeTmp('prose.tgz', await makeTarGz([
      { name: 't/sysctl.txt', content: 'net.ipv4.ip_forward = 1\n' },
      { name: 't/etc/sysctl.conf', content: 'net.ipv4.ip_forward = 0\n' },
    ]));
    const report = await analyze([path]);
    const f = report.bundles[0].findings.find((x) => x.id === 'sysctl.ip-forward-not-persistent');
    const quoted = [f?.message, f?.impact, f?.remedy.summary, f?.remedy.caution].join(' ').match(/`([^`\n]+)`/)?.[1];
    expect(quoted, 'the finding quotes a command between backticks').toBeTruthy();
    const md = await marked.parse(render(report, 'md'), { gfm: true });
    expect(md).toContain(`<code>${esc(quoted!)}</code>`);
    expect(md).not.toContain(`\\\``);
    expect(render(report, 'html')).toContain(`<code>${esc(quoted!).replace(/'/g, '&#x27;')}</code>`);
  });
});
