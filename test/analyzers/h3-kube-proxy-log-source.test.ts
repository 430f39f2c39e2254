/**
 * iptables.kube-chains-missing finds kube-proxy's log by the source its layout names (the unit, the pod, the
 * container: src/layouts/logs.ts), the file's path only where no source is known.
 *
 * Real text: the k3s fixture whose kube-proxy chains were deleted (test/fixtures/k8s-flush/k3s-deleted.rules:
 * no canary, so only kube-proxy's log says it runs here), and Charmed Kubernetes' kube-proxy journal from
 * canonical/hotsos as the corpus holds it (hotsos-charmed-k8s-snap-kube-proxy-journal.log, lines 170-173:
 * "Failed to retrieve node info", no start line, so log.kube-proxy-mode says nothing). The kubelet lines
 * are test/fixtures/logs/healthy-k8s-worker-syslog.log's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import { logSourceOf } from '../../src/layouts/logs.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const rules = () => parseIptablesSave(readFileSync(projectPath('test/fixtures/k8s-flush/k3s-deleted.rules'), 'utf8'), 'iptables-save');

function run(text: string, path: string) {
  const source = logSourceOf(path);
  const log = scanLogText(text, path, { year: 2022, ...(source && Object.keys(source).length > 0 ? { source } : {}) });
  return runNode(kubeChainsMissing, { iptables: [rules()], logs: [log] });
}

describe.skipIf(!hasCorpus)("kube-proxy's log by its source", () => {
  const lines = () => readCorpus('logs', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log').split('\n').slice(169, 173).join('\n');

  it('a kube-proxy journal the layout names by its unit, with no "kube-proxy" in the path (MicroK8s\' snap.microk8s.daemon-proxy): it runs here, its chains are gone', () => {
    const path = 'sosreport-mk8s-node1/sos_commands/microk8s/journalctl_--no-pager_--unit_snap.microk8s.daemon-proxy';
    expect(path).not.toMatch(/kube-proxy/);
    expect(logSourceOf(path)).toEqual({ unit: 'snap.microk8s.daemon-proxy' });
    const [f] = run(lines(), path);
    expect(f?.severity).toBe('critical');
    expect(f.evidence.some((e) => e.file === path && /kube-proxy's log is in the bundle/.test(e.note ?? ''))).toBe(true);
  });

  it("a kube-proxy pod's log (kubelet's /var/log/pods naming): by the pod the layout names", () => {
    const path = 'sosreport-node1/var/log/pods/kube-system_kube-proxy-7x9kq_0b1c2d3e-4f56-4789-8abc-def012345678/kube-proxy/0.log';
    expect(logSourceOf(path)).toEqual({ namespace: 'kube-system', pod: 'kube-proxy-7x9kq', container: 'kube-proxy' });
    const [f] = run(lines(), path);
    expect(f?.severity).toBe('critical');
  });

  it('no source known: a hand-made bundle\'s kube-proxy.log still counts by its name', () => {
    const [f] = run(lines(), 'bundle/logs/kube-proxy.log');
    expect(f?.severity).toBe('critical');
  });

  it("healthy: a log the layout names as another writer's does not make kube-proxy run, whatever its folder says", () => {
    const kubelet = readFileSync(projectPath('test/fixtures/logs/healthy-k8s-worker-syslog.log'), 'utf8');
    // the kubelet's journal, saved under a folder named after kube-proxy by whoever collected it
    expect(run(kubelet, 'kube-proxy-debug/sos_commands/kubernetes/journalctl_--no-pager_--unit_kubelet')).toEqual([]);
    // and no log at all: the deleted chains alone do not say kube-proxy ran here
    expect(runNode(kubeChainsMissing, { iptables: [rules()] })).toEqual([]);
  });
});
