/**
 * kubernetes.hairpin-disabled must stay quiet on every real bundle and file of the shared corpus and on the seeds
 * (healthy k3s/flannel troubleshoot bundles, the hotsos Kubernetes sosreport subset, kube-proxy and Calico dumps,
 * pod-network ip addr listings such as mlab k8s-support#111's cni0 with leaked veths, logs with connection timeouts).
 * The engine runs it on what it loads today; the corpus files the new parsers read (sos'
 * bridge_-s_-s_-d_link_show, ip -d address listings) are fed to it through them as well.
 * Skips where ../shared is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import hairpin, { analyzeHairpin } from '../../analyzers/kubernetes-hairpin-disabled.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { SkipFile } from '../../src/model/source.js';
import { parseBridgeLink, type BridgeLinkList } from '../../src/parsers/bridge-link.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, hasSeeds, seedsDir } from '../helpers/shared.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const only = { analyzers: [hairpin] };
const ours = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.filter((f) => f.id === 'kubernetes.hairpin-disabled');

describe.skipIf(!hasCorpus)('kubernetes.hairpin-disabled on the shared corpus: no finding', () => {
  it('every corpus bundle, through the engine', async () => {
    const bundles = readdirSync(corpusPath('bundles')).filter((f) => /\.(tar\.gz|tgz|zip|tar)$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) expect({ b, found: ours(await analyzeBundle(corpusPath('bundles', b), only)) }).toEqual({ b, found: [] });
  }, 240_000);

  it('every corpus file on its own, through the engine', async () => {
    const dirs = ['iptables-save', 'iptables-list', 'ip-addr', 'logs', 'sysctl', 'flannel', 'docker-network'];
    let n = 0;
    for (const d of dirs)
      for (const f of readdirSync(corpusPath(d))) {
        const dir = writeFolder({ [f]: readFileSync(corpusPath(d, f)) }, `h10-corpus-${d}-${f}`);
        expect({ f, found: ours(await analyzeBundle(dir, only)) }).toEqual({ f, found: [] });
        n++;
      }
    expect(n).toBeGreaterThan(50);
  }, 300_000);

  it("the hotsos sosreport's bridge and ip listings through the new parser, with its node's pod network", () => {
    const dir = mkdtempSync(join(tmpdir(), 'h10-hotsos-'));
    execFileSync('tar', ['xzf', corpusPath('bundles', 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz'), '-C', dir]);
    const root = join(dir, readdirSync(dir)[0], 'sos_commands', 'networking');
    const lists: BridgeLinkList[] = [];
    for (const f of ['bridge_-s_-s_-d_link_show', 'ip_-s_-d_link', 'ip_-d_address'].filter((x) => existsSync(join(root, x)))) {
      try {
        lists.push(parseBridgeLink(readFileSync(join(root, f), 'utf8'), f));
      } catch (e) {
        if (!(e instanceof SkipFile)) throw e;
      }
    }
    const ipAddr = [parseInterfaces(readFileSync(corpusPath('ip-addr', 'hotsos-charmed-k8s-flannel-node-ip-d-address.txt'), 'utf8'), 'ip_-d_address')];
    expect(analyzeHairpin('hotsos', { bridgeLinks: lists, ipAddr })).toEqual([]);
  });

  it("mlab k8s-support#111's node (cni0 with leaked veths) beside every kube-proxy dump of the corpus", () => {
    const ipAddr = [parseInterfaces(readFileSync(corpusPath('ip-addr', 'mlab-k8s-support-111-pod-netns-cni0-veth-leaked.txt'), 'utf8'), 'ip_addr')];
    for (const f of readdirSync(corpusPath('iptables-save'))) {
      let rs;
      try {
        rs = parseIptablesSave(readFileSync(corpusPath('iptables-save', f), 'utf8'), f, { origin: 'live' });
      } catch {
        continue;
      }
      expect({ f, found: analyzeHairpin('mlab', { ipAddr, iptables: [rs] }) }).toEqual({ f, found: [] });
    }
  });
});

describe.skipIf(!hasSeeds)('kubernetes.hairpin-disabled on the seeds: no finding', () => {
  it('each seed as a one-file bundle', async () => {
    for (const f of readdirSync(seedsDir)) {
      const dir = writeFolder({ [f]: readFileSync(join(seedsDir, f)) }, `h10-seed-${f}`);
      expect({ f, found: ours(await analyzeBundle(dir, only)) }).toEqual({ f, found: [] });
    }
  }, 240_000);
});
