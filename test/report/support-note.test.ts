/**
 * R19 N5: reports are shared with customers, who do not have bundle-doctor. A `bundle-doctor trace`
 * line is for the support engineer: it is the remedy's support note, shown apart from the fix
 * commands (md: "For support:", html: <p class="support">), never inside the shell block a customer
 * copies.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { Report } from '../../src/report/schema.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';

// Go's `dial tcp local->peer: i/o timeout` shape, as moby#33721's dockerd writes it
const LINE = 'time="2026-11-20T10:00:01Z" level=warning msg="read tcp 10.244.1.5:51111->10.96.0.1:443: i/o timeout"\n';

describe('the support note', () => {
  it('is rendered apart from the fix commands in md and html, and is in the JSON remedy', async () => {
    const path = writeTmp('support-note.tgz', await makeTarGz([{ name: 'n1/app.log', content: LINE }]));
    const report = await analyze([path]);
    const f = report.bundles[0].findings.find((x) => x.id === 'log.connection-timed-out')!;
    expect(f.remedy.supportNote).toMatch(/^bundle-doctor trace <bundle> --src 10\.244\.1\.5 --dst 10\.96\.0\.1:443\/tcp/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/bundle-doctor/);
    expect(() => Report.parse(JSON.parse(render(report, 'json')))).not.toThrow();
    const md = render(report, 'md');
    expect(md).toMatch(/\*For support:\* `?bundle-doctor trace/);
    for (const block of md.match(/```sh\n[^]*?```/g) ?? []) expect(block).not.toMatch(/bundle-doctor/);
    const html = render(report, 'html');
    expect(html).toMatch(/<p class="support"><em>For support:<\/em> [^<]*(<code>)?bundle-doctor trace/);
    for (const pre of html.match(/<pre class="commands">[^]*?<\/pre>/g) ?? []) expect(pre).not.toMatch(/bundle-doctor/);
  });
});
