/**
 * Remedy commands that change a kernel parameter for good: the files of the bundle that set the
 * wrong value, edited where they sit on the host, a drop-in, `sysctl --system`, and a check.
 *
 * Why so careful: `sysctl --system` (procps) reads /etc/sysctl.d, /run/sysctl.d,
 * /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d (all files sorted by name, whatever
 * their folder) and /etc/sysctl.conf LAST, and systemd-sysctl at boot reads sysctl.conf through
 * the distributions' /etc/sysctl.d/99-sysctl.conf link, after 99-ip-forward.conf: a 0 left in
 * /etc/sysctl.conf wins over any drop-in. A key may be written `net.ipv4.ip_forward` or
 * `net/ipv4/ip_forward` (sysctl.conf(5)), with sysctl.d's `-` prefix: the edit must match all.
 */
import type { SysctlConfigFile, SysctlValue } from '../../src/parsers/sysctl.js';

/** The folders `sysctl --system` reads, and /etc/sysctl.conf: where a stray setting can hide. */
export const SYSCTL_CONFIG_PLACES = ['/etc/sysctl.conf', '/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

/**
 * Where a configuration file of the bundle sits on the host, when its path says it: sos and
 * hand-made copies keep `etc/sysctl.d/<name>.conf` (under any prefix); a `sysctl.conf` outside a
 * sysctl.d folder (a hand-made folder's top, troubleshoot's copy collector) can only be
 * /etc/sysctl.conf, the one sysctl.conf sysctl reads. Undefined for a file whose folder is unknown
 * (`sysctl.d/k8s.conf`, a sniffed `hardening.conf`).
 */
export function hostSysctlPath(bundleFile: string): string | undefined {
  const d = /(?:^|\/)(etc|run|usr\/local\/lib|usr\/lib|lib)\/sysctl\.d\/([^/]+\.conf)$/.exec(bundleFile);
  if (d) return `/${d[1]}/sysctl.d/${d[2]}`;
  if (/(?:^|\/)sysctl\.conf$/.test(bundleFile) && !/(?:^|\/)sysctl\.d\/[^/]+$/.test(bundleFile)) return '/etc/sysctl.conf';
  return undefined;
}

/** An extended regular expression (sed -E, grep -E) for a line setting `key` to `value`, in either key form. */
export function sysctlLinePattern(key: string, value: string): string {
  const sep = '[./]';
  const parts = key.split('.').map((p) => p.split('/').map(ere).join(sep));
  return `^[[:space:]]*-?${parts.join(sep)}[[:space:]]*=[[:space:]]*${ere(value)}[[:space:]]*$`;
}

function ere(s: string): string {
  return s.replace(/[\\.[\]()*+?{}|^$]/g, (c) => `\\${c}`);
}

/** The configuration lines of the bundle that set `key` to `value` (every one: not only the one in force). */
export function configSetting(files: readonly SysctlConfigFile[] | undefined, key: string, value: string): SysctlValue[] {
  return (files ?? []).flatMap((f) => f.entries.filter((e) => e.key === key && e.value === value));
}

export interface SysctlPersistence {
  commands: string[];
  /** host paths edited */
  edited: string[];
  /** bundle files setting the wrong value whose place on the host the bundle does not show */
  unplaced: string[];
  /** one sentence for the summary */
  summary: string;
}

export interface SysctlSetting {
  key: string;
  want: string;
  wrong: string;
  /** the configuration lines of the bundle that set `wrong` */
  bad: readonly SysctlValue[];
}

/**
 * Commands that make `key = want` survive `sysctl --system` and a reboot: edit every file of the
 * bundle setting `wrong` (on its host path), write `dropIn`, check that no configuration file
 * still sets `wrong`, reload, and check the value.
 */
export function persistSysctl(opts: SysctlSetting & { dropIn: string; dropInLines?: string[] }): SysctlPersistence {
  return persistSysctls([opts], opts.dropIn, opts.dropInLines);
}

/** persistSysctl for several keys at once: one drop-in (`dropInLines`, else `key = want` each), one reload. */
export function persistSysctls(settings: readonly SysctlSetting[], dropIn: string, dropInLines?: string[]): SysctlPersistence {
  const edited: string[] = [];
  const unplaced: string[] = [];
  const seds: { host: string; command: string }[] = [];
  const words: string[] = [];
  const hardening: { host: string; key: string }[] = [];
  for (const { key, want, wrong, bad } of settings) {
    const pattern = sysctlLinePattern(key, wrong);
    const hosts: string[] = [];
    const lost: string[] = [];
    for (const b of bad) {
      const host = hostSysctlPath(b.ref.file);
      if (host === undefined) {
        if (!lost.includes(b.ref.file)) lost.push(b.ref.file);
      } else if (isHardeningFile(host)) {
        if (!hardening.some((h) => h.host === host && h.key === key)) hardening.push({ host, key });
      } else if (!hosts.includes(host)) hosts.push(host);
    }
    for (const host of hosts) {
      // sysctl.d files are often links (99-sysctl.conf -> ../sysctl.conf): sed -i would replace the link by a copy
      const target = host.includes('/sysctl.d/') ? `"$(readlink -f ${host})"` : host;
      seds.push({ host, command: `sed -i -E 's|${pattern}|${key} = ${want}|' ${target}` });
      if (!edited.includes(host)) edited.push(host);
    }
    for (const f of lost) {
      seds.push({ host: '', command: `# ${f} of the bundle sets ${key} = ${wrong} too, but the bundle does not show where that file sits on the host: the grep below finds it; change it to ${want} by hand` });
      if (!unplaced.includes(f)) unplaced.push(f);
    }
    if (hosts.length) words.push(`change ${key} from ${wrong} to ${want} in ${hosts.join(', ')}`);
    if (lost.length) words.push(`${lost.join(', ')} of the bundle set${lost.length === 1 ? 's' : ''} ${key} = ${wrong} too, at a place on the host the bundle does not show: find ${lost.length === 1 ? 'it' : 'them'} (the grep) and change ${lost.length === 1 ? 'it' : 'them'} by hand`);
  }
  // /etc/sysctl.conf is read last: edit it last
  seds.sort((a, b) => Number(a.host === '/etc/sysctl.conf') - Number(b.host === '/etc/sysctl.conf'));
  const commands = seds.map((x) => x.command);
  const lines = dropInLines ?? settings.map((x) => `${x.key} = ${x.want}`);
  // a hardening file is left as it is (its tooling puts the value back): the drop-in must come after it
  const hardened = [...new Set(hardening.map((h) => h.host))];
  if (hardened.length > 0) dropIn = laterDropIn(dropIn, hardened.map(baseName));
  commands.push(lines.length === 1 ? `echo '${lines[0]}' > ${dropIn}` : `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${dropIn}`);
  const patterns = settings.map((x) => sysctlLinePattern(x.key, x.wrong));
  const greps = patterns.length === 1 ? `-RnE '${patterns[0]}'` : `-RnE ${patterns.map((p) => `-e '${p}'`).join(' ')}`;
  const keys = settings.map((x) => x.key);
  const excludes = [...new Set(hardened.map(baseName))].map((b) => `--exclude=${b} `).join('');
  commands.push(
    `grep ${excludes}${greps} ${SYSCTL_CONFIG_PLACES.join(' ')} 2>/dev/null   # must print nothing: a line it prints sets ${settings.map((x) => `${x.key} = ${x.wrong}`).join(' or ')} again at every reload and boot${hardened.length > 0 ? ` (${hardened.join(', ')} is left to its hardening tooling, overridden by ${dropIn})` : ''}`,
  );
  commands.push('sysctl --system');
  commands.push(`sysctl ${keys.join(' ')}   # must print ${settings.map((x) => `"${x.key} = ${x.want}"`).join(', ')}`);
  const wrongs = [...new Set(settings.map((x) => x.wrong))].join('/');
  if (hardened.length > 0) {
    const forwarding = hardening.some((h) => /(^|\.)forwarding$|ip_forward$/.test(h.key));
    words.unshift(
      `${hardened.join(', ')} look${hardened.length === 1 ? 's' : ''} like a hardening (CIS) file setting ${[...new Set(hardening.map((h) => `${h.key} = ${settings.find((x) => x.key === h.key)?.wrong}`))].join(', ')}: leave it as it is (the hardening tooling would put the value back) and override it with ${dropIn}, which sysctl reads after it; the host needs an exemption from that control (${forwarding ? "CIS's 'Ensure IP forwarding is disabled'" : 'the benchmark rule that sets it'}), since a container host must have ${[...new Set(hardening.map((h) => `${h.key} = ${settings.find((x) => x.key === h.key)?.want}`))].join(', ')}`,
    );
  }
  const summary =
    words.join('; ') +
    `${words.length ? ', then ' : ''}write ${dropIn}, reload with sysctl --system and check the value stays ${[...new Set(settings.map((x) => x.want))].join('/')} (/etc/sysctl.conf is applied after every sysctl.d file: a ${wrongs} left there wins over the drop-in)`;
  return { commands, edited, unplaced, summary };
}

/**
 * A sysctl.d file that hardening tooling writes (CIS benchmarks, STIG, "hardening", "security"
 * baselines): editing it does not last, since the tooling puts the value back at its next run
 * (moby/moby#47966: a CIS file's `net.ipv4.ip_forward = 0`). /etc/sysctl.conf is not one of them
 * here: it is read last, so only an edit fixes it.
 */
export function isHardeningFile(hostPath: string): boolean {
  return hostPath.includes('/sysctl.d/') && /(^|[-_.])(cis|stig|harden(ing|ed)?|security|secure|benchmark|compliance|baseline)([-_.]|$)/i.test(baseName(hostPath));
}

function baseName(path: string): string {
  return path.replace(/^.*\//, '');
}

/**
 * A drop-in name that sorts after every one of `names`: sysctl --system and systemd-sysctl apply
 * the files of all sysctl.d folders in the order of their names, the last one setting a key wins.
 * `99-ip-forward.conf` after `99-cis.conf` becomes `99-zz-ip-forward.conf`; after `zzz-stig.conf`,
 * `zzz-stig_ip-forward.conf`.
 */
export function laterDropIn(dropIn: string, names: readonly string[]): string {
  const dir = dropIn.slice(0, dropIn.length - baseName(dropIn).length);
  const own = baseName(dropIn).replace(/^\d+-/, '');
  const base = `99-zz-${own}`;
  const last = [...names].sort().pop();
  if (last === undefined || last < base) return dir + base;
  // after the last name: its stem, then "_" (after the "." of its ".conf")
  return `${dir}${last.replace(/\.conf$/, '')}_${own}`;
}

/**
 * The same persistence on a host whose /etc is owned by the Machine Config Operator (OpenShift 4,
 * RHCOS): a file written there by hand is not part of the rendered configuration, is reported as
 * drift and is lost when the node is re-provisioned. The drop-in goes into a MachineConfig (an
 * Ignition file, URL-encoded data) for the node's pool; the MCO drains and reboots the pool's
 * nodes one by one to apply it. A file of the bundle that sets the wrong value came from a
 * MachineConfig (or a Tuned profile): find it there rather than editing the node.
 */
export function persistSysctlsByMachineConfig(settings: readonly SysctlSetting[], dropIn: string, opts: { pool?: string; dropInLines?: string[] } = {}): SysctlPersistence {
  const pool = opts.pool ?? 'worker';
  const lines = opts.dropInLines ?? settings.map((x) => `${x.key} = ${x.want}`);
  const base = dropIn.replace(/^.*\//, '').replace(/\.conf$/, '');
  const name = `99-${pool}-${base.replace(/^\d+-/, '')}`;
  const data = encodeURIComponent(lines.join('\n') + '\n');
  const bad = settings.flatMap((s) => s.bad.map((b) => b.ref.file));
  const commands = [
    `cat > ${name}.yaml <<'EOF'`,
    'apiVersion: machineconfiguration.openshift.io/v1',
    'kind: MachineConfig',
    'metadata:',
    `  name: ${name}`,
    '  labels:',
    `    machineconfiguration.openshift.io/role: ${pool}`,
    'spec:',
    '  config:',
    '    ignition:',
    '      version: 3.2.0',
    '    storage:',
    '      files:',
    `      - path: ${dropIn}`,
    '        mode: 420',
    '        overwrite: true',
    '        contents:',
    `          source: data:,${data}`,
    'EOF',
    `oc apply -f ${name}.yaml   # the Machine Config Operator rolls it out to the ${pool} pool, draining and rebooting one node at a time`,
    ...(bad.length ? [`oc get machineconfig -o yaml | grep -n 'sysctl'   # ${[...new Set(bad)].join(', ')} of the bundle set${bad.length === 1 ? 's' : ''} ${settings.map((s) => `${s.key} = ${s.wrong}`).join(' / ')}: change it in the MachineConfig (or Tuned profile) that writes it, not on the node`] : []),
    `oc get machineconfigpool ${pool}   # wait for UPDATED=True, then check on the node: sysctl ${settings.map((s) => s.key).join(' ')}`,
  ];
  return {
    commands,
    edited: [],
    unplaced: [...new Set(bad)],
    summary: `on RHCOS the host configuration belongs to the Machine Config Operator: put ${dropIn} in a MachineConfig for the ${pool} pool (not a file written on the node, which the MCO reports as drift and a re-provisioned node loses)`,
  };
}
