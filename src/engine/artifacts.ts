/**
 * The abstract artifact kinds analyzers declare, and the type each parser produces for one
 * file of that kind. A node holds, per kind, the list of files parsed into it; combiners in the
 * parser modules give merged views (e.g. the effective sysctl configuration).
 */
import type { SysctlConfigFile, SysctlRuntime } from '../parsers/sysctl.js';
import type { ServiceList } from '../parsers/services.js';
import type { DockerDaemonConfig } from '../parsers/docker-daemon.js';
import type { LogScanResult } from '../logscan/scanner.js';

export interface ArtifactMap {
  /** runtime kernel parameters (sysctl -a, /proc/sys, sysctl.json) */
  sysctl: SysctlRuntime;
  /** boot-time kernel parameter settings (sysctl.conf, sysctl.d) */
  sysctlConfig: SysctlConfigFile;
  /** systemd unit states */
  services: ServiceList;
  /** /etc/docker/daemon.json */
  dockerDaemon: DockerDaemonConfig;
  /** signature matches of one log file (scanned while the bundle streamed by) */
  logs: LogScanResult;
}

export type ArtifactKind = keyof ArtifactMap;

/** Per node: every file parsed into each kind. */
export type NodeArtifacts = { [K in ArtifactKind]?: ArtifactMap[K][] };

export const ARTIFACT_DESCRIPTIONS: Record<ArtifactKind, string> = {
  sysctl: 'kernel parameters (sysctl -a, /proc/sys, sysctl.json)',
  sysctlConfig: 'sysctl configuration files (/etc/sysctl.conf, sysctl.d)',
  services: 'systemd unit states (systemctl list-unit-files / list-units)',
  dockerDaemon: 'Docker daemon configuration (/etc/docker/daemon.json)',
  logs: 'logs (syslog, journal, docker and pod logs)',
};
