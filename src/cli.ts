/**
 * The command line: arguments, exit codes, output. Thin on purpose: all work is in the library.
 * Exit 0: analyzed; 1: a finding at or above --fail-on; 2: usage error, an input that could not be analyzed, or one where nothing could be checked.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { expandInputs, type DirMode } from './batch/inputs.js';
import { Progress, type ProgressMode } from './batch/progress.js';
import { inShard, parseShard } from './batch/shard.js';
import { displayText, printable, shortNames } from './report/names.js';
import { Redactor } from './report/redact.js';
import { OUTPUT_FORMATS, render, type OutputFormat } from './report/render.js';
import type { Report } from './report/schema.js';
import { SEVERITY_ORDER, type Severity } from './report/severity.js';
import { VERSION } from './version.js';
import { parseIp } from './parsers/cidr.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

const HELP = `bundle-doctor ${VERSION}: diagnose container-host networking from support bundles

Usage:
  bundle-doctor analyze <inputs...> [options]
  bundle-doctor merge <index.json...> -o DIR [--format ...] [--allow-separate-tokens]
  bundle-doctor schema [--index]        print the JSON Schema of the report (or of index.json)
  bundle-doctor trace <bundle> --src IP --dst IP[:PORT[/tcp|udp]|/icmp] [--node NAME]
        (IPv6: --dst [IPV6]:PORT/tcp, [IPV6]:PORT/udp or IPV6 for ICMPv6)
        [--in IFACE] [--out IFACE] [--state new|established] [--to-node] [--format text|json]
                                      walk one packet through a node's iptables rules
                                      (--to-node: the destination is an address of the node,
                                      where the bundle has no ip addr to say so)

Inputs: .tar.gz/.tgz, .tar, .tar.xz or .zip archives (sosreport, troubleshoot, insights,
hand-made; archives inside archives are opened), folders of an extracted bundle, folders
of attachments (a batch), or glob patterns such as 'tickets/**/*.{tgz,zip}'.

Options:
  -f, --format FORMATS        md, html or json (default: md); with -o DIR a list: html,md,json
  -o, --output FILE|DIR       write the report to FILE; a DIR (existing, ending in /, or
                              without extension) gets a report per bundle and an index
      --fail-on LEVEL         exit 1 when a finding is at or above LEVEL:
                              critical | warning | info | none (default: none)
      --require-port PORTS    ports the application needs, e.g. 5432,6379
      --analyzers DIR         also run the analyzer modules (.js/.mjs) in DIR
      --redact [ips,hostnames]  with ips / hostnames replace addresses and names by
                              consistent tokens, for reports that leave the company;
                              the report's Source is the input's base name
      --no-mask-secrets       show secrets as the bundle has them (internal use): every
                              report masks them by default (passwords, tokens, API keys,
                              Bearer/Basic credentials, URL passwords, private keys)
      --concurrency N         bundles analyzed at once (default: number of CPUs)
      --timeout SECONDS       per-bundle time limit in a batch, from the start of its
                              analysis (default: 900; 0 = none; at most 2147483, 24 days)
      --max-memory MB         per-bundle heap budget in a batch (default: 4096)
      --jsonl                 one JSON line per bundle on stdout as each completes
      --shard K/N             analyze only shard K (0..N-1) of the inputs, by a stable
                              hash of each input path (Kubernetes Indexed Jobs)
      --as-bundle             a folder argument is one extracted bundle
      --as-batch              a folder argument is a folder of bundle archives
      --resume                with -o DIR: keep the bundles DIR/index.json lists as
                              analyzed; analyze the rest (failed, interrupted, new);
                              not with --redact ips/hostnames (--redact alone is fine)
      --allow-separate-tokens merge: join indexes redacted (ips/hostnames) by separate
                              runs, each run's tokens marked with its shard (s0:host-1);
                              without it such a merge is refused
  -q, --quiet                 no progress output
      --debug                 print stack traces of internal errors
  -h, --help                  this help
  -v, --version               print the version

Exit status: 0 analyzed, 1 a finding at or above --fail-on, 2 usage error, an
input that could not be analyzed, or one where nothing could be checked (the
other inputs are still analyzed, their reports written).
`;

class UsageError extends Error {}

/** --timeout's largest value: setTimeout's longest delay (2^31-1 ms) in whole seconds, 2147483 (24 days); Node fires at once beyond it. */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stderrIsTTY?: boolean;
  columns?: number;
}

/**
 * A writer for stdout or stderr that stops writing once the pipe's reader has gone (`--jsonl |
 * head -3`, `2>&1 | head`): Node would otherwise throw the EPIPE as an unhandled error event, a
 * stack trace that also ends a batch before its index is written. What else the command writes
 * (reports and index in -o DIR) goes on. `onClosed` runs once, when the reader goes.
 */
function pipeWriter(stream: NodeJS.WriteStream, onClosed?: () => void): (s: string) => void {
  let closed = false;
  let watching = false;
  return (s) => {
    if (!watching) {
      watching = true;
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        if (closed) return;
        closed = true;
        onClosed?.();
      });
    }
    if (!closed) stream.write(s);
  };
}

/** Set by a --jsonl batch with nowhere else to write: it stops when stdout's reader goes. */
let stdoutGone: (() => void) | undefined;

const defaultIo: CliIo = {
  stdout: pipeWriter(process.stdout, () => stdoutGone?.()),
  stderr: pipeWriter(process.stderr),
  stderrIsTTY: process.stderr.isTTY,
  columns: process.stderr.columns,
};

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`bundle-doctor: ${printable(err.message)}\nTry 'bundle-doctor --help'.\n`);
      return EXIT_USAGE;
    }
    io.stderr(`bundle-doctor: ${printable((err as Error)?.message?.split('\n')[0] ?? String(err))}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    return EXIT_USAGE;
  }
}

/** `--redact` takes an optional value: bare, it means secrets only. */
function normalizeRedact(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--redact') {
      const next = argv[i + 1];
      if (next !== undefined && /^(secrets|ips|hostnames)(,(secrets|ips|hostnames))*$/.test(next)) {
        out.push(`--redact=${next}`);
        i++;
      } else out.push('--redact=secrets');
    } else out.push(a);
  }
  return out;
}

function parseRedact(value: string | undefined): Redactor | undefined {
  if (value === undefined) return undefined;
  const parts = new Set(value.split(',').map((s) => s.trim()));
  for (const p of parts) if (!['secrets', 'ips', 'hostnames'].includes(p)) throw new UsageError(`--redact takes ips and/or hostnames, not '${p}'`);
  return new Redactor({ ips: parts.has('ips'), hostnames: parts.has('hostnames') });
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: normalizeRedact(argv),
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'fail-on': { type: 'string' },
        'require-port': { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        'max-memory': { type: 'string' },
        jsonl: { type: 'boolean' },
        shard: { type: 'string' },
        'as-bundle': { type: 'boolean' },
        'as-batch': { type: 'boolean' },
        resume: { type: 'boolean' },
        'allow-separate-tokens': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        analyzers: { type: 'string' },
        redact: { type: 'string' },
        'no-mask-secrets': { type: 'boolean' },
        index: { type: 'boolean' },
        src: { type: 'string' },
        dst: { type: 'string' },
        node: { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        state: { type: 'string' },
        'to-node': { type: 'boolean' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    // Node's own message for an unknown option ends in an unbalanced quote (`as in '-- "--bogus"`)
    const unknown = (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /^Unknown option '(.*?)'/.exec((err as Error).message);
    if (unknown) throw new UsageError(`unknown option '${unknown[1]}' (to name an input that starts with '-', put it after '--': -- ${unknown[1]})`);
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  if (values.version) {
    io.stdout(`${VERSION}\n`);
    return EXIT_OK;
  }
  const [command, ...args] = positionals;
  if (!command) throw new UsageError('no command given');
  if (command === 'schema') {
    const { indexJsonSchema, reportJsonSchema } = await import('./report/json-schema.js');
    io.stdout(JSON.stringify(values.index ? indexJsonSchema() : reportJsonSchema(), null, 2) + '\n');
    return EXIT_OK;
  }
  if (command === 'trace') return traceCommand(args, values, io);
  const formats = parseFormats(values.format);
  if (command === 'merge') {
    if (args.length === 0) throw new UsageError('merge needs at least one index.json');
    if (!values.output) throw new UsageError('merge needs -o DIR');
    // the same rule as analyze's -o: a path with an extension that is no folder is a file, and merge writes a folder
    if (!isDirOutput(values.output))
      throw new UsageError(`merge writes index files into a folder: -o DIR (an existing folder, a path ending in /, or one without extension), not the file '${values.output}'`);
    const { mergeIndexes } = await import('./batch/run.js');
    const { index, qualified } = await mergeIndexes(args, values.output, formats, { allowSeparateTokens: values['allow-separate-tokens'] === true });
    if (!values.quiet) {
      if (qualified.length > 0)
        io.stderr(`bundle-doctor: the redacted indexes ${qualified.map((q) => `${q.file} (${q.label}:)`).join(', ')} each have their own tokens: in the merged index theirs are marked with their shard, as in ${qualified[0].label}:host-1\n`);
      io.stderr(`merged ${args.length} indexes: ${index.totals.bundles} bundles into ${values.output}\n`);
    }
    return index.totals.failed > 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (command !== 'analyze') throw new UsageError(`unknown command '${command}'`);
  if (values['allow-separate-tokens']) throw new UsageError('--allow-separate-tokens is an option of merge');
  if (args.length === 0) throw new UsageError('analyze needs at least one bundle (archive or folder)');

  const failOn = values['fail-on'] ?? 'none';
  if (!['critical', 'warning', 'info', 'none'].includes(failOn)) throw new UsageError(`--fail-on must be critical, warning, info or none, not '${failOn}'`);
  if (values['as-bundle'] && values['as-batch']) throw new UsageError('--as-bundle and --as-batch exclude each other');
  const requiredPorts = parsePorts(values['require-port'] ?? []);
  const concurrency = positiveInt(values.concurrency, '--concurrency', availableParallelism());
  const timeoutS = nonNegativeInt(values.timeout, '--timeout', 900);
  if (timeoutS > MAX_TIMEOUT_S) throw new UsageError(`--timeout is at most ${MAX_TIMEOUT_S} seconds (24 days; 0 = no limit), not '${values.timeout}'`);
  const maxMemoryMb = positiveInt(values['max-memory'], '--max-memory', 4096);
  let shard;
  try {
    shard = values.shard ? parseShard(values.shard) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const analyzersDir = values.analyzers;
  if (analyzersDir) {
    // a batch analyzes in child processes: the main process loads analyzers only to check these early
    const [{ BUILTIN_ANALYZERS }, { externalAnalyzersOnce }] = await Promise.all([import('../analyzers/index.js'), import('./engine/external.js')]);
    try {
      await externalAnalyzersOnce(analyzersDir, new Set(BUILTIN_ANALYZERS.map((a) => a.id)));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const redactor = parseRedact(values.redact);
  // every renderer gets it: this process's, and the batch's children through their tasks
  const maskSecrets = !values['no-mask-secrets'];
  if (!maskSecrets && redactor) throw new UsageError('--no-mask-secrets and --redact exclude each other: a redacted report masks its secrets');
  const outDir = values.output && isDirOutput(values.output) ? values.output : undefined;
  if (values.resume && !outDir) throw new UsageError('--resume needs -o DIR: the output folder of the run to resume');
  // Secrets alone are masked in the reports, not in the index's sources (plain paths), and need no
  // table of tokens: such a run resumes. With ips or hostnames the index lists its sources as
  // tokens, which cannot be matched to the inputs, and a new run would start a new table.
  if (values.resume && redactor && (redactor.options.ips || redactor.options.hostnames))
    throw new UsageError(
      '--resume cannot be used with --redact ips or hostnames: the index lists its sources as tokens, which cannot be matched to the inputs, and a resumed run would give the same host another token; run again without --resume (--redact alone, secrets only, can be resumed)',
    );
  if (!outDir && formats.length > 1)
    throw new UsageError(
      values.output
        ? `several formats need -o DIR (an existing folder, a path ending in /, or one without extension), not the file '${values.output}'`
        : 'several formats need -o DIR',
    );
  const mode: DirMode = values['as-bundle'] ? 'bundle' : values['as-batch'] ? 'batch' : 'auto';
  const expanded = await expandInputs(args, mode);
  for (const m of expanded.missing) io.stderr(`bundle-doctor: ${printable(m.error)}\n`);
  // how a folder holding bundle archives was guessed, and the option that reads it the other way
  for (const n of expanded.notes) io.stderr(`bundle-doctor: ${printable(n.note)}\n`);
  const bundles = shard ? expanded.bundles.filter((b) => inShard(b, shard)) : expanded.bundles;
  // No input at all is a mistake even for a shard (a volume not mounted): no index is written over
  // an earlier one. A shard that only gets no share of the inputs writes its empty index.
  if (expanded.bundles.length === 0 || (bundles.length === 0 && !shard)) {
    if (expanded.missing.length === 0) io.stderr('bundle-doctor: no bundles to analyze\n');
    return EXIT_USAGE;
  }

  // One bundle to stdout or a file: analyzed right here (no worker to start: it is what a person
  // waits for). A batch goes through the worker pool, each bundle isolated with its own limits.
  if (bundles.length === 1 && !outDir && !values.jsonl) {
    const { analyze } = await import('./engine/analyze.js');
    // already expanded: taken as it is (a folder here was found to be one bundle)
    const raw = await analyze(bundles, { requiredPorts, analyzersDir, asBundle: true });
    for (const f of raw.failures) io.stderr(`bundle-doctor: ${printable(f.error)}\n`);
    if (raw.bundles.length === 0) return EXIT_USAGE;
    const report = redactor ? redactor.report(raw) : raw;
    const { digestOf, uncheckedLine } = await import('./batch/index-report.js');
    let unchecked = 0;
    for (const b of report.bundles) {
      const d = digestOf(b);
      if (d.checked > 0) continue;
      unchecked++;
      io.stderr(`bundle-doctor: ${printable(uncheckedLine(b.source, d.missing))}\n`);
    }
    if (!emit(render(report, formats[0], { maskSecrets }), values.output, io)) return EXIT_USAGE;
    // read, but nothing could be checked: not "analyzed" (0 would read as all clear to a script)
    return expanded.missing.length > 0 || unchecked > 0 ? EXIT_USAGE : reachesFailOn(report, failOn) ? EXIT_FINDINGS : EXIT_OK;
  }
  stdoutGone = undefined;
  if (values.jsonl && !outDir)
    stdoutGone = () => {
      io.stderr('bundle-doctor: stdout was closed by its reader; the batch stopped\n');
      process.exit(EXIT_USAGE);
    };
  const progressMode: ProgressMode = values.quiet ? 'quiet' : io.stderrIsTTY ? 'bar' : 'lines';
  const [{ runBatchToOutputs, resumeFrom }, { interruptOnSignals, INTERRUPTED }] = await Promise.all([import('./batch/run.js'), import('./batch/interrupt.js')]);
  const previous = values.resume && outDir ? await resumeFrom(outDir, bundles, formats) : undefined;
  const done = new Set(previous?.entries.map((e) => e.source));
  const toRun = bundles.filter((b) => !done.has(b));
  if (previous && !values.quiet) io.stderr(`bundle-doctor: resuming: ${done.size} of ${bundles.length} bundles already analyzed in ${join(outDir!, 'index.json')}\n`);
  const interrupt = interruptOnSignals((sig) => io.stderr(`${progressMode === 'bar' ? '\r\x1b[2K' : ''}bundle-doctor: ${sig}: stopping; what was analyzed is kept${outDir ? ' and the index written' : ''}\n`));
  const outcome = await runBatchToOutputs(toRun, {
    previous,
    signal: interrupt.signal,
    concurrency,
    timeoutMs: timeoutS * 1000,
    maxMemoryMb,
    analyze: { requiredPorts, analyzersDir },
    formats,
    outDir,
    jsonl: values.jsonl ? io.stdout : undefined,
    progress: new Progress(toRun.length, progressMode, io.stderr, io.columns ?? 100, progressMode === 'bar' ? barLabels(bundles) : undefined),
    redactor,
    maskSecrets,
  }).finally(interrupt.dispose);
  // Each failure once on stderr: the progress lines said them already; the bar, which is erased,
  // and -q (no progress, but failures still) did not; --jsonl streamed them.
  const sayFailures = !values.jsonl && progressMode !== 'lines';
  if (sayFailures) for (const e of outcome.index.bundles) if (e.error !== undefined && e.code !== INTERRUPTED) io.stderr(`bundle-doctor: ${printable(e.error)}\n`);
  // inputs read where no check could run: the progress lines said so; the bar and -q did not
  if (progressMode !== 'lines') for (const u of outcome.unchecked) io.stderr(`bundle-doctor: ${printable(u.line)}\n`);
  const stopped = outcome.index.bundles.filter((e) => e.code === INTERRUPTED).length;
  if (stopped > 0) io.stderr(`bundle-doctor: interrupted: ${stopped} of ${outcome.index.totals.bundles} bundles not analyzed${outDir ? ' (listed in the index)' : ''}\n`);
  if (outcome.report && !values.jsonl && !emit(render(outcome.report, formats[0], { maskSecrets }), values.output, io)) return EXIT_USAGE;
  if (outDir && !values.quiet)
    io.stderr(`${outcome.index.totals.analyzed} of ${outcome.index.totals.bundles} bundles analyzed; index in ${join(outDir, `index.${formats.includes('html') ? 'html' : formats[0]}`)}\n`);
  if (outcome.failed > 0 || expanded.missing.length > 0 || outcome.unchecked.length > 0) return EXIT_USAGE;
  if (failOn !== 'none' && outcome.worst && SEVERITY_ORDER[outcome.worst] <= SEVERITY_ORDER[failOn as Severity]) return EXIT_FINDINGS;
  return EXIT_OK;
}

async function traceCommand(args: string[], values: ReturnType<typeof parse>['values'], io: CliIo): Promise<number> {
  if (args.length !== 1) throw new UsageError('trace needs exactly one bundle');
  if (!values.src || !values.dst) throw new UsageError('trace needs --src IP and --dst IP[:PORT[/PROTO]]');
  const dst = traceDestination(values.dst);
  if (!dst) throw new UsageError(`--dst must look like 172.17.0.1:5432/tcp or [fd00::2]:5432/tcp, not '${values.dst}'`);
  const family = dst[1].includes(':') ? 6 : 4;
  if (family === 4 && !isIPv4(dst[1])) throw new UsageError(`--dst: ${dst[1]} is not an IPv4 address (each part 0-255), in '${values.dst}'`);
  if (family === 6 && parseIp(dst[1])?.family !== 6) throw new UsageError(`--dst: ${dst[1]} is not an IPv6 address, in '${values.dst}'`);
  if (dst[2] !== undefined && !(Number(dst[2]) >= 1 && Number(dst[2]) <= 65535))
    throw new UsageError(`--dst: port ${dst[2]} is not 1-65535, in '${values.dst}'`);
  if (dst[2] !== undefined && /^icmp|ipv6-icmp/.test(dst[3] ?? '')) throw new UsageError(`--dst: icmp has no ports, in '${values.dst}'`);
  const srcFamily = values.src.includes(':') ? 6 : 4;
  if (srcFamily === 4 && !isIPv4(values.src)) throw new UsageError(`--src must be an IPv4 address (each part 0-255) or an IPv6 address, not '${values.src}'`);
  if (srcFamily === 6 && parseIp(values.src)?.family !== 6) throw new UsageError(`--src must be an IPv4 or IPv6 address, not '${values.src}'`);
  if (srcFamily !== family) throw new UsageError(`--src ${values.src} is IPv${srcFamily} but --dst ${dst[1]} is IPv${family}: a packet has one address family (trace IPv4 to IPv4 or IPv6 to IPv6)`);
  const state = values.state ?? 'new';
  if (!['new', 'established', 'related', 'invalid'].includes(state)) throw new UsageError(`--state must be new or established, not '${state}'`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`trace --format must be text or json, not '${format}'`);
  const { traceBundle, formatTrace } = await import('./engine/trace-bundle.js');
  const result = await traceBundle(args[0], {
    node: values.node,
    src: values.src,
    dst: dst[1],
    dport: dst[2] ? Number(dst[2]) : undefined,
    protocol: family === 6 && (dst[3] === undefined || /icmp/.test(dst[3])) && !dst[2] ? 'ipv6-icmp' : (dst[3] ?? (dst[2] ? 'tcp' : 'icmp')),
    inInterface: values.in,
    outInterface: values.out,
    state: state as 'new',
    ...(values['to-node'] ? { toNode: true } : {}),
  }).catch((err: Error) => {
    io.stderr(`bundle-doctor: ${printable(err.message.split('\n')[0])}\n`);
    return undefined;
  });
  if (!result) return EXIT_USAGE;
  io.stdout(format === 'json' ? JSON.stringify(result, null, 2) + '\n' : displayText(formatTrace(result)));
  return EXIT_OK;
}

/**
 * `--dst` of trace: `172.17.0.1:5432/tcp`, `10.0.0.1/icmp`, `[fd00::2]:5432/tcp`, `[fd00::2]/udp` or a
 * bare `fd00::2` (no port: ICMPv6 unless a protocol is named); undefined for anything else.
 */
function traceDestination(text: string): [text: string, address: string, port: string | undefined, protocol: string | undefined] | undefined {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?(?:\/(tcp|udp|icmp))?$/.exec(text);
  if (v4) return [text, v4[1], v4[2], v4[3]];
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?(?:\/(tcp|udp|icmp|icmpv6|ipv6-icmp))?$/.exec(text) ?? /^([0-9a-fA-F]*:[0-9a-fA-F:.]*)()(?:\/(tcp|udp|icmp|icmpv6|ipv6-icmp))?$/.exec(text);
  return v6 ? [text, v6[1], v6[2] || undefined, v6[3]] : undefined;
}

/** Dotted-quad IPv4, each part 0-255. */
function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function emit(text: string, output: string | undefined, io: CliIo): boolean {
  if (!output) {
    io.stdout(text);
    return true;
  }
  try {
    writeFileSync(output, text);
    return true;
  } catch (err) {
    io.stderr(`bundle-doctor: cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return false;
  }
}

function parseFormats(value: string | undefined): OutputFormat[] {
  const list = (value ?? 'md').split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of list)
    if (!OUTPUT_FORMATS.includes(f as OutputFormat)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not '${f}'`);
  if (list.length === 0) throw new UsageError('--format is empty');
  return [...new Set(list)] as OutputFormat[];
}

/** A folder: it exists as one, ends in '/', or has no extension (README's definition, whatever the formats). */
function isDirOutput(output: string): boolean {
  if (output.endsWith('/')) return true;
  if (existsSync(output)) return statSync(output).isDirectory();
  return extname(output) === '';
}

function positiveInt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number of at least 1, not '${v}'`);
  return n;
}

function nonNegativeInt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number, not '${v}'`);
  return n;
}

function parsePorts(values: string[]): number[] {
  const ports: number[] = [];
  for (const v of values)
    for (const part of v.split(',')) {
      const t = part.trim();
      if (t === '') continue;
      const n = Number(t);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--require-port: '${t}' is not a port number`);
      ports.push(n);
    }
  return ports;
}

export function reachesFailOn(report: Report, failOn: string): boolean {
  if (failOn === 'none') return false;
  const limit = SEVERITY_ORDER[failOn as Severity];
  return report.bundles.some((b) => b.findings.some((f) => SEVERITY_ORDER[f.severity] <= limit));
}

function barLabels(inputs: string[]): Map<string, string> {
  const labels = shortNames(inputs);
  return new Map(inputs.map((input, i) => [input, labels[i]]));
}
