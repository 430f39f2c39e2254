/**
 * Rootless Docker and RootlessKit's port driver, from what a bundle shows of them:
 *
 * - RootlessKit's command line (ps, a `systemctl --user status docker` CGroup tree, the `+ exec
 *   rootlesskit ...` trace dockerd-rootless.sh writes to its journal with `set -x`):
 *   `rootlesskit --state-dir=/run/user/1002/dockerd-rootless --net=slirp4netns ... --port-driver=builtin ...`
 *   (rootless-containers/rootlesskit#434, moby/moby discussion #45337)
 * - dockerd-rootless.sh's environment: `Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns`
 *   in `~/.config/systemd/user/docker.service.d/override.conf` (rootlesskit#250, Docker's rootless docs),
 *   or the same assignment in `ps e` output
 * - dockerd's own words: `API listen on /run/user/1001/docker.sock` (moby/moby#41789), lines tagged
 *   `dockerd-rootless.sh[1069]:`, docker info's `rootless` security option, a dockerd under `user@UID.service`
 *
 * dockerd-rootless.sh passes `--port-driver=$DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER`, which defaults
 * to `builtin` (moby contrib/dockerd-rootless.sh since v20.10, moby/moby#41146). RootlessKit's port
 * drivers (docs/port.md): `builtin` (source IP not propagated before RootlessKit v3.0; v3.0+ propagates
 * TCP only, and for Docker only with userland-proxy disabled), `slirp4netns` (propagated, IPv4 only,
 * rootlesskit#258), `implicit` (pasta network; propagated), `pesto` (pasta; propagated),
 * `gvisor-tap-vsock` (not propagated, rootlesskit#573), `none`.
 */
import { excerpt as capped, lines, type SourceRef } from '../model/source.js';
import type { LogScanResult, LogSignature } from '../logs/index.js';
import { OTHER_ROOTLESS_DAEMON, signatureById } from '../logs/signatures.js';
import type { DockerDaemonConfig } from './docker-daemon.js';
import { dockerdSettings } from './dockerd-flags.js';
import { dockerEngine } from './docker-info.js';

export type RootlessClueKind = 'rootlesskit' | 'dockerd-rootless.sh' | 'api-socket' | 'user-unit' | 'docker-info' | 'user-process';

export interface RootlessClue {
  kind: RootlessClueKind;
  ref: SourceRef;
  excerpt: string;
  /** the user (uid or name) it runs as, where the line says */
  user?: string;
}

export interface RootlessKitSetting {
  value: string;
  /** `flag`: RootlessKit's own command line (what it runs with); `environment`: dockerd-rootless.sh's variable (what it starts with) */
  from: 'flag' | 'environment';
  ref: SourceRef;
  excerpt: string;
}

/** What one file shows of rootless Docker. */
export interface DockerRootless {
  file: string;
  clues: RootlessClue[];
  /** RootlessKit's port driver: the last one the file sets (`--port-driver=`, DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=) */
  portDriver?: RootlessKitSetting;
  /** RootlessKit's network driver (`--net=`, DOCKERD_ROOTLESS_ROOTLESSKIT_NET=) */
  net?: RootlessKitSetting;
}

/** RootlessKit's command line: its name, then a flag (not `which rootlesskit`, nor `rootlesskit=rootlesskit` of the script's trace) */
const ROOTLESSKIT_CMD = /(?:^|[\s/\u2500-\u257f])(?:docker-)?rootlesskit\s+--?[a-z]/;
const PORT_FLAG = /\s--port-driver[= ](["']?)([a-z0-9-]{1,32})\1(?=\s|$)/;
const NET_FLAG = /\s--net[= ](["']?)([a-z0-9-]{1,32})\1(?=\s|$)/;
const PORT_ENV = /\bDOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=(["']?)([a-z0-9-]{0,32})\1(?=["'\s]|$)/;
const NET_ENV = /\bDOCKERD_ROOTLESS_ROOTLESSKIT_NET=(["']?)([a-z0-9-]{0,32})\1(?=["'\s]|$)/;
const API_SOCKET = /API listen on \/run\/user\/(\d{1,10})\/docker\.sock/;
const SCRIPT_TAG = /\bdockerd-rootless\.sh\[\d{1,10}\]:/;
const SCRIPT_CMD = /(?:^|[\s/=])dockerd-rootless\.sh(?:\s|$)/;
const USER_UNIT = /\/user@(\d{1,10})\.service\/(?:[\w.@-]+\/)*docker\.service\b/;

/**
 * Every line of a file that says rootless Docker, and the port and network drivers it sets. A comment
 * (`#`) does not count, nor an empty assignment (`DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=` leaves the default).
 */
export function scanRootless(text: string, file: string): DockerRootless {
  const out: DockerRootless = { file, clues: [] };
  lines(text).forEach((raw, i) => {
    if (!/rootless|\/run\/user\/|user@/.test(raw)) return;
    const l = raw.replace(/\r$/, '');
    if (/^\s*[#;]/.test(l)) return;
    const ref = { file, line: i + 1 };
    const excerpt = capped(l.trim());
    const clue = (kind: RootlessClueKind, user?: string) => {
      if (!out.clues.some((c) => c.ref.line === ref.line && c.kind === kind)) out.clues.push({ kind, ref, excerpt, ...(user ? { user } : {}) });
    };
    // RootlessKit's command line, unless it runs another daemon than dockerd
    const kit = ROOTLESSKIT_CMD.test(l) && !OTHER_ROOTLESS_DAEMON.test(l);
    if (kit) clue('rootlesskit', /\/run\/user\/(\d{1,10})\//.exec(l)?.[1]);
    const api = API_SOCKET.exec(l);
    if (api) clue('api-socket', api[1]);
    if (SCRIPT_TAG.test(l) || SCRIPT_CMD.test(l)) clue('dockerd-rootless.sh');
    const unit = USER_UNIT.exec(l);
    if (unit) clue('user-unit', unit[1]);
    // RootlessKit's flags, only on its own command line (dockerd-rootless.sh passes them through)
    const pf = kit ? PORT_FLAG.exec(l) : null;
    if (pf) out.portDriver = { value: pf[2], from: 'flag', ref, excerpt };
    const nf = kit ? NET_FLAG.exec(l) : null;
    if (nf) out.net = { value: nf[2], from: 'flag', ref, excerpt };
    const pe = PORT_ENV.exec(l);
    // the running RootlessKit's flag says more than a variable for its next start
    if (pe && pe[2] !== '' && out.portDriver?.from !== 'flag') out.portDriver = { value: pe[2], from: 'environment', ref, excerpt };
    const ne = NET_ENV.exec(l);
    if (ne && ne[2] !== '' && out.net?.from !== 'flag') out.net = { value: ne[2], from: 'environment', ref, excerpt };
  });
  return out;
}

/**
 * Proposed log signature (for src/logs/signatures.ts): the lines of a dockerd journal that show it runs
 * rootless, and the port driver dockerd-rootless.sh's `set -x` trace shows RootlessKit started with.
 * Quiet: context for docker.rootless-source-ip, no finding of its own.
 */
export const ROOTLESS_LOG_SIGNATURE: LogSignature = signatureById('log.docker-rootless')!;

/** What the node shows of rootless Docker, combined from every source. */
export interface RootlessState {
  /** every clue that dockerd runs rootless, the strongest first (RootlessKit's command line, then dockerd's own words) */
  clues: RootlessClue[];
  /** the running daemon says it is not rootless (docker info lists security options without `rootless`) */
  rootful?: { ref: SourceRef; excerpt: string };
  portDriver?: RootlessKitSetting;
  net?: RootlessKitSetting;
  /** a port driver dockerd-rootless.sh is told to use (an override edited since RootlessKit started) that differs from the running one's flag */
  pendingPortDriver?: RootlessKitSetting;
  /** userland-proxy false (daemon.json or flag): with RootlessKit 3.0+ the builtin driver keeps TCP source addresses */
  userlandProxyOff?: { ref: SourceRef; excerpt: string };
}

const ORDER: RootlessClueKind[] = ['rootlesskit', 'user-unit', 'api-socket', 'docker-info', 'user-process', 'dockerd-rootless.sh'];

/**
 * Rootless Docker on a node: from the dockerDaemon artifacts (`rootless`: scanRootless of a ps
 * listing; docker.service units and drop-ins whose ExecStart runs dockerd-rootless.sh or whose
 * Environment= sets RootlessKit's drivers; a dockerd ps shows run as a user; docker info's security
 * options), the services artifacts (`rootless`: scanRootless of a `systemctl status` output, where
 * services.ts keeps it) and the logs (lines of dockerd-rootless.sh or rootlesskit; log.docker-rootless).
 */
export function rootlessDocker(artifacts: { dockerDaemon?: readonly DockerDaemonConfig[]; services?: readonly object[]; logs?: readonly LogScanResult[] }): RootlessState {
  const clues: RootlessClue[] = [];
  const flags: RootlessKitSetting[] = [];
  const envs: RootlessKitSetting[] = [];
  const nets: RootlessKitSetting[] = [];
  const take = (r: DockerRootless) => {
    clues.push(...r.clues);
    if (r.portDriver) (r.portDriver.from === 'flag' ? flags : envs).push(r.portDriver);
    if (r.net) nets.push(r.net);
  };
  // `systemctl status` outputs: the field services.ts is to keep (ServiceList.rootless)
  for (const s of artifacts.services ?? []) {
    const r = (s as { rootless?: DockerRootless }).rootless;
    if (r) take(r);
  }
  const configs = artifacts.dockerDaemon ?? [];
  for (const c of configs) {
    if (c.rootless) take(c.rootless);
    if (c.origin === 'unit' && c.unit) {
      for (const e of c.unit.execStart) if (SCRIPT_CMD.test(e.value)) clues.push({ kind: 'dockerd-rootless.sh', ref: e.ref, excerpt: e.excerpt });
      // systemd takes the quotes off anywhere in the word: `Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER="slirp4netns"` (rootlesskit#250)
      const pd = c.unit.environment.DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER;
      const pdv = pd?.value.replace(/["']/g, '');
      if (pd && pdv) envs.push({ value: pdv, from: 'environment', ref: pd.ref, excerpt: pd.excerpt });
      const nd = c.unit.environment.DOCKERD_ROOTLESS_ROOTLESSKIT_NET;
      const ndv = nd?.value.replace(/["']/g, '');
      if (nd && ndv) nets.push({ value: ndv, from: 'environment', ref: nd.ref, excerpt: nd.excerpt });
      // a drop-in of the user's manager: `~/.config/systemd/user/docker.service.d/override.conf`
      if ((pd || nd) && /\.config\/systemd\/user\//.test(c.unit.path)) {
        const at = (pd ?? nd)!;
        clues.push({ kind: 'user-unit', ref: at.ref, excerpt: at.excerpt });
      }
    }
  }
  const settings = dockerdSettings(configs);
  if (settings.rootless) clues.push({ kind: 'user-process', ref: settings.rootless.ref, excerpt: settings.rootless.excerpt, ...(settings.rootless.user ? { user: settings.rootless.user } : {}) });
  const engine = dockerEngine(configs);
  let rootful: RootlessState['rootful'];
  if (engine?.rootless?.value === true) clues.push({ kind: 'docker-info', ref: engine.rootless.ref, excerpt: engine.rootless.excerpt });
  else if (engine?.rootless?.value === false) rootful = { ref: engine.rootless.ref, excerpt: engine.rootless.excerpt };
  for (const l of artifacts.logs ?? []) {
    for (const m of l.matches) {
      const ref = { file: m.file, line: m.line };
      if (m.signature === ROOTLESS_LOG_SIGNATURE.id) {
        if (m.facts.uid) clues.push({ kind: 'api-socket', ref, excerpt: m.excerpt, user: m.facts.uid });
        else clues.push({ kind: 'rootlesskit', ref, excerpt: m.excerpt });
        if (m.facts.portDriver) (/--port-driver/.test(m.excerpt) ? flags : envs).push({ value: m.facts.portDriver, from: /--port-driver/.test(m.excerpt) ? 'flag' : 'environment', ref, excerpt: m.excerpt });
        if (m.facts.net) nets.push({ value: m.facts.net, from: /--net/.test(m.excerpt) ? 'flag' : 'environment', ref, excerpt: m.excerpt });
      } else if (/^(dockerd-rootless\.sh|rootlesskit)$/.test(m.unit ?? '')) clues.push({ kind: 'dockerd-rootless.sh', ref, excerpt: m.excerpt });
    }
  }
  clues.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const up = settings.userlandProxy;
  return {
    clues,
    ...(rootful ? { rootful } : {}),
    // RootlessKit's own flag says what runs; the environment what the next start runs with
    ...(flags[0] ?? envs[envs.length - 1] ? { portDriver: flags[0] ?? envs[envs.length - 1] } : {}),
    ...(nets.find((n) => n.from === 'flag') ?? nets[nets.length - 1] ? { net: nets.find((n) => n.from === 'flag') ?? nets[nets.length - 1] } : {}),
    ...(flags[0] && envs.length && envs[envs.length - 1].value !== flags[0].value ? { pendingPortDriver: envs[envs.length - 1] } : {}),
    ...(up?.value === false ? { userlandProxyOff: { ref: up.ref, excerpt: up.excerpt } } : {}),
  };
}

/** Port drivers that hand the container the client's own address (RootlessKit docs/port.md). */
export const SOURCE_IP_DRIVERS = new Set(['slirp4netns', 'implicit', 'pesto']);
