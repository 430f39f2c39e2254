/**
 * The distribution told by the layout's paths reaches the analyzers through the loader: a folder
 * with k3s's paths and no unit states gets k3s's restart command, not kubelet's.
 */
import { expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

it('k3s by its paths, end to end: the remedy restarts k3s-agent', async () => {
  const r = await analyzeBundle(writeFolder({
    'sysctl.txt': 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.conf.all.rp_filter = 1\n',
    'var/lib/rancher/k3s/agent/etc/flannel/net-conf.json': '{\n  "Network": "10.42.0.0/16",\n  "Backend": {\n  "Type": "vxlan"\n}\n}\n',
    'journalctl_-u_k3s-agent.txt': 'Dec 01 09:14:07 node-a systemd[1]: Started Lightweight Kubernetes.\n',
  }, 'k3s-paths'));
  const f = r.findings.find((x) => x.id === 'sysctl.ip-forward-disabled')!;
  expect(f.remedy.commands).toContain('systemctl restart k3s-agent');
  expect(f.remedy.commands.join('\n')).not.toMatch(/restart kubelet/);
});
