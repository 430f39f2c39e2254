/**
 * End to end: files of a hand-made bundle too big to keep (over 1 MiB, named like nothing) are streamed;
 * a JSON document among them is data and not scanned as a log, a json-file log still is.
 * Shapes and verbatim records: test/layouts/h70-json-shapes.ts.
 * NEEDS the engine/logs.ts wiring of helper h70 (maybeLogConsumer asks jsonDocumentHead).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { dockerInspect, JSON_FILE_LOG, podList } from './h70-json-shapes.js';

const MiB = 1024 * 1024;
const logFindings = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.filter((f) => f.id.startsWith('log.'));
const jsonFileLog = (bytes: number) => {
  const out: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    out.push(JSON_FILE_LOG[i % 3]);
    size += JSON_FILE_LOG[i % 3].length + 1;
  }
  return out.join('\n') + '\n';
};
const IP_ROUTE = 'default via 192.0.2.1 dev eth0 proto dhcp metric 100\n192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.10 metric 100\n';

describe('big JSON documents are not scanned as logs; big JSON lines are', () => {
  it('kubectl get pods -A -o json (pretty, compact, gzipped) and docker inspect of 2000 containers: no log finding', async () => {
    const pods = podList(3000);
    expect(pods.length).toBeGreaterThan(2 * MiB);
    expect(pods).toContain('connect: network is unreachable');
    const dir = writeFolder(
      {
        'pods.json': pods,
        'pods-compact.json': podList(3000, true),
        'cluster-pods.json.gz': gzipSync(pods),
        'inspect-all.json': dockerInspect(2000),
        'ip_route.txt': IP_ROUTE,
      },
      'h70-big-json',
    );
    const r = await analyzeBundle(dir);
    expect(logFindings(r).map((f) => f.id)).toEqual([]);
    expect(r.coverage.notes.join('\n')).toMatch(/pods\.json: a JSON document: data, not a log; not scanned/);
  });

  it('a 2 MiB docker json-file log under a name that says nothing, beside them: log.no-route-to-host fires on it alone', async () => {
    const dir = writeFolder({ 'apiserver.out': jsonFileLog(2 * MiB), 'pods.json': podList(3000), 'ip_route.txt': IP_ROUTE }, 'h70-big-json-lines');
    const r = await analyzeBundle(dir);
    const hits = logFindings(r);
    expect(hits.map((f) => f.id)).toEqual(['log.no-route-to-host']);
    const cited = new Set(hits.flatMap((f) => f.evidence.map((e) => e.file)));
    expect(cited.has('apiserver.out')).toBe(true);
    expect(cited.has('pods.json')).toBe(false);
  });
});
