/**
 * flannel.subnet-mismatch: flannel.1 and cni0 must sit inside the node's FLANNEL_SUBNET, and that
 * inside FLANNEL_NETWORK (seed 004 "Flannel problem"): the "range set" mismatch (cni0 and
 * flannel.1 in different /24s) and the "range affectation" mismatch (both agree, subnet.env
 * says another /24), left by reinstallations.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { addressIn } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { flannelRemedy } from './lib/flannel.js';

export default defineAnalyzer({
  id: 'flannel.subnet-mismatch',
  title: 'flannel interfaces outside the node subnet',
  description: 'flannel.1 / cni0 addresses outside FLANNEL_SUBNET, or FLANNEL_SUBNET outside FLANNEL_NETWORK.',
  scope: 'node',
  // subnet.env alone says whether FLANNEL_SUBNET is inside FLANNEL_NETWORK; the interface checks need ip addr
  requires: ['flannelSubnetEnv'],
  optional: ['ipAddr', 'logs'],
  partialWithout: { ipAddr: 'the addresses of flannel.1 and cni0 were not checked (no ip addr in the bundle)' },
  analyze({ node, artifacts }) {
    const env = artifacts.flannelSubnetEnv[0];
    if (!env.subnet || !env.subnetNetwork) return [];
    const haveIpAddr = (artifacts.ipAddr?.length ?? 0) > 0;
    const itfs = interfacesOf(artifacts.ipAddr ?? []);
    const problems: string[] = [];
    const evidence: Evidence[] = [{ file: env.subnet.ref.file, line: env.subnet.ref.line, excerpt: env.subnet.excerpt, note: 'the subnet flannel leased to this node' }];
    if (env.network && !addressIn(env.subnet.value, env.network.value)) {
      problems.push(`FLANNEL_SUBNET ${env.subnet.value} is outside FLANNEL_NETWORK ${env.network.value}`);
      evidence.push({ file: env.network.ref.file, line: env.network.ref.line, excerpt: env.network.excerpt, note: 'the cluster network' });
    }
    const outside: { name: string; cidr: string }[] = [];
    for (const name of ['flannel.1', 'cni0']) {
      for (const a of itfs.get(name)?.addresses.filter((x) => x.family === 4) ?? []) {
        const inside = addressIn(a.address, env.subnetNetwork);
        evidence.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: inside ? `${name} inside ${env.subnetNetwork}` : `${name} is NOT inside ${env.subnetNetwork}` });
        if (!inside) outside.push({ name, cidr: a.cidr });
      }
    }
    const flannel1 = itfs.get('flannel.1')?.addresses.filter((x) => x.family === 4) ?? [];
    const cni0 = itfs.get('cni0')?.addresses.filter((x) => x.family === 4) ?? [];
    let form: string | undefined;
    if (outside.length) {
      const sameNet = flannel1.length > 0 && cni0.length > 0 && flannel1.every((f) => cni0.some((c) => addressIn(f.address, c.network)));
      form = sameNet ? 'range affectation mismatch' : 'range set mismatch';
      problems.push(
        sameNet
          ? `cni0 and flannel.1 agree (${cni0[0].network}) but subnet.env says ${env.subnet.value}`
          : `${outside.map((o) => `${o.name} ${o.cidr}`).join(' and ')} ${outside.length > 1 ? 'are' : 'is'} outside FLANNEL_SUBNET ${env.subnet.value}`,
      );
    }
    if (problems.length === 0) return [];
    return [
      {
        severity: 'critical',
        title: 'flannel interfaces outside the node subnet',
        message:
          `On ${node}: ${problems.join('; ')}${form ? ` (the "${form}" of a flannel reinstalled over old state)` : ''}. Pods get addresses other nodes do not route to this node, so cross-node pod traffic is lost.` +
          (haveIpAddr ? '' : ' The addresses of flannel.1 and cni0 were not checked: the bundle has no ip addr output.'),
        impact: 'Pods on this node cannot reach pods on other nodes, or reach the wrong node.',
        evidence,
        facts: { form, subnet: env.subnet.value, network: env.network?.value, outside, interfacesChecked: haveIpAddr },
        remedy: flannelRemedy(node, artifacts.logs),
      },
    ];
  },
});
