/**
 * dockerd's version from its own start line.
 *
 * - log.docker-daemon-version (quiet): dockerd's line once it has started, the same in every release since
 *   17.x (`level=info msg="Docker daemon" commit=c710b88 containerd-snapshotter=false storage-driver=overlay2
 *   version=28.5.1`; 17.06-20.10 wrote `graphdriver(s)=overlay2` in place of storage-driver). It names the version
 *   of the daemon that started, which dockerVersion() reads where the bundle has no docker info / docker version:
 *   the latest such line is the running daemon's, unless it restarted after the logs end. Facts: version, commit.
 */
import type { LogMatch, LogScanResult } from './index.js';
import type { LogSignature } from './signatures.js';

export const DOCKER_DAEMON_VERSION = /msg="Docker daemon"[^\n]{0,400}?\sversion=(?<version>v?\d{1,4}\.\d{1,4}(?:\.\d{1,4})?[\w.+~-]{0,40})/;

export const DOCKER_VERSION_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.docker-daemon-version',
    literals: ['msg="Docker daemon"'],
    pattern: DOCKER_DAEMON_VERSION,
    extract: [/msg="Docker daemon"[^\n]{0,400}?\scommit=(?<commit>[0-9a-f]{6,40})\b/],
    units: /^(?:dockerd|docker)$/,
    meaning: 'dockerd finished starting and named its version: the Docker engine that runs on the node from that time on, until its next start.',
    supports: [],
    severity: 'info',
    title: 'Docker started',
    advice: 'dockerd started with the version this line names.',
    quiet: true,
    // the latest start decides: keep every start the log holds (one a boot or upgrade)
    maxMatches: 500,
  },
];

/**
 * The latest `msg="Docker daemon" ... version=` line of the node's logs: by time where both lines have one, else the
 * later line of the same file. The running daemon's version, unless it restarted after the logs end.
 */
export function latestDaemonVersionLine(logs: readonly LogScanResult[] | undefined, usable: (version: string) => boolean = () => true): LogMatch | undefined {
  let best: LogMatch | undefined;
  for (const l of logs ?? [])
    for (const m of l.matches) {
      if (m.signature !== 'log.docker-daemon-version' || !m.facts.version || !usable(m.facts.version)) continue;
      const later = !best || (m.timestamp && best.timestamp ? m.timestamp.epochMs >= best.timestamp.epochMs : m.file === best.file ? m.line > best.line : !best.timestamp && !!m.timestamp);
      if (later) best = m;
    }
  return best;
}
