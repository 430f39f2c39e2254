/**
 * flannel.subnet-mismatch: flannel.1 and cni0 must sit inside the node's FLANNEL_SUBNET, and that
 * inside FLANNEL_NETWORK (seed 004 "Flannel problem"): the "range set" mismatch (cni0 and
 * flannel.1 in different /24s) and the "range affectation" mismatch (both agree, subnet.env
 * says another /24), left by reinstallations.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { addressIn, networkOf } from '../src/parsers/cidr.js';
import type { Setting } from '../src/parsers/flannel-env.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { flannelRemedy } from './lib/flannel.js';
import { NODE_SERVICE_KINDS } from './lib/node-services.js';

export default defineAnalyzer({
  id: 'flannel.subnet-mismatch',
  title: 'flannel interfaces outside the node subnet',
  description: 'flannel.1 / cni0 addresses outside FLANNEL_SUBNET, or FLANNEL_SUBNET outside FLANNEL_NETWORK.',
  scope: 'node',
  // subnet.env alone says whether FLANNEL_SUBNET is inside FLANNEL_NETWORK; the interface checks need ip addr
  requires: ['flannelSubnetEnv'],
  optional: [...new Set(['ipAddr', 'logs', ...NODE_SERVICE_KINDS] as const)],
  partialWithout: { ipAddr: 'the addresses of flannel.1 and cni0 were not checked (no ip addr in the bundle)' },
  analyze({ node, artifacts }) {
    const env = artifacts.flannelSubnetEnv[0];
    // dual-stack flannel leases an IPv6 subnet too (FLANNEL_IPV6_SUBNET, device flannel-v6.1); an
    // IPv6-only one has no FLANNEL_SUBNET at all
    const v4 = env.subnet && env.subnetNetwork ? { subnet: env.subnet, subnetNetwork: env.subnetNetwork, network: env.network } : undefined;
    const v6Network = env.ipv6Subnet ? networkOf(env.ipv6Subnet.value) : undefined;
    const v6 = env.ipv6Subnet && v6Network ? { subnet: env.ipv6Subnet, subnetNetwork: v6Network, network: env.ipv6Network } : undefined;
    if (!v4 && !v6) return [];
    const haveIpAddr = (artifacts.ipAddr?.length ?? 0) > 0;
    const itfs = interfacesOf(artifacts.ipAddr ?? []);
    const checks = [...(v4 ? [check(FAMILIES[4], v4, itfs)] : []), ...(v6 ? [check(FAMILIES[6], v6, itfs)] : [])];
    if (checks.every((c) => c.problems.length === 0)) return [];
    const c4 = checks.find((c) => c.family === FAMILIES[4] && c.problems.length > 0);
    const c6 = checks.find((c) => c.family === FAMILIES[6] && c.problems.length > 0);
    const sentence = (c: Check) => `${c.problems.join('; ')}${c.form ? ` (the "${c.form}" of a flannel reinstalled over old state)` : ''}`;
    const remedy = flannelRemedy(node, artifacts.logs, artifacts);
    // the IPv6 VXLAN device is rebuilt from the lease like flannel.1
    if (c6) remedy.commands = remedy.commands.flatMap((cmd) => (cmd === 'ip link delete flannel.1' ? [cmd, 'ip link delete flannel-v6.1'] : [cmd]));
    const devices = c6 && !c4 ? 'flannel-v6.1 and cni0' : 'flannel.1 and cni0';
    return [
      {
        severity: 'critical',
        title: 'flannel interfaces outside the node subnet',
        message:
          `On ${node}: ${[...(c4 ? [sentence(c4)] : []), ...(c6 ? [`for IPv6, ${sentence(c6)}`] : [])].join('; and ')}. Pods get ${c6 && !c4 ? 'IPv6 ' : ''}addresses other nodes do not route to this node, so cross-node pod traffic${c6 && !c4 ? ' over IPv6' : ''} is lost.` +
          (haveIpAddr ? '' : ` The addresses of ${devices} were not checked: the bundle has no ip addr output.`),
        impact: c6 && !c4 ? 'Pods on this node cannot reach pods on other nodes over IPv6, or reach the wrong node.' : 'Pods on this node cannot reach pods on other nodes, or reach the wrong node.',
        evidence: checks.filter((c) => c.problems.length > 0).flatMap((c) => c.evidence),
        facts: {
          form: c4?.form,
          subnet: env.subnet?.value,
          network: env.network?.value,
          outside: c4?.outside ?? [],
          ...(v6 ? { ipv6Form: c6?.form, ipv6Subnet: v6.subnet.value, ipv6Network: v6.network?.value, ipv6Outside: c6?.outside ?? [] } : {}),
          interfacesChecked: haveIpAddr,
        },
        remedy,
      },
    ];
  },
});

interface Family {
  family: 4 | 6;
  /** the variables of subnet.env, as named in messages */
  subnetVar: string;
  networkVar: string;
  /** flannel's VXLAN device of this family, and the bridge */
  devices: string[];
}

const FAMILIES: Record<4 | 6, Family> = {
  4: { family: 4, subnetVar: 'FLANNEL_SUBNET', networkVar: 'FLANNEL_NETWORK', devices: ['flannel.1', 'cni0'] },
  6: { family: 6, subnetVar: 'FLANNEL_IPV6_SUBNET', networkVar: 'FLANNEL_IPV6_NETWORK', devices: ['flannel-v6.1', 'cni0'] },
};

interface Lease {
  subnet: Setting<string>;
  subnetNetwork: string;
  network?: Setting<string>;
}

interface Check {
  family: Family;
  problems: string[];
  evidence: Evidence[];
  outside: { name: string; cidr: string }[];
  form?: string;
}

/** One family's lease against its interfaces: the lease inside the network, the devices inside the lease. */
function check(fam: Family, lease: Lease, itfs: ReturnType<typeof interfacesOf>): Check {
  const problems: string[] = [];
  const label = fam.family === 6 ? 'the IPv6 subnet flannel leased to this node' : 'the subnet flannel leased to this node';
  const evidence: Evidence[] = [{ file: lease.subnet.ref.file, line: lease.subnet.ref.line, excerpt: lease.subnet.excerpt, note: label }];
  if (lease.network && !addressIn(lease.subnet.value, lease.network.value)) {
    problems.push(`${fam.subnetVar} ${lease.subnet.value} is outside ${fam.networkVar} ${lease.network.value}`);
    evidence.push({ file: lease.network.ref.file, line: lease.network.ref.line, excerpt: lease.network.excerpt, note: fam.family === 6 ? 'the cluster IPv6 network' : 'the cluster network' });
  }
  // link-local IPv6 addresses (fe80::/10) are on every interface and none of flannel's business
  const addresses = (name: string) => itfs.get(name)?.addresses.filter((x) => x.family === fam.family && !(fam.family === 6 && addressIn(x.address, 'fe80::/10'))) ?? [];
  const outside: { name: string; cidr: string }[] = [];
  for (const name of fam.devices) {
    for (const a of addresses(name)) {
      const inside = addressIn(a.address, lease.subnetNetwork);
      evidence.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: inside ? `${name} inside ${lease.subnetNetwork}` : `${name} is NOT inside ${lease.subnetNetwork}` });
      if (!inside) outside.push({ name, cidr: a.cidr });
    }
  }
  const [vxlan, bridge] = fam.devices;
  const vx = addresses(vxlan);
  const br = addresses(bridge);
  let form: string | undefined;
  if (outside.length) {
    const sameNet = vx.length > 0 && br.length > 0 && vx.every((f) => br.some((c) => addressIn(f.address, c.network)));
    form = sameNet ? 'range affectation mismatch' : 'range set mismatch';
    problems.push(
      sameNet
        ? `${bridge} and ${vxlan} agree (${br[0].network}) but subnet.env says ${fam.family === 6 ? `${fam.subnetVar}=` : ''}${lease.subnet.value}`
        : `${outside.map((o) => `${o.name} ${o.cidr}`).join(' and ')} ${outside.length > 1 ? 'are' : 'is'} outside ${fam.subnetVar} ${lease.subnet.value}`,
    );
  }
  return { family: fam, problems, evidence, outside, form };
}
