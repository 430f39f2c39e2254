/**
 * Docker 28+'s protection of container addresses against direct access (moby#49325), recognised in
 * one place for every analyzer that meets it (iptables.direct-routing-dropped checks the inbound
 * path, iptables.forward-blocks-containers the reply path):
 *
 *   28.0.x / 28.1.x  raw PREROUTING `-d <ctr>/32 ! -i <bridge> -p tcp -m tcp --dport <port> -j DROP` (per published port)
 *   28.2+            raw PREROUTING `-d <ctr>/32 ! -i <bridge> -j DROP` (per container, moby#49829)
 *   (subnet-wide)    raw PREROUTING `-d <subnet> ! -i <bridge> -j DROP`
 *   29 (nftables)    `table ip docker-bridges` chain raw-PREROUTING:
 *                    `ip daddr <ctr> iifname != { <bridge>, <trusted>... } ... drop comment "DROP DIRECT ACCESS"`
 */
import type { Rule } from '../../src/netfilter/rules.js';
import type { TraceStep } from '../../src/netfilter/trace.js';
import type { NftRule, NftValue } from '../../src/nft/model.js';
import { addressIn, formatCidr, parseCidr } from '../../src/parsers/cidr.js';

/** What one of Docker's direct-access DROPs protects. */
export interface DirectAccessShape {
  /** the container's address (the subnet's network address for the subnet-wide form) */
  ip: string;
  /** the destination as the rule has it: 10.1.215.5/32, or a subnet */
  dst: string;
  /** the bridge it alone lets in */
  bridge: string;
  /** Docker 28.0 / 28.1: one rule per published port */
  protocol?: string;
  port?: number;
  form: 'per-port' | 'per-container' | 'subnet' | 'nft';
  /** nft only: the other interfaces of the `iifname !=` set (trusted_host_interfaces) */
  trusted?: string[];
}

/**
 * An iptables rule of Docker's direct-access shape: `-d <ctr>[/32] ! -i <bridge> [-p tcp -m tcp --dport N] -j DROP`,
 * as Docker writes it (no source, no out-interface, no other match). The caller checks it is in raw PREROUTING.
 */
export function dockerDirectAccessShape(r: Rule): DirectAccessShape | undefined {
  if (r.target !== 'DROP' || !r.destination || r.destination.negated || !r.inInterface?.negated || r.source || r.outInterface) return undefined;
  if (r.matches.some((m) => !['tcp', 'udp', 'sctp'].includes(m.module) || m.options.some((o) => o.name !== 'dport' || o.negated))) return undefined;
  const c = parseCidr(r.destination.value);
  if (!c || c.family !== 4) return undefined;
  const protocol = r.protocol && !r.protocol.negated ? r.protocol.value : undefined;
  if (protocol && !['tcp', 'udp', 'sctp'].includes(protocol)) return undefined;
  const dport = r.matches.flatMap((m) => m.options).find((o) => o.name === 'dport')?.value;
  if (dport !== undefined && !/^\d{1,5}$/.test(dport)) return undefined;
  const host = c.prefix === 32;
  return {
    ip: host ? r.destination.value.split('/')[0] : formatCidr(c).split('/')[0],
    dst: formatCidr(c),
    bridge: r.inInterface.value,
    protocol: dport !== undefined ? protocol : undefined,
    port: dport !== undefined ? Number(dport) : undefined,
    form: !host ? 'subnet' : dport !== undefined ? 'per-port' : 'per-container',
  };
}

/** Docker's bridge names: docker0, a user-defined network's br-<12 hex>, Swarm's docker_gwbridge. */
const DOCKER_BRIDGE = /^(docker\d*|docker_gwbridge|br-[0-9a-f]{12})$/;

/**
 * An nft rule of the shape Docker 29 writes in `ip docker-bridges` raw-PREROUTING:
 * `ip daddr <ctr> iifname != { "<bridge>", "<trusted>"... } ... drop`. `bridges` are the names Docker's
 * networks are known by (a listing may sort the set: the bridge is the one Docker knows, or one by its name).
 */
export function dockerDirectAccessNftShape(r: NftRule, bridges: Set<string>): DirectAccessShape | undefined {
  if (r.verdict?.kind !== 'drop') return undefined;
  let dst: string | undefined;
  let names: string[] = [];
  let protocol: string | undefined;
  let port: number | undefined;
  for (const e of r.exprs) {
    if (e.kind !== 'match') continue;
    if (e.key === 'ip daddr' && e.op === '==' && e.value.kind === 'value') dst = e.value.value;
    else if (e.key === 'iifname' && e.op === '!=') names = valuesOf(e.value);
    else if (/^(tcp|udp|sctp) dport$/.test(e.key) && e.op === '==' && e.value.kind === 'value' && /^\d+$/.test(e.value.value)) {
      protocol = e.key.split(' ')[0];
      port = Number(e.value.value);
    }
  }
  const c = dst ? parseCidr(dst) : undefined;
  if (!c || c.family !== 4 || names.length === 0) return undefined;
  const bridge = names.find((n) => bridges.has(n)) ?? names.find((n) => DOCKER_BRIDGE.test(n)) ?? names[0];
  return { ip: formatCidr(c).split('/')[0], dst: formatCidr(c), bridge, protocol, port, form: 'nft', trusted: names.filter((n) => n !== bridge) };
}

function valuesOf(v: NftValue): string[] {
  if (v.kind === 'value') return [v.value];
  if (v.kind === 'set') return v.elements.flatMap(valuesOf);
  return [];
}

/**
 * Whether a traced step is Docker's direct-access DROP protecting an address of `cidr` for `bridge`:
 * an iptables rule (`rule`, the step's) of that shape in raw PREROUTING, or a drop in raw-PREROUTING of
 * Docker's own nftables table.
 */
export function isDockerDirectAccessStep(step: TraceStep, rule: Rule | undefined, bridge: string, cidr: string): boolean {
  if (step.nft) return step.nft.table === 'docker-bridges' && step.chain === 'raw-PREROUTING';
  if (step.table !== 'raw' || step.chain !== 'PREROUTING' || !rule) return false;
  const shape = dockerDirectAccessShape(rule);
  return !!shape && shape.bridge === bridge && addressIn(shape.ip, cidr);
}
