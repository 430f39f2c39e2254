/**
 * Folder arguments, report names, bomb refusal and progress lines of a batch (review 19: D1, N8,
 * N9, N10 and the progress nit).
 *
 * Real inputs: the project's example bundles (bundles/*.tgz) as the tickets' archives, and the
 * corpus log flannel-905-vxlan-operation-not-supported.log (flannel-io/flannel#905) as the
 * `messages.log` a customer attached beside them: the reviewer's case, where the folder was read
 * as ONE bundle of five unrelated hosts (a false cluster.node-inconsistent, exit 0, nothing said).
 * The failure message of the progress line is the reader's own for a file that is no gzip
 * (`corrupt compressed data (incorrect header check)`, zlib's words, as the frozen build printed
 * for /tmp/rv19/cases/batch/in/corrupt.tgz).
 */
import { copyFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { expandInputs, isBatchFolder } from '../../src/batch/inputs.js';
import { digestOf, uncheckedLine } from '../../src/batch/index-report.js';
import { Progress } from '../../src/batch/progress.js';
import { reportNames } from '../../src/batch/run.js';
import { BundleError } from '../../src/bundle/errors.js';
import { DEFAULT_LIMITS, readBundle } from '../../src/bundle/read.js';
import { analyze } from '../../src/engine/analyze.js';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const TICKETS = ['ip-forward-off.tgz', 'healthy-docker-k8s.tgz', 'docker-chains-flushed.tgz', 'flannel-subnet-mismatch.tgz'];
const LOG = 'flannel-905-vxlan-operation-not-supported.log';
const ON = 'net.ipv4.ip_forward = 1\n';

function ticketsFolder(): string {
  const dir = tmpDir('h57-tk-');
  for (const t of TICKETS) copyFileSync(projectPath('bundles', t), join(dir, t));
  return dir;
}

describe.skipIf(!hasCorpus)('D1: a folder of tickets with a loose log beside the archives', () => {
  it('is a batch: one input per archive and one for the loose log, and the run says it overrode the log', async () => {
    const dir = ticketsFolder();
    copyFileSync(corpusPath('logs', LOG), join(dir, 'messages.log'));
    expect(await isBatchFolder(dir)).toBe(true);
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([...TICKETS, 'messages.log'].sort().map((f) => join(dir, f)));
    expect(got.missing).toEqual([]);
    expect(got.notes).toHaveLength(1);
    expect(got.notes[0].note).toMatch(/read as 5 bundles.*4 bundle archives.*messages\.log.*--as-bundle reads it as one bundle/);
    // as the reviewer ran it: five reports, each of one host, none correlated with another ticket
    const report = await analyze(dir, { requiredPorts: [] });
    expect(report.bundles).toHaveLength(5);
    expect(report.failures).toEqual([]);
    for (const b of report.bundles) expect(b.findings.map((f) => f.id)).not.toContain('cluster.node-inconsistent');
    // --as-bundle still reads it as one bundle (the old reading, asked for), --as-batch as the guess does
    expect((await expandInputs([dir], 'bundle')).bundles).toEqual([dir]);
    expect((await expandInputs([dir], 'batch')).bundles).toEqual(got.bundles);
  });

  it('the archives alone: a batch, nothing to say', async () => {
    const dir = ticketsFolder();
    const got = await expandInputs([dir]);
    expect(got.bundles).toHaveLength(4);
    expect(got.notes).toEqual([]);
  });

  it('ticket notes beside the archives are no input and need no note', async () => {
    const dir = ticketsFolder();
    writeFileSync(join(dir, 'ticket-4711.txt'), 'Customer: pods on node-2 cannot reach the database since the upgrade.\n');
    const got = await expandInputs([dir]);
    expect(got.bundles).toHaveLength(4);
    expect(got.notes).toEqual([]);
  });

  it('an extracted sosreport beside two archives is an input of its own, its own archives not counted', async () => {
    const dir = tmpDir('h57-wrap-');
    copyFileSync(projectPath('bundles', TICKETS[0]), join(dir, TICKETS[0]));
    copyFileSync(projectPath('bundles', TICKETS[1]), join(dir, TICKETS[1]));
    mkdirSync(join(dir, 'sosreport-db01', 'sos_commands', 'kernel'), { recursive: true });
    writeFileSync(join(dir, 'sosreport-db01', 'sos_commands', 'kernel', 'sysctl_-a'), ON);
    writeFileSync(join(dir, 'sosreport-db01', 'inner.tar.gz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([TICKETS[1], TICKETS[0], 'sosreport-db01'].map((f) => join(dir, f)));
    expect(got.notes[0].note).toMatch(/the extracted bundle sosreport-db01\//);
  });
});

describe('D1: folders that are one bundle though they hold archives', () => {
  it('an extracted sosreport with nested archives stays one bundle, and the run says how to read it as a batch', async () => {
    const dir = tmpDir('h57-sos-');
    mkdirSync(join(dir, 'sos_commands', 'networking'), { recursive: true });
    writeFileSync(join(dir, 'sos_commands', 'networking', 'ip_-d_address'), '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n');
    writeFileSync(join(dir, 'a.tar.gz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    writeFileSync(join(dir, 'b.tar.gz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    expect(await isBatchFolder(dir)).toBe(false);
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([dir]);
    expect(got.notes.map((n) => n.note)).toEqual([`${dir}: read as one bundle (an extracted bundle: sos_commands at its top), with the 2 archives in it; --as-batch reads one bundle per archive and loose log`]);
  });

  it('a troubleshoot bundle folder with two packed host collectors stays one bundle', async () => {
    const dir = tmpDir('h57-ts-');
    writeFileSync(join(dir, 'version.yaml'), 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n');
    mkdirSync(join(dir, 'host-collectors'));
    writeFileSync(join(dir, 'host-collectors', 'node-1.tar.gz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    writeFileSync(join(dir, 'host-collectors', 'node-2.tar.gz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    expect((await expandInputs([dir])).bundles).toEqual([dir]);
  });

  it('a hand-made bundle with a rotated .gz log is one bundle, with nothing to say (a rotated log is no bundle archive)', async () => {
    const dir = tmpDir('h57-hand-');
    writeFileSync(join(dir, 'sysctl.txt'), ON);
    writeFileSync(join(dir, 'messages-1.gz'), gzipSync('Nov 20 10:00:00 h kernel: eth0: link up\n'));
    writeFileSync(join(dir, 'messages-2.gz'), gzipSync('Nov 19 10:00:00 h kernel: eth0: link up\n'));
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([dir]);
    expect(got.notes).toEqual([]);
  });

  it("a hand-made bundle's command outputs beside two archives of its own (etc, var/log) stay one bundle, said once (R20)", async () => {
    const dir = tmpDir('h57-hand2-');
    writeFileSync(join(dir, 'sysctl.txt'), ON);
    copyFileSync(projectPath('test', 'fixtures', 'h54', 'kube-router-1676-with-save', 'iptables-save.txt'), join(dir, 'iptables-save.txt'));
    writeFileSync(join(dir, 'etc-docker.tgz'), await makeTarGz([{ name: 'etc/docker/daemon.json', content: '{}\n' }]));
    writeFileSync(join(dir, 'var-log.tar.gz'), await makeTarGz([{ name: 'var/log/messages', content: 'Nov 20 10:00:00 h kernel: eth0: link up\n' }]));
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([dir]);
    expect(got.notes.map((n) => n.note)).toEqual([
      `${dir}: read as one bundle (its top holds command output (iptables-save.txt, sysctl.txt) beside them: a hand-made bundle), with the 2 archives in it; --as-batch reads one bundle per archive and loose log`,
    ]);
  });

  it('one nested sosreport archive beside a log stays one bundle, said once', async () => {
    const dir = tmpDir('h57-one-');
    writeFileSync(join(dir, 'sosreport-node-1.tar.gz'), await makeTarGz([{ name: 'sosreport-node-1/sos_commands/kernel/sysctl_-a', content: ON }]));
    writeFileSync(join(dir, 'kubelet-journal'), ['Nov 20 10:00:00 h kubelet[1]: a', 'Nov 20 10:00:01 h kubelet[1]: b', ''].join('\n'));
    const got = await expandInputs([dir]);
    expect(got.bundles).toEqual([dir]);
    expect(got.notes.map((n) => n.note)).toEqual([
      `${dir}: read as one bundle (its other files are bundle content, such as kubelet-journal), with the 1 archive in it; --as-batch reads one bundle per archive and loose log`,
    ]);
  });
});

describe('N10: report names are a function of the input, not of the order given', () => {
  const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

  it('a.tgz a.zip a.tar.xz a/: each keeps its whole name, in every order', () => {
    const inputs = ['in/a.tgz', 'in/a.zip', 'in/a.tar.xz', 'in/a/'];
    const want = { 'in/a.tgz': 'a.tgz', 'in/a.zip': 'a.zip', 'in/a.tar.xz': 'a.tar.xz', 'in/a/': 'a' };
    for (const p of permutations(inputs)) expect(Object.fromEntries(reportNames(p))).toEqual(want);
  });

  it('names still alike after that take a hash of the input, the same in every order', () => {
    const inputs = ['t/a/bundle.tgz', 't/b/bundle.tgz', 'f/a_bundle.tgz', 'e/index.tgz', 'g/index/'];
    const first = Object.fromEntries(reportNames(inputs));
    expect(first['t/a/bundle.tgz']).toMatch(/^a_bundle-[0-9a-f]{8}$/);
    expect(first['f/a_bundle.tgz']).toMatch(/^a_bundle-[0-9a-f]{8}$/);
    expect(first['t/a/bundle.tgz']).not.toBe(first['f/a_bundle.tgz']);
    expect(first['t/b/bundle.tgz']).toBe('b_bundle');
    // index.json is the batch's own
    expect(first['e/index.tgz']).toBe('index.tgz');
    expect(first['g/index/']).toMatch(/^index-[0-9a-f]{8}$/);
    for (const p of permutations(inputs)) expect(Object.fromEntries(reportNames(p))).toEqual(first);
  });

  it('names that do not collide are as before', () => {
    expect([...reportNames(['T-1/bundle.tgz', 'T-2/bundle.tgz', 'c/Bundle.zip', 'x.tar.xz']).values()]).toEqual(['T-1_bundle', 'T-2_bundle', 'Bundle', 'x']);
  });
});

/** A .tar.gz holding one file of `mib` MiB of zeros, written as a stream (never whole in memory). */
async function zeroBomb(path: string, mib: number, level?: number): Promise<void> {
  const pack = tarStream.pack();
  // gzip's default level: deflate's best ratio on zeros, ~1,030:1 (level 1 gives ~230:1)
  const done = pipeline(pack, createGzip(level === undefined ? {} : { level }), createWriteStream(path));
  const size = mib * 1024 * 1024;
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name: 'node-1/var/log/messages', size }, (err) => (err ? reject(err) : resolve()));
    const chunk = Buffer.alloc(1024 * 1024);
    let left = mib;
    const write = () => {
      while (left > 0) {
        left--;
        if (!entry.write(chunk)) return void entry.once('drain', write);
      }
      entry.end();
    };
    write();
  });
  pack.finalize();
  await done;
}

describe('N8: a decompression bomb is refused on its ratio early', () => {
  it('under the default limits, a gzip bomb of 300 MiB of zeros is refused once 256 MiB are out (it used to be read whole: the check began at 2 GiB)', async () => {
    const dir = tmpDir('h57-bomb-');
    const bomb = join(dir, 'bomb.tgz');
    await zeroBomb(bomb, 300);
    const err = await readBundle(bomb, { keep: () => false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('limit');
    expect((err as Error).message).toMatch(/^.*bomb\.tgz: decompression bomb suspected \(\d+(\.\d)? KiB expanded past 25[67](\.\d)? MiB\); refusing to read further$/);
  }, 30_000);

  it('the early check is injectable: a 16 MiB bomb is refused at a 4 MiB threshold, a repetitive real-format log is not', async () => {
    const limits = { earlyRatioCheckAfterBytes: 4 * 1024 * 1024, maxEarlyRatio: DEFAULT_LIMITS.maxEarlyRatio };
    const dir = tmpDir('h57-bomb-');
    await zeroBomb(join(dir, 'small-bomb.tgz'), 16);
    const err = await readBundle(join(dir, 'small-bomb.tgz'), { keep: () => false, limits }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/small-bomb\.tgz: decompression bomb suspected/);
    // kubelet repeating one error every 137 ms (the most repetitive log a node writes): ~30:1 at gzip -9
    const lines: string[] = [];
    for (let i = 0; i < 80_000; i++) {
      const t = new Date(Date.UTC(2024, 10, 20) + i * 137);
      const hms = t.toISOString().slice(11, 23);
      lines.push(`Nov 20 ${hms.slice(0, 8)} node-1 kubelet[1304]: E1120 ${hms}000    1304 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff" pod="default/app-7d9f"`);
    }
    const log = await makeTarGz([{ name: 'node-1/var/log/messages', content: lines.join('\n') + '\n' }]);
    expect(log.length * 20).toBeLessThan(Buffer.byteLength(lines.join('\n')));
    await expect(readBundle(writeTmp('kubelet.tgz', log), { keep: () => false, limits })).resolves.toBeDefined();
  });

  it('the ratio weighs what the decoder took in, not the whole 1 MiB read ahead of it', async () => {
    // 240 MiB of zeros at gzip level 1 (~230:1): a file just over 1 MiB, read in 1 MiB chunks.
    // Weighed against the first chunk whole, the ratio passed 100 only past 100 MiB out
    const dir = tmpDir('h57-bomb-');
    const bomb = join(dir, 'wide.tgz');
    await zeroBomb(bomb, 240, 1);
    const err = await readBundle(bomb, { keep: () => false, limits: { earlyRatioCheckAfterBytes: 64 * 1024 * 1024, maxEarlyRatio: 100 } }).catch((e: unknown) => e);
    const past = /expanded past ([\d.]+) MiB/.exec((err as Error).message);
    expect(past, String(err)).not.toBeNull();
    expect(Number(past![1])).toBeLessThan(70);
  });
});

describe('progress and unchecked inputs', () => {
  it('a failed input is named once on its progress line', () => {
    const out: string[] = [];
    const p = new Progress(1, 'lines', (s) => out.push(s));
    const input = 'in/corrupt.tgz';
    p.start(input);
    p.finish({ input, ok: false, failure: { source: input, error: `${input}: corrupt compressed data (incorrect header check)`, code: 'corrupt' }, ms: 12 });
    expect(out).toEqual(['[1/1] in/corrupt.tgz: failed: corrupt compressed data (incorrect header check) (12 ms)\n']);
  });

  it.skipIf(!hasCorpus)('N9: an input where nothing could be checked is said so; a bundle whose checks ran is not', async () => {
    // the reviewer's case 23: a folder with a note and a binary blob, nothing a check can read
    const dir = tmpDir('h57-n9-');
    writeFileSync(join(dir, 'notes.bin'), 'hello\n');
    writeFileSync(join(dir, 'blob.dat'), Buffer.from([0, 1, 2, ...Buffer.from('binary')]));
    const report = await analyze([dir, projectPath('bundles', 'ip-forward-off.tgz')], { requiredPorts: [] });
    const [unchecked, checked] = report.bundles.map(digestOf);
    expect(unchecked.checked).toBe(0);
    expect(checked.checked).toBeGreaterThan(0);
    const out: string[] = [];
    const p = new Progress(2, 'lines', (s) => out.push(s));
    for (const d of [unchecked, checked]) p.finish({ input: d.source, ok: true, digest: d, ms: 1 });
    expect(out[0]).toMatch(/h57-n9-\w+: 0 critical, 0 warning, 0 info; nothing could be checked \(1 ms\)/);
    expect(out[1]).not.toMatch(/nothing could be checked/);
    expect(uncheckedLine('in/ticket.txt', ['iptables rules', 'ip addr'])).toBe('in/ticket.txt: nothing could be checked (missing: iptables rules, ip addr): read, but no finding can be trusted to be absent');
  });
});
