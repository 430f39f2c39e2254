/**
 * runtime.proxy-without-no-proxy over every bundle of the corpus (/work/shared/corpus/bundles).
 *
 * 1. As the bundles are: the files the proxy reader takes (unit drop-ins, environment files, systemctl show)
 *    read from each node's tree (none of the five bundles has one), the other artifacts the loader's: nothing.
 * 2. With containerd's drop-in of vmware-tanzu/cluster-api-provider-bringyourownhost#561 (NO_PROXY `localhost,
 *    127.0.0.0/8, ::1`) added to each node: the addresses come from the bundle's own files (hotsos' sosreport:
 *    the API ClusterIP from `iptables -t nat -nvL`, the pod CIDR from subnet.env; the k3s support bundles: the
 *    k3s defaults, said assumed, from the Node objects' kubelet version and podCIDRs); the Docker-less, Kubernetes-
 *    less nodes stay quiet; and with NO_PROXY extended as the remedy says, every node is quiet.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeRuntimeProxy } from '../../analyzers/runtime-proxy-without-no-proxy.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { parseProxyEnv, unitOfPath, type ProxyEnvFile } from '../../src/parsers/proxy-env.js';
import { SkipFile } from '../../src/model/source.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const bundles = hasCorpus ? readdirSync(corpusPath('bundles')).filter((f) => !f.startsWith('.')) : [];
const BYOH = 'test/fixtures/runtime-proxy/byoh-561-containerd-http-proxy.conf';
const DROP_IN = 'etc/systemd/system/containerd.service.d/http-proxy.conf';

/** what the injected drop-in must be told to exempt, per bundle (undefined: not a Kubernetes node by its files) */
const EXPECTED: Record<string, string[] | undefined> = {
  'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz': ['10.152.183.1', '10.1.0.0/16', '.svc', '.cluster.local'],
  'troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz': ['10.43.0.0/16', '10.42.0.0/16', '.svc', '.cluster.local'],
  'troubleshoot-k3s-support-bundle.tar.gz': ['10.43.0.0/16', '10.42.0.0/16', '.svc', '.cluster.local'],
};

describe.skipIf(!hasCorpus)('runtime.proxy-without-no-proxy on the corpus bundles', () => {
  it.each(bundles)('%s', async (name) => {
    const loaded = await loadBundle(corpusPath('bundles', name));
    const paths = loaded.tree.paths();
    const byoh = readFileSync(projectPath(BYOH), 'utf8');
    for (const node of loaded.nodes) {
      const root = node.located.root ? `${node.located.root}/` : '';
      const proxyEnv: ProxyEnvFile[] = [];
      for (const p of paths) {
        if (!p.startsWith(root)) continue;
        const rel = p.slice(root.length);
        const base = rel.slice(rel.lastIndexOf('/') + 1);
        if (!unitOfPath(rel) && !/systemctl.*show|show.*environment/i.test(base)) continue;
        const text = loaded.tree.text(p);
        if (text === undefined) continue;
        try {
          proxyEnv.push(parseProxyEnv(text, p, rel));
        } catch (e) {
          if (!(e instanceof SkipFile)) throw e;
        }
      }
      expect(analyzeRuntimeProxy(node.name, { ...node.artifacts, proxyEnv })).toEqual([]);

      const injected = analyzeRuntimeProxy(node.name, { ...node.artifacts, proxyEnv: [...proxyEnv, parseProxyEnv(byoh, DROP_IN, DROP_IN)] });
      const want = EXPECTED[name];
      if (!want) {
        expect(injected).toEqual([]);
        continue;
      }
      expect(injected).toHaveLength(1);
      expect(injected[0].severity).toBe('warning');
      expect(injected[0].facts?.missing).toEqual(want);
      const fixed = byoh.replace('::1"', `::1,${want.join(',')}"`);
      expect(analyzeRuntimeProxy(node.name, { ...node.artifacts, proxyEnv: [...proxyEnv, parseProxyEnv(fixed, DROP_IN, DROP_IN)] })).toEqual([]);
    }
  }, 120_000);
});
