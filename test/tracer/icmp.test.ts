/**
 * ICMP types in both tracers, on rules as the real tools print them (iptables-save writes
 * `--icmp-type 8`, nft lists `icmp type echo-request`); an echo request is the default packet.
 */
import { describe, expect, it } from 'vitest';
import { icmpTypeMatches, nftIcmpNumber } from '../../src/netfilter/icmp.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { nftExtraChains } from '../../src/nft/trace.js';

const ping: Packet = { src: '10.99.0.2', dst: '10.99.0.1', protocol: 'icmp', state: 'new', mark: 0, inInterface: 'br0' };
const ctx = { localAddresses: ['10.99.0.1'] };

describe('ICMP types', () => {
  it('iptables --icmp-type by number, type/code, name and any', () => {
    expect(icmpTypeMatches('8', 8, 0)).toBe(true);
    expect(icmpTypeMatches('8/0', 8, 0)).toBe(true);
    expect(icmpTypeMatches('echo-request', 8, 0)).toBe(true);
    expect(icmpTypeMatches('any', 3, 3)).toBe(true);
    expect(icmpTypeMatches('echo-reply', 8, 0)).toBe(false);
    expect(icmpTypeMatches('destination-unreachable', 3, 10)).toBe(true);
    expect(icmpTypeMatches('host-prohibited', 3, 13)).toBe(false);
    expect(icmpTypeMatches('no-such-type', 8, 0)).toBe('unknown');
    expect(nftIcmpNumber('echo-request', 'type')).toBe(8);
    expect(nftIcmpNumber('admin-prohibited', 'code')).toBe(13);
  });

  it('an iptables rule for echo replies does not catch a ping; one for echo requests does', () => {
    const rules = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -p icmp -m icmp --icmp-type 0 -j ACCEPT', '-A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT', '-A INPUT -s 10.99.0.2/32 -p icmp -m icmp --icmp-type 8 -j REJECT --reject-with icmp-host-prohibited', 'COMMIT', ''].join('\n');
    const t = mergeRulesets([parseIptablesSave(rules, 'iptables-save')]);
    const r = trace(t, 'input', ping, ctx);
    expect(r.verdict).toEqual({ kind: 'REJECT', with: 'icmp-host-prohibited' });
    expect(r.decidedBy?.num).toBe(3);
    expect(trace(t, 'input', { ...ping, icmpType: 0 }, ctx).decidedBy?.num).toBe(1);
  });

  it('nft icmp type sets and a tcp reset that does not apply to ICMP', () => {
    const listing = ['table inet guard {', '\tchain input {', '\t\ttype filter hook input priority filter; policy drop;', '\t\tmeta l4proto tcp reject with tcp reset', '\t\ticmp type { echo-reply, destination-unreachable } accept', '\t\ticmp type echo-request accept', '\t}', '}', ''].join('\n');
    const c = { ...ctx, extraChains: nftExtraChains([parseNftText(listing, 'nft_list_ruleset')]) };
    const r = trace(new Map(), 'input', ping, c);
    expect(r.verdict).toEqual({ kind: 'ACCEPT' });
    expect(r.steps.map((s) => s.num)).toEqual([3]);
    expect(trace(new Map(), 'input', { ...ping, icmpType: 13 }, c).verdict).toEqual({ kind: 'DROP' });
  });
});
