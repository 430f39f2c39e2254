/** Chain owners the report's rule-set summary shows: named after the project whose conventions the chain follows. */
import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../src/netfilter/rules.js';

describe('ownerOf', () => {
  it.each([
    ['FORWARD', 'filter', 'system'],
    ['DOCKER-FORWARD', 'filter', 'docker'],
    ['KUBE-FIREWALL', 'filter', 'kubelet'],
    ['KUBE-SERVICES', 'nat', 'kube-proxy'],
    ['KUBE-SVC-NPX46M4PTMTKRN6Y', 'nat', 'kube-proxy'],
    // kube-router's policy controller (k3s, k0s): its chains start with KUBE- too
    ['KUBE-ROUTER-INPUT', 'filter', 'kube-router'],
    ['KUBE-ROUTER-FORWARD', 'filter', 'kube-router'],
    ['KUBE-NWPLCY-DEFAULT', 'filter', 'kube-router'],
    ['KUBE-POD-FW-4DUMRSAYAXBW4DBB', 'filter', 'kube-router'],
    ['FLANNEL-POSTRTG', 'nat', 'flannel'],
    ['cali-FORWARD', 'filter', 'calico'],
    ['WEAVE-NPC-EGRESS', 'filter', 'weave'],
    ['WEAVE', 'nat', 'weave'],
    ['AWS-SNAT-CHAIN-0', 'nat', 'aws-vpc-cni'],
    ['AWS-CONNMARK-CHAIN-0', 'mangle', 'aws-vpc-cni'],
    ['OVN-KUBE-NODEPORT', 'nat', 'ovn-kubernetes'],
    ['CNI-HOSTPORT-DNAT', 'nat', 'cni'],
  ])('%s (%s) is %s', (chain, table, owner) => {
    expect(ownerOf(chain, table)).toBe(owner);
  });
});
