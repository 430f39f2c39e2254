/**
 * iptables.trace-rules-left from a listing (no spec to delete by): the printed commands, pasted
 * twice into a namespace holding the same rules, delete the TRACE rules and nothing else. The
 * plain `iptables -t raw -D PREROUTING 1` of before deleted Docker's direct-access DROP on the
 * second paste (reviewer R1, D1). Real iptables in a throwaway namespace; skipped without one.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import traceRules from '../../analyzers/iptables-trace-rules-left.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { canMakeNetns } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const NS = `bdtrace${process.pid}`;
const sh = (script: string) => execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', script], { encoding: 'utf8' });
const RULES = [
  'iptables -t raw -A PREROUTING -p tcp --dport 5432 -j TRACE',
  'iptables -t raw -A PREROUTING -d 172.17.0.2 ! -i docker0 -j DROP',
  'iptables -t raw -A PREROUTING -p udp --dport 53 -j TRACE',
  'iptables -t raw -A PREROUTING -d 172.17.0.3 ! -i docker0 -j DROP',
  'iptables -t raw -A OUTPUT -p tcp --dport 5432 -j TRACE',
];

describe.skipIf(!canMakeNetns())('trace-rules-left by number, run twice in a namespace', () => {
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      /* not made */
    }
  });

  it('deletes the three TRACE rules and keeps both Docker DROPs, however often it is pasted', () => {
    execFileSync('ip', ['netns', 'add', NS]);
    sh(RULES.join('\n'));
    const listing = sh('iptables -t raw -nvL');
    const [f] = runNode(traceRules, { iptables: [parseIptablesList(listing, 'iptables_-t_raw_-nvL', { table: 'raw' })] });
    expect(f.message).toMatch(/^3 TRACE rules/);
    const script = f.remedy.commands.join('\n');
    expect(script).not.toMatch(/-D \w+ -/); // a listing has no spec: these are deletes by number
    const before = sh('iptables -t raw -S');
    for (let run = 0; run < 2; run++) {
      try {
        sh(script);
      } catch {
        /* the second paste: the guards fail, nothing is deleted */
      }
      expect(sh('iptables -t raw -S').split('\n').filter(Boolean)).toEqual([
        '-P PREROUTING ACCEPT',
        '-P OUTPUT ACCEPT',
        '-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP',
        '-A PREROUTING -d 172.17.0.3/32 ! -i docker0 -j DROP',
      ]);
    }
    expect(before).toMatch(/-j TRACE/);
  });
});
