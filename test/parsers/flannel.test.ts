/**
 * flannel's subnet.env and network configuration (src/parsers/flannel-env.ts) on every file of
 * the corpus's flannel folder, with the line each value came from.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { addressIn } from '../../src/parsers/cidr.js';
import { parseFlannelNetConf, parseSubnetEnv, sniffFlannelNetConf, sniffSubnetEnv } from '../../src/parsers/flannel-env.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';

const env = (f: string) => parseSubnetEnv(readCorpus('flannel', f), f);
const conf = (f: string) => parseFlannelNetConf(readCorpus('flannel', f), f);

describe.skipIf(!hasCorpus)('subnet.env files of the corpus', () => {
  it('all five: network, subnet as written and as a network, MTU, ipmasq, each on its own line', () => {
    const table = readdirSync(corpusPath('flannel'))
      .filter((f) => !f.endsWith('.json'))
      .sort()
      .map((f) => {
        const e = env(f);
        expect(e.warnings, f).toEqual([]);
        expect([e.network?.ref.line, e.subnet?.ref.line, e.mtu?.ref.line, e.ipmasq?.ref.line], f).toEqual([1, 2, 3, 4]);
        return [f, e.network?.value, e.subnet?.value, e.subnetNetwork, e.mtu?.value, e.ipmasq?.value];
      });
    expect(table).toEqual([
      ['flannel-1983-subnet.env-subnet-outside-network-mismatch.env', '10.244.0.0/16', '10.224.0.1/24', '10.224.0.0/24', 1450, true],
      ['flannel-971-subnet.env-etcd-ipmasq-true.env', '10.135.0.0/16', '10.135.26.1/24', '10.135.26.0/24', 1450, true],
      ['flannel-docs-running-subnet.env', '10.5.0.0/16', '10.5.72.1/24', '10.5.72.0/24', 1450, false],
      ['flannel-sample-subnet.env', '10.1.0.0/16', '10.1.74.1/24', '10.1.74.0/24', 1472, false],
      ['hotsos-charmed-k8s-subnet.env', '10.1.0.0/16', '10.1.84.1/24', '10.1.84.0/24', 8908, true],
    ]);
  });

  it('flannel-1983: the subnet lies outside the network (kubeadm 10.224 typo vs flannel 10.244); the others inside', () => {
    for (const f of readdirSync(corpusPath('flannel')).filter((x) => !x.endsWith('.json'))) {
      const e = env(f);
      expect(addressIn(e.subnet!.value, e.network!.value), f).toBe(!f.startsWith('flannel-1983'));
    }
    expect(env('flannel-1983-subnet.env-subnet-outside-network-mismatch.env').subnet).toEqual({
      value: '10.224.0.1/24',
      ref: { file: 'flannel-1983-subnet.env-subnet-outside-network-mismatch.env', line: 2 },
      excerpt: 'FLANNEL_SUBNET=10.224.0.1/24',
    });
  });

  it('flannel docs: subnet.env 10.5.72.1/24 against the etcd config 10.6.0.0/16 beside it is the documented mismatch', () => {
    const e = env('flannel-docs-running-subnet.env');
    const c = conf('flannel-docs-etcd-network-config-mismatch-10.6.json');
    expect(addressIn(e.subnet!.value, c.network!.value)).toBe(false);
    expect(addressIn(e.subnet!.value, e.network!.value)).toBe(true);
  });

  it('sniff recognises every one, and none of the JSON files', () => {
    for (const f of readdirSync(corpusPath('flannel'))) expect(sniffSubnetEnv(readCorpus('flannel', f)), f).toBe(!f.endsWith('.json'));
  });
});

describe('subnet.env forms flannel and people write', () => {
  it('dual stack, quoted values and an export prefix (as when the file is sourced by a wrapper)', () => {
    const text = [
      '# written by flanneld',
      'export FLANNEL_NETWORK="10.244.0.0/16"',
      "FLANNEL_SUBNET='10.244.3.1/24'",
      'FLANNEL_IPV6_NETWORK=fd00:10:244::/56',
      'FLANNEL_IPV6_SUBNET=fd00:10:244:3::1/64',
      'FLANNEL_MTU=1450',
      'FLANNEL_IPMASQ=true',
      '',
    ].join('\n');
    const e = parseSubnetEnv(text, 'subnet.env');
    expect(e.network).toMatchObject({ value: '10.244.0.0/16', ref: { line: 2 } });
    expect(e.subnet).toMatchObject({ value: '10.244.3.1/24', ref: { line: 3 } });
    expect(e.subnetNetwork).toBe('10.244.3.0/24');
    expect(e.ipv6Network).toMatchObject({ value: 'fd00:10:244::/56', ref: { line: 4 } });
    expect(e.ipv6Subnet).toMatchObject({ value: 'fd00:10:244:3::1/64', ref: { line: 5 } });
    expect(addressIn(e.ipv6Subnet!.value, e.ipv6Network!.value)).toBe(true);
  });

  it('a subnet that is not address/prefix is a warning on its line, not a crash', () => {
    const e = parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.300.1/24\n', 's');
    expect(e.subnetNetwork).toBeUndefined();
    expect(e.warnings).toEqual([{ file: 's', line: 2, message: expect.stringContaining('10.244.300.1/24') }]);
  });

  it('files without FLANNEL_ variables are skipped', () => {
    for (const t of ['', 'PATH=/usr/bin\n', '{"Network": "10.244.0.0/16"}', Buffer.from([0, 159, 146, 150, 10]).toString('latin1')]) {
      expect(() => parseSubnetEnv(t, 'x')).toThrow(SkipFile);
    }
  });
});

describe.skipIf(!hasCorpus)('network configuration JSON of the corpus', () => {
  it('cni-306 etcd config: network, SubnetLen and the udp backend, each with its line', () => {
    const c = conf('cni-306-etcd-network-config-udp-backend.json');
    expect([c.network, c.subnetLen, c.backend].map((s) => [s?.value, s?.ref.line])).toEqual([
      ['10.246.0.0/16', 2],
      [24, 3],
      ['udp', 5],
    ]);
    expect(c.backend!.excerpt).toBe('"Type": "udp",');
  });

  it('kube-flannel net-conf.json: vxlan on line 5, no SubnetLen', () => {
    const c = conf('kube-flannel-net-conf.json');
    expect(c.network).toMatchObject({ value: '10.244.0.0/16', ref: { line: 2 } });
    expect(c.backend).toMatchObject({ value: 'vxlan', ref: { line: 5 } });
    expect(c.subnetLen).toBeUndefined();
  });

  it('the one-line etcd config of the flannel docs: everything on line 1', () => {
    const c = conf('flannel-docs-etcd-network-config-mismatch-10.6.json');
    expect(c).toMatchObject({ network: { value: '10.6.0.0/16', ref: { line: 1 } }, backend: { value: 'vxlan', ref: { line: 1 } } });
  });

  it('sniff takes the two multi-line configs and the one-liner, and no subnet.env', () => {
    for (const f of readdirSync(corpusPath('flannel'))) expect(sniffFlannelNetConf(readCorpus('flannel', f)), f).toBe(f.endsWith('.json'));
  });
});

describe('network configuration that is not one', () => {
  it('broken JSON is a parse error; JSON without Network is skipped', () => {
    expect(() => parseFlannelNetConf('{ "Network": "10.244.0.0/16", ', 'net-conf.json')).toThrow(ParseError);
    for (const t of ['{}', '[]', 'null', '42', '{"Name": "bridge"}']) expect(() => parseFlannelNetConf(t, 'x'), t).toThrow(SkipFile);
  });
});
