/**
 * The version of an installed package, from the node's package lists (rpm -qa / installed-rpms,
 * dpkg -l / installed-debs, dpkg-query -W, apk, snap list): evidence where the program's own word
 * (docker info, iptables -V) is missing. A package's version is what is on disk; the running
 * program can be older until it is restarted, and analyzers say so where it matters.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import type { SourceRef } from '../../src/model/source.js';
import { compareVersions, upstreamAtLeast, type PackageManager } from '../../src/parsers/packages.js';

export interface InstalledPackage {
  name: string;
  manager: PackageManager;
  /** the full version as listed (`5:24.0.7-1~ubuntu.22.04~jammy`, `1.8.8-6.el9`) */
  version: string;
  /** the upstream version (`24.0.7`, `1.8.8`) */
  upstream: string;
  arch?: string;
  ref: SourceRef;
  excerpt: string;
}

/**
 * The first of `names` installed on the node, in the order given (the caller's preference: the
 * engine's package before the CLI's); where a package is listed more than once (two kernels, a
 * half-finished upgrade), its newest installed version. Undefined when none is.
 */
export function installedPackage(artifacts: NodeArtifacts, names: readonly string[]): InstalledPackage | undefined {
  const lists = artifacts.packages ?? [];
  for (const name of names) {
    // dpkg-query -W lists a package removed with its configuration left (rc) like an installed one: where a
    // dpkg -l of the node (which has the states) lists the name and never as installed, it is not
    const states = lists.filter((l) => l.manager === 'dpkg').flatMap((l) => l.packages.filter((p) => p.name === name && p.state !== undefined));
    const removed = states.length > 0 && states.every((p) => !p.installed);
    let best: InstalledPackage | undefined;
    for (const list of lists)
      for (const p of list.packages) {
        if (p.name !== name || !p.installed || (removed && list.manager === 'dpkg')) continue;
        if (!best || (best.manager === list.manager && compareVersions(list.manager, p.version, best.version) > 0))
          best = { name: p.name, manager: list.manager, version: p.version, upstream: p.upstream, ...(p.arch ? { arch: p.arch } : {}), ref: p.ref, excerpt: p.excerpt };
      }
    if (best) return best;
  }
  return undefined;
}

/** Is the package's upstream version at least `min`, by its package manager's ordering? */
export function packageAtLeast(p: InstalledPackage, min: string): boolean {
  return upstreamAtLeast(p.manager, p.upstream, min);
}

/** The package's line as evidence, with a note. */
export function packageEvidence(p: InstalledPackage, note: string): Evidence {
  return { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note };
}

/** `docker-ce 5:24.0.7-1~ubuntu.22.04~jammy` */
export function packageLabel(p: InstalledPackage): string {
  return `${p.name} ${p.version}`;
}
