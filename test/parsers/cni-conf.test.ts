/**
 * src/parsers/cni-conf.ts on real CNI confs (test/fixtures/hairpin/README.md):
 * - k3s' 10-flannel.conflist (k3s-io/k3s pkg/agent/flannel/setup_linux.go)
 * - kube-flannel.yml's cni-conf.json (flannel-io/flannel Documentation/kube-flannel.yml)
 * - kube-router's 10-kuberouter.conf (cloudnativelabs/kube-router daemonset/generic-kuberouter.yaml), and the conf
 *   kube-router writes with the node's pod CIDR in it (kube-router's own test of GetPodCidrFromCniSpec:
 *   `{"bridge":"kube-bridge","ipam":{"subnet":"172.17.0.0/24","type":"host-local"},"isDefaultGateway":true,"name":"kubernetes","type":"bridge"}`)
 * - the bridge plugin README's example (containernetworking/plugins plugins/main/bridge/README.md)
 * - kubenet's conf as kubelet logged it (https://pastebin.com/D2ExfQ70, `"hairpinMode": false` with cbr0)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bridgeName, bridgePlugins, cniConfInUse, parseCniConf, sniffCniConf } from '../../src/parsers/cni-conf.js';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'hairpin', name), 'utf8');

const BRIDGE_README = `{
	"cniVersion": "0.3.1",
	"name": "mynet",
	"type": "bridge",
	"bridge": "mynet0",
	"isDefaultGateway": true,
	"forceAddress": false,
	"ipMasq": true,
	"hairpinMode": true,
	"ipam": {
		"type": "host-local",
		"subnet": "10.10.0.0/16"
	}
}
`;

const KUBENET = `{
  "cniVersion": "0.1.0",
  "name": "kubenet",
  "type": "bridge",
  "bridge": "cbr0",
  "mtu": 1500,
  "addIf": "eth0",
  "isGateway": true,
  "ipMasq": false,
  "hairpinMode": false,
  "ipam": {
    "type": "host-local",
    "subnet": "10.20.2.0/24",
    "gateway": "10.20.2.1",
    "routes": [
      { "dst": "0.0.0.0/0" }
    ]
  }
}
`;

const KUBE_ROUTER_WRITTEN = '{"bridge":"kube-bridge","ipam":{"subnet":"172.17.0.0/24","type":"host-local"},"isDefaultGateway":true,"name":"kubernetes","type":"bridge"}';

describe('CNI conflists', () => {
  it("k3s' 10-flannel.conflist: flannel's delegate sets hairpinMode true, at its line", () => {
    const c = parseCniConf(fx('k3s-10-flannel.conflist'), 'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
    expect(c.format).toBe('conflist');
    expect(c.name?.value).toBe('cbr0');
    expect(c.cniVersion).toBe('1.0.0');
    expect(c.plugins.map((p) => p.type)).toEqual(['flannel', 'portmap', 'bandwidth']);
    const d = c.plugins[0].delegate!;
    expect(d.type).toBe('bridge');
    expect(d.hairpinMode).toMatchObject({ value: true, ref: { line: 8 }, excerpt: '"hairpinMode":true,' });
    expect(d.isDefaultGateway?.value).toBe(true);
    const b = bridgePlugins(c);
    expect(b).toHaveLength(1);
    expect(bridgeName(b[0].plugin)).toBe('cni0');
    expect(b[0].via?.type).toBe('flannel');
  });

  it("kube-flannel.yml's conflist", () => {
    const c = parseCniConf(fx('kube-flannel-10-flannel.conflist'), 'etc/cni/net.d/10-flannel.conflist');
    expect(c.plugins[0].delegate?.hairpinMode).toMatchObject({ value: true, ref: { line: 8 } });
    expect(c.plugins[1].keys.capabilities?.ref.line).toBe(14);
  });
});

describe('single-plugin confs', () => {
  it("kube-router's 10-kuberouter.conf: the bridge kube-bridge, no hairpinMode (the bridge plugin's default false)", () => {
    const c = parseCniConf(fx('kube-router-10-kuberouter.conf'), 'etc/cni/net.d/10-kuberouter.conf');
    expect(c.format).toBe('conf');
    const p = c.plugins[0];
    expect([p.type, p.bridge?.value, p.bridge?.ref.line, p.hairpinMode, p.isDefaultGateway?.value, p.ipam?.type]).toEqual(['bridge', 'kube-bridge', 4, undefined, true, 'host-local']);
    expect(p.ref.line).toBe(1);
  });

  it('the conf kube-router writes (one line, the pod CIDR in ipam.subnet)', () => {
    const c = parseCniConf(KUBE_ROUTER_WRITTEN, '10-kuberouter.conf');
    expect(c.plugins[0].ipam?.subnets.map((s) => [s.value, s.ref.line])).toEqual([['172.17.0.0/24', 1]]);
  });

  it("the bridge plugin README's example and kubenet's conf", () => {
    const r = parseCniConf(BRIDGE_README, 'mynet.conf').plugins[0];
    expect([r.bridge?.value, r.hairpinMode?.value, r.ipMasq?.value, r.hairpinMode?.ref.line, r.ipam?.subnets[0].value]).toEqual(['mynet0', true, true, 9, '10.10.0.0/16']);
    const k = parseCniConf(KUBENET, 'kubenet.conf').plugins[0];
    expect([k.bridge?.value, k.hairpinMode?.value, k.hairpinMode?.ref.line, k.mtu?.value, k.isGateway?.value]).toEqual(['cbr0', false, 10, 1500, true]);
  });

  it('ranges[][].subnet of host-local', () => {
    const c = parseCniConf('{\n "cniVersion": "0.4.0",\n "name": "n",\n "type": "bridge",\n "ipam": {\n  "type": "host-local",\n  "ranges": [\n   [{"subnet": "10.88.0.0/16"}],\n   [{"subnet": "fd00::/64"}]\n  ]\n }\n}\n', 'n.conf');
    expect(c.plugins[0].ipam?.subnets.map((s) => [s.value, s.ref.line])).toEqual([
      ['10.88.0.0/16', 8],
      ['fd00::/64', 9],
    ]);
  });

  it('a wrongly typed hairpinMode ("true" as a string) is a warning, not a setting', () => {
    const c = parseCniConf('{"cniVersion":"0.3.1","name":"x","type":"bridge","hairpinMode":"true"}', 'x.conf');
    expect(c.plugins[0].hairpinMode).toBeUndefined();
    expect(c.warnings[0].message).toMatch(/hairpinMode is not a boolean/);
  });

  it('not a CNI conf: skipped; broken JSON: a parse error with its line', () => {
    expect(() => parseCniConf('{"Network": "10.244.0.0/16"}', 'net-conf.json')).toThrow(SkipFile);
    expect(() => parseCniConf('{\n "type": "bridge",\n "bridge": cni0\n}', 'bad.conf')).toThrow(ParseError);
  });

  it('sniffs CNI JSON only', () => {
    expect(sniffCniConf(fx('k3s-10-flannel.conflist'))).toBe(true);
    expect(sniffCniConf(BRIDGE_README)).toBe(true);
    expect(sniffCniConf('{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}')).toBe(false);
  });
});

describe('the conf in use', () => {
  it('the first file of the directory in lexical order; the k3s directory before /etc/cni/net.d', () => {
    const a = parseCniConf(fx('kube-flannel-10-flannel.conflist'), 'etc/cni/net.d/10-flannel.conflist');
    const b = parseCniConf(fx('kube-router-10-kuberouter.conf'), 'etc/cni/net.d/10-kuberouter.conf');
    const old = parseCniConf(BRIDGE_README, 'etc/cni/net.d/99-old.conf');
    expect(cniConfInUse([old, b, a])?.file).toBe('etc/cni/net.d/10-flannel.conflist');
    const k3s = parseCniConf(fx('k3s-10-flannel.conflist'), 'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
    expect(cniConfInUse([b, k3s])?.file).toBe(k3s.file);
    expect(cniConfInUse([])).toBeUndefined();
  });
});
