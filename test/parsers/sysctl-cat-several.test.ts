/**
 * `cat` of several /proc/sys files, or `sysctl -n` of several keys, in one pasted command: one value per
 * line in the order the command names them (R11: only the first was read, or none). Where cat cannot
 * open one of them its error line stands in that file's place, and the others keep their order.
 * Fixtures: real output of this machine's kernel (6.x), the prompt line as a terminal shows it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSysctlText, sniffProcSysListing } from '../../src/parsers/sysctl.js';
import { projectPath } from '../helpers/shared.js';

const read = (f: string) => readFileSync(projectPath('test/fixtures/sysctl-cat-several', f), 'utf8');
const valuesOf = (f: string) => {
  const r = parseSysctlText(read(f), f);
  return Object.fromEntries([...r.values.values()].map((v) => [v.key, [v.value, v.ref.line]]));
};

describe('several /proc/sys values in one command', () => {
  it('cat a b c and sysctl -n k1 k2 k3: each value under its own key, at its own line', () => {
    expect(sniffProcSysListing(read('proc-sys.txt'))).toBe(true);
    expect(valuesOf('proc-sys.txt')).toEqual({
      'net.ipv4.ip_forward': ['0', 6],
      'net.bridge.bridge-nf-call-iptables': ['1', 3],
      'net.ipv4.conf.all.rp_filter': ['0', 4],
      'net.ipv4.conf.all.forwarding': ['0', 7],
      'net.ipv4.conf.default.rp_filter': ['0', 8],
    });
  });

  it("a file cat cannot open: its error takes its place, the next value is the next file's", () => {
    expect(sniffProcSysListing(read('proc-sys-missing.txt'))).toBe(true);
    expect(valuesOf('proc-sys-missing.txt')).toEqual({
      'net.ipv4.ip_forward': ['0', 2],
      'net.bridge.bridge-nf-call-iptables': ['1', 4],
    });
  });
});
