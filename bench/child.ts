/** Runs one analysis in a fresh process and prints its time and peak memory (RSS) as JSON. */
import { analyzeBundle } from '../src/engine/analyze.js';

const [input] = process.argv.slice(2);
const t0 = performance.now();
const report = await analyzeBundle(input);
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    findings: report.findings.map((f) => f.id),
    rules: report.nodes.flatMap((n) => n.iptables ?? []).reduce((s, r) => s + r.rules, 0),
    logLines: report.coverage.nodes.flatMap((n) => n.logs).reduce((s, l) => s + l.lines, 0),
  }) + '\n',
);
