/**
 * Reviewer R4's "dropped files are invisible": a hand-made bundle's small text file that is no artifact
 * and holds no known log message was scanned and then dropped without a word. Now every file of a
 * hand-made bundle is accounted for: read as an artifact, read as a log, noted as ticket notes, or listed
 * in the reading notes as "not read: <path> (why)" (capped, the rest counted). Binary files are never
 * scanned. Real text: test/fixtures/unread/moby48411-iptables-nvL.txt (moby/moby#48411, the reporter's
 * two iptables commands and their errors, verbatim), calico8607-readiness.txt (projectcalico/calico#8607,
 * the readiness-probe line, verbatim), the netavark#742 rules (test/fixtures/container-dns).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const RULES = fx('container-dns/netavark742-iptables-save.txt');
/** a readiness line no signature knows (calico's felix probe; the same shape as calico#8607's BIRD line) */
const UNKNOWN = 'calico/node is not ready: felix is not ready: readiness probe reporting 503\n';

/** Every file of a one-node bundle: where the report accounts for it. */
function accounted(r: Awaited<ReturnType<typeof analyzeBundle>>, file: string): string | undefined {
  const n = r.coverage.nodes[0];
  if (Object.values(n.artifacts).some((fs) => fs.includes(file))) return 'artifact';
  if (n.logs.some((l) => l.file === file)) return 'log';
  return r.coverage.notes.find((x) => x.startsWith(`${file}:`) || x.startsWith(`not read: ${file} `));
}

describe('files of a hand-made bundle nothing read are listed', () => {
  it('an unknown text file, an empty one and a binary one: "not read" with why; the rules and the notes as before', async () => {
    const files = {
      'iptables-save.txt': RULES,
      'calico-node-readiness.txt': UNKNOWN,
      'ss-tlnp.out': '',
      // binary: control bytes throughout, the error text of moby#48411 inside
      'capture.pcap': Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff)), Buffer.from(fx('unread/moby48411-iptables-nvL.txt'))]),
      'NOTES.txt': 'customer says DNS is broken in the containers since the hardening\n',
    };
    const r = await analyzeBundle(writeFolder(files, 'f4-unread'));
    expect(r.coverage.notes).toContain('not read: calico-node-readiness.txt (not recognised: no known command output, and no known log message in it)');
    expect(r.coverage.notes).toContain('not read: ss-tlnp.out (empty file)');
    expect(r.coverage.notes).toContain('not read: capture.pcap (not recognised: binary data, not scanned)');
    // ticket notes keep their own note, once
    expect(r.coverage.notes.filter((x) => x.includes('NOTES.txt'))).toEqual(['NOTES.txt: ticket notes (prose, not command output or a log), not read']);
    expect(r.coverage.notes.some((x) => x.includes('iptables-save.txt'))).toBe(false);
    // the binary file was not scanned: the error text inside it is no finding
    expect(r.findings.filter((f) => f.id.startsWith('log.'))).toEqual([]);
    for (const f of Object.keys(files)) expect(accounted(r, f), f).toBeDefined();
  });

  it("the tickets' pasted files (moby#48411, calico#8607) are accounted for: read as a log where a signature knows them, else listed", async () => {
    const files = { 'iptables-nvL.txt': fx('unread/moby48411-iptables-nvL.txt'), 'calico-node-readiness.txt': fx('unread/calico8607-readiness.txt'), 'iptables-save.txt': RULES };
    const r = await analyzeBundle(writeFolder(files, 'f4-unread-tickets'));
    for (const f of Object.keys(files)) expect(accounted(r, f), f).toBeDefined();
  });

  it('a hostname file and log-named files are not listed; past 12 files the rest are counted', async () => {
    const files: Record<string, string> = { 'iptables-save.txt': RULES, hostname: 'podman-host-01\n' };
    for (let i = 0; i < 15; i++) files[`out-${String(i).padStart(2, '0')}.txt`] = `free text ${i}\n`;
    const r = await analyzeBundle(writeFolder(files, 'f4-unread-many'));
    const unread = r.coverage.notes.filter((x) => x.startsWith('not read: '));
    expect(unread).toHaveLength(13);
    expect(unread[12]).toBe('not read: 3 more files (not recognised)');
    expect(unread.some((x) => x.includes('hostname'))).toBe(false);
  });
});

describe('the layout lists the unread files; the log scan, done once by attachLogs, decides the text ones', () => {
  it('locate() scans nothing: a text file no sniffer knows is pending, an empty or binary one has its why', async () => {
    const { readBundle } = await import('../../src/bundle/read.js');
    const { locate } = await import('../../src/layouts/index.js');
    const files = { 'iptables-save.txt': RULES, 'calico-node-readiness.txt': UNKNOWN, 'ss-tlnp.out': '', 'docker-run.txt': 'docker: Error response from daemon: driver failed programming external connectivity on endpoint web: iptables failed: iptables --wait -t nat -A DOCKER -p tcp -d 0/0 --dport 80 -j DNAT --to-destination 172.17.0.2:80 ! -i docker0: iptables: No chain/target/match by that name.\n (exit status 1).\n' };
    const tree = await readBundle(writeFolder(files, 'unread-layer'), { keep: () => true });
    const located = locate(tree, 'unread-layer');
    expect(located.unread).toEqual([{ path: 'calico-node-readiness.txt' }, { path: 'docker-run.txt' }, { path: 'ss-tlnp.out', why: 'empty file' }]);
    expect(located.notes.filter((x) => x.startsWith('not read: '))).toEqual([]);
    // the report: the file with a known message is read as a log, the other listed
    const r = await analyzeBundle(writeFolder(files, 'unread-layer'));
    expect(r.coverage.nodes[0].logs.map((l) => l.file)).toEqual(['docker-run.txt']);
    expect(r.coverage.notes.filter((x) => x.startsWith('not read: '))).toEqual([
      'not read: calico-node-readiness.txt (not recognised: no known command output, and no known log message in it)',
      'not read: ss-tlnp.out (empty file)',
    ]);
  });
});
