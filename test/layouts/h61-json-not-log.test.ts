/**
 * A JSON document is data, not a log: bundles/expected.json (the example bundles' expectations) given
 * as an input on its own was scanned as a log, and its "story" strings ("... no route to host ...")
 * fired log signatures. JSON lines ARE logs and stay so: docker's json-file log, one
 * `{"log":"...","stream":"stderr","time":"..."}` record a line.
 *
 * The json-file lines are verbatim from a public troubleshooting write-up of an RKE cluster (Ksd,
 * "一次关于RKE的Troubleshooting", 2021-08-08): kube-apiserver's
 * /var/lib/docker/containers/<id>/<id>-json.log, `dial tcp [::1]:6443: connect: no route to host`.
 * The healthy side is the project's own bundles/expected.json, read in place.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonDocument } from '../../src/bundle/formats.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const EXPECTED = projectPath('bundles', 'expected.json');
const JSON_FILE_LOG = [
  String.raw`{"log":"E0808 06:10:53.740231       1 reflector.go:138] k8s.io/client-go/informers/factory.go:134: Failed to watch *v1.StorageClass: failed to list *v1.StorageClass: Get \"https://localhost:6443/apis/storage.k8s.io/v1/storageclasses?limit=500\u0026resourceVersion=0\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:10:53.740356721Z"}`,
  String.raw`{"log":"E0808 06:10:53.740448       1 reflector.go:138] k8s.io/client-go/informers/factory.go:134: Failed to watch *v1.LimitRange: failed to list *v1.LimitRange: Get \"https://localhost:6443/api/v1/limitranges?limit=500\u0026resourceVersion=0\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:10:53.742506129Z"}`,
  String.raw`{"log":"F0808 06:11:10.695434       1 controller.go:161] Unable to perform initial IP allocation check: unable to refresh the service IP block: Get \"https://localhost:6443/api/v1/services\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:11:10.69562321Z"}`,
];
const logFindings = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.filter((f) => f.id.startsWith('log.')).map((f) => f.id);

describe('a JSON document is not a log; JSON lines are', () => {
  it('the file itself: expected.json quotes "no route to host" in its stories (what the bug fired on)', () => {
    expect(readFileSync(EXPECTED, 'utf8')).toMatch(/no route to host/i);
  });

  it('jsonDocument: pretty-printed or one parsed value is a document; JSON lines and a one-record json-file log are not', () => {
    expect(jsonDocument(readFileSync(EXPECTED, 'utf8'), true)).toBe(true);
    // from its head alone (a file too big to keep whole): pretty-printed
    expect(jsonDocument(readFileSync(EXPECTED, 'utf8').slice(0, 300), false)).toBe(true);
    expect(jsonDocument(JSON_FILE_LOG.join('\n') + '\n', true)).toBe(false);
    expect(jsonDocument(JSON_FILE_LOG[0] + '\n', true)).toBe(false);
    expect(jsonDocument(JSON_FILE_LOG.join('\n'), false)).toBe(false);
    // a compact one-line document with no log record's keys
    expect(jsonDocument('{"docker-chains-flushed.tgz":{"layout":"sosreport","story":"no route to host"}}\n', true)).toBe(true);
    // not JSON at all
    expect(jsonDocument('[  OK  ] Started Docker Application Container Engine.\n', true)).toBe(false);
  });

  it('bundles/expected.json given on its own: no log finding, and the coverage says it was not read and what it is', async () => {
    const r = await analyzeBundle(EXPECTED);
    expect(logFindings(r)).toEqual([]);
    expect(r.coverage.nodes.flatMap((n) => n.logs.map((l) => l.file))).not.toContain('expected.json');
    expect(r.coverage.notes).toContain('not read: expected.json (a JSON document: data, not a log, and no command output bundle-doctor reads)');
  });

  it("a docker json-file log given on its own (the container's <id>-json.log): log.no-route-to-host fires", async () => {
    const r = await analyzeBundle(writeTmp('5f0c8e2b1a9d-json.log', JSON_FILE_LOG.join('\n') + '\n'));
    expect(logFindings(r)).toContain('log.no-route-to-host');
  });

  it('a single json-file record on its own, under a name that says nothing: still a log', async () => {
    const r = await analyzeBundle(writeTmp('apiserver-output.txt', JSON_FILE_LOG[2] + '\n'));
    expect(logFindings(r)).toContain('log.no-route-to-host');
  });

  it('in a hand-made folder: expected.json beside a json-file log is listed as not read; the log still fires', async () => {
    const dir = writeFolder({ 'expected.json': readFileSync(EXPECTED), 'apiserver.out': JSON_FILE_LOG.join('\n') + '\n' }, 'h61-json');
    const r = await analyzeBundle(dir);
    const n = r.coverage.nodes[0];
    expect(n.logs.map((l) => l.file)).toContain('apiserver.out');
    expect(n.logs.map((l) => l.file)).not.toContain('expected.json');
    expect(r.coverage.notes).toContain('not read: expected.json (a JSON document: data, not a log, and no command output bundle-doctor reads)');
    const hits = r.findings.filter((f) => f.id === 'log.no-route-to-host');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.flatMap((f) => f.evidence.map((e) => e.file))).not.toContain('expected.json');
  });

  it('expected.json alone in a folder: no log finding', async () => {
    const r = await analyzeBundle(writeFolder({ 'expected.json': readFileSync(EXPECTED) }, 'h61-json-alone'));
    expect(logFindings(r)).toEqual([]);
  });
});
