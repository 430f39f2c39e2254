/**
 * iptables.service-conflict: iptables.service or firewalld is enabled on a host running Docker or
 * kubelet. At every (re)start it flushes the live rules and restores its own, and the rules Docker
 * and Kubernetes added are gone (seeds 000, 004).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { allRules } from '../src/netfilter/rules.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { dockerPresence, hasKubernetes } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';

export default defineAnalyzer({
  id: 'iptables.service-conflict',
  title: 'A firewall service will wipe container rules',
  description: 'iptables.service or firewalld is enabled/active on a Docker or Kubernetes host.',
  scope: 'node',
  requires: ['services'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'logs', 'dockerDaemon'],
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts).evidence;
    const kube = hasKubernetes(artifacts);
    if (docker.length === 0 && !kube) return [];
    const findings = [];
    for (const unit of ['iptables', 'ip6tables', 'firewalld', 'netfilter-persistent']) {
      const states = findService(artifacts.services, unit);
      const on = isActive(states) ?? isEnabled(states);
      if (!on) continue;
      const evidence: Evidence[] = states.map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit}: ${s.enabled ?? ''}${s.active ? ` ${s.active}` : ''}`.trim() }));
      const saved = (artifacts.iptables ?? []).filter((r) => r.origin === 'saved-config');
      const dockerInSaved = saved.flatMap((rs) => allRules(rs).filter((r) => /DOCKER|KUBE-/.test(r.chain) || /DOCKER|KUBE-/.test(r.target ?? '')));
      for (const r of dockerInSaved.slice(0, 3)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'the saved configuration holds container rules: restoring them later goes stale' });
      const savedReject = saved.flatMap((rs) => allRules(rs).filter((r) => r.target === 'REJECT' && (r.chain === 'INPUT' || r.chain === 'FORWARD')));
      for (const r of savedReject.slice(0, 2)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'restored at every start: blocks container traffic' });
      evidence.push(...[...docker.slice(0, 1), ...(kube ? [kube] : [])]);
      evidence.push(...logEvidence(artifacts.logs, ['log.firewall-restart'], 4));
      const firewalld = unit === 'firewalld';
      findings.push({
        severity: 'warning' as const,
        title: 'A firewall service will wipe container rules',
        message:
          `${unit}.service is ${isActive(states) ? 'active' : 'enabled'} on ${node}, a ${docker.length ? 'Docker' : ''}${docker.length && kube ? ' and ' : ''}${kube ? 'Kubernetes' : ''} host. ` +
          (firewalld
            ? 'Each firewalld restart or reload rebuilds its rules and removes the ones Docker and Kubernetes added at run time.'
            : `At every start it flushes all rules and restores ${'/etc/sysconfig/iptables'}; the rules Docker and Kubernetes added are lost and Docker does not re-create them.`) +
          (dockerInSaved.length ? ' Its saved configuration even contains container rules, which will be stale when restored.' : ''),
        impact: 'The next firewall restart (or a reboot order race) breaks container networking until docker and the node service are restarted.',
        evidence,
        facts: { unit: `${unit}.service`, savedContainerRules: dockerInSaved.length },
        remedy: firewalld
          ? {
              summary: 'Keep firewalld but let it own only the host rules: put container bridges in the trusted (or docker) zone, and restart docker after any firewalld reload.',
              commands: ['firewall-cmd --permanent --zone=trusted --add-interface=docker0', 'firewall-cmd --permanent --zone=trusted --add-interface=cni0', 'firewall-cmd --reload && systemctl restart docker'],
              caution: 'Restarting docker restarts every container on the node.',
            }
          : {
              summary: 'Stop iptables.service from managing the live rules (seed 000), or keep its configuration limited to host rules and restart docker and the node service after every restart of it.',
              commands: [`systemctl disable --now ${unit}.service`, `systemctl mask ${unit}.service`, 'systemctl restart docker'],
              caution: 'Restarting docker restarts every container on the node; in OpenShift also restart the node service.',
            },
      });
    }
    return findings;
  },
});
