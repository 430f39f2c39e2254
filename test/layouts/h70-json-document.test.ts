/**
 * A big JSON document is data, not a log, even judged from its head (a file too big to keep is seen
 * only by its first 4 KiB while it streams): `kubectl get pods -A -o json`, `docker inspect` of 200
 * containers, a troubleshoot bundle's cluster-resources/*.json, pretty-printed or compact, or cut
 * short by a collector. Its strings quote messages: a pod's last termination message "dial tcp
 * 10.96.0.1:443: connect: network is unreachable" (the error of kubernetes/kubernetes#110659) must
 * not become a log finding. JSON lines stay logs: docker's json-file log, one
 * {"log":...,"stream":...,"time":...} a line (records verbatim from test/layouts/h61-json-not-log.test.ts:
 * an RKE cluster's kube-apiserver json-file log, Ksd, "一次关于RKE的Troubleshooting", 2021-08-08).
 *
 * The documents are generated in the shapes kubectl and docker print: a v1 List of Pods with
 * kubectl's 4-space indent (or `jq -c` compact), docker inspect's array with its 4-space indent.
 */
import { describe, expect, it } from 'vitest';
import { jsonDocument } from '../../src/bundle/formats.js';
import { jsonDocumentHead } from '../../src/layouts/locate.js';
import { corpusTarFiles } from '../helpers/corpus-tar.js';
import { hasCorpus } from '../helpers/shared.js';
import { dockerInspect, JSON_FILE_LOG, podList, UNREACHABLE } from './h70-json-shapes.js';

const head = (text: string) => text.slice(0, 4096);

describe('jsonDocument from a head cut mid-document', () => {
  it('compact kubectl and docker JSON (no line break in the head): a document', () => {
    expect(head(podList(50, true))).not.toContain('\n');
    expect(jsonDocument(head(podList(50, true)), false)).toBe(true);
    expect(jsonDocument(head(dockerInspect(50, true)), false)).toBe(true);
  });

  it('pretty-printed kubectl and docker JSON: a document (as before)', () => {
    expect(jsonDocument(head(podList(50)), false)).toBe(true);
    expect(jsonDocument(head(dockerInspect(50)), false)).toBe(true);
  });

  it('a whole file a collector cut short (compact, not one parsed value): a document by its start', () => {
    const cut = podList(400, true).slice(0, 100_000);
    expect(cut).toHaveLength(100_000);
    expect(() => JSON.parse(cut)).toThrow();
    expect(jsonDocument(cut, true)).toBe(true);
  });

  it('JSON lines: a json-file log stays a log, from its head or whole', () => {
    const log = Array.from({ length: 60 }, (_, i) => JSON_FILE_LOG[i % 3]).join('\n') + '\n';
    expect(jsonDocument(head(log), false)).toBe(false);
    expect(jsonDocument(log, true)).toBe(false);
    // one whole record, and a head that cuts the second record
    expect(jsonDocument(JSON_FILE_LOG[0] + '\n', true)).toBe(false);
    expect(jsonDocument(JSON_FILE_LOG[0] + '\n' + JSON_FILE_LOG[1].slice(0, 50), false)).toBe(false);
  });

  it("a json-file record longer than the head (its first key is docker's `log`): still a log", () => {
    const long = JSON_FILE_LOG[2].replace('Unable to perform', `${'x'.repeat(6000)} Unable to perform`);
    expect(jsonDocument(head(long), false)).toBe(false);
    expect(jsonDocument(long + '\n' + JSON_FILE_LOG[0] + '\n', true)).toBe(false);
  });

  it('text logs that start with a bracket are no JSON', () => {
    expect(jsonDocument('[  OK  ] Started Docker Application Container Engine.\n[  OK  ] Reached target Multi-User System.\n', false)).toBe(false);
    expect(jsonDocument('[Thu Nov 17 10:19:47 2024] "GET / HTTP/1.1\n[Thu Nov 17 10:19:48 2024] eth0: link down\n', true)).toBe(false);
  });
});

describe('jsonDocumentHead: what a stream consumer sees of a file too big to keep', () => {
  it('a pod list or docker inspect head: a document, not a log', () => {
    expect(jsonDocumentHead(Buffer.from(head(podList(50))))).toBe(true);
    expect(jsonDocumentHead(Buffer.from(head(podList(50, true))))).toBe(true);
    expect(jsonDocumentHead(Buffer.from(head(dockerInspect(50))))).toBe(true);
  });

  it('a json-file log head: no document', () => {
    expect(jsonDocumentHead(Buffer.from(head(Array.from({ length: 60 }, (_, i) => JSON_FILE_LOG[i % 3]).join('\n'))))).toBe(false);
  });

  it('a Kubernetes event list: no data document, its events are log lines', () => {
    // `kubectl get events -A -o json`, core/v1 Event fields (see src/logs/kube-events.ts)
    const events = JSON.stringify(
      {
        apiVersion: 'v1',
        items: [{ apiVersion: 'v1', count: 38, involvedObject: { kind: 'Pod', name: 'coredns-x', namespace: 'kube-system' }, kind: 'Event', message: UNREACHABLE, reason: 'FailedCreatePodSandBox', type: 'Warning' }],
        kind: 'List',
      },
      null,
      4,
    );
    expect(jsonDocument(events, false)).toBe(true);
    expect(jsonDocumentHead(Buffer.from(events))).toBe(false);
  });

  it('binary data or an empty head: no document', () => {
    expect(jsonDocumentHead(Buffer.from([0x7b, 0, 1, 2, 3, 0xff, 0xfe, 0, 0, 7, 8, 0x5b, 0x0e, 0x0f]))).toBe(false);
    expect(jsonDocumentHead(Buffer.alloc(0))).toBe(false);
  });
});

describe.skipIf(!hasCorpus)("a real troubleshoot bundle's cluster-resources/*.json (corpus, read in place)", () => {
  it('every non-empty one is a document from its 4 KiB head; the event lists are left to the events reader', async () => {
    const files = await corpusTarFiles('troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz', /cluster-resources\/.*\.json$/);
    const nonEmpty = [...files].filter(([, text]) => text.trim() !== '');
    expect(nonEmpty.length).toBeGreaterThan(50);
    for (const [name, text] of nonEmpty) {
      expect([name, jsonDocument(text.slice(0, 4096), false)]).toEqual([name, true]);
      expect([name, jsonDocumentHead(Buffer.from(text).subarray(0, 4096))]).toEqual([name, !/\/events\/|\/resources\.json$/.test(name)]);
    }
  });
});
