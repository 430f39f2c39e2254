/**
 * A match the tracer cannot evaluate (an ipset whose members the bundle lacks) is a fork: both
 * outcomes are walked, and when they reach the same verdict that is the answer. Real iptables-save
 * output of a kube-proxy IPVS + flannel node and of a Calico + Docker node (test/fixtures/rv5).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/rv5', ...p), 'utf8');
const tablesOf = (text: string, file = 'iptables-save.txt') => mergeRulesets([parseIptablesSave(text, file)]);
const podOut: Packet = { src: '10.244.1.5', dst: '198.51.100.10', protocol: 'tcp', dport: 443, sport: 40000, inInterface: 'cni0', outInterface: 'eth0', state: 'new', mark: 0 };

describe('IPVS node: nat KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP', () => {
  const local = ['192.168.30.7', '10.244.1.1', '10.244.1.0'];

  it('FORWARD policy DROP decides whichever way the set goes: DROP, the set rule named as undecided', () => {
    const r = trace(tablesOf(fx('ipvs-forward-drop', 'iptables-save.txt')), 'forward', podOut, { localAddresses: local });
    expect(r.verdict).toEqual({ kind: 'DROP' });
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', num: 0, line: 4 });
    expect(r.undecided?.map((u) => u.at.text)).toContainEqual(expect.stringMatching(/-A KUBE-SERVICES .*--match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT/));
    expect(r.undecided?.[0].reason).toMatch(/set's members are not in the bundle/);
    // one walk, as the tracer did before: unknown at the set rule
    const once = trace(tablesOf(fx('ipvs-forward-drop', 'iptables-save.txt')), 'forward', podOut, { localAddresses: local, noFork: true });
    expect(once.verdict.kind).toBe('unknown');
    // the reason quotes the match as iptables writes it, not `--match-set "KUBE-CLUSTER-IP dst,dst"`
    expect(once.verdict.kind === 'unknown' && once.verdict.reason).toMatch(/--match-set KUBE-CLUSTER-IP dst,dst(?!")/);
  });

  it('the healthy node (flannel accepts in FORWARD): ACCEPT', () => {
    const r = trace(tablesOf(fx('ipvs-forward-drop', 'iptables-save.healthy.txt')), 'forward', podOut, { localAddresses: local });
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.decidedBy?.text).toMatch(/FLANNEL-FWD -s 10\.244\.0\.0\/16 .*-j ACCEPT/);
  });

  it('outcomes that differ stay unknown: KUBE-IPVS-FILTER rejects a new connection to an IPVS address, else INPUT accepts', () => {
    const toNode: Packet = { src: '192.168.30.9', dst: '192.168.30.7', protocol: 'tcp', dport: 8080, sport: 40000, inInterface: 'eth0', state: 'new', mark: 0 };
    const r = trace(tablesOf(fx('ipvs-forward-drop', 'iptables-save.healthy.txt')), 'input', toNode, { localAddresses: local });
    expect(r.verdict.kind).toBe('unknown');
  });
});

describe('Calico + Docker: nat cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src -j MASQUERADE', () => {
  const local = ['192.168.10.12', '172.17.0.1'];
  const tables = () => tablesOf(fx('calico-healthy', 'iptables-save.txt'));

  it('a container to the outside: ACCEPT; the set rule cannot change the NAT (Docker masquerades either way)', () => {
    const r = trace(tables(), 'forward', { ...podOut, src: '172.17.0.2', inInterface: 'docker0' }, { localAddresses: local });
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.undecided?.map((u) => u.at.line)).toEqual([198]);
    expect(r.natOutcomes).toBeUndefined();
    expect(r.packet.snat).toEqual({ masquerade: true });
  });

  it("Docker's MASQUERADE removed: ACCEPT, the NAT uncertain (masqueraded only if the set rule matched)", () => {
    const broken = tablesOf(fx('calico-healthy', 'iptables-save.txt').replace('-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n', ''));
    const r = trace(broken, 'forward', { ...podOut, src: '172.17.0.2', inInterface: 'docker0' }, { localAddresses: local });
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.natOutcomes?.map((o) => !!o.snat).sort()).toEqual([false, true]);
    // the outcome shown is the one where the set rule did not match
    expect(r.packet.snat).toBeUndefined();
  });

  it('with the set known (ctx.ipset), no fork', () => {
    const broken = tablesOf(fx('calico-healthy', 'iptables-save.txt').replace('-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n', ''));
    const r = trace(broken, 'forward', { ...podOut, src: '172.17.0.2', inInterface: 'docker0' }, { localAddresses: local, ipset: () => false });
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.undecided).toBeUndefined();
    expect(r.packet.snat).toBeUndefined();
  });
});
