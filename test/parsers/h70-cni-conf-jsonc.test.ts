/**
 * src/parsers/cni-conf.ts reads JSON with jsonc-parser (src/parsers/json-position.ts turns its offsets into lines).
 * Real confs: k3s' 10-flannel.conflist and kube-router's 10-kuberouter.conf (test/fixtures/hairpin/README.md), and
 * the one-line conf kube-router writes (its test of GetPodCidrFromCniSpec, cloudnativelabs/kube-router). The bad
 * inputs are those real files broken the way hand edits and collectors break them: a `//` comment, a trailing
 * comma, a byte-order mark (Go's encoding/json, which libcni reads confs with, rejects all three), cut short,
 * a 5 MB line, binary bytes, absurd nesting. Each gives one ParseError line at its line, never another throw.
 */
import { readFileSync } from 'node:fs';
import { parseTree, type ParseError as JsonParseError } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseCniConf, parseJsonWithLines } from '../../src/parsers/cni-conf.js';
import { describeJsonError, explainJsonError, LineIndex } from '../../src/model/json-position.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'hairpin', name), 'utf8');
const K3S = fx('k3s-10-flannel.conflist');
const KUBE_ROUTER_WRITTEN = '{"bridge":"kube-bridge","ipam":{"subnet":"172.17.0.0/24","type":"host-local"},"isDefaultGateway":true,"name":"kubernetes","type":"bridge"}';

/** The ParseError parseCniConf throws (fails the test when it throws anything else, or nothing). */
function parseErrorOf(text: string, file = 'etc/cni/net.d/10-flannel.conflist'): ParseError {
  try {
    parseCniConf(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    const e = err as ParseError;
    // one plain line a support engineer reads
    expect(e.message).not.toMatch(/\n/);
    expect(e.message.length).toBeLessThan(200);
    expect(e.file).toBe(file);
    return e;
  }
  throw new Error('no ParseError');
}

describe('lines kept through jsonc-parser', () => {
  it("k3s' conflist: every plugin, key and setting at its own line", () => {
    const c = parseCniConf(K3S, 'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
    expect(c.name?.ref.line).toBe(2);
    expect(c.plugins.map((p) => [p.type, p.ref.line])).toEqual([
      ['flannel', 5],
      ['portmap', 13],
      ['bandwidth', 19],
    ]);
    const d = c.plugins[0].delegate!;
    expect([d.ref.line, d.hairpinMode?.ref.line, d.isDefaultGateway?.ref.line, d.keys.forceAddress?.ref.line]).toEqual([7, 8, 10, 9]);
    expect(c.plugins[2].keys.capabilities?.ref.line).toBe(21);
  });

  it('CRLF line ends (a conf saved on Windows): the same lines', () => {
    const c = parseCniConf(K3S.replace(/\n/g, '\r\n'), '10-flannel.conflist');
    expect(c.plugins[0].delegate?.hairpinMode).toMatchObject({ value: true, ref: { line: 8 }, excerpt: '"hairpinMode":true,' });
  });

  it("duplicate keys: the last wins, as Go's encoding/json does, at its line", () => {
    const c = parseCniConf('{\n "cniVersion": "0.3.1",\n "type": "bridge",\n "hairpinMode": false,\n "hairpinMode": true\n}\n', 'dup.conf');
    expect(c.plugins[0].hairpinMode).toMatchObject({ value: true, ref: { line: 5 } });
  });

  it('a 5 MB line (a conf padded by a generator): read, in well under a second', () => {
    const big = KUBE_ROUTER_WRITTEN.replace('"name":"kubernetes"', `"name":"kubernetes","note":"${'x'.repeat(5 * 1024 * 1024)}"`);
    const t0 = performance.now();
    const c = parseCniConf(big, '10-kuberouter.conf');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(c.plugins[0].ipam?.subnets.map((s) => [s.value, s.ref.line])).toEqual([['172.17.0.0/24', 1]]);
    // the excerpt of a key on that line is capped, not 5 MB
    expect(c.plugins[0].bridge!.excerpt.length).toBeLessThanOrEqual(400);
  });
});

describe('what libcni rejects is a ParseError at its line', () => {
  it('a // comment in the conf (JSON has none)', () => {
    const e = parseErrorOf(K3S.replace('"hairpinMode":true,', '// hairpin for pods that reach their own Service\n        "hairpinMode":true,'));
    expect(e.line).toBe(8);
    expect(e.message).toBe('not valid JSON: a comment (JSON has none); libcni rejects the file and the runtime does not load this network');
  });

  it('a /* */ comment', () => {
    expect(parseErrorOf(K3S.replace('"forceAddress":true,', '/* off */ "forceAddress":true,')).line).toBe(9);
  });

  it('a trailing comma in an object and in an array', () => {
    const obj = parseErrorOf(K3S.replace('"isDefaultGateway":true', '"isDefaultGateway":true,'));
    expect([obj.line, obj.message]).toEqual([10, 'not valid JSON: a comma before "}" (JSON allows none); libcni rejects the file and the runtime does not load this network']);
    const arr = parseErrorOf(K3S.replace(/\}\n {2}\]/, '},\n  ]'));
    // the line of the comma, not of the bracket after it
    expect(arr.line).toBe(24);
    expect(arr.message).toMatch(/a comma before "\]"/);
  });

  it('a byte-order mark before the JSON', () => {
    expect(parseErrorOf('\uFEFF' + K3S).message).toMatch(/^not valid JSON: the file starts with a byte-order mark \(U\+FEFF\); libcni rejects/);
  });

  it('a bare word where a string belongs, a missing comma', () => {
    const bare = parseErrorOf('{\n "type": "bridge",\n "bridge": cni0\n}', 'bad.conf');
    expect([bare.line, bare.message]).toEqual([3, 'not valid JSON: unexpected "cni0" (a string needs double quotes)']);
    const comma = parseErrorOf('{\n "type": "bridge"\n "bridge": "cni0"\n}', 'bad.conf');
    expect([comma.line, comma.message]).toEqual([3, 'not valid JSON: expected "," between two members, found "bridge"']);
  });
});

describe('bad input: one clear line, never a crash', () => {
  it('cut short (a collector stopped mid-file): says so, at the last line', () => {
    const cut = K3S.slice(0, K3S.indexOf('"portmap"'));
    const e = parseErrorOf(cut);
    expect(e.message).toBe('not valid JSON: the file ends inside the JSON (cut short?)');
    expect(e.line).toBe(cut.split('\n').length);
    // cut inside a 5 MB string on one line
    expect(parseErrorOf(`{"cniVersion":"0.3.1","type":"bridge","x":"${'y'.repeat(5 * 1024 * 1024)}`).message).toMatch(/cut short/);
  });

  it('text after the JSON value, a raw line break inside a string, a control byte', () => {
    expect(parseErrorOf(K3S + '{"type":"bridge"}\n').message).toBe('not valid JSON: text after the end of the JSON value');
    expect(parseErrorOf('{\n "type": "bri\ndge"\n}', 'x.conf').message).toBe('not valid JSON: a string not closed on its line');
    expect(parseErrorOf('{"type":"bri\u0001dge"}', 'x.conf').message).toBe('not valid JSON: a control character inside a string');
  });

  it('nested 100,000 deep: a ParseError, not a stack overflow', () => {
    const deep = `{"type":"bridge","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseErrorOf(deep, 'deep.conf').message).toMatch(/nested deeper than 64 levels/);
    expect(parseErrorOf(`{"type":"bridge","x":${'['.repeat(70)}${']'.repeat(70)}}`, 'deep.conf').message).toMatch(/nested deeper/);
  });

  it('binary data: skipped or a ParseError, never another error', () => {
    const bytes = readFileSync(process.execPath).subarray(0, 64 * 1024);
    for (const text of [bytes.toString('latin1'), bytes.toString('utf8'), '"type": \u0000\u0001\u00ff{[', '{"type":' + '\u0000'.repeat(100)]) {
      try {
        parseCniConf(text, 'cni.bin');
      } catch (err) {
        expect(err instanceof ParseError || err instanceof SkipFile).toBe(true);
        if (err instanceof ParseError) expect((err as Error).message).not.toMatch(/\n/);
      }
    }
  });

  it('an empty or blank file: a ParseError when it could be a conf, else skipped', () => {
    expect(() => parseCniConf('', 'x.conf')).toThrow(SkipFile);
    expect(() => parseJsonWithLines('  \n', 'x.conf')).toThrow(/empty file/);
  });
});

describe('json-position: offsets to lines, errors in words', () => {
  it('LineIndex: the line of each offset, CRLF or not', () => {
    const text = 'a\nbc\r\n\nd';
    const ix = new LineIndex(text);
    expect([0, 1, 2, 4, 5, 6, 7].map((o) => ix.lineAt(o))).toEqual([1, 1, 2, 2, 2, 3, 4]);
  });

  it('describeJsonError on the errors jsonc-parser reports', () => {
    const errs = (text: string) => {
      const errors: JsonParseError[] = [];
      parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
      return errors.map((e) => describeJsonError(e, text));
    };
    expect(errs('{"a": 1,}')[0]).toBe('a comma before "}" (JSON allows none)');
    expect(errs('[1, 2,]')[0]).toBe('a comma before "]" (JSON allows none)');
    expect(errs('{"a": 1')[0]).toBe('the file ends inside the JSON (cut short?)');
    expect(errs('{"a" 1}')[0]).toBe('expected ":" after a key, found "1"');
    expect(errs('{"a": 1} {"b": 2}')[0]).toBe('text after the end of the JSON value');
    const text = '{\n "a": 1,\n\n}';
    const errors: JsonParseError[] = [];
    parseTree(text, errors, { allowTrailingComma: false });
    expect(explainJsonError(errors[0], text)).toEqual({ message: 'a comma before "}" (JSON allows none)', offset: text.indexOf(',') });
  });
});
