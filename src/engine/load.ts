/**
 * Parse stage: turns each located file into its artifact, keeping the three outcomes apart
 * (unusable -> parse problem in coverage, not this format -> skipped silently, partial -> warnings).
 */
import type { BundleTree } from '../bundle/tree.js';
import type { Located, LocatedNode } from '../layouts/types.js';
import { ParseError, SkipFile } from '../model/source.js';
import { formatById } from '../parsers/registry.js';
import { iptablesFromNft } from '../nft/to-iptables.js';
import type { NftRuleset } from '../nft/model.js';
import { isSosTailed } from '../layouts/rules.js';
import { markTruncated } from '../netfilter/backends.js';
import type { Ruleset } from '../netfilter/rules.js';
import { rulesetsOf } from '../netfilter/save-format.js';
import { FRAGMENT_NOTE } from '../netfilter/list-format.js';
import { dockerdFromCgroups } from '../parsers/dockerd-flags.js';
import { scanLogText } from '../logs/scanner.js';
import type { ArtifactKind, NodeArtifacts } from './artifacts.js';

export interface LoadedNode {
  located: LocatedNode;
  name: string;
  artifacts: NodeArtifacts;
  /** kind -> files that fed it */
  sources: Partial<Record<ArtifactKind, string[]>>;
  problems: { file: string; line?: number; message: string; kind: 'error' | 'warning' }[];
}

export function loadNodes(tree: BundleTree, located: Located): LoadedNode[] {
  return located.nodes.map((node) => loadNode(tree, node));
}

function loadNode(tree: BundleTree, node: LocatedNode): LoadedNode {
  const loaded: LoadedNode = { located: node, name: node.name, artifacts: {}, sources: {}, problems: [] };
  // a file reached twice (a symlink such as sysctl.d/99-sysctl.conf -> ../sysctl.conf) is parsed once
  const parsed = new Set<string>();
  for (const file of node.files) {
    const real = tree.resolve(file.path);
    if (parsed.has(real)) continue;
    parsed.add(real);
    const spec = formatById(file.format);
    const text = textOf(tree, file.path);
    if (text === undefined) {
      const size = tree.entries.get(tree.resolve(file.path));
      loaded.problems.push({ file: file.path, message: size !== undefined ? 'file was too large to parse' : 'file not readable', kind: 'error' });
      continue;
    }
    if (text === BINARY) {
      loaded.problems.push({ file: file.path, message: `binary data where ${spec.id} text was expected`, kind: 'error' });
      continue;
    }
    try {
      const artifact = spec.parse(text, file.path, { relPath: file.relPath, savedConfig: file.savedConfig, hint: file.hint });
      // one iptables file can hold the rules of both families (iptables-save; ip6tables-save): a ruleset each
      const artifacts: unknown[] = spec.kind === 'iptables' ? rulesetsOf(artifact as Ruleset) : [artifact];
      const list = (loaded.artifacts[spec.kind] ??= []) as unknown[];
      for (const a of artifacts) {
        // sos links a cut output to its tail (sos_strings/.../X.tailed): the rules say so
        if (spec.kind === 'iptables' && isSosTailed(real)) markTruncated(a as Ruleset, real);
        list.push(a);
        for (const w of warningsOf(a)) loaded.problems.push({ ...w, kind: (w as { kind?: string }).kind === 'error' ? 'error' : 'warning' });
      }
      (loaded.sources[spec.kind] ??= []).push(file.path);
      if (spec.scannedAsLog) {
        const scan = scanLogText(text, file.path, { source: spec.scannedAsLog });
        if (scan.matches.length > 0) {
          (loaded.artifacts.logs ??= []).push(scan);
          (loaded.sources.logs ??= []).push(file.path);
        }
      }
    } catch (err) {
      if (err instanceof SkipFile) continue;
      if (err instanceof ParseError) {
        loaded.problems.push({ file: err.file, line: err.line, message: err.message, kind: 'error' });
        continue;
      }
      // A parser bug must not take the bundle down; it is reported like unusable data.
      loaded.problems.push({ file: file.path, message: `parser failed: ${(err as Error).message}`, kind: 'error' });
    }
  }
  iptablesFromNftListing(loaded);
  // dockerd as `systemctl status docker` shows it (its CGroup tree): a process listing where ps is missing
  const cgroupDockerd = dockerdFromCgroups(loaded.artifacts.services ?? []);
  if (cgroupDockerd) (loaded.artifacts.dockerDaemon ??= []).push(cgroupDockerd);
  // what the layout tells of the node beyond its files (the distribution its paths show): an artifact of its own
  if (node.hints?.distribution) {
    loaded.artifacts.distributionHint = [node.hints.distribution];
    loaded.sources.distributionHint = [node.hints.distribution.file];
  }
  return loaded;
}

/**
 * A node whose rules are only in an nft listing (no iptables-save, -S or -L of that family):
 * iptables-nft's tables there are its iptables rules, read from the listing. Where an iptables
 * dump exists it is the view the analyzers read, and the listing adds nothing (the same kernel
 * rules); a grepped fragment of a listing (FRAGMENT_NOTE) is no such dump. Of several listings
 * (text and `nft -j`) the first with such tables, a whole ruleset before chosen tables or chains, text
 * first: JSON does not translate iptables-nft's compat expressions (`xt target MASQUERADE`), text does.
 */
function iptablesFromNftListing(loaded: LoadedNode): void {
  // a whole `nft list ruleset` before a listing of chosen tables or chains (`nft list chain ip6 filter FORWARD` sorts
  // first by name, R24's moby#48392 case), then text before JSON
  // a listing cut off (a table not closed at the end) after whole ones (R27 09)
  const rank = (n: NftRuleset) => (n.truncated ? 4 : 0) + (n.chosenTables ? 2 : 0) + (n.format === 'text' ? 0 : 1);
  const listings = [...(loaded.artifacts.nftables ?? [])].sort((a, b) => rank(a) - rank(b));
  for (const family of ['ipv4', 'ipv6'] as const) {
    // a grep of a listing (rows without their Chain lines) shows a few rules, not the node's tables: it leaves the listing's place open
    if ((loaded.artifacts.iptables ?? []).some((r) => r.origin === 'live' && r.truncated?.note !== FRAGMENT_NOTE && (family === 'ipv6' ? r.family === 'ipv6' : r.family !== 'ipv6'))) continue;
    for (const nft of listings) {
      const rs = iptablesFromNft(nft).find((r) => r.family === family);
      if (!rs) continue;
      (loaded.artifacts.iptables ??= []).push(rs);
      const files = (loaded.sources.iptables ??= []);
      if (!files.includes(rs.file)) files.push(rs.file);
      break;
    }
  }
}

const BINARY = '\u0000binary';

/**
 * The file as text, its bytes released from the tree right away: the parsed artifact is all later
 * stages need, and big rule dumps are tens of MB (the Buffer must not live on beside the string).
 */
function textOf(tree: BundleTree, path: string): string | undefined {
  const buf = tree.read(path);
  if (!buf) return undefined;
  if (looksBinary(buf)) return BINARY;
  tree.release(path);
  return buf.toString('utf8');
}

function warningsOf(artifact: unknown): { file: string; line?: number; message: string }[] {
  const w = (artifact as { warnings?: unknown }).warnings;
  if (!Array.isArray(w)) return [];
  return w
    .filter((x): x is { file: string; line?: number; message: string } => !!x && typeof x === 'object' && 'message' in x)
    .slice(0, 50);
}

function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}
