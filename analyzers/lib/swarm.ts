/**
 * Docker Swarm on a node, read from what the bundle shows, each sign with its {file,line}:
 * - docker info's `Swarm: active` (or `locked`); `Swarm: inactive` says the node is NOT in a Swarm and
 *   outweighs the leftovers below (docker_gwbridge stays after `docker swarm leave`);
 * - Swarm's bridge docker_gwbridge, in the rules (`-i/-o docker_gwbridge`) or in ip addr;
 * - the `ingress` overlay network (docker network inspect);
 * - Swarm's DOCKER-INGRESS chain (nat or filter);
 * - dockerd's log lines of the Swarm / overlay subsystems (networkdb's gossip, memberlist: log.swarm-peer-unreachable);
 * - docker service ls (only a manager answers it).
 *
 * Published services (the routing mesh): docs.docker.com ("Use overlay networks") says `docker swarm init`
 * and `docker swarm join` create the `ingress` overlay and docker_gwbridge on every node, so those two are
 * Swarm signs, not signs of a published service. libnetwork's service_linux.go (moby/moby,
 * libnetwork/service_linux.go: addLBBackend -> addIngressPorts -> initIngressConfiguration) creates
 * DOCKER-INGRESS in the nat AND the filter table, the nat jumps from PREROUTING/OUTPUT and the filter
 * `-j DOCKER-INGRESS` jump from FORWARD in one function, only when the ingress sandbox gets the first
 * backend of a service that publishes a port in ingress mode. So a Swarm node where no service publishes
 * a port has no DOCKER-INGRESS in either table (healthy); nat DOCKER-INGRESS without the filter one is the
 * 17.05.0-ce-rc2 regression (moby/moby#32918, #32916). Since Docker 28 the filter jump may sit in
 * DOCKER-FORWARD (moby's iptablesdoc swarm-portmap.md): reachability from FORWARD is what counts.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';
import { dockerEngine } from '../../src/parsers/docker-info.js';
import { ingressServices } from '../../src/parsers/docker-service-ls.js';
import { liveViews } from './node-view.js';

/** A port Swarm's published service takes on every node (the routing mesh). */
export interface PublishedPort {
  protocol: string;
  port: number;
  /** where the bundle shows it: nat DOCKER-INGRESS's DNAT, or docker service ls */
  evidence: Evidence;
  /** the ingress sandbox's address the nat rule sends it to (`--to-destination 172.18.0.2:8080`) */
  to?: string;
}

export interface SwarmView {
  /** every sign that the node is in a Swarm (at least one) */
  signs: Evidence[];
  /** signs that a service publishes a port through the routing mesh (nat DOCKER-INGRESS, docker service ls) */
  published: Evidence[];
  ports: PublishedPort[];
  /** docker_gwbridge's rules in the filter table */
  gwbridgeRules: Evidence[];
  /** the bundle's nat table (live, whole enough to list DOCKER-INGRESS) has no DOCKER-INGRESS chain */
  natWithoutIngress?: { file: string };
  /** docker service ls is in the bundle: what it lists is the Swarm's whole set of services */
  serviceList?: { file: string; ingress: number };
  /** docker info's Is Manager: true / false; a docker service ls answered (managers only): true */
  manager?: { value: boolean; evidence: Evidence };
}

const LOG_SIGNS = ['log.swarm-peer-unreachable'];

/** The node's Swarm, as the bundle shows it; undefined where nothing shows one or docker info says it is not in one. */
export function swarmOf(artifacts: NodeArtifacts): SwarmView | undefined {
  const engine = dockerEngine(artifacts.dockerDaemon);
  const said = engine?.swarm;
  if (said && /^(inactive|pending|error)$/i.test(said.value)) return undefined;
  const signs: Evidence[] = [];
  const published: Evidence[] = [];
  const ports: PublishedPort[] = [];
  const gwbridgeRules: Evidence[] = [];
  if (said && /^(active|locked)$/i.test(said.value)) signs.push({ file: said.ref.file, line: said.ref.line, excerpt: said.excerpt, note: `docker info: the node is in a Swarm (${said.value})` });
  let manager: SwarmView['manager'];
  if (engine?.swarmManager) manager = { value: engine.swarmManager.value, evidence: { file: engine.swarmManager.ref.file, line: engine.swarmManager.ref.line, excerpt: engine.swarmManager.excerpt, note: `docker info: ${engine.swarmManager.value ? 'a manager' : 'a worker'}` } };

  const view = liveViews(artifacts)[0];
  const filter = view?.tables.get('filter');
  const nat = view?.tables.get('nat');
  for (const c of filter?.values() ?? [])
    for (const r of c.rules)
      if (r.inInterface?.value === 'docker_gwbridge' || r.outInterface?.value === 'docker_gwbridge')
        gwbridgeRules.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: "a rule for docker_gwbridge, Swarm's bridge: the node is in a Swarm" });
  if (gwbridgeRules.length) signs.push(gwbridgeRules[0]);
  const gw = interfacesOf(artifacts.ipAddr ?? []).get('docker_gwbridge');
  if (gw) signs.push({ file: gw.ref.file, line: gw.ref.line, excerpt: `docker_gwbridge${gw.addresses[0] ? ` ${gw.addresses[0].cidr}` : ''}`, note: "docker_gwbridge, Swarm's bridge, exists" });
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks))
    if (n.name === 'ingress' && n.driver === 'overlay') signs.push({ file: n.ref.file, line: n.ref.line, excerpt: `network ingress (overlay${n.scope ? `, ${n.scope}` : ''})`, note: "Swarm's ingress network (the routing mesh)" });
  const filterIngress = filter?.get('DOCKER-INGRESS');
  if (filterIngress) signs.push({ file: filterIngress.ref.file, line: filterIngress.ref.line, excerpt: 'filter chain DOCKER-INGRESS', note: "Swarm's ingress chain: a service publishes (or published) a port" });
  const natIngress = nat?.get('DOCKER-INGRESS');
  let natWithoutIngress: { file: string } | undefined;
  if (natIngress) {
    const ev: Evidence = { file: natIngress.ref.file, line: natIngress.ref.line, excerpt: 'nat chain DOCKER-INGRESS', note: "Swarm's ingress chain in nat: Docker makes it with the first service that publishes a port" };
    signs.push(ev);
    for (const r of natIngress.rules) {
      if (r.target !== 'DNAT') continue;
      const m = /--dport\s+(\d+)/.exec(r.text);
      const proto = r.protocol?.value ?? 'tcp';
      if (!m) continue;
      ports.push({ protocol: proto, port: Number(m[1]), to: r.targetOptions['to-destination'], evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: `a Swarm service published on ${m[1]}/${proto} (the routing mesh sends it to the ingress sandbox)` } });
    }
    published.push(ports[0]?.evidence ?? ev);
  } else if (nat && view && !view.truncated.has('nat')) natWithoutIngress = { file: view.files.get('nat') ?? '' };
  const lists = artifacts.dockerServices ?? [];
  let serviceList: SwarmView['serviceList'];
  if (lists.length) {
    const ingress = ingressServices(lists);
    serviceList = { file: lists[0].file, ingress: ingress.length };
    const first = lists.flatMap((l) => l.services)[0];
    signs.push({ file: lists[0].file, line: first?.ref.line ?? 1, excerpt: first?.excerpt ?? 'docker service ls', note: 'docker service ls answered: a Swarm manager' });
    if (!manager) manager = { value: true, evidence: { file: lists[0].file, line: first?.ref.line ?? 1, excerpt: first?.excerpt ?? 'docker service ls', note: 'docker service ls answers only on a manager' } };
    for (const s of ingress) {
      const ev: Evidence = { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `service ${s.name} publishes ${s.ports.filter((p) => p.mode === 'ingress').map((p) => p.text).join(', ')} through the routing mesh` };
      published.push(ev);
      for (const p of s.ports) if (p.mode === 'ingress' && !ports.some((x) => x.port === p.publishedPort && x.protocol === p.protocol)) ports.push({ protocol: p.protocol, port: p.publishedPort, evidence: ev });
    }
  }
  for (const l of artifacts.logs ?? []) {
    const m = l.matches.find((x) => LOG_SIGNS.includes(x.signature));
    if (m) {
      signs.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: "dockerd's Swarm gossip (networkdb, memberlist) logs here" });
      break;
    }
  }
  if (signs.length === 0) return undefined;
  return { signs, published, ports, gwbridgeRules, ...(natWithoutIngress ? { natWithoutIngress } : {}), ...(serviceList ? { serviceList } : {}), ...(manager ? { manager } : {}) };
}

/**
 * H100: what proves that the node runs an encrypted overlay network (`docker network create --opt encrypted`):
 * - docker network inspect: an overlay network with `"encrypted"` in its Options (Docker encrypts on the key's
 *   presence: `--opt encrypted` stores `"encrypted": ""`, docker/docs#1078);
 * - Docker's rules for it (libnetwork drivers/overlay encryption): the mangle OUTPUT mark 0xd0c4e3 (13681891) on the
 *   VXLAN port (`-m u32` before Docker 23, `-m bpf` since), and filter INPUT's `-m policy --dir in --pol ipsec`
 *   ACCEPT / `--pol none` DROP of the VXLAN port (moby/moby#45635's iptables-save).
 * The VXLAN port those rules name is the Swarm's data path port (`docker swarm init --data-path-port`, 4789 by default).
 */
export interface EncryptedOverlay {
  /** the proving lines, the strongest first */
  evidence: Evidence[];
  /** the data path ports Docker's encrypted-overlay rules name, each with its first rule */
  dataPathPorts: { port: number; evidence: Evidence }[];
}

/** Docker's mark for VXLAN to encrypt: 0xd0c4e3 (iptables-save), 13681891 (dockerd's own `--set-mark`). */
const ENCRYPT_MARK = /--set-(?:x)?mark\s+(?:0xd0c4e3|13681891)\b/i;

export function encryptedOverlayOf(artifacts: NodeArtifacts): EncryptedOverlay | undefined {
  const evidence: Evidence[] = [];
  const dataPathPorts: EncryptedOverlay['dataPathPorts'] = [];
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks)) {
    if (n.driver !== 'overlay' || !('encrypted' in n.options)) continue;
    const at = n.optionRefs['encrypted'];
    evidence.push({ file: at?.ref.file ?? n.ref.file, line: at?.ref.line ?? n.ref.line, excerpt: at?.excerpt ?? `network ${n.name} (overlay, encrypted)`, note: `docker network inspect: the overlay network ${n.name} is encrypted (IPsec ESP between the nodes)` });
  }
  for (const v of liveViews(artifacts))
    for (const [table, chains] of v.tables)
      for (const c of chains.values())
        for (const r of c.rules) {
          const t = r.text;
          const port = /--dport\s+(\d+)/.exec(t);
          const mark = table === 'mangle' && r.target === 'MARK' && ENCRYPT_MARK.test(t);
          const input = table === 'filter' && c.name === 'INPUT' && /-m policy\b/.test(t) && /--pol\s+(ipsec|none)\b/.test(t) && /-m (u32|bpf)\b/.test(t) && /-p udp\b/.test(t);
          if (!mark && !input) continue;
          const what = mark
            ? "Docker's mark for VXLAN to encrypt (0xd0c4e3): an encrypted overlay network runs here"
            : /--pol\s+ipsec/.test(t)
              ? "Docker's rule for an encrypted overlay network: VXLAN is accepted only after IPsec decrypted it"
              : "Docker's rule for an encrypted overlay network: VXLAN that arrives unencrypted is dropped";
          const ev: Evidence = { file: r.ref.file, line: r.ref.line, excerpt: t.trim(), note: what };
          evidence.push(ev);
          if (port && !dataPathPorts.some((p) => p.port === Number(port[1]))) dataPathPorts.push({ port: Number(port[1]), evidence: ev });
        }
  return evidence.length ? { evidence, dataPathPorts } : undefined;
}

/**
 * The host firewall's own rules opening Swarm's three ports (2377/tcp, 7946, 4789/udp): the node is LIKELY a Swarm
 * node (moby/moby#26523's ufw table). `ufw status` rules, or iptables ACCEPT rules outside Docker's chains.
 */
export function swarmPortsOpened(artifacts: NodeArtifacts): Evidence[] | undefined {
  const found = new Map<number, Evidence>();
  const want = [2377, 7946, 4789];
  for (const s of artifacts.ufwStatus ?? [])
    for (const r of s.rules) {
      if (r.v6 || r.direction !== 'IN' || (r.action !== 'ALLOW' && r.action !== 'LIMIT') || !r.to.ports) continue;
      for (const p of want) if (!found.has(p) && r.to.ports.some(([a, b]) => a <= p && p <= b)) found.set(p, { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `ufw allows ${p}, a Docker Swarm port` });
    }
  for (const v of liveViews(artifacts))
    for (const c of v.tables.get('filter')?.values() ?? []) {
      if (/^DOCKER/.test(c.name)) continue;
      for (const r of c.rules) {
        if (r.target !== 'ACCEPT') continue;
        for (const p of want) if (!found.has(p) && new RegExp(`--dports?\\s+(\\S*[,:])?${p}\\b`).test(r.text)) found.set(p, { file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: `the host firewall accepts ${p}, a Docker Swarm port` });
      }
    }
  return want.every((p) => found.has(p)) ? want.map((p) => found.get(p)!) : undefined;
}
