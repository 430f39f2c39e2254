import { describe, expect, it } from 'vitest';
import { displayText, mapStrings, printable, shortNames } from '../../src/report/names.js';
import { render } from '../../src/report/render.js';
import type { Report } from '../../src/report/schema.js';

describe('shortNames', () => {
  it('names a path by its file name when that is unique', () => {
    expect(shortNames(['tickets/T-1/att.zip', 'tickets/T-2/sosreport-db01.tar.xz'])).toEqual(['att.zip', 'sosreport-db01.tar.xz']);
  });

  it('adds parent folders only where file names collide, as far as needed', () => {
    expect(
      shortNames(['/srv/tickets/T-1/bundle.tgz', '/srv/tickets/T-2/bundle.tgz', '/srv/tickets/T-3/other.zip', 'x/2025/a/s.tgz', 'y/2025/a/s.tgz', 'y/2026/a/s.tgz']),
    ).toEqual(['T-1/bundle.tgz', 'T-2/bundle.tgz', 'other.zip', 'x/2025/a/s.tgz', 'y/2025/a/s.tgz', '2026/a/s.tgz']);
  });

  it('copes with trailing slashes, a path that is a suffix of another, and the same path twice', () => {
    expect(shortNames(['b/extracted/', 'a/extracted', 'bundle.tgz', 'x/bundle.tgz', 'same.tgz', 'same.tgz'])).toEqual([
      'b/extracted',
      'a/extracted',
      'bundle.tgz',
      'x/bundle.tgz',
      'same.tgz',
      'same.tgz',
    ]);
    expect(shortNames(['/'])).toEqual(['/']);
    expect(shortNames([])).toEqual([]);
  });
});

describe('printable', () => {
  it('keeps a name on one line and the terminal untouched', () => {
    expect(printable('tickets/new\nline.tgz')).toBe('tickets/new\\nline.tgz');
    expect(printable('a\x1b[2Jb\tc\rd\x7f')).toBe('a\\x1b[2Jb\\tc\\rd\\x7f');
    expect(printable('T 1/bündel|`x`.tgz')).toBe('T 1/bündel|`x`.tgz');
  });
});

describe('displayText', () => {
  it('drops escape sequences and CRs, shows other control characters, keeps newlines and tabs', () => {
    expect(displayText('\x1b[31mERRO\x1b[0m[0012] refused\r')).toBe('ERRO[0012] refused');
    expect(displayText('a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c\x1bMd')).toBe('abcd');
    expect(displayText('x\x00y\tz\nw\x7f')).toBe('x\\x00y\tz\nw\\x7f');
    expect(displayText('plain ünïcode | `code`')).toBe('plain ünïcode | `code`');
  });
});

describe('bidirectional controls', () => {
  const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];

  it('are shown escaped in the display copy, so a file name cannot reorder its line', () => {
    expect(displayText('ticket-9/node1/rtl\u202egol.txt:1')).toBe('ticket-9/node1/rtl\\u202egol.txt:1');
    expect(displayText('Nov 20 11:02:16 node1 app[3]: user \u2067admin\u2069 logged in\r')).toBe('Nov 20 11:02:16 node1 app[3]: user \\u2067admin\\u2069 logged in');
    for (const c of BIDI) expect(displayText(`a${c}b`)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    // right-to-left text itself is text: only the invisible controls are shown
    expect(displayText('שלום مرحبا')).toBe('שלום مرحبا');
  });

  it('are shown escaped on the terminal too', () => {
    expect(printable('tickets/rtl\u202egol.tgz: truncated archive')).toBe('tickets/rtl\\u202egol.tgz: truncated archive');
    expect(printable('a\u200fb\nc')).toBe('a\\u200fb\\nc');
  });

  it('stay as they are in the JSON report, and are escaped in Markdown and HTML', () => {
    const excerpt = 'Nov 20 11:02:16 node1 app[3]: failed to acquire lease';
    const report: Report = {
      tool: { name: 'bundle-doctor', version: '0.0.0' },
      generatedAt: '2026-11-24T00:00:00Z',
      failures: [],
      bundles: [
        {
          source: 'ticket-9.tgz',
          layout: 'flat',
          nodes: [{ name: 'node1', nameFrom: 'hostname', layout: 'flat', root: 'ticket-9/node1', facts: {} }],
          findings: [
            {
              id: 'log.flannel-lease-failed',
              severity: 'warning',
              title: 'flannel cannot get its subnet lease',
              message: 'flannel on node1 cannot get its subnet lease',
              node: 'node1',
              analyzer: 'log.signatures',
              evidence: [{ file: 'ticket-9/node1/rtl\u202egol.txt', line: 1, excerpt }],
              remedy: { summary: 'Check the etcd or API server flannel uses.', commands: [] },
              facts: { 'rtl\u202egol.txt': 1 },
            },
          ],
          coverage: { nodes: [], cluster: [], notes: [], filesSeen: 1, bytesRead: 1 },
          summary: { critical: 0, warning: 1, info: 0 },
          timing: { readMs: 1, parseMs: 1, analyzeMs: 1, totalMs: 3 },
        },
      ],
    };
    expect(JSON.parse(render(report, 'json')).bundles[0].findings[0].evidence[0].file).toBe('ticket-9/node1/rtl\u202egol.txt');
    for (const format of ['md', 'html'] as const) {
      const text = render(report, format);
      expect(text, format).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/);
      expect(text, format).toContain('rtl\\u202egol.txt');
    }
  });
});

describe('mapStrings', () => {
  it('maps keys too (facts keyed by node name), through their own function when given', () => {
    const facts = { key: 'net.ipv4.ip_forward', values: { 'node-a': '1', 'node-c': '0' } };
    expect(mapStrings(facts, (s) => s.replace('node-', 'host-'))).toEqual({ key: 'net.ipv4.ip_forward', values: { 'host-a': '1', 'host-c': '0' } });
    expect(mapStrings(facts, (s) => s.toUpperCase(), (k) => k)).toEqual({ key: 'NET.IPV4.IP_FORWARD', values: { 'node-a': '1', 'node-c': '0' } });
    expect(facts.values).toEqual({ 'node-a': '1', 'node-c': '0' });
  });
});
