import { describe, expect, it } from 'vitest';
import { displayText, printable, shortNames } from '../../src/report/names.js';

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
