/**
 * The host's own firewall, for rules Docker does not write (--iptables=false, --ip-masq=false):
 * which service restores them at boot, and how to keep hand-written ones there.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { findService, isActive, isEnabled } from '../../src/parsers/services.js';
import { liveTables, liveViews6 } from './node-view.js';
import { ufwRulesFile } from '../../src/layouts/rules.js';

/** Which service restores the host's own firewall rules at boot: ufw, RHEL's iptables.service, Debian's netfilter-persistent. */
export type HostFirewall = 'ufw' | 'iptables-services' | 'netfilter-persistent' | 'unknown';

export function hostFirewall(artifacts: NodeArtifacts): HostFirewall {
  // ufw's chains: ufw-* in iptables, ufw6-* in ip6tables
  const chains = [...(liveTables(artifacts).get('filter')?.keys() ?? []), ...(liveViews6(artifacts)[0]?.tables.get('filter')?.keys() ?? [])];
  if (chains.some((c) => /^ufw6?-/.test(c))) return 'ufw';
  const on = (unit: string) => {
    const st = findService(artifacts.services ?? [], unit);
    return !!(isActive(st) ?? isEnabled(st));
  };
  if (on('ufw')) return 'ufw';
  // `ufw status` saying active; saying inactive, ufw keeps nothing at boot whatever its files say
  const ufwSaid = (artifacts.ufwStatus ?? []).map((u) => u.status?.value).filter((v) => v !== undefined);
  if (ufwSaid.includes('active')) return 'ufw';
  // ufw's saved files (etc/ufw/before.rules, after.rules, ...: read as saved configurations), where no other
  // firewall service is shown and nothing says ufw is off: Ubuntu ships them with ufw installed but disabled,
  // so a ufw unit listed as neither active nor enabled, or `ufw status` inactive, outweighs them
  const ufwFiles = (artifacts.iptables ?? []).some((r) => r.origin === 'saved-config' && ufwRulesFile(r.file));
  const ufwListedOff = findService(artifacts.services ?? [], 'ufw').length > 0 || ufwSaid.includes('inactive');
  if (on('iptables') || (artifacts.iptables ?? []).some((r) => r.origin === 'saved-config' && /(^|\/)etc\/sysconfig\/iptables$/.test(r.file))) return 'iptables-services';
  if (on('netfilter-persistent') || (artifacts.iptables ?? []).some((r) => r.origin === 'saved-config' && /(^|\/)etc\/iptables\/rules\.v4$/.test(r.file))) return 'netfilter-persistent';
  if (ufwFiles && !ufwListedOff) return 'ufw';
  return 'unknown';
}

/**
 * How to keep hand-written rules (`-A CHAIN spec` lines of one table) across a reboot or a firewall
 * reload, when Docker does not write them (--iptables=false, ip-masq=false). Only these lines go
 * into the configuration: with Docker writing no rules, the live set holds none of Docker's chains,
 * so netfilter-persistent may save it whole.
 */
export function persistHandWritten(fw: HostFirewall, table: string, lines: string[]): string[] {
  // ufw's FORWARD is its own chains': ufw-before-forward is where before.rules adds to it
  const ufwLines = table === 'filter' ? lines.map((l) => l.replace(/^-A FORWARD /, '-A ufw-before-forward ')) : lines;
  const ufw =
    table === 'nat'
      ? [`# ufw: at the top of /etc/ufw/before.rules (before its *filter section), then: ufw reload`, '#   *nat', '#   :POSTROUTING ACCEPT [0:0]', ...ufwLines.map((l) => `#   ${l}`), '#   COMMIT']
      : [`# ufw: in /etc/ufw/before.rules, in the *${table} section (before its COMMIT), then: ufw reload`, ...ufwLines.map((l) => `#   ${l}`)];
  const rhel = [`# iptables.service (RHEL): add to the *${table} section of /etc/sysconfig/iptables, above its final REJECT rules (do not run "service iptables save" unless the live rules are only yours):`, ...lines.map((l) => `#   ${l}`)];
  const debian = ['netfilter-persistent save   # Debian/Ubuntu iptables-persistent: Docker writes no rules here, so the live rules are all the host\'s own'];
  switch (fw) {
    case 'ufw':
      return ufw;
    case 'iptables-services':
      return rhel;
    case 'netfilter-persistent':
      return debian;
    default:
      return ['# persist them where the host firewall keeps its rules, one of:', ...ufw, ...rhel, `# Debian/Ubuntu with iptables-persistent: ${debian[0]}`];
  }
}

/**
 * How to keep rules added with `nft insert` in a native nftables chain: the rule text, placed in
 * the chain's block of the configuration the nftables service loads (Debian/Ubuntu /etc/nftables.conf;
 * RHEL /etc/sysconfig/nftables.conf and the files it includes). Never a reload of that file while
 * Docker or kube-proxy run: the stock file starts with `flush ruleset`, which deletes every table,
 * theirs included.
 */
export function persistNft(family: string, table: string, chain: string, where: string, rules: string[]): string[] {
  return [
    `# persist: in the file the nftables service loads (/etc/nftables.conf on Debian/Ubuntu; /etc/sysconfig/nftables.conf or a file it includes on RHEL), in table ${family} ${table}, chain ${chain}, ${where}:`,
    ...rules.map((r) => `#   ${r.replace(/\s+#.*$/, '')}`),
    '# the rules inserted above already apply: do not load that file now (nft -f, systemctl reload nftables) while Docker or kube-proxy run if it runs "flush ruleset" (grep -n "flush ruleset" it first; RHEL\'s reload flushes the ruleset itself), and never stop or restart nftables.service then: its ExecStop runs nft flush ruleset, which deletes their tables too',
  ];
}

/**
 * The caution that goes with rules added by hand on top of Docker's: where to keep them across a
 * reboot for the firewall the bundle shows, and never a save of the live rules (they hold Docker's
 * and Kubernetes' chains, restored stale at boot). ufw keeps its own rules: /etc/sysconfig/iptables
 * means nothing on an Ubuntu host.
 */
export function persistCaution(fw: HostFirewall, family: 4 | 6 = 4): string {
  const v6 = family === 6;
  const save = "do not save the live rules into it: they hold Docker's chains (see iptables.service-conflict)";
  switch (fw) {
    case 'ufw':
      return `Persist only these rules, through ufw: as -A ufw-before-forward lines (-A ufw-before-input for INPUT) in the *filter section of ${v6 ? '/etc/ufw/before6.rules' : '/etc/ufw/before.rules'}, or as ufw route / ufw allow rules, then ufw reload; ${save}.`;
    case 'iptables-services':
      return `Persist only these rules: add them by hand to ${v6 ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables'}, above its final REJECT rules; ${save} (no "service iptables save").`;
    case 'netfilter-persistent':
      return `Persist only these rules: add them by hand to ${v6 ? '/etc/iptables/rules.v6' : '/etc/iptables/rules.v4'}; ${save} (no "netfilter-persistent save" while Docker runs).`;
    default:
      return `Persist only these rules where your firewall keeps its configuration (add them by hand to ${v6 ? '/etc/sysconfig/ip6tables or /etc/iptables/rules.v6' : '/etc/sysconfig/iptables or /etc/iptables/rules.v4'}, firewalld direct rules, or ufw's ${v6 ? 'before6.rules' : 'before.rules'}); ${save}.`;
  }
}
