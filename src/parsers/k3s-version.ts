/**
 * `k3s -v` / `k3s --version` (also `k3s version`): the k3s release a node runs, and the Go it was
 * built with. k3s prints two lines (k3s-io/k3s#7096, CentOS 7.9):
 *
 *     k3s version v1.26.2+k3s1 (ea094d1d)
 *     go version go1.19.6
 *
 * a release candidate as `k3s version v1.26.3-rc2+k3s1 (01ea3ff2)`, a development build as
 * `k3s version v1.22.13+k3s-42190acd (42190acd)` (k3s#6092). A pasted command line above them
 * (`$ k3s -v`, `# k3s --version`) is skipped. Read into the `k3sVersion` artifact kind.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import { isCommandOutputAlone, typedCommand } from './command-output.js';

export interface K3sVersion {
  file: string;
  /** as printed: `v1.26.2+k3s1`, `v1.26.3-rc2+k3s1` */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** `rc2` of `v1.26.3-rc2+k3s1`: a pre-release of v1.26.3+k3s1 */
  prerelease?: string;
  /** `k3s1` of `v1.26.2+k3s1` (`k3s-42190acd` for a development build) */
  build?: string;
  /** the commit in parentheses */
  commit?: string;
  /** `go1.19.6` from the `go version` line */
  go?: string;
  ref: SourceRef;
  excerpt: string;
}

const VERSION_LINE = /^k3s version (v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?)(?:\s+\(([0-9a-f]{6,40})\))?\s*$/;
const GO_LINE = /^go version (go\d+(?:\.\d+)*\S*)\s*$/;
/** a pasted command line: `$ k3s -v`, `root@node:~# k3s --version`, `sudo k3s version` */
const COMMAND = typedCommand(String.raw`k3s\s+(?:-v|--version|version)`);

/** Every `k3s version ...` line of the file (a file may hold the outputs of several nodes or commands). */
export function parseK3sVersion(text: string, file: string): K3sVersion[] {
  const out: K3sVersion[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length && i < 1000; i++) {
    const l = ls[i].replace(/\r$/, '').trim();
    const m = VERSION_LINE.exec(l);
    if (!m) continue;
    const next = ls[i + 1]?.replace(/\r$/, '').trim() ?? '';
    const go = GO_LINE.exec(next)?.[1];
    out.push({
      file,
      version: m[1],
      major: Number(m[2]),
      minor: Number(m[3]),
      patch: Number(m[4]),
      ...(m[5] ? { prerelease: m[5] } : {}),
      ...(m[6] ? { build: m[6] } : {}),
      ...(m[7] ? { commit: m[7] } : {}),
      ...(go ? { go } : {}),
      ref: { file, line: i + 1 },
      excerpt: capped(l),
    });
  }
  if (out.length === 0) throw new SkipFile(file, 'no "k3s version v..." line');
  return out;
}

/** The output of `k3s -v` alone: its version line first (a command line may stand above it), then at most the `go version` line. */
export function sniffK3sVersion(head: string): boolean {
  return isCommandOutputAlone(head, COMMAND, [{ re: VERSION_LINE }, { re: GO_LINE, optional: true }]);
}

/**
 * a compared to b (negative: older): major, minor, patch, then a pre-release (`-rc2`) before its
 * release, as semver orders them; the `+k3sN` build is compared last (v1.26.3+k3s2 after +k3s1).
 */
export function compareK3sVersions(a: Pick<K3sVersion, 'major' | 'minor' | 'patch' | 'prerelease' | 'build'>, b: Pick<K3sVersion, 'major' | 'minor' | 'patch' | 'prerelease' | 'build'>): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (a.prerelease !== b.prerelease) {
    if (!a.prerelease) return 1;
    if (!b.prerelease) return -1;
    return a.prerelease.localeCompare(b.prerelease, 'en', { numeric: true });
  }
  const n = (v?: string) => Number(/^k3s(\d+)$/.exec(v ?? '')?.[1] ?? NaN);
  const [x, y] = [n(a.build), n(b.build)];
  return Number.isNaN(x) || Number.isNaN(y) ? 0 : x - y;
}

/** `v1.26.3+k3s1` read as a version to compare with; undefined where it is not one. */
export function k3sVersionOf(s: string): Pick<K3sVersion, 'major' | 'minor' | 'patch' | 'prerelease' | 'build'> | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), ...(m[4] ? { prerelease: m[4] } : {}), ...(m[5] ? { build: m[5] } : {}) };
}
