/**
 * iptables.service-conflict: iptables.service, ip6tables.service, netfilter-persistent or firewalld
 * is enabled on a host running Docker or kubelet. At every (re)start it flushes the live rules and
 * restores its own, and the rules Docker and Kubernetes added are gone (seeds 000, 004).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { allRules } from '../src/netfilter/rules.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { dockerPresence, hasKubernetes } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';
import { dockerRestartOf, restartDocker } from './lib/node-services.js';

/**
 * What each firewall unit restores at start: the saved files (default paths first, the ones found
 * in the bundle named instead when present), how to recognise them in the bundle, which rules.
 */
interface FirewallUnit {
  unit: string;
  /** the files it restores, as the message names them */
  files: string[];
  /** a saved configuration in the bundle that this unit restores */
  restores?: RegExp;
  /** IPv4, IPv6 or both */
  families: string;
}

const UNITS: FirewallUnit[] = [
  { unit: 'iptables', files: ['/etc/sysconfig/iptables'], restores: /(^|\/)(sysconfig\/iptables|iptables\/iptables\.rules)$/, families: 'IPv4' },
  { unit: 'ip6tables', files: ['/etc/sysconfig/ip6tables'], restores: /(^|\/)(sysconfig\/ip6tables|iptables\/ip6tables\.rules)$/, families: 'IPv6' },
  { unit: 'firewalld', files: [], families: 'IPv4 and IPv6' },
  { unit: 'netfilter-persistent', files: ['/etc/iptables/rules.v4', '/etc/iptables/rules.v6'], restores: /(^|\/)rules\.v[46]$/, families: 'IPv4 and IPv6' },
];

export default defineAnalyzer({
  id: 'iptables.service-conflict',
  title: 'A firewall service will wipe container rules',
  description: 'iptables.service, ip6tables.service, netfilter-persistent or firewalld is enabled/active on a Docker or Kubernetes host.',
  scope: 'node',
  requires: ['services'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'logs', 'dockerDaemon'],
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts).evidence;
    const kube = hasKubernetes(artifacts);
    if (docker.length === 0 && !kube) return [];
    // how dockerd runs here: docker.service, rootless, the snap, or a unit the listing does not name
    const dockerRestart = dockerRestartOf(artifacts);
    const restart = restartDocker({ dockerRestart });
    const findings = [];
    for (const fw of UNITS) {
      const { unit } = fw;
      const states = findService(artifacts.services, unit);
      const on = isActive(states) ?? isEnabled(states);
      if (!on) continue;
      const service = on.unit;
      const evidence: Evidence[] = states.map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit}: ${s.enabled ?? ''}${s.active ? ` ${s.active}` : ''}`.trim() }));
      // only the saved files this unit restores: /etc/sysconfig/iptables says nothing about netfilter-persistent
      const saved = (artifacts.iptables ?? []).filter((r) => r.origin === 'saved-config' && !!fw.restores?.test(r.file));
      const dockerInSaved = saved.flatMap((rs) => allRules(rs).filter((r) => /DOCKER|KUBE-/.test(r.chain) || /DOCKER|KUBE-/.test(r.target ?? '')));
      for (const r of dockerInSaved.slice(0, 3)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'the saved configuration holds container rules: restoring them later goes stale' });
      const savedReject = saved.flatMap((rs) => allRules(rs).filter((r) => r.target === 'REJECT' && (r.chain === 'INPUT' || r.chain === 'FORWARD')));
      for (const r of savedReject.slice(0, 2)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'restored at every start: blocks container traffic' });
      evidence.push(...[...docker.slice(0, 1), ...(kube ? [kube] : [])]);
      evidence.push(...logEvidence(artifacts.logs, ['log.firewall-restart'], 4));
      const firewalld = unit === 'firewalld';
      // the saved files in the bundle name the paths on this host (Arch keeps /etc/iptables/iptables.rules)
      const files = savedFiles(fw, saved.map((r) => r.file));
      const restores = files.join(' and ');
      const host = `a ${docker.length ? 'Docker' : ''}${docker.length && kube ? ' and ' : ''}${kube ? 'Kubernetes' : ''} host`;
      const who = fw.families === 'IPv6' ? 'the IPv6 rules Docker and Kubernetes added' : 'the rules Docker and Kubernetes added';
      findings.push({
        severity: 'warning' as const,
        title: 'A firewall service will wipe container rules',
        message:
          `${service} is ${isActive(states) ? 'active' : 'enabled'} on ${node}, ${host}. ` +
          (firewalld
            ? 'Each firewalld restart or reload rebuilds its rules and removes the ones Docker and Kubernetes added at run time.'
            : unit === 'netfilter-persistent'
              ? `At every start (boot, or "netfilter-persistent reload") it restores ${restores} with iptables-restore, which replaces every table those files hold: ${who} to those tables are lost and Docker does not re-create them.`
              : `At every start it flushes all ${fw.families} rules and restores ${restores}; ${who} are lost and Docker does not re-create them.`) +
          (dockerInSaved.length ? ' Its saved configuration even contains container rules, which will be stale when restored.' : ''),
        impact: 'The next firewall restart (or a reboot order race) breaks container networking until docker and the node service are restarted.',
        evidence,
        facts: { unit: service, savedContainerRules: dockerInSaved.length, ...(firewalld ? {} : { restores: files }) },
        remedy: firewalld
          ? {
              summary: 'Keep firewalld but let it own only the host rules: put container bridges in the trusted (or docker) zone, and restart docker after any firewalld reload.',
              commands: [
                'firewall-cmd --permanent --zone=trusted --add-interface=docker0',
                'firewall-cmd --permanent --zone=trusted --add-interface=cni0',
                ...(dockerRestart.how === 'docker.service' ? [`firewall-cmd --reload && ${dockerRestart.command}`] : ['firewall-cmd --reload', ...restart]),
              ],
              caution: 'Restarting docker restarts every container on the node.',
            }
          : {
              summary:
                `Stop ${service} from managing the live rules (seed 000), or keep ${restores} limited to host rules` +
                (unit === 'netfilter-persistent' ? ' (no DOCKER or KUBE- chains: never run "netfilter-persistent save" while Docker runs)' : '') +
                ` and restart docker and the node service after every restart of ${service}.`,
              commands: [
                `systemctl disable ${service}   # not --now: stopping it runs its stop action now`,
                `systemctl mask ${service}`,
                // restarting docker restarts every container: only where its chains are gone already
                ...restart.map((c) => (!c.startsWith('#') && /\brestart\b/.test(c.split('#')[0]) ? `iptables -t nat -nL DOCKER >/dev/null 2>&1 || ${c}   # only if its last start already removed Docker's chains (iptables.docker-chain-missing)` : c)),
              ],
              caution:
                `Do not stop ${service} now (systemctl stop, disable --now): its stop action flushes every rule of its tables and sets the policies to ACCEPT (RHEL's iptables.init; ufw and netfilter-persistent with flushing on stop do the same), which removes the host firewall and Docker's and Kubernetes' rules at once. Disabled, it is simply not started at the next boot. ` +
                `Restarting docker restarts every container on the node; in OpenShift also restart the node service.${files.length ? ` Without ${service} the host rules of ${restores} are not restored at boot: move them to the firewall that will keep them (firewalld with the docker zone, an nftables table of their own, DOCKER-USER for container traffic) before the next reboot.` : ''}`,
            },
      });
    }
    return findings;
  },
});

/** The files a unit restores: those found in the bundle (as absolute paths), else its default ones. */
function savedFiles(fw: FirewallUnit, found: string[]): string[] {
  const inBundle = [...new Set(found.map((f) => {
    const m = /(?:^|\/)(etc\/.*)$/.exec(f);
    return m ? `/${m[1]}` : undefined;
  }).filter((f): f is string => f !== undefined))];
  if (inBundle.length === 0) return fw.files;
  // netfilter-persistent restores rules.v6 too when it exists; name the defaults the bundle does not show
  return [...inBundle, ...fw.files.filter((d) => !inBundle.includes(d) && !inBundle.some((b) => b.endsWith('.rules')))].sort();
}
