/**
 * docs/k8s-indexed-job.yaml's container command, run as a pod runs it: the shell as PID 1 of its
 * own PID namespace (unshare), signalled from outside as the kubelet does. Only the paths of the
 * volumes (/tickets, /out) are changed. The Job's podFailurePolicy maps the exit statuses this
 * checks: 0 done, 3 stopped (retried with --resume), 2 nothing ran (FailIndex).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/batch/shard.js';
import { makeTarGz, tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const MANIFEST = projectPath('docs/k8s-indexed-job.yaml');

/** The container's `args` script (the YAML block scalar under `args: - |`), dedented. */
function containerScript(): string {
  const lines = readFileSync(MANIFEST, 'utf8').split('\n');
  const start = lines.findIndex((l, i) => /^\s*- \|\s*$/.test(l) && /^\s*args:\s*$/.test(lines[i - 1] ?? ''));
  expect(start).toBeGreaterThan(0);
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() !== '' && !/^\s{14}/.test(l)) break;
    body.push(l.slice(14));
  }
  return body.join('\n');
}

/** The namespace's `unshare --fork` child: PID 1 inside it. */
function childOf(pid: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(d);
    } catch {
      // gone
    }
  }
  return undefined;
}

const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '/bin/true']).status === 0;

interface Pod {
  code: number | null;
}

/** Runs the pod's command as PID 1; `stopWhen` is polled, and when true the pod gets SIGTERM. */
function runPod(tickets: string, out: string, stopWhen?: () => boolean): Promise<Pod> {
  const script = containerScript().replaceAll("'/tickets/", `'${tickets}/`).replaceAll('"/out/', `"${out}/`);
  expect(script).toContain(tickets);
  expect(script).toContain(out);
  return new Promise((done) => {
    const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', '/bin/sh', '-c', script], {
      cwd: projectPath(),
      env: { ...process.env, JOB_COMPLETION_INDEX: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let stopped = false;
    const poll = stopWhen
      ? setInterval(() => {
          if (stopped || !stopWhen()) return;
          const pid1 = childOf(p.pid!);
          if (pid1 === undefined) return;
          stopped = true;
          process.kill(pid1, 'SIGTERM'); // as the kubelet: to the container's PID 1, from outside its namespace
        }, 50)
      : undefined;
    p.on('close', (code) => {
      if (poll) clearInterval(poll);
      if (stopWhen) expect(stopped, stderr).toBe(true);
      done({ code });
    });
  });
}

describe.skipIf(!canUnshare)('the Kubernetes Indexed Job manifest', () => {
  it('a stopped pod writes its index (interrupted) and fails for a retry; the retry resumes and completes', async () => {
    const { writeLogBundle } = await import('../../bench/gen.js');
    const base = tmpDir('bd-k8s-');
    const heavy = join(base, 'heavy.tgz');
    await writeLogBundle(heavy, 12);
    const tickets = join(base, 'tickets');
    const inputs: string[] = [];
    for (let i = 0; inputs.length < 10; i++) {
      const dir = join(tickets, `ticket-${String(i).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      symlinkSync(heavy, join(dir, 'bundle.tgz'));
      if (shardOf(join(dir, 'bundle.tgz'), 8) === 0) inputs.push(join(dir, 'bundle.tgz'));
    }
    const out = join(base, 'out');
    const shard = join(out, 'shard-0');
    const reports = () => (existsSync(shard) ? readdirSync(shard).filter((f) => f.endsWith('.json') && f !== 'index.json').length : 0);

    const first = await runPod(tickets, out, () => reports() >= 1);
    expect(first.code).toBe(3);
    const index = JSON.parse(readFileSync(join(shard, 'index.json'), 'utf8'));
    expect(index.bundles.map((b: { source: string }) => b.source).sort()).toEqual(inputs.sort());
    const stopped = index.bundles.filter((b: { code?: string }) => b.code === 'interrupted');
    expect(stopped.length).toBeGreaterThan(0);
    expect(index.totals.analyzed).toBeGreaterThan(0);
    const kept = index.bundles.find((b: { error?: string }) => !b.error);
    const keptAt = statSync(join(shard, kept.reports.json)).mtimeMs;

    const retry = await runPod(tickets, out);
    expect(retry.code).toBe(0);
    const after = JSON.parse(readFileSync(join(shard, 'index.json'), 'utf8'));
    expect(after.totals).toMatchObject({ bundles: inputs.length, analyzed: inputs.length, failed: 0 });
    expect(statSync(join(shard, kept.reports.json)).mtimeMs).toBe(keptAt);
  });

  it('corrupt inputs: the shard completes with them listed; nothing to analyze: exit 2 (FailIndex) and no index', async () => {
    const base = tmpDir('bd-k8s-');
    const tickets = join(base, 'tickets');
    // every other input of shard 0 is corrupt, and it gets at least two (which inputs shard 0 gets depends
    // on the random folder: alternating by ticket number alone left it, now and then, no corrupt one)
    let inShard = 0;
    for (let i = 0; i < 40 || inShard < 2; i++) {
      const dir = join(tickets, `ticket-${String(i).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      const corrupt = shardOf(join(dir, 'bundle.tgz'), 8) === 0 ? inShard++ % 2 === 0 : i % 2 === 1;
      if (corrupt) writeFileSync(join(dir, 'bundle.tgz'), 'not a tarball\n');
      else writeFileSync(join(dir, 'bundle.tgz'), await makeTarGz([{ name: 'h/sysctl.txt', content: 'net.ipv4.ip_forward = 1\n' }]));
    }
    const out = join(base, 'out');
    expect((await runPod(tickets, out)).code).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'shard-0', 'index.json'), 'utf8'));
    expect(index.totals.failed).toBeGreaterThan(0);
    expect(index.bundles.every((b: { code?: string }) => b.code !== 'interrupted')).toBe(true);
    // done again: everything is kept or fails the same way, and the pod still succeeds
    expect((await runPod(tickets, out)).code).toBe(0);

    const empty = join(base, 'empty');
    mkdirSync(empty);
    const out2 = join(base, 'out2');
    expect((await runPod(empty, out2)).code).toBe(2);
    expect(existsSync(join(out2, 'shard-0', 'index.json'))).toBe(false);
  });
});
