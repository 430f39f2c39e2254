/**
 * Kubernetes events as log lines (src/logs/kube-events.ts).
 *
 * Fixtures (test/fixtures/h69/) are made with the real shape of the files, field for field:
 * - kubectl-events-flannel.json: `kubectl get events -A -o json` (a List, 4-space indent, keys sorted as kubectl
 *   prints them). The FailedCreatePodSandBox message is a real cri-o/flannel one quoted in public notes (the
 *   csi-hostpathplugin-0 event, "cni0" already has an IP address different from 10.244.0.1/16, fixed by deleting cni0
 *   per https://stackoverflow.com/a/61544151); the other events' fields copy a real minikube event list.
 * - troubleshoot-events-healthy.json: troubleshoot's cluster-resources/events/<ns>.json (an EventList marshalled by
 *   client-go: items without kind/apiVersion, 2-space indent); its FailedCreatePodSandBox message is verbatim from
 *   https://github.com/kata-containers/kata-containers/issues/5731 (a missing flannel binary, not a stale bridge).
 * - events-k8s-io-v1.json: an events.k8s.io/v1 Event (note, regarding, deprecatedSource, deprecatedLastTimestamp);
 *   its note is the real kubelet error of a public note (coredns-c676cc86f-qlt6v, 10.244.0.1/24).
 * No public events.json of a bundle was found in the stored corpus, so these files are assembled, not downloaded.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { R15_SIGNATURES } from '../../src/logs/signatures-r15.js';
import { kubeEventNodes, parseKubeEvents, scanKubeEvents, sniffKubeEvents } from '../../src/logs/kube-events.js';
import { ParseError } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h69', name), 'utf8');
const catalog = SIGNATURES.some((s) => s.id === 'log.cni-bridge-address-mismatch') ? SIGNATURES : [...SIGNATURES, ...R15_SIGNATURES];

describe('parseKubeEvents', () => {
  it('turns a kubectl List into one line per event, at the line of its message, in time order', () => {
    const text = fixture('kubectl-events-flannel.json');
    const parsed = parseKubeEvents(text, 'events.json');
    expect(parsed.lines).toBe(text.split('\n').length - 1);
    expect(parsed.events.map((e) => e.line)).toEqual([19, 83, 50]);
    const failed = parsed.events[2];
    expect(failed.node).toBe('node2');
    expect(failed.text.startsWith('2024-11-17T13:42:10Z node2 kubelet: default/Pod/csi-hostpathplugin-0 FailedCreatePodSandBox (Warning, x38): Failed to create pod sandbox:')).toBe(true);
    // the line at failed.line is the event's message
    expect(text.split('\n')[failed.line - 1]).toContain('"message": "Failed to create pod sandbox');
    // the scheduler names no node
    expect(parsed.events[0].node).toBeUndefined();
    expect(kubeEventNodes(parsed)).toEqual(['node1', 'node2']);
  });

  it('reads troubleshoot items without kind, and events.k8s.io/v1 note/regarding/deprecatedSource', () => {
    const ts = parseKubeEvents(fixture('troubleshoot-events-healthy.json'));
    expect(ts.events.map((e) => [e.line, e.node])).toEqual([
      [54, 'kata-ci-worker-03'],
      [24, 'minikube'],
    ]);
    const v1 = parseKubeEvents(fixture('events-k8s-io-v1.json'));
    expect(v1.events).toHaveLength(1);
    expect(v1.events[0].line).toBe(22);
    expect(v1.events[0].node).toBe('main.adks.co');
    expect(v1.events[0].text).toMatch(/^2022-11-24T08:04:12Z main\.adks\.co kubelet: kube-system\/Pod\/coredns-c676cc86f-qlt6v FailedCreatePodSandBox \(Warning, x17\): /);
  });

  it('rejects what is not an event list with a one-line error', () => {
    expect(() => parseKubeEvents('{"items": [', 'e.json')).toThrow(ParseError);
    expect(() => parseKubeEvents('{"kind": "PodList", "metadata": {}}', 'e.json')).toThrow(/not a Kubernetes event list/);
    expect(() => parseKubeEvents('', 'e.json')).toThrow(/empty file/);
    const deep = '['.repeat(500) + ']'.repeat(500);
    expect(() => parseKubeEvents(deep, 'e.json')).toThrow(/nested deeper/);
    // a PodList is not events: nothing taken from its items
    expect(parseKubeEvents('{"kind":"PodList","items":[{"metadata":{"name":"p"},"spec":{}}]}').events).toEqual([]);
  });

  it('sniffs event lists, not other JSON', () => {
    expect(sniffKubeEvents(fixture('kubectl-events-flannel.json').slice(0, 4096))).toBe(true);
    expect(sniffKubeEvents(fixture('troubleshoot-events-healthy.json').slice(0, 4096))).toBe(true);
    expect(sniffKubeEvents(fixture('events-k8s-io-v1.json').slice(0, 4096))).toBe(true);
    expect(sniffKubeEvents('{\n  "kind": "PodList",\n  "items": [{"metadata": {"name": "x"}, "spec": {"nodeName": "n"}}]\n}')).toBe(false);
    expect(sniffKubeEvents('Nov 24 16:00:55 main.adks.co kubelet[1323808]: "reason": x')).toBe(false);
  });
});

describe('scanKubeEvents', () => {
  it('finds the stale cni0 in a FailedCreatePodSandBox event, citing the JSON line of its message', () => {
    const r = scanKubeEvents(fixture('kubectl-events-flannel.json'), 'cluster-resources/events/default.json', { catalog });
    const m = r.matches.find((x) => x.signature === 'log.cni-bridge-address-mismatch');
    expect(m).toBeDefined();
    expect(m!.line).toBe(50);
    expect(m!.file).toBe('cluster-resources/events/default.json');
    expect(m!.unit).toBe('kubelet');
    expect(m!.timestamp?.iso).toBe('2024-11-17T13:42:10.000Z');
    expect(m!.facts).toMatchObject({ bridge: 'cni0', expected: '10.244.0.1/16' });
    expect(r.firstTimestamp?.iso).toBe('2024-11-17T10:19:41.000Z');
    expect(r.lastTimestamp?.iso).toBe('2024-11-17T13:42:10.000Z');
  });

  it('keeps one node\'s events when asked', () => {
    const text = fixture('kubectl-events-flannel.json');
    expect(scanKubeEvents(text, 'e.json', { catalog, node: 'node1' }).matches).toEqual([]);
    expect(scanKubeEvents(text, 'e.json', { catalog, node: 'node2' }).matches.some((m) => m.signature === 'log.cni-bridge-address-mismatch')).toBe(true);
  });

  it('a sandbox failure of another cause is the general CNI failure, not a stale bridge', () => {
    const r = scanKubeEvents(fixture('troubleshoot-events-healthy.json'), 'cluster-resources/events/kube-system.json', { catalog });
    expect(r.matches.map((m) => m.signature)).toEqual(['log.cni-setup-failed']);
    expect(r.matches[0].line).toBe(54);
    expect(r.counts['log.cni-bridge-address-mismatch']).toBeUndefined();
  });
});
