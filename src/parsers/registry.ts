/**
 * Every file format bundle-doctor reads: which artifact kind it yields, how to parse it, and
 * (for hand-made bundles) how to recognise it from its first bytes. Layouts name formats by id;
 * only this table knows which function reads which format.
 */
import type { ArtifactKind, ArtifactMap } from '../engine/artifacts.js';
import { parseDockerDaemonJson } from './docker-daemon.js';
import { parseSystemctlJson, parseSystemctlText, sniffSystemctl } from './services.js';
import { parseProcSysFile, parseSysctlConfig, parseSysctlJson, parseSysctlText, sniffSysctlText } from './sysctl.js';

export interface ParseContext {
  /** path relative to the node's root folder (what layouts matched on) */
  relPath: string;
  /** the file is a saved configuration (e.g. /etc/sysconfig/iptables), not live state */
  savedConfig?: boolean;
  /** what the file's name says about its content (e.g. `table` of a sosreport iptables listing) */
  hint?: Record<string, string>;
}

export interface FormatSpec<K extends ArtifactKind = ArtifactKind> {
  id: string;
  kind: K;
  parse(text: string, file: string, ctx: ParseContext): ArtifactMap[K];
  /** content test on the first 4 KiB, for files no layout rule names */
  sniff?(head: string): boolean;
}

function format<K extends ArtifactKind>(spec: FormatSpec<K>): FormatSpec<K> {
  return spec;
}

const FORMATS = [
  format({ id: 'sysctl-text', kind: 'sysctl', parse: parseSysctlText, sniff: sniffSysctlText }),
  format({ id: 'sysctl-json', kind: 'sysctl', parse: parseSysctlJson }),
  format({ id: 'proc-sys', kind: 'sysctl', parse: (text, file, ctx) => parseProcSysFile(text, file, ctx.relPath) }),
  format({ id: 'sysctl-conf', kind: 'sysctlConfig', parse: parseSysctlConfig }),
  format({ id: 'systemctl-text', kind: 'services', parse: parseSystemctlText, sniff: sniffSystemctl }),
  format({ id: 'systemctl-json', kind: 'services', parse: parseSystemctlJson }),
  format({ id: 'docker-daemon-json', kind: 'dockerDaemon', parse: parseDockerDaemonJson }),
] as FormatSpec[];

const BY_ID = new Map(FORMATS.map((f) => [f.id, f]));

export type FormatId = string;

export function formatById(id: FormatId): FormatSpec {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`unknown format id ${id}`);
  return f;
}

/** Formats that can be recognised from content, in the order they are tried. */
export function sniffableFormats(): FormatSpec[] {
  return FORMATS.filter((f) => f.sniff);
}

export function allFormats(): readonly FormatSpec[] {
  return FORMATS;
}
