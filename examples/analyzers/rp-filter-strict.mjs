// An external analyzer: run it with `bundle-doctor analyze bundle.tgz --analyzers examples/analyzers`.
// It flags strict reverse-path filtering on container hosts. The kernel applies the larger of
// net.ipv4.conf.all.rp_filter and the interface's own value, so `all = 1` makes every interface
// strict: replies that come back on another interface than the route to their source (multi-homed
// nodes, overlay + host networks) are dropped silently.
import { defineAnalyzer, sysctlValue } from 'bundle-doctor';

export default defineAnalyzer({
  id: 'sysctl.rp-filter-strict',
  title: 'Strict reverse-path filtering on a container host',
  description: 'net.ipv4.conf.all.rp_filter = 1 drops asymmetrically routed packets on every interface.',
  scope: 'node',
  requires: ['sysctl'],
  analyze({ node, artifacts }) {
    const all = sysctlValue(artifacts.sysctl, 'net.ipv4.conf.all.rp_filter');
    if (!all || all.value !== '1') return [];
    const bridged = sysctlValue(artifacts.sysctl, 'net.bridge.bridge-nf-call-iptables');
    if (!bridged) return []; // br_netfilter not loaded: nothing says this node runs containers
    return [
      {
        severity: 'info',
        title: 'Strict reverse-path filtering on a container host',
        message: `net.ipv4.conf.all.rp_filter is 1 on ${node}: every interface filters strictly, so packets that arrive on another interface than the route back to their source are dropped without a log line.`,
        evidence: [{ file: all.ref.file, line: all.ref.line, excerpt: all.excerpt }],
        remedy: {
          summary: 'Use loose mode (2) unless strict mode is a deliberate policy, and persist it.',
          commands: ['sysctl -w net.ipv4.conf.all.rp_filter=2', "echo 'net.ipv4.conf.all.rp_filter = 2' > /etc/sysctl.d/90-rp-filter.conf"],
        },
      },
    ];
  },
});
