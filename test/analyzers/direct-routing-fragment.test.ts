/**
 * iptables.direct-routing-dropped on a grep of `iptables -t raw -nvL` (rows without their Chain line,
 * list-format.ts FRAGMENT_CHAIN): Docker writes its direct-access DROPs only in raw PREROUTING, so a
 * row of that shape in raw's "chain not shown", with a client that timed out on exactly its address and
 * port, is the finding a full dump gives (R3 case 7, moby/moby#49792). Text: the ticket's verbatim paste
 * (test/fixtures/direct-routing/moby-49792) and real iptables 1.8.9 output made in namespaces
 * (test/fixtures/iptables-fragment/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import directRouting from '../../analyzers/iptables-direct-routing-dropped.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const TICKET = fx('direct-routing/moby-49792/iptables-raw.txt');
const BRACKETED = fx('iptables-fragment/grep-bracketed/transcript.txt');
const TRUSTED = fx('iptables-fragment/trusted-raw-grep.txt');
/** the real complete `iptables -t raw -L -v -n` of Docker 28.0's rules (flannel-vxlan fixture) */
const FULL_RAW = fx('direct-routing/flannel-vxlan/docker28.0.iptables-raw-L-v-n');
const docker = parseDockerInfo(fx('direct-routing/moby-49792/docker-info.txt'), 'docker-info.txt');

/** A transcript read the way the engine reads it: rules (fragments) and, as a shell's output, log lines. */
function transcript(text: string, file: string): NodeArtifacts {
  return { iptables: [parseIptablesList(text, file, { fragments: true })], logs: [scanLogText(text, file, { source: { unit: 'shell' } })], dockerDaemon: [docker] };
}

/** the lines of a transcript up to the first blank line: the grep alone, no client's timeout */
const grepOnly = (text: string) => text.split('\n\n')[0] + '\n';

describe('direct-routing-dropped on a grepped raw table', () => {
  it("the ticket's grep and nc timeout: critical, the grepped DROP (33 packets) and the nc line as evidence, the chain said not shown", () => {
    const [f, ...rest] = runNode(directRouting, transcript(TICKET, 'iptables-raw.txt'));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ bridge: 'docker0', dockerRules: 'per-port', dropped: ['10.1.215.5:2181'], decidedBy: ['iptables-raw.txt:3'], chainNotShown: true, droppedPackets: 33, explainsLogLines: ['iptables-raw.txt:7'] });
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables-raw.txt:3', 'iptables-raw.txt:7']);
    expect(f.message).toContain('whose chain the grep did not show');
    expect(f.message).toContain('Docker writes such DROPs only in raw PREROUTING');
    // 28.0's per-port rule: upgrade first
    expect(f.remedy?.commands?.[0]).toContain('28.2.0 or later');
  });

  it('real iptables 1.8.9 output behind bracketed prompts (curl timed out, counters 3): the same finding', () => {
    const [f, ...rest] = runNode(directRouting, transcript(BRACKETED, 'transcript.txt'));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ dropped: ['10.1.215.5:2181'], decidedBy: ['transcript.txt:3'], droppedPackets: 3, explainsLogLines: ['transcript.txt:7'] });
  });

  it('gives what the full dump gives: the same rule in a complete raw listing finds the same drop for the same client', () => {
    const logs = [scanLogText(TICKET, 'iptables-raw.txt', { source: { unit: 'shell' } })];
    const full = runNode(directRouting, { iptables: [parseIptablesList(FULL_RAW, 'raw.txt', { table: 'raw' })], logs, dockerDaemon: [docker] });
    const frag = runNode(directRouting, transcript(TICKET, 'iptables-raw.txt'));
    expect(full.map((f) => [f.id, f.facts?.dropped, f.facts?.explainsLogLines])).toEqual(frag.map((f) => [f.id, f.facts?.dropped, f.facts?.explainsLogLines]));
  });

  it("with flannel's subnet.env and ip a: the way in is named (flannel.1), and the remedy trusts it", () => {
    const a = transcript(TICKET, 'iptables-raw.txt');
    a.flannelSubnetEnv = [parseSubnetEnv(fx('direct-routing/moby-49792-full/subnet.env'), 'subnet.env')];
    a.ipAddr = [parseInterfaces(fx('direct-routing/moby-49792-full/ip-a.txt'), 'ip-a.txt')];
    const [f, ...rest] = runNode(directRouting, a);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ interface: 'flannel.1', via: 'flannel', chainNotShown: true });
    expect(f.message).toContain('comes in on flannel.1');
    expect(f.message).not.toContain('does not show which interface');
    expect(f.evidence.map((e) => e.file)).toEqual(expect.arrayContaining(['subnet.env', 'ip-a.txt']));
    expect(f.remedy?.commands?.join('\n')).toContain('-i flannel.1 -j ACCEPT');
  });

  it('the grep beside the complete chain (the same rule): one drop, cited from the complete chain', () => {
    const a = transcript(TICKET, 'iptables-raw.txt');
    a.iptables!.push(parseIptablesList(FULL_RAW, 'raw.txt', { table: 'raw' }));
    const [f, ...rest] = runNode(directRouting, a);
    expect(rest).toEqual([]);
    expect(f.facts?.decidedBy).toEqual(['raw.txt:3']);
    expect(f.facts?.chainNotShown).toBeUndefined();
  });

  it('healthy: the grep with no client that timed out (a single Docker 28 host, where the DROP is intended): nothing', () => {
    expect(runNode(directRouting, transcript(grepOnly(TICKET), 'iptables-raw.txt'))).toEqual([]);
    expect(runNode(directRouting, transcript(grepOnly(BRACKETED), 'transcript.txt'))).toEqual([]);
  });

  it('healthy: a timeout on another port of that container is not this rule', () => {
    const other = TICKET.replace('nc: connect to 10.1.215.5 port 2181', 'nc: connect to 10.1.215.5 port 8080');
    expect(runNode(directRouting, transcript(other, 'iptables-raw.txt'))).toEqual([]);
  });

  it("healthy: Docker 28.2 trusting flannel.1 (its ACCEPT grepped with the DROP), even with a client's timeout: nothing", () => {
    const text = `${TRUSTED}\n${BRACKETED.split('\n\n')[1]}`;
    const rs = parseIptablesList(text, 't.txt', { fragments: true });
    expect(rs.tables.raw.chains['(chain not shown)'].rules.map((r) => r.target)).toEqual(['ACCEPT', 'DROP']);
    expect(runNode(directRouting, transcript(text, 't.txt'))).toEqual([]);
  });

  it('healthy: a grep of the filter table (Docker-shaped rows, not raw) is not read as the direct-access rule', () => {
    const filter = BRACKETED.replace('iptables -t raw -L -v -n', 'iptables -L -v -n');
    expect(Object.keys(parseIptablesList(filter, 'f.txt', { fragments: true }).tables)).toEqual(['filter']);
    expect(runNode(directRouting, transcript(filter, 'f.txt'))).toEqual([]);
  });
});
