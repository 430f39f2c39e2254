/**
 * The command line: arguments, exit codes, output. Thin on purpose: all work is in the library.
 * Exit 0: analyzed; 1: a finding at or above --fail-on; 2: usage error or an input that could not be analyzed.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyze } from './engine/analyze.js';
import { OUTPUT_FORMATS, render, type OutputFormat } from './report/render.js';
import { SEVERITY_ORDER, type Report, type Severity } from './report/schema.js';
import { VERSION } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

const HELP = `bundle-doctor ${VERSION}: diagnose container-host networking from support bundles

Usage:
  bundle-doctor analyze <inputs...> [options]

Inputs: .tar.gz/.tgz or .tar archives (sosreport, troubleshoot, insights, hand-made),
or folders of an extracted bundle.

Options:
  -f, --format md|html|json   report format (default: md)
  -o, --output FILE           write the report to FILE instead of stdout
      --fail-on LEVEL         exit 1 when a finding is at or above LEVEL:
                              critical | warning | info | none (default: none)
      --require-port PORTS    ports the application needs, e.g. 5432,6379
      --debug                 print stack traces of internal errors
  -h, --help                  this help
  -v, --version               print the version

Exit status: 0 analyzed, 1 a finding at or above --fail-on, 2 usage error or an
input that could not be analyzed.
`;

class UsageError extends Error {}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`bundle-doctor: ${err.message}\nTry 'bundle-doctor --help'.\n`);
      return EXIT_USAGE;
    }
    io.stderr(`bundle-doctor: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    return EXIT_USAGE;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'fail-on': { type: 'string' },
        'require-port': { type: 'string', multiple: true },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  if (values.version) {
    io.stdout(`${VERSION}\n`);
    return EXIT_OK;
  }
  const [command, ...inputs] = positionals;
  if (!command) throw new UsageError('no command given');
  if (command !== 'analyze') throw new UsageError(`unknown command '${command}'`);
  if (inputs.length === 0) throw new UsageError('analyze needs at least one bundle (archive or folder)');

  const format = (values.format ?? 'md') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not '${values.format}'`);
  const failOn = values['fail-on'] ?? 'none';
  if (!['critical', 'warning', 'info', 'none'].includes(failOn)) throw new UsageError(`--fail-on must be critical, warning, info or none, not '${failOn}'`);
  const requiredPorts = parsePorts(values['require-port'] ?? []);

  const report = await analyze(inputs, { requiredPorts });
  for (const f of report.failures) io.stderr(`bundle-doctor: ${f.error}\n`);
  if (report.bundles.length === 0) return EXIT_USAGE;

  const text = render(report, format);
  if (values.output) {
    try {
      writeFileSync(values.output, text);
    } catch (err) {
      io.stderr(`bundle-doctor: cannot write ${values.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return EXIT_USAGE;
    }
  } else io.stdout(text);

  if (report.failures.length > 0) return EXIT_USAGE;
  return reachesFailOn(report, failOn) ? EXIT_FINDINGS : EXIT_OK;
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
