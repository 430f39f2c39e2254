/**
 * A ticket attachment is often an archive inside an archive (a zip holding the customer's .tgz).
 * The inner bundle's own hostname names the node, as when the .tgz is analyzed on its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, makeZip, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

describe('a hand-made bundle inside another archive', () => {
  it('is named by its own hostname file, in a zip and in a tgz', async () => {
    const inner = await makeTarGz([
      { name: 'ticket-4712/docker-host-02/hostname', content: 'docker-host-02\n' },
      { name: 'ticket-4712/docker-host-02/ip_a', content: readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8') },
      { name: 'ticket-4712/docker-host-02/sysctl.txt', content: 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.conf.all.rp_filter = 1\n' },
    ]);
    const direct = await analyzeBundle(writeTmp('attach.tgz', inner));
    expect(direct.nodes.map((n) => n.name)).toEqual(['docker-host-02']);
    const zipped = await analyzeBundle(writeTmp('z1.zip', await makeZip({ 'attach.tgz': inner })));
    expect(zipped.nodes.map((n) => [n.name, n.nameFrom])).toEqual([['docker-host-02', 'attach.tgz/ticket-4712/docker-host-02/hostname']]);
    const nested = await analyzeBundle(writeTmp('outer.tgz', await makeTarGz([{ name: 'ticket-9/attach.tgz', content: inner }])));
    expect(nested.nodes.map((n) => n.name)).toEqual(['docker-host-02']);
    expect(zipped.findings.map((f) => f.id)).toEqual(direct.findings.map((f) => f.id));
  });
});
