/**
 * A jump to a chain the paste does not list (rancher/rke#485's `iptables -L FORWARD` alone: cali-FORWARD,
 * KUBE-FORWARD) stops the trace on "its rules are not in the bundle" and what to collect, not on
 * "target cali-FORWARD not modelled", which read as the tool's limit (R21's wording note). A target
 * extension the tracer does not follow keeps "not modelled".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import { projectPath } from '../helpers/shared.js';

const pod: Packet = { src: '10.42.1.5', dst: '8.8.8.8', protocol: 'tcp', sport: 40000, dport: 443, inInterface: 'cni0', outInterface: 'eth0', state: 'new', mark: 0 };

describe('the reason a trace stops', () => {
  it('a chain the listing does not show: its rules are not in the bundle, and the command that lists them', () => {
    const text = readFileSync(projectPath('test/fixtures/h58/rke-485/iptables-filter-FORWARD.txt'), 'utf8');
    const r = trace(mergeRulesets([parseIptablesList(text, 'iptables-filter-FORWARD.txt')]), 'forward', pod, { localAddresses: [] });
    expect(r.verdict.kind).toBe('unknown');
    expect(r.verdict.kind === 'unknown' && r.verdict.reason).toBe('chain cali-FORWARD: its rules are not in the bundle (collect iptables -t filter -L cali-FORWARD -n -v, or iptables-save)');
  });

  it('a target extension it does not follow: not modelled', () => {
    // iptables-save v1.8.9 (nf_tables) of a namespace after iptables-restore of this rule
    const save = '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A FORWARD -j TEE --gateway 10.0.0.9\nCOMMIT\n';
    const r = trace(mergeRulesets([parseIptablesSave(save, 'iptables-save')]), 'forward', pod, { localAddresses: [] });
    expect(r.verdict.kind === 'unknown' && r.verdict.reason).toBe('target TEE not modelled');
  });
});
