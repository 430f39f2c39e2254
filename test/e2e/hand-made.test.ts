/**
 * A hand-made bundle: a folder of command outputs and logs named however the customer liked.
 * Logs are found by their first lines, and any other text is scanned but counts as a log only
 * if a known failure is in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import { kubeProxySave, syslogLine } from '../../bench/gen.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';

const folder = (files: Record<string, string | Buffer>) => writeFolder(files, 'ticket-4711');

/** A line of the bench's journal that is no known failure (the generator plants one now and then). */
function quietLine(i: number): string {
  const k = i * 3 + 100;
  return syslogLine(k % 20011 === 7 || k % 30011 === 11 ? k + 1 : k);
}

/** What `docker logs` of a web app looks like: no timestamps; ~2 MB; a refused connection at line 20001 if asked. */
function appLog(failing: boolean): string {
  const lines = Array.from({ length: 30000 }, (_, i) => `10.244.1.${i % 250} - - "GET /api/items/${i} HTTP/1.1" 200 ${512 + (i % 977)} "-" "kube-probe/1.29"`);
  if (failing) lines[20000] = 'panic: dial tcp 10.96.0.15:5432: connect: connection refused';
  return lines.join('\n') + '\n';
}

/** A big command output with a name that says nothing: not a log, and nothing in it matches. */
function psOutput(): string {
  return Array.from({ length: 20000 }, (_, i) => `root     ${1000 + i}  0.0  0.1  12345  6789 ?        Ss   Nov20   0:00 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${i.toString(16).padStart(12, '0')}`).join('\n') + '\n';
}

/** ~1.5 MB of ordinary journal (too big to keep), with one dockerd failure at line 9001. */
function bigJournal(): string {
  const lines = Array.from({ length: 12000 }, (_, i) => quietLine(i));
  lines[9000] = syslogLine(7);
  return lines.join('');
}

describe.skipIf(!hasCorpus)('hand-made bundles', () => {
  it('finds logs by their first lines and failures pasted into any text file, with file and line', async () => {
    const dir = folder({
      'dockerd.txt': readFileSync(corpusPath('logs', 'moby-16137-firewalld-centos7-dnat-no-chain.log')),
      'kubelet-journal': bigJournal(),
      'docker-run-error.txt': readFileSync(corpusPath('logs', 'kata-tests-4617-filter-DOCKER-chain-removed.log')),
      'notes.txt': 'customer: the web app is down since Monday\n',
      'ip-a.txt': readCorpus('ip-addr', 'jc-centos77-docker0-ifconfig.txt'),
      // rotated and compressed under a name no rule knows
      'kubelet.txt.1.gz': gzipSync(bigJournal()),
      'sysctl-old.txt.gz': gzipSync(readCorpus('sysctl', 'jc-ubuntu1804-sysctl-a-ip-forward-0.txt')),
      'capture.gz': 'saved without compressing it\n',
      // `docker logs web > web.txt`: no timestamps, too big to keep, one failure deep inside
      'web.txt': appLog(true),
      'ps.txt': psOutput(),
    });
    const report = await analyzeBundle(dir);
    const node = report.coverage.nodes[0];
    expect(node.logs.map((l) => l.file)).toEqual(['docker-run-error.txt', 'dockerd.txt', 'kubelet-journal', 'kubelet.txt.1.gz', 'web.txt']);
    expect(node.logs.find((l) => l.file === 'kubelet.txt.1.gz')?.lines).toBe(12000);
    // the engineer's notes are said to be notes, not scanned as a log
    // and what nothing read is said too: a ps listing without its header, a compressed sysctl dump under a name no rule knows
    expect(report.coverage.notes).toEqual([
      expect.stringMatching(/^capture\.gz: could not be read as a stream \(not readable gzip data/),
      'notes.txt: ticket notes (prose, not command output or a log), not read',
      'not read: ps.txt (not recognised: no known command output, and no known log message in it)',
      'not read: sysctl-old.txt.gz (compressed: scanned as a log only, and no known log message in it)',
    ]);
    expect(node.logs.find((l) => l.file.endsWith('kubelet-journal'))?.lines).toBe(12000);
    const evidence = report.findings.flatMap((f) => f.evidence.map((e) => `${f.id} ${e.file}:${e.line}`));
    expect(evidence).toEqual(
      expect.arrayContaining([
        'log.iptables-no-chain dockerd.txt:1',
        'log.iptables-no-chain kubelet-journal:9001',
        'log.iptables-no-chain docker-run-error.txt:1',
        'log.iptables-no-chain kubelet.txt.1.gz:9001',
        'log.connection-refused web.txt:20001',
      ]),
    );
  });

  it('a healthy hand-made bundle: command outputs and notes are not logs, and nothing is found', async () => {
    const dir = folder({
      'sysctl.txt': readCorpus('sysctl', 'hotsos-charmed-k8s-flannel-node-sysctl-a.txt'),
      'ip-addr.txt': readCorpus('ip-addr', 'hotsos-charmed-k8s-flannel-node-ip-d-address.txt'),
      'notes.txt': 'customer: the web app is slow on Mondays\n',
      'kubelet-journal': bigJournal().replace(syslogLine(7), syslogLine(8)),
      'web.txt': appLog(false),
      'ps.txt': psOutput(),
    });
    const report = await analyzeBundle(dir);
    expect(report.coverage.nodes[0].logs.map((l) => l.file)).toEqual(['kubelet-journal']);
    expect(report.findings.filter((f) => f.id.startsWith('log.'))).toEqual([]);
  });
});

describe('a big artifact with a name that says nothing', () => {
  it("a kube-proxy node's rules saved as node1-rules.txt (over 2 MB) are parsed, not scanned as a log", async () => {
    const dump = kubeProxySave(2500);
    const dir = folder({ 'node1-rules.txt': dump, 'notes.txt': 'customer: services time out\n' });
    const report = await analyzeBundle(dir);
    expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['node1-rules.txt']);
    expect(report.coverage.nodes[0].logs).toEqual([]);
    expect(report.nodes[0].iptables?.[0].rules).toBe(dump.split('\n').filter((l) => l.startsWith('-A ')).length);
    // past the parsed-file limit it is noted, not silently dropped
    const small = await analyzeBundle(dir, { limits: { maxKeptFileBytes: 1 << 20 } });
    expect(small.coverage.nodes[0].artifacts.iptables).toBeUndefined();
    expect(small.coverage.notes).toEqual(['node1-rules.txt: larger than the 1 MiB limit for a parsed file; skipped', 'notes.txt: ticket notes (prose, not command output or a log), not read']);
  });
});

describe('what is sniffed as a possible log while a bundle streams', () => {
  it("a sosreport's big command outputs are not (only its rules name its files); a big unnamed file beside them is", async () => {
    const path = writeTmp('sos.tgz', await makeTarGz([
      { name: 'sosreport-n1/sos_commands/process/ps_auxwww', content: psOutput() },
      { name: 'sosreport-n1/proc/net/nf_conntrack', content: psOutput() },
      { name: 'sosreport-n1/extra/web.txt', content: appLog(true) },
    ]));
    const { tree } = await loadBundle(path);
    expect([...tree.streamed.keys()]).toEqual(['sosreport-n1/extra/web.txt']);
  });
});
