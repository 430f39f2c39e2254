/**
 * Customers save command output under log names (`iptables-save > iptables.log`, `ip a > ipa.log`):
 * a small file named only generically as a log is kept and sniffed, so the dump is read as what it
 * is; a real log under such a name is still scanned. Collector log folders are not affected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isGenericLogName } from '../../src/layouts/logs.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const SAVE = readFileSync(projectPath('test/fixtures/nft/iptables-nft-compat/iptables-nft-save'), 'utf8');
const IPA = readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8');
const DOCKERD =
  'Nov 20 10:15:02 h1 dockerd[981]: time="2026-11-20T10:15:02.118Z" level=error msg="Handler for POST /containers/x/start returned error: driver failed programming external connectivity on endpoint web (abc): iptables failed: iptables --wait -t nat -A DOCKER -p tcp -d 0/0 --dport 8080 -j DNAT --to-destination 172.17.0.2:80 ! -i docker0: iptables: No chain/target/match by that name.\\n (exit status 1)"\n';

describe('command output saved under a log name', () => {
  it('reads iptables.log and ipa.log as the dumps they are, and app.log as a log', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables.log': SAVE, 'ipa.log': IPA, 'app.log': DOCKERD }, 'ticket'));
    expect(r.coverage.nodes[0].artifacts).toMatchObject({ iptables: ['iptables.log'], ipAddr: ['ipa.log'], logs: ['app.log'] });
    const ids = r.findings.map((f) => f.id);
    expect(ids).toContain('iptables.trace-rules-left');
    expect(ids.some((id) => id.startsWith('log.') || id === 'iptables.docker-chain-missing')).toBe(true);
    const trace = r.findings.find((f) => f.id === 'iptables.trace-rules-left')!;
    expect(trace.evidence[0]).toMatchObject({ file: 'iptables.log', line: SAVE.split('\n').findIndex((l) => l.includes('TRACE')) + 1 });
  });

  it('a single file given on its own too', async () => {
    const dir = writeFolder({ 'iptables.log': SAVE }, 'one');
    const r = await analyzeBundle(join(dir, 'iptables.log'));
    expect(r.coverage.nodes[0].artifacts.iptables).toEqual(['iptables.log']);
  });

  it('only names that say nothing of where a collector keeps logs', () => {
    expect(isGenericLogName('ticket/iptables.log')).toBe(true);
    expect(isGenericLogName('logs_node1')).toBe(true);
    expect(isGenericLogName('var/log/messages')).toBe(false);
    expect(isGenericLogName('var/log/docker.log')).toBe(false);
    expect(isGenericLogName('cluster-resources/pods/logs/kube-system/kube-proxy-x/kube-proxy.log')).toBe(false);
    expect(isGenericLogName('sos_commands/logs/journalctl_--no-pager')).toBe(false);
    expect(isGenericLogName('ticket/iptables-save.txt')).toBe(false);
  });
});
