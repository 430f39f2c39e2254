/**
 * docker.daemon-config-invalid: dockerd refuses its daemon.json and exits at start ("unable to
 * configure the Docker daemon with file /etc/docker/daemon.json: ..."), so Docker runs no containers
 * and makes none of its iptables chains. Three causes the bundle can show:
 *
 * - a key of the wrong JSON type: a quoted boolean (`"iptables": "false"`, docker/docs#7351;
 *   `"ipv6": "true"`, moby/moby#44905), a quoted number (`"mtu": "1500"`, docker/docs#3545), one
 *   string for a list: `json: cannot unmarshal string into Go struct field Config.iptables of type bool`
 * - a setting given both as a dockerd flag (docker.service's ExecStart, the running command line) and
 *   in the file: `the following directives are specified both as a flag and in the configuration file:
 *   hosts: (from flag: [fd://], from file: [...])` (moby/moby#42948, #41725; -H fd:// and "hosts" is the classic)
 * - a key this dockerd does not know (`the following directives don't match any configuration option:
 *   firewall-backend`, dyrnq/install-docker#25): only where the log says so, as the keys differ by version.
 *
 * Critical where the logs show dockerd refusing the file (log.docker-config-invalid); else a warning:
 * dockerd refuses the file at its next start (a running dockerd started before the file was edited).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { DockerDaemonConfig } from '../src/parsers/docker-daemon.js';
import { DAEMON_CONFIG_LOG_SIGNATURE } from '../src/parsers/docker-daemon.js';
import { dockerdArgs, dockerdSettings } from '../src/parsers/dockerd-flags.js';
import type { LogMatch, LogScanResult } from '../src/logs/index.js';
import { dockerRestartOf, restartDocker } from './lib/node-services.js';

/** dockerd flags whose daemon.json name differs (opts.NamedOption names, and the shorthands of plain flags). */
const FLAG_KEY: Record<string, string> = {
  H: 'hosts',
  host: 'hosts',
  label: 'labels',
  'insecure-registry': 'insecure-registries',
  'registry-mirror': 'registry-mirrors',
  'dns-opt': 'dns-opts',
  'storage-opt': 'storage-opts',
  'log-opt': 'log-opts',
  'exec-opt': 'exec-opts',
  'default-ulimit': 'default-ulimits',
  'authorization-plugin': 'authorization-plugins',
  'add-runtime': 'runtimes',
  'default-address-pool': 'default-address-pools',
  'node-generic-resource': 'node-generic-resources',
  'cluster-store-opt': 'cluster-store-opts',
  feature: 'features',
  D: 'debug',
  l: 'log-level',
  b: 'bridge',
  G: 'group',
  p: 'pidfile',
  s: 'storage-driver',
  g: 'graph',
};
/** dockerd's flags that take no value (Go bool flags): the next word is not theirs */
const BOOL_FLAGS = new Set(['D', 'debug', 'iptables', 'ip6tables', 'ip-forward', 'ip-masq', 'ipv6', 'icc', 'userland-proxy', 'experimental', 'live-restore', 'tls', 'tlsverify', 'selinux-enabled', 'no-new-privileges', 'init', 'raw-logs', 'validate', 'rootless', 'v', 'version', 'ip-forward-no-drop']);

interface Problem {
  kind: 'type' | 'conflict' | 'unknown';
  key: string;
  /** conflict: the flag as written on the command line, and that command line */
  flag?: string;
  commandLine?: string;
  evidence: Evidence[];
  /** dockerd's words for it */
  says: string;
}

/** The file's path on the host: /etc/docker/daemon.json, a rootless user's ~/.config/docker/daemon.json. */
function hostPath(file: string): string {
  const m = /(?:^|\/)(etc\/docker\/daemon\.json|home\/[^/]+\/\.config\/docker\/daemon\.json|var\/snap\/docker\/[^/]+\/config\/daemon\.json)$/.exec(file);
  return m ? `/${m[1]}` : '/etc/docker/daemon.json';
}

/** dockerd's start errors about its configuration file, from the logs. */
function refusals(logs: readonly LogScanResult[] | undefined): LogMatch[] {
  return (logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === DAEMON_CONFIG_LOG_SIGNATURE.id));
}

/** Keys dockerd merges from flag and file instead of refusing them (moby daemon/config/config.go skipDuplicates): --add-runtime beside "runtimes" (NVIDIA's documented setup, R7). */
const SKIP_DUPLICATES = new Set(['runtimes']);

/** The daemon.json keys a command line also sets, as dockerd's conflict check finds them. */
function flagConflicts(args: readonly string[], keys: ReadonlySet<string>): { flag: string; key: string }[] {
  const out: { flag: string; key: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^(--?)([A-Za-z][\w-]*)(=.*)?$/.exec(args[i]);
    if (!m) continue;
    const name = m[2];
    // a single dash with several letters is Go's long form too (-host); pflag takes only one-letter shorthands
    if (m[1] === '-' && name.length > 1 && !/^[A-Z]/.test(name)) continue;
    const key = FLAG_KEY[name] ?? name;
    const text = m[3] !== undefined || BOOL_FLAGS.has(name) || args[i + 1] === undefined || args[i + 1].startsWith('-') ? args[i] : `${args[i]} ${args[++i]}`;
    if (keys.has(key) && !SKIP_DUPLICATES.has(key) && !out.some((o) => o.key === key)) out.push({ flag: text, key });
  }
  return out;
}

export default defineAnalyzer({
  id: 'docker.daemon-config-invalid',
  title: 'dockerd refuses its daemon.json',
  description:
    'daemon.json holds a value of the wrong type (a quoted true/false or number), or a setting docker.service also passes as a flag: dockerd refuses the file and does not start.',
  scope: 'node',
  requires: [],
  requiresOneOf: ['dockerDaemon', 'logs'],
  optional: ['dockerDaemon', 'logs', 'services'],
  analyze({ node, artifacts }) {
    const configs = artifacts.dockerDaemon ?? [];
    const jsons = configs.filter((c): c is DockerDaemonConfig => (c.origin ?? 'daemon.json') === 'daemon.json');
    const logged = refusals(artifacts.logs);
    const settings = dockerdSettings(configs);
    const out = [];
    const restart = restartDocker({ dockerRestart: dockerRestartOf(artifacts) });
    for (const d of jsons) {
      const path = hostPath(d.file);
      const problems: Problem[] = [];
      for (const inv of d.invalid ?? [])
        problems.push({
          kind: 'type',
          key: inv.key,
          says: inv.message,
          evidence: [{ file: inv.ref.file, line: inv.ref.line, excerpt: inv.excerpt, note: `"${inv.key}" is a JSON ${inv.found}; dockerd reads it as a Go ${inv.expected}` }],
        });
      // the flags dockerd starts with (the running one's, else docker.service's); not a rootless dockerd
      // (its file is ~/.config/docker/daemon.json), nor one told to read another file
      const args = settings.commandLine ? dockerdArgs(settings.commandLine.text) : undefined;
      const otherFile = args?.find((a, i) => /^--config-file(=|$)/.test(a) && !(a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1] ?? '').endsWith(path));
      // a rootless user's ~/.config/docker/daemon.json or the snap's file is another dockerd's than docker.service's
      const systemFile = !/\.config\/docker\/|var\/snap\//.test(d.file);
      if (args && settings.commandLine && systemFile && !settings.rootless && !otherFile && d.keys?.length) {
        const keys = new Set(d.keys.map((k) => k.key));
        for (const c of flagConflicts(args, keys)) {
          const k = d.keys.find((x) => x.key === c.key)!;
          problems.push({
            kind: 'conflict',
            key: c.key,
            flag: c.flag,
            commandLine: settings.commandLine.text,
            says: `the following directives are specified both as a flag and in the configuration file: ${c.key}`,
            evidence: [
              { file: k.ref.file, line: k.ref.line, excerpt: k.excerpt, note: `daemon.json sets "${c.key}"` },
              { file: settings.commandLine.ref.file, line: settings.commandLine.ref.line, excerpt: settings.commandLine.excerpt, note: `${settings.commandLine.from === 'process' ? 'the running dockerd' : "docker.service's ExecStart"} passes ${c.flag}` },
            ],
          });
        }
      }
      // keys this dockerd does not know: only its own word for it (the list differs by version)
      for (const m of logged) {
        for (const key of (m.facts.unknown ?? '').split(/,\s*/).filter(Boolean)) {
          if (problems.some((p) => p.key === key)) continue;
          const k = d.keys?.find((x) => x.key === key);
          if (k) problems.push({ kind: 'unknown', key, says: `the following directives don't match any configuration option: ${key}`, evidence: [{ file: k.ref.file, line: k.ref.line, excerpt: k.excerpt, note: `this dockerd knows no "${key}"` }] });
        }
      }
      if (problems.length === 0) continue;
      // the log shows dockerd refusing this file for one of these reasons
      const confirmed = logged.filter((m) => (!m.facts.path || m.facts.path === path) && problems.some((p) => p.key === m.facts.key || p.key === m.facts.conflict || (m.facts.unknown ?? '').split(/,\s*/).includes(p.key)));
      const severity = confirmed.length ? ('critical' as const) : ('warning' as const);
      const logEvidence: Evidence[] = confirmed.slice(0, 3).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'dockerd refused the file and exited' }));
      const first = problems[0];
      const fixes = problems.map((p) => fixOf(p, path)).flat();
      out.push({
        severity,
        title: severity === 'critical' ? 'dockerd does not start: it refuses its daemon.json' : 'dockerd refuses this daemon.json at its next start',
        message:
          `${path} on ${node} (${d.file}) has ${problems.length === 1 ? 'a setting' : `${problems.length} settings`} dockerd refuses: ${problems.map((p) => describe(p)).join('; ')}. dockerd reads the whole file at start and exits on ${problems.length === 1 ? 'it' : 'the first of them'} ("unable to configure the Docker daemon with file ${path}: ${first.says}"), so it runs no containers and makes none of its iptables chains.` +
          (severity === 'critical'
            ? ` The log shows it did (${confirmed[0].file}:${confirmed[0].line}).`
            : settings.running
              ? ' dockerd runs now, so it was started before the file was changed: the next restart or reboot fails.'
              : ' Nothing in the bundle shows dockerd failing yet: the next start (a restart, a reboot) fails.'),
        impact: severity === 'critical' ? 'Docker is down on the node: no container runs, none can start.' : 'The next restart of Docker (or reboot) leaves it down: no container runs until the file is fixed.',
        evidence: [...problems.flatMap((p) => p.evidence), ...logEvidence],
        facts: { keys: problems.map((p) => p.key), kinds: problems.map((p) => p.kind), logged: confirmed.length > 0 },
        remedy: {
          summary: `Fix ${path}: ${problems.map((p) => summaryOf(p)).join('; ')}. Check the file with dockerd --validate (Docker 23+), then start dockerd.`,
          commands: [...fixes, `dockerd --validate --config-file ${path}   # "configuration OK" once fixed (Docker 23+; it does not see docker.service's flags)`, ...restart],
        },
      });
    }
    // the log alone (no daemon.json in the bundle): what it says
    if (jsons.length === 0 && logged.length > 0) {
      const m = logged[0];
      const path = m.facts.path ?? '/etc/docker/daemon.json';
      out.push({
        severity: 'critical' as const,
        title: 'dockerd does not start: it refuses its daemon.json',
        message: `dockerd on ${node} refused ${path} and exited (${m.file}:${m.line}): ${(m.facts.reason ?? '').slice(0, 300)}. It runs no containers and makes none of its iptables chains. The bundle does not hold the file.`,
        impact: 'Docker is down on the node: no container runs, none can start.',
        evidence: logged.slice(0, 3).map((x) => ({ file: x.file, line: x.line, excerpt: x.excerpt, note: 'dockerd refused the file and exited' })),
        facts: { keys: [m.facts.key ?? m.facts.conflict ?? m.facts.unknown].filter(Boolean), logged: true },
        remedy: {
          summary: `Fix what the message names in ${path}: write true/false and numbers without quotes, remove keys this dockerd does not know, and keep a setting either in the file or as a flag of docker.service, not both. Check with dockerd --validate (Docker 23+), then start dockerd.`,
          commands: [`cat ${path}`, `dockerd --validate --config-file ${path}`, ...restart],
        },
      });
    }
    return out;
  },
});

function describe(p: Problem): string {
  const at = `${p.evidence[0].file}:${p.evidence[0].line}`;
  if (p.kind === 'type') return `${p.evidence[0].excerpt} (${at}: ${p.says})`;
  if (p.kind === 'conflict') return `"${p.key}" is set both in the file (${at}) and as a flag (${p.evidence[1].excerpt.slice(0, 120)}, ${p.evidence[1].file}:${p.evidence[1].line})`;
  return `"${p.key}" (${at}) is no option of this dockerd`;
}

function summaryOf(p: Problem): string {
  if (p.kind === 'type') {
    const e = p.evidence[0].note ?? '';
    if (/Go bool/.test(e)) return `write "${p.key}" as true or false without quotes`;
    if (/Go int/.test(e)) return `write "${p.key}" as a number without quotes`;
    if (/\[\]string/.test(e)) return `write "${p.key}" as a list: ["..."]`;
    return `give "${p.key}" a value of the type dockerd expects`;
  }
  if (p.kind === 'conflict') return `keep "${p.key}" in one place: remove it from the file, or the flag from docker.service's ExecStart (a drop-in: ExecStart= then the same command without it)`;
  return `remove "${p.key}" (or upgrade dockerd to a version that knows it)`;
}

/**
 * Commands that fix a quoted boolean or number in place (idempotent: a fixed file no longer matches);
 * for a flag that docker.service also passes, a drop-in whose ExecStart is the same command without it.
 */
function fixOf(p: Problem, path: string): string[] {
  if (p.kind === 'conflict' && p.flag && p.commandLine) {
    const without = p.commandLine.replace(new RegExp(`(^|\\s)${p.flag.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?=\\s|$)`), '').replace(/\s+/g, ' ').trim();
    // only a command printf can write as it is
    if (without === p.commandLine.trim() || /[%'\\]/.test(without)) return [`# or: drop ${p.flag} from docker.service's ExecStart with a drop-in (systemctl edit docker: ExecStart= then the command without it)`];
    return [
      `# either remove "${p.key}" from ${path}, or keep it there and start dockerd without ${p.flag}:`,
      'mkdir -p /etc/systemd/system/docker.service.d',
      `printf '[Service]\\nExecStart=\\nExecStart=${without}\\n' > /etc/systemd/system/docker.service.d/zz-daemon-json.conf`,
      'systemctl daemon-reload',
    ];
  }
  if (p.kind !== 'type') return [];
  const k = p.key.replace(/[.[\]*^$\\/]/g, '\\$&');
  const note = p.evidence[0].note ?? '';
  if (/Go bool/.test(note) && /:\s*"(true|false)"/.test(p.evidence[0].excerpt)) return [`sed -i -E 's/("${k}"[[:space:]]*:[[:space:]]*)"(true|false)"/\\1\\2/' ${path}`];
  if (/Go int/.test(note) && /:\s*"\d+"/.test(p.evidence[0].excerpt)) return [`sed -i -E 's/("${k}"[[:space:]]*:[[:space:]]*)"([0-9]+)"/\\1\\2/' ${path}`];
  return [`# ${path}:${p.evidence[0].line}: ${summaryOf(p)}`];
}
