/**
 * firewalld.container-interface-unzoned from an `nft monitor trace` (H43): a packet that ends in
 * firewalld's catch-all reject at the end of filter_FORWARD, entering or leaving a container bridge,
 * is that bridge in no zone. Texts (test/fixtures/h43):
 * - docker/for-linux#1353's trace, verbatim (https://github.com/docker/for-linux/issues/1353): RHEL 8,
 *   an --internal network's bridge; `inet firewalld filter_FORWARD rule reject with icmpx type
 *   admin-prohibited (verdict drop)`; the paste lacks the packet line, so no bridge can be named;
 * - traces made with nft 1.0.6 in network namespaces (README there): the same reject for bridge
 *   br-0123456789ab (fires, names it), for a non-container interface lan0 (silent), an accepted packet
 *   (silent), and a drop in a host's own `table inet filter` (silent: not firewalld's).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import unzoned, { firewalldForwardRejects } from '../../analyzers/firewalld-container-interface-unzoned.js';
import { parseFirewallCmdListAllZones } from '../../src/nft/firewalld.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseNftTrace } from '../../src/parsers/nft-trace.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath(`test/fixtures/h43/${name}`), 'utf8');
const trace = (name: string) => parseNftTrace(fx(name), name);
const withTrace = (name: string, more: Record<string, unknown> = {}) => runNode(unzoned, { ...more, nftTrace: [trace(name)] } as never);
const zones = () => parseFirewallCmdListAllZones(readFileSync(projectPath('test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones'), 'utf8'), 'firewall-cmd_--list-all-zones');

describe('firewalld.container-interface-unzoned from nft monitor trace', () => {
  it('names the bridge from the trace and gives the docker-zone commands, runtime and permanent', () => {
    const findings = withTrace('trace-unzoned.txt');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ bridge: 'br-0123456789ab', traced: true, traces: 1 });
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['trace-unzoned.txt', 4],
      ['trace-unzoned.txt', 7],
    ]);
    expect(f.message).toContain('br-0123456789ab -> h43vb');
    expect(f.message).toContain('reject with icmpx admin-prohibited');
    expect(f.remedy.commands).toEqual(['firewall-cmd --zone=docker --add-interface=br-0123456789ab', 'firewall-cmd --permanent --zone=docker --add-interface=br-0123456789ab']);
  });

  it("docker/for-linux#1353's trace alone fires, saying the bridge is not shown, and asks for the zones and the bridges", () => {
    const parts: string[] = [];
    const findings = unzoned.analyze({ node: 'rhel8', artifacts: { nftTrace: [trace('for-linux-1353-nft-monitor-trace.txt')] } as never, options: { requiredPorts: [] }, partly: (what) => parts.push(what) });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ traced: true });
    expect(findings[0].facts?.bridge).toBeUndefined();
    expect(findings[0].evidence).toEqual([
      expect.objectContaining({ file: 'for-linux-1353-nft-monitor-trace.txt', line: 3, excerpt: 'trace id 6d9a826f inet firewalld filter_FORWARD rule reject with icmpx type admin-prohibited (verdict drop)' }),
    ]);
    expect(findings[0].remedy.commands).toEqual(['firewall-cmd --get-active-zones', 'ip -br link show type bridge']);
    expect(parts).toEqual([expect.stringContaining('packet lines (iif/oif)')]);
  });

  it('an accepted packet (the bridge in a zone) does not fire', () => {
    expect(withTrace('trace-zoned.txt')).toEqual([]);
    expect(firewalldForwardRejects([trace('trace-zoned.txt')])).toEqual([]);
  });

  it("a drop in a host's own table inet filter is not firewalld's", () => {
    const log = trace('trace-other-drop.txt');
    expect(log.traces[1].dropped).toMatchObject({ table: 'filter', chain: 'forward', verdict: 'drop' });
    expect(firewalldForwardRejects([log])).toEqual([]);
    expect(withTrace('trace-other-drop.txt')).toEqual([]);
  });

  it("firewalld's reject of a packet between two non-container interfaces is not a container bridge's", () => {
    const log = trace('trace-lan0-unzoned.txt');
    expect(log.traces[1].dropped).toMatchObject({ table: 'firewalld', chain: 'filter_FORWARD' });
    expect(withTrace('trace-lan0-unzoned.txt')).toEqual([]);
  });

  it("adds the trace to the zone listing's finding for the same bridge instead of a second finding", () => {
    const ipAddr = parseInterfaces(fx('ip-address-host.txt'), 'ip_address');
    const findings = withTrace('trace-unzoned.txt', { firewalldZones: [zones()], ipAddr: [ipAddr] });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ bridge: 'br-0123456789ab', zone: 'public', via: 'default', traced: true });
    expect(findings[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['ip_address:7', 'firewall-cmd_--list-all-zones:106', 'trace-unzoned.txt:4', 'trace-unzoned.txt:7']);
  });
});

describe('through the whole engine', () => {
  it('docker/for-linux#1353: a hand-made bundle holding only the trace (nft-monitor-trace.txt) gives the unzoned-bridge warning', async () => {
    const trace = readFileSync(projectPath('test/fixtures/h43/for-linux-1353-nft-monitor-trace.txt'), 'utf8');
    const r = await analyzeBundle(writeFolder({ 'nft-monitor-trace.txt': trace }, 'for-linux-1353'));
    expect(r.coverage.nodes[0].artifacts.nftTrace).toEqual(['nft-monitor-trace.txt']);
    expect(r.findings.filter((f) => f.id === 'firewalld.container-interface-unzoned').map((f) => f.severity)).toEqual(['warning']);
  });
});
