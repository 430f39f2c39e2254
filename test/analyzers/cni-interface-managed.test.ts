/**
 * k3s-io/k3s#2599 (reviewer R5's case 02, a MISS): on k3OS, dhcpcd took flannel.1 as its own (the LAN address
 * and a default route), and flannel refused to start: `link has incompatible addresses`, k3s exiting with it.
 * test/fixtures/cni-interfaces/k3s2599-journalctl.txt is the thread's journal, verbatim. Now: a critical for
 * flannel's refusal (it exited) and a warning naming dhcpcd on flannel.1, with denyinterfaces as the fix. The
 * host's own interfaces under dhcpcd, and flannel's refusal without an exit, are not critical.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import { scanLogText } from '../../src/logs/index.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const JOURNAL = readFileSync(projectPath('test/fixtures/cni-interfaces/k3s2599-journalctl.txt'), 'utf8');
const run = (text: string) => runNode(logSignatures, { logs: [scanLogText(text, 'journalctl.txt', { year: 2020 })] });

describe('a network manager on the CNI interfaces (k3s-io/k3s#2599)', () => {
  it("flannel's refusal is critical (k3s exited); dhcpcd on flannel.1 is named with its address and the denyinterfaces fix", () => {
    const out = run(JOURNAL);
    const flannel = out.find((f) => f.id === 'log.flannel-incompatible-addresses')!;
    expect(flannel.severity).toBe('critical');
    expect(flannel.evidence[0]).toMatchObject({ file: 'journalctl.txt', line: 15 });
    expect(flannel.remedy.commands[0]).toMatch(/^ip -4 addr show dev flannel\.1/);
    const dhcpcd = out.find((f) => f.id === 'log.dhcpcd-on-cni-interface')!;
    expect(dhcpcd.severity).toBe('warning');
    expect(dhcpcd.facts).toMatchObject({ iface: ['flannel.1'] });
    expect(dhcpcd.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([1, 3, 5]));
    expect(dhcpcd.remedy.commands[0]).toMatch(/denyinterfaces cni0 cbr0 docker0 flannel\* veth\*/);
    // run twice, the line is added once: grep -q guards the append
    expect(dhcpcd.remedy.commands[0]).toMatch(/^grep -q '\^denyinterfaces\.\*flannel' \/etc\/dhcpcd\.conf \|\| echo /);
  });

  it("dhcpcd on the host's own interface, and flannel's refusal without an exit: no critical, no dhcpcd finding", () => {
    const host = JOURNAL.split('\n').filter((l) => l.includes('dhcpcd')).map((l) => l.replace('flannel.1', 'eth0')).join('\n');
    expect(run(host).map((f) => f.id)).not.toContain('log.dhcpcd-on-cni-interface');
    const refusal = 'E1127 08:48:19.234600    3368 main.go:330] failed to ensure address of interface flannel.1: link has incompatible addresses. Remove additional addresses and try again.\n';
    const [f] = run(refusal).filter((x) => x.id === 'log.flannel-incompatible-addresses');
    expect(f.severity).toBe('warning');
  });
});
