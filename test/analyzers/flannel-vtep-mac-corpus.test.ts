/**
 * flannel.vtep-mac-stale over the shared corpus: every bundle must stay quiet. Two passes:
 * - analyzeBundle with only this analyzer (today the engine hands it ip addr, net-conf, logs, services; the new kinds are
 *   not wired yet): no finding, no error;
 * - each bundle extracted (insights' per-host archives too), its files read by this analyzer's parsers (neighbour
 *   tables, fdb, .link files, nodes.json) and by the ip addr parser, one node per host: no finding. The hotsos
 *   charmed-k8s sosreport is a real flannel VXLAN node whose PERMANENT neighbours and fdb entries are read, and the
 *   troubleshoot bundles carry real nodes.json files with VtepMACs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import analyzer, { type Extra } from '../../analyzers/flannel-vtep-mac-stale.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseInterfaces, sniffInterfaces } from '../../src/parsers/interfaces.js';
import { parseIpNeigh, permanentOn, sniffIpNeigh } from '../../src/parsers/ip-neigh.js';
import { parseBridgeFdb, remotesOn, sniffBridgeFdb } from '../../src/parsers/bridge-fdb.js';
import { parseSystemdLink } from '../../src/parsers/systemd-link.js';
import { parseKubeNodes, sniffKubeNodes } from '../../src/parsers/kube-nodes.js';
import { runCluster } from './helpers.js';
import { tmpDir } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

type Arts = NodeArtifacts & Extra;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    let s;
    try {
      s = statSync(p);
    } catch {
      return []; // a dangling symlink (sos's top-level links)
    }
    return s.isDirectory() ? walk(p) : s.isFile() ? [p] : [];
  });
}

const extracted: string[] = [];
afterAll(() => {
  for (const d of extracted) rmSync(d, { recursive: true, force: true });
});

/** extracted files per host: the bundle, or each host archive inside it */
function hosts(bundle: string): Map<string, { root: string; files: string[] }> {
  const dir = tmpDir('h9-vtep-');
  extracted.push(dir);
  execFileSync('tar', ['-xzf', corpusPath('bundles', bundle), '-C', dir]);
  const out = new Map<string, { root: string; files: string[] }>();
  for (const f of walk(dir)) {
    if (/\.tar\.gz$/.test(f)) {
      const sub = join(dir, `${relative(dir, f).replace(/\W/g, '_')}.d`);
      mkdirSync(sub);
      execFileSync('tar', ['-xzf', f, '-C', sub]);
      out.set(relative(dir, f), { root: sub, files: walk(sub) });
    }
  }
  if (out.size === 0) out.set(bundle, { root: dir, files: walk(dir) });
  return out;
}

function artifactsOf(root: string, files: string[]): Arts {
  const a: Arts = {};
  const push = <K extends keyof Arts>(k: K, v: NonNullable<Arts[K]>[number]) => ((a[k] ??= [] as never) as unknown[]).push(v);
  for (const f of files) {
    if (statSync(f).size > 4_000_000) continue;
    const rel = relative(root, f);
    const text = readFileSync(f, 'utf8');
    const head = text.slice(0, 4096);
    const tryParse = (fn: () => void) => {
      try {
        fn();
      } catch {
        /* SkipFile / ParseError: not this format */
      }
    };
    if (/(^|\/)(etc|run|usr\/lib|lib)\/systemd\/network\/.+\.link$/.test(rel)) tryParse(() => push('systemdLink', parseSystemdLink(text, rel)));
    else if (/nodes\.json$/.test(rel) || sniffKubeNodes(head)) tryParse(() => push('kubeNodes', parseKubeNodes(text, rel)));
    else if (/neigh/.test(rel) || sniffIpNeigh(head)) tryParse(() => push('ipNeigh', parseIpNeigh(text, rel)));
    else if (/fdb/.test(rel) || sniffBridgeFdb(head)) tryParse(() => push('bridgeFdb', parseBridgeFdb(text, rel)));
    else if (/(^|\/)(ip_-d_address|ip_addr|ip_address|ip_-o_addr)$/.test(rel) || (/ip.?a/i.test(rel) && sniffInterfaces(head))) tryParse(() => push('ipAddr', parseInterfaces(text, rel)));
  }
  return a;
}

describe.skipIf(!hasCorpus)('flannel.vtep-mac-stale on the shared corpus: no finding', () => {
  const bundles = hasCorpus ? readdirSync(corpusPath('bundles')).filter((f) => /\.(tar\.gz|tgz)$/.test(f)) : [];

  it('every corpus bundle through analyzeBundle (only this analyzer)', async () => {
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) {
      const r = await analyzeBundle(corpusPath('bundles', b), { analyzers: [analyzer] });
      expect({ b, found: r.findings.filter((f) => f.analyzer === analyzer.id) }).toEqual({ b, found: [] });
      const runs = r.coverage.cluster.filter((x) => x.id === analyzer.id);
      // ran where the bundle holds something to compare (ip addr, neighbours, fdb, Node objects, .link files); not run
      // on the troubleshoot bundle without host data, nor on hotsos' one node whose flannel.1 nothing else names (no
      // peer's neighbour or fdb entry, annotation or flanneld line: nothing to compare, not "found nothing", H65); never an error
      // nor on the insights OpenShift hosts (openshift-sdn, no flannel device or line at all)
      const notRun: Record<string, RegExp> = {
        // what it lacks, not "needs at least 1 nodes; the bundle has 0" beside a report of one node (R7)
        'troubleshoot-support-bundle-missing-version.tar.gz': /^not run: neither interfaces and addresses \(ip addr\) nor neighbour table/,
        'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz': /^not run: nothing in the bundle says which MAC the other nodes use for flannel\.1 of /,
        'insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz': /^not run: no flannel\.1 or flannel-v6\.1 MAC and no flanneld "adding subnet" line/,
        // k3s' flannel without ip addr or flanneld's V(2) lines: nothing to compare (was "ran", a false all-clear)
        'troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz': /^not run: no flannel\.1 or flannel-v6\.1 MAC and no flanneld "adding subnet" line/,
        'troubleshoot-k3s-support-bundle.tar.gz': /^not run: no flannel\.1 or flannel-v6\.1 MAC and no flanneld "adding subnet" line/,
      };
      expect({ b, runs: runs.map((x) => x.status) }).toEqual({ b, runs: [notRun[b] ? 'not-run' : 'ran'] });
      if (notRun[b]) expect(runs[0].reason).toMatch(notRun[b]);
    }
  }, 240_000);

  it("every corpus bundle's neighbour tables, fdb, .link files, nodes.json and ip addr through the parsers: quiet, and what was read", () => {
    const seen: Record<string, Record<string, number>> = {};
    for (const b of bundles) {
      const nodes = [...hosts(b)].map(([name, h]) => ({ node: name, artifacts: artifactsOf(h.root, h.files) }));
      for (const n of nodes)
        seen[n.node] = {
          flannelVteps: (n.artifacts.ipAddr ?? []).flatMap((l) => l.interfaces).filter((i) => /^flannel/.test(i.name) && i.mac).length,
          permanentNeigh: permanentOn(n.artifacts.ipNeigh ?? [], 'flannel.1').length,
          fdbRemotes: remotesOn(n.artifacts.bridgeFdb ?? [], 'flannel.1').length,
          links: (n.artifacts.systemdLink ?? []).length,
          kubeNodesWithVtep: (n.artifacts.kubeNodes ?? []).flatMap((l) => l.nodes).filter((k) => k.flannel.vtepMac).length,
        };
      expect({ b, found: runCluster(analyzer, nodes as { node: string; artifacts: NodeArtifacts }[]) }).toEqual({ b, found: [] });
    }
    // the hotsos flannel node: its flannel.1 (ip -d address and ip -o addr / ip_addr), its two peers' VTEP entries
    expect(seen['hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz']).toMatchObject({ permanentNeigh: 2, fdbRemotes: 2, links: 0 });
    expect(seen['hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz'].flannelVteps).toBeGreaterThan(0);
    expect(seen['troubleshoot-k3s-support-bundle.tar.gz']).toMatchObject({ kubeNodesWithVtep: 1, flannelVteps: 0 });
    expect(seen['troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz']).toMatchObject({ kubeNodesWithVtep: 1 });
  }, 240_000);
});
