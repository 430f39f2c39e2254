/**
 * iptables.port-blocked takes a port from a connection log line only when a container wrote it and
 * only the port of its peer (reviewer's dcf bundle), and each finding keeps only the log lines
 * about its own port and address (the correlation used to fold every such line into the first).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const STOCK = () => parseIptablesSave(fx('bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/etc/sysconfig/iptables'), 'iptables-save');
const IP_A = () => parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a');

// var/log/messages lines 9-11 of the reviewer's docker-host-01
const DOCKERD_DNS =
  'Nov 20 10:16:10 docker-host-01 dockerd[1022]: time="2026-11-20T10:16:10.164238521Z" level=error msg="Handler for POST /v1.41/images/create returned error: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:44243->10.0.2.3:53: i/o timeout"';
const KUBELET_SYNC = 'Nov 20 10:17:31 docker-host-01 kubelet[224]: I1120 10:17:31.489177     224 kubelet.go:2530] "SyncLoop DELETE" source="api" pods=["kueue-system/kueue-controller-manager-86dfd88fd5-gkmlr"]';
const KUBELET_PROBE =
  'Nov 20 10:17:32 docker-host-01 kubelet[224]: I1120 10:17:32.303924     224 prober.go:120] "Probe failed" probeType="Readiness" pod="kueue-system/kueue-controller-manager-86dfd88fd5-gkmlr" podUID="986d8aed-c25d-49ee-a009-6c52dee8cc7a" containerName="manager" probeResult="failure" output="Get \\"http://10.244.1.15:8081/readyz\\": dial tcp 10.244.1.15:8081: connect: connection refused"';

describe('iptables.port-blocked: which connection lines say that containers need a port', () => {
  it("dockerd's DNS timeout and kubelet's probe are the host's own connections: no port is needed from docker0 (no 44243, no 8081)", () => {
    const log = scanLogText([DOCKERD_DNS, KUBELET_SYNC, KUBELET_PROBE].join('\n'), 'var/log/messages', { year: 2026 });
    // the scanner still sees both lines, with the right peers
    expect(log.matches.map((m) => [m.signature, m.unit, m.facts.host, m.facts.port])).toEqual([
      ['log.connection-timed-out', 'dockerd', '10.0.2.3', '53'],
      ['log.connection-refused', 'kubelet', '10.244.1.15', '8081'],
    ]);
    expect(runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()], logs: [log] }, 'docker-host-01')).toEqual([]);
  });

  it("the same connection in a pod's own log, or from a container through Docker's syslog driver, is a container's: traced and found blocked", () => {
    // the stock REJECT answers icmp-host-prohibited: what a container sees is "no route to host"
    const refused = 'dial tcp 10.244.1.15:8081: connect: no route to host';
    const pod = scanLogText(`2026-11-20T10:17:32.303924Z stderr F E1120 10:17:32.303924       1 client.go:80] ${refused}`, 'cluster-resources/pods/logs/app/web-0/web.log', {
      source: { namespace: 'app', pod: 'web-0', container: 'web' },
    });
    const syslogged = scanLogText(`Nov 20 12:05:04 docker-host-01 9f2e1c7b3a5d[2211]: ${refused}`, 'var/log/messages', { year: 2026 });
    for (const log of [pod, syslogged]) {
      const [f] = runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()], logs: [log] }, 'docker-host-01');
      expect(f.facts).toMatchObject({ port: 8081, to: ['10.244.1.15'], explainsLogLines: [`${log.file}:1`] });
    }
  });

  it("a container's DNS timeout names 53/udp, which the TCP trace does not claim", () => {
    const log = scanLogText('Nov 20 12:05:04 h 9f2e1c7b3a5d[2211]: dial tcp: lookup db on 10.0.2.3:53: read udp 172.17.0.2:44243->10.0.2.3:53: i/o timeout', 'var/log/messages', { year: 2026 });
    expect(runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()], logs: [log] }, 'h')).toEqual([]);
  });
});

describe('each port-blocked finding keeps the log lines of its own port', () => {
  const LISTING =
    'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 REJECT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-prohibited\n\nChain FORWARD (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n\nChain OUTPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n';
  const MESSAGES = [
    'Nov 20 12:05:04 h1 9f2e1c7b3a5d[2211]: time="2026-11-20T12:05:04Z" level=error msg="db ping failed" err="dial tcp 172.17.0.1:5432: connect: no route to host"',
    'Nov 20 12:05:05 h1 4c1d2e3f4a5b[2302]: time="2026-11-20T12:05:05Z" level=error msg="cache down" err="dial tcp 172.17.0.1:6379: connect: no route to host"',
    'Nov 20 12:05:06 h1 kubelet[224]: E1120 12:05:06.000000     224 event.go:200] Unable to write event: dial tcp 10.132.0.2:6443: connect: no route to host',
    '',
  ].join('\n');

  it('5432 cites line 1, 6379 line 2; the kubelet line to 6443 stays a log finding of its own', async () => {
    const path = writeTmp(
      'two-ports.tgz',
      await makeTarGz([
        { name: 'sosreport-h1/hostname', content: 'h1\n' },
        { name: 'sosreport-h1/sos_commands/networking/ip_-d_address', content: fx('test/fixtures/iproute2/ip_-d_address') },
        { name: 'sosreport-h1/sos_commands/firewall_tables/iptables_-t_filter_-nvL', content: LISTING },
        { name: 'sosreport-h1/var/log/messages', content: MESSAGES },
      ]),
    );
    const report = await analyzeBundle(path);
    const blocked = report.findings.filter((f) => f.id === 'iptables.port-blocked');
    const logLines = (id: string) => report.findings.filter((f) => f.id === id).flatMap((f) => f.evidence.filter((e) => e.file.endsWith('var/log/messages')).map((e) => e.line));
    expect(blocked.map((f) => [f.facts?.port, f.evidence.filter((e) => e.file.endsWith('var/log/messages')).map((e) => e.line)])).toEqual([
      [5432, [1]],
      [6379, [2]],
    ]);
    expect(logLines('log.no-route-to-host')).toEqual([3]);
  });
});
