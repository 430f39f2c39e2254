/**
 * analyzers/lib/docker-direct-access.ts: Docker 28+'s direct-access DROP recognised in one place, as
 * iptables.direct-routing-dropped and iptables.forward-blocks-containers both read it. The rules are
 * real ones saved from namespaces (test/fixtures/direct-routing/flannel-vxlan: Docker 28.0's per-port
 * rules, 28.2's per-container, the subnet-wide form, Docker 29's nftables table).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerDirectAccessNftShape, dockerDirectAccessShape, isDockerDirectAccessStep } from '../../analyzers/lib/docker-direct-access.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import type { TraceStep } from '../../src/netfilter/trace.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/direct-routing/flannel-vxlan', f), 'utf8');
const raw = (f: string) => parseIptablesSave(fx(f), f).tables.raw!.chains.PREROUTING.rules;

describe("Docker's direct-access DROP", () => {
  it("28.0's per-port, 28.2's per-container and the subnet-wide form; not the trusted-interface ACCEPT", () => {
    expect(raw('docker28.0.iptables-save').map(dockerDirectAccessShape).filter(Boolean)).toEqual([
      expect.objectContaining({ ip: '10.1.215.5', bridge: 'docker0', protocol: 'tcp', port: 2181, form: 'per-port' }),
    ]);
    expect(raw('docker28.2.iptables-save').map(dockerDirectAccessShape).filter(Boolean)).toEqual([expect.objectContaining({ ip: '10.1.215.5', dst: '10.1.215.5/32', bridge: 'docker0', form: 'per-container' })]);
    expect(raw('subnet-wide.iptables-save').map(dockerDirectAccessShape).filter(Boolean)).toEqual([expect.objectContaining({ dst: '10.1.215.0/24', bridge: 'docker0', form: 'subnet' })]);
    const trusted = raw('docker28.2-trusted.iptables-save');
    expect(trusted.some((r) => r.target === 'ACCEPT' && dockerDirectAccessShape(r))).toBe(false);
  });

  it('a DROP with a source or another match is not Docker\'s', () => {
    const rs = parseIptablesSave('*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -s 192.0.2.0/24 -d 10.1.215.5/32 ! -i docker0 -j DROP\n-A PREROUTING -d 10.1.215.5/32 ! -i docker0 -m conntrack --ctstate NEW -j DROP\nCOMMIT\n', 'x');
    expect(rs.tables.raw!.chains.PREROUTING.rules.map(dockerDirectAccessShape)).toEqual([undefined, undefined]);
  });

  it("Docker 29's nftables rule: the bridge and the trusted interfaces", () => {
    const t = parseNftText(fx('docker29-trusted.nft'), 'nft').tables.find((x) => x.name === 'docker-bridges')!;
    const rules = t.chains.find((c) => c.name === 'raw-PREROUTING')!.rules;
    const shapes = rules.map((r) => dockerDirectAccessNftShape(r, new Set(['docker0']))).filter(Boolean);
    expect(shapes).toEqual([{ ip: '10.1.215.5', dst: '10.1.215.5/32', bridge: 'docker0', form: 'nft', trusted: ['flannel.1'] }]);
    // a listing may sort the set: the bridge is the one Docker knows, else one by Docker's naming
    expect(rules.map((r) => dockerDirectAccessNftShape(r, new Set())).filter(Boolean)[0]).toMatchObject({ bridge: 'docker0', trusted: ['flannel.1'] });
  });

  it('a traced step: raw PREROUTING with the shape, for the bridge and a subnet holding the address', () => {
    const r = raw('docker28.2.iptables-save').find((x) => x.target === 'DROP')!;
    const step = { table: 'raw', chain: 'PREROUTING', num: r.num, file: r.ref.file, line: r.ref.line, text: r.text } as unknown as TraceStep;
    expect(isDockerDirectAccessStep(step, r, 'docker0', '10.1.215.0/24')).toBe(true);
    expect(isDockerDirectAccessStep(step, r, 'br-0123456789ab', '10.1.215.0/24')).toBe(false);
    expect(isDockerDirectAccessStep(step, r, 'docker0', '172.17.0.0/16')).toBe(false);
    expect(isDockerDirectAccessStep({ ...step, table: 'filter' } as TraceStep, r, 'docker0', '10.1.215.0/24')).toBe(false);
  });
});
