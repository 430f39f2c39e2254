/**
 * Docker 28's ip6tables FORWARD lost its jumps (FORWARD flushed in ip6tables, real rules made in
 * namespaces: test/fixtures/ipv6/make-docker-dualstack.sh): the "without a restart" commands that
 * put the jumps back are ip6tables commands.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

describe("iptables.docker-chain-missing: Docker 28's IPv6 FORWARD jumps gone", () => {
  it('puts them back with ip6tables, never iptables', async () => {
    const r = await analyzeBundle(projectPath('test/fixtures/ipv6/docker-dualstack-forward6-flushed'));
    const f = r.findings.find((x) => x.id === 'iptables.docker-chain-missing')!;
    expect(f.title).toMatch(/IPv6/);
    const jump = f.remedy.commands.find((c) => /-j DOCKER-FORWARD/.test(c))!;
    expect(jump).toMatch(/^ip6tables -D FORWARD -j DOCKER-FORWARD 2>\/dev\/null; ip6tables -I FORWARD -j DOCKER-FORWARD; ip6tables -D FORWARD -j DOCKER-USER 2>\/dev\/null; ip6tables -I FORWARD -j DOCKER-USER /);
    expect(f.remedy.commands.filter((c) => /^iptables /.test(c))).toEqual([]);
  });
});
