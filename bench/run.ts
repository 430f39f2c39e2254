/**
 * npm run bench: generates its inputs (cached in .bench/) and measures, side by side in one run,
 * the targets of the issues: a 220 MB-log bundle against zcat of the same file, a 180,000-line
 * kube-proxy iptables-save, and 40 bundles at --concurrency 1 and 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeProxySave, writeLogBundle } from './gen.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, '.bench');
const bin = join(root, 'dist/src/bin.js');
const child = join(root, 'dist/bench/child.js');
const gnuTime = '/usr/bin/time';
mkdirSync(cache, { recursive: true });

interface ChildResult {
  ms: number;
  maxRssMb: number;
  findings: string[];
  rules: number;
  logLines: number;
}

/** The real command, as a user runs it: wall time and peak RSS (GNU time), findings from its JSON. */
function runCli(input: string, extra: string[] = []): ChildResult {
  const out = join(cache, 'cli-report.json');
  if (existsSync(gnuTime)) {
    const t0 = performance.now();
    const r = spawnSync(gnuTime, ['-f', '%M', process.execPath, bin, 'analyze', input, ...extra, '--format', 'json', '-o', out, '--quiet'], { encoding: 'utf8' });
    const ms = performance.now() - t0;
    const maxRssMb = Number(r.stderr.trim().split('\n').pop()) / 1024;
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const b = report.bundles[0];
    return {
      ms,
      maxRssMb,
      findings: b.findings.map((f: { id: string }) => f.id),
      rules: b.nodes.flatMap((n: { iptables?: { rules: number }[] }) => n.iptables ?? []).reduce((s: number, x: { rules: number }) => s + x.rules, 0),
      logLines: b.coverage.nodes.flatMap((n: { logs: { lines: number }[] }) => n.logs).reduce((s: number, l: { lines: number }) => s + l.lines, 0),
    };
  }
  // no GNU time: measure the analysis in a child process of its own
  const o = execFileSync(process.execPath, [child, input], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(o.trim().split('\n').pop()!) as ChildResult;
}

function best<T extends { ms: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const rows: string[][] = [];
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
/** Runs per measurement, best taken: shared virtual machines vary by 20% from run to run. */
const RUNS = [0, 1, 2, 3, 4];

// 1. a bundle holding 220 MB of syslog, against zcat of the same file
const logBundle = join(cache, 'log-220mb.tgz');
if (!existsSync(logBundle)) {
  process.stderr.write('generating a bundle with 220 MB of syslog...\n');
  await writeLogBundle(logBundle, 220);
}
/** The command on `file` against `tool` decompressing the same file to /dev/null, each the best of RUNS. */
function againstTool(file: string, tool: string) {
  const toolMs = Math.min(...RUNS.map(() => timeIt(() => spawnSync('sh', ['-c', `${tool} '${file}' > /dev/null`]))));
  const run = best(RUNS.map(() => runCli(file)));
  const ratio = run.ms / toolMs;
  return { run, ratio, size: `${(statSync(file).size / 1e6).toFixed(1)} MB`, time: `${run.ms.toFixed(0)} ms (${tool} ${toolMs.toFixed(0)} ms, ratio ${ratio.toFixed(2)})`, rss: `${run.maxRssMb.toFixed(0)} MB` };
}
const gz = againstTool(logBundle, 'zcat');
rows.push(['220 MB-log bundle', `${gz.size} .tgz, ${gz.run.logLines} log lines`, gz.time, gz.rss, `ratio <= 1.5, RSS <= 300 MB: ${verdict(gz.ratio <= 1.5 && gz.run.maxRssMb <= 300)}`]);

// 1b. the same bundle as .tar.xz (sosreport's default), against xzcat: no target, shown for reference
const xzBundle = join(cache, 'log-220mb.tar.xz');
if (!existsSync(xzBundle)) {
  process.stderr.write('recompressing it with xz...\n');
  execFileSync('sh', ['-c', `zcat '${logBundle}' | xz -T1 -6 > '${xzBundle}.tmp' && mv '${xzBundle}.tmp' '${xzBundle}'`]);
}
const xz = againstTool(xzBundle, 'xzcat');
rows.push(['220 MB-log bundle as .tar.xz', `${xz.size} .tar.xz`, xz.time, xz.rss, 'none (reference: sosreport\'s default format)']);

// 1c. and as a .zip (ticket attachments), against unzip -p; made and timed with Info-ZIP where installed
const zipBundle = join(cache, 'log-220mb.zip');
const hasInfoZip = spawnSync('sh', ['-c', 'command -v zip && command -v unzip']).status === 0;
if (hasInfoZip && !existsSync(zipBundle)) {
  const tmp = join(cache, 'zip-src');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  execFileSync('sh', ['-c', `tar xzf '${logBundle}' -C '${tmp}' && cd '${tmp}' && zip -qr -6 '${zipBundle}.tmp' . && mv '${zipBundle}.tmp' '${zipBundle}'`]);
  rmSync(tmp, { recursive: true, force: true });
}
if (hasInfoZip) {
  const zip = againstTool(zipBundle, 'unzip -p');
  rows.push(['220 MB-log bundle as .zip', `${zip.size} .zip`, zip.time, zip.rss, 'none (reference: ticket attachments)']);
} else process.stderr.write('zip/unzip not installed: the .zip reference row is skipped\n');

// 2. a 180,000-line kube-proxy iptables-save (12,000 services)
const kpDir = join(cache, 'kube-proxy-12000');
if (!existsSync(join(kpDir, 'iptables-save.txt'))) {
  mkdirSync(kpDir, { recursive: true });
  writeFileSync(join(kpDir, 'iptables-save.txt'), kubeProxySave(12_000));
}
const kpLines = (execFileSync('wc', ['-l', join(kpDir, 'iptables-save.txt')], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
const kpRun = best(RUNS.map(() => runCli(kpDir, ['--as-bundle'])));
rows.push(['kube-proxy iptables-save', `${kpLines} lines, ${kpRun.rules} rules`, `${kpRun.ms.toFixed(0)} ms`, `${kpRun.maxRssMb.toFixed(0)} MB`, `<= 1500 ms, RSS <= 300 MB: ${verdict(kpRun.ms <= 1500 && kpRun.maxRssMb <= 300)}`]);

// 3. 40 bundles, --concurrency 1 vs 2
const batchDir = join(cache, 'batch-40');
if (!existsSync(batchDir) || readdirSync(batchDir).length < 40) {
  mkdirSync(batchDir, { recursive: true });
  for (let i = 0; i < 40; i++) await writeLogBundle(join(batchDir, `ticket-${String(i).padStart(2, '0')}.tgz`), 24);
}
/** Wall time and CPU time (user + sys, all threads) of one batch run. */
const batch = (c: number, dir = batchDir): { ms: number; cpuMs: number } => {
  const out = join(cache, `batch-out-${c}`);
  rmSync(out, { recursive: true, force: true });
  const args = [bin, 'analyze', dir, '--as-batch', '--concurrency', String(c), '-o', out, '--format', 'json', '--quiet'];
  if (!existsSync(gnuTime)) return { ms: timeIt(() => execFileSync(process.execPath, args, { stdio: 'ignore' })), cpuMs: NaN };
  const t0 = performance.now();
  const r = spawnSync(gnuTime, ['-f', '%U %S', process.execPath, ...args], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const [u, sy] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (u + sy) * 1000 };
};
const c1 = best([batch(1), batch(1), batch(1)]);
const c2 = best([batch(2), batch(2), batch(2)]);
const speedup = c1.ms / c2.ms;
/**
 * The machine's own ceiling for this work: two independent processes at --concurrency 1, half the
 * bundles each (symlinks), started together. Nothing is shared between them, so what they gain
 * over one process is what two cores give this workload here, whatever the tool's design.
 */
const halves = [0, 1].map((h) => {
  const dir = join(cache, `batch-half-${h}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  readdirSync(batchDir)
    .filter((_, i) => i % 2 === h)
    .forEach((f) => symlinkSync(join(batchDir, f), join(dir, f)));
  return dir;
});
const pair = (): { ms: number } => {
  const cmd = halves.map((d, h) => `'${process.execPath}' '${bin}' analyze '${d}' --as-batch --concurrency 1 -o '${join(cache, `batch-half-out-${h}`)}' --format json --quiet`).join(' & ') + ' & wait';
  return { ms: timeIt(() => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' })) };
};
const ceiling = c1.ms / best([pair(), pair(), pair()]).ms;
// one bundle already keeps more than one core busy (gunzip runs on libuv's thread pool while the
// scan runs on the JS thread), which bounds what a second worker can add on a 2-core machine: the
// work of --concurrency 1 (its CPU time) cannot take less than half of it on two cores, so the
// speed-up is at most 2 / (cores busy at 1), however well the machine scales
const cores1 = c1.cpuMs / c1.ms;
const cores2 = c2.cpuMs / c2.ms;
rows.push([
  '40 bundles (24 MB of log each)',
  '--concurrency 1 vs 2',
  `${c1.ms.toFixed(0)} ms vs ${c2.ms.toFixed(0)} ms (x${speedup.toFixed(2)}; ${(c2.ms / 40).toFixed(0)} ms per bundle at 2; cores busy ${cores1.toFixed(2)} vs ${cores2.toFixed(2)}, so at most x${(2 / cores1).toFixed(2)} on 2 cores that scale perfectly; two independent processes, half each: x${ceiling.toFixed(2)})`,
  '-',
  `speed-up >= 1.6: ${verdict(speedup >= 1.6)}`,
]);

// 4. many small bundles shaped like real tickets: the example bundles, 200 of them (symlinks)
const smallDir = join(cache, 'batch-small-200');
rmSync(smallDir, { recursive: true, force: true });
mkdirSync(smallDir);
const examples = readdirSync(join(root, 'bundles')).filter((f) => f.endsWith('.tgz'));
for (let i = 0; i < 200; i++) symlinkSync(join(root, 'bundles', examples[i % examples.length]), join(smallDir, `${String(i).padStart(3, '0')}-${examples[i % examples.length]}`));
const small = (c: number) => batch(c, smallDir);
const s1 = best([small(1), small(1), small(1)]);
const s2 = best([small(2), small(2), small(2)]);
rows.push([
  '200 small bundles (the 7 examples)',
  '--concurrency 1 vs 2',
  `${s1.ms.toFixed(0)} ms vs ${s2.ms.toFixed(0)} ms (x${(s1.ms / s2.ms).toFixed(2)}; ${(s2.ms / 200).toFixed(1)} ms per bundle at 2; cores busy ${(s1.cpuMs / s1.ms).toFixed(2)} vs ${(s2.cpuMs / s2.ms).toFixed(2)})`,
  '-',
  'none (shows how the pool scales on small tickets)',
]);

// 5. the machine: what a second core gives each kind of work, bundle-doctor aside
const machineJob = join(root, 'dist/bench/machine.js');
const scaling = (kind: string): number => {
  const one = Math.min(...[0, 1].map(() => timeIt(() => execFileSync(process.execPath, [machineJob, kind]))));
  const cmd = `'${process.execPath}' '${machineJob}' ${kind} & '${process.execPath}' '${machineJob}' ${kind} & wait`;
  const two = Math.min(...[0, 1].map(() => timeIt(() => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }))));
  return (2 * one) / two;
};
rows.push([
  'this machine: 2 copies of a fixed job at once',
  'compute / memory copy / allocating JS',
  `x${scaling('compute').toFixed(2)} / x${scaling('copy').toFixed(2)} / x${scaling('alloc').toFixed(2)} the throughput of one copy`,
  '-',
  'none (the ceiling a second core offers each kind of work)',
]);

console.log('\nTimes are wall-clock of the whole command (process start included), best of 5 (batches: of 3); peak RSS is the process high-water mark (GNU time).');
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`;
console.log(`\nbundle-doctor benchmark on ${machine}\n`);
const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i].length), ['case', 'input', 'time', 'peak RSS', 'target'][i].length));
const fmt = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log(fmt(['case', 'input', 'time', 'peak RSS', 'target']));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(fmt(r));
