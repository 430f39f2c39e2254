/**
 * docker.rootless-source-ip: rootless Docker publishes ports through RootlessKit's port driver. The
 * default driver, `builtin`, accepts the client's connection in RootlessKit and opens a new one into
 * the container, so the container sees an internal address (the network's gateway, 127.0.0.1 or
 * 10.0.2.x) as its client, never the real one: access logs, IP allow-lists and rate limits by
 * client address all see one address (moby/moby#41789, #45742; moby/moby#41146 made the driver
 * selectable; Docker's rootless docs, "docker run -p does not propagate source IP addresses").
 * The `slirp4netns` driver keeps the address (IPv4 only, rootless-containers/rootlesskit#258, and
 * slower), as do `implicit` and `pesto` with the pasta network. RootlessKit 3.0+ keeps TCP client
 * addresses with `builtin` too, for Docker only with userland-proxy off (rootlesskit docs/port.md).
 *
 * Info: it is how rootless Docker works, not a fault; it matters where an application needs the
 * client's address. Quiet on rootful Docker, with a port driver that keeps the address, and where no
 * port is published to other hosts.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { reachableBindings } from '../src/parsers/docker-ps.js';
import { rootlessDocker, SOURCE_IP_DRIVERS } from '../src/parsers/docker-rootless.js';

/** Port drivers that hide the client's address (RootlessKit docs/port.md: builtin before v3.0, gvisor-tap-vsock). */
const HIDING = new Set(['builtin', 'gvisor-tap-vsock']);

const CLUE_NOTE: Record<string, string> = {
  rootlesskit: "RootlessKit runs dockerd: its command line names the port driver",
  'user-unit': "dockerd is a unit of a user's own systemd manager (rootless Docker)",
  'api-socket': "dockerd listens on a user's runtime directory (/run/user/<uid>/docker.sock): rootless Docker",
  'docker-info': "docker info lists `rootless` among the daemon's security options",
  'user-process': 'dockerd runs as a user, not root (rootless Docker)',
  'dockerd-rootless.sh': 'dockerd is started by dockerd-rootless.sh (rootless Docker)',
};

/** the clue in a few words, for the message */
const CLUE_SHORT: Record<string, string> = {
  rootlesskit: "RootlessKit's command line",
  'user-unit': "a unit of the user's own systemd manager",
  'api-socket': 'its API socket is in /run/user/<uid>',
  'docker-info': 'docker info: rootless',
  'user-process': 'it runs as a user',
  'dockerd-rootless.sh': 'started by dockerd-rootless.sh',
};

export default defineAnalyzer({
  id: 'docker.rootless-source-ip',
  title: 'Rootless Docker: containers do not see the client\'s address',
  description:
    "Rootless Docker publishes ports through RootlessKit's port driver; its default (builtin) proxies each connection, so containers see an internal address instead of the client's.",
  scope: 'node',
  requires: ['dockerPs'],
  optional: ['dockerDaemon', 'services', 'logs'],
  analyze({ node, artifacts }) {
    const r = rootlessDocker(artifacts);
    if (r.clues.length === 0) return [];
    // the daemon docker info (and so docker ps) talked to says it is not rootless
    if (r.rootful) return [];
    const driver = r.portDriver?.value ?? 'builtin';
    if (SOURCE_IP_DRIVERS.has(driver) || !HIDING.has(driver)) return [];
    const published = reachableBindings(artifacts.dockerPs);
    if (published.length === 0) return [];

    const clue = r.clues[0];
    const evidence: Evidence[] = [{ file: clue.ref.file, line: clue.ref.line, excerpt: clue.excerpt, note: CLUE_NOTE[clue.kind] }];
    const pd = r.portDriver;
    if (pd && !(pd.ref.file === clue.ref.file && pd.ref.line === clue.ref.line))
      evidence.push({ file: pd.ref.file, line: pd.ref.line, excerpt: pd.excerpt, note: pd.from === 'flag' ? `RootlessKit runs with --port-driver=${pd.value}` : `dockerd-rootless.sh is told to use the ${pd.value} port driver` });
    else if (pd) evidence[0].note = `${evidence[0].note}; --port-driver=${pd.value}`;
    // one binding per container (its first), three containers at most
    const perContainer = published.filter((p, i) => published.findIndex((q) => q.container === p.container) === i);
    const shown = perContainer.slice(0, 3);
    for (const p of shown)
      evidence.push({ file: p.container.ref.file, line: p.container.ref.line, excerpt: p.container.excerpt, note: `published port ${p.binding.text}: connections to it reach the container from RootlessKit, not from the client` });
    if (r.userlandProxyOff) evidence.push({ file: r.userlandProxyOff.ref.file, line: r.userlandProxyOff.ref.line, excerpt: r.userlandProxyOff.excerpt, note: 'userland-proxy is off: with RootlessKit 3.0+ the builtin driver keeps TCP client addresses' });

    const how = pd
      ? pd.from === 'flag'
        ? `RootlessKit runs with --port-driver=${driver} (${pd.ref.file}:${pd.ref.line})`
        : `dockerd-rootless.sh is told to use the ${driver} port driver (${pd.ref.file}:${pd.ref.line})`
      : `RootlessKit forwards them with its default builtin port driver (nothing in the bundle sets DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER)`;
    const ports = shown.map((p) => `${p.binding.text} (${p.container.name ?? p.container.id})`).join(', ');
    const more = perContainer.length > shown.length ? ` and ports of ${perContainer.length - shown.length} more container${perContainer.length - shown.length > 1 ? 's' : ''}` : '';
    const v3 =
      driver === 'builtin'
        ? r.userlandProxyOff
          ? ' RootlessKit 3.0 and later keep TCP client addresses with builtin when userland-proxy is off, as it is here: if `rootlesskit --version` says 3.0 or later, TCP is not affected (UDP still is).'
          : ' (RootlessKit 3.0 and later can keep TCP client addresses with builtin, but for Docker only with "userland-proxy": false, which nothing in the bundle sets.)'
        : '';
    const pending = r.pendingPortDriver && SOURCE_IP_DRIVERS.has(r.pendingPortDriver.value)
      ? ` ${r.pendingPortDriver.ref.file}:${r.pendingPortDriver.ref.line} already sets the ${r.pendingPortDriver.value} port driver, but RootlessKit was started before it: restarting rootless Docker (systemctl --user restart docker, as its user) applies it.`
      : '';
    if (r.pendingPortDriver) evidence.push({ file: r.pendingPortDriver.ref.file, line: r.pendingPortDriver.ref.line, excerpt: r.pendingPortDriver.excerpt, note: `sets the ${r.pendingPortDriver.value} port driver for RootlessKit's next start` });
    const vpnkit = r.net?.value === 'vpnkit' ? ' RootlessKit runs the vpnkit network here, so slirp4netns (v0.4.0 or later) must be installed first (apt-get install slirp4netns / dnf install slirp4netns).' : '';
    return [
      {
        severity: 'info',
        title: "Rootless Docker: containers see RootlessKit's address, not the client's",
        message:
          `dockerd on ${node} runs rootless (${CLUE_SHORT[clue.kind]}, ${clue.ref.file}:${clue.ref.line}) and publishes ${ports}${more}. ${how}: it accepts each connection itself and opens a new one into the container, so the container sees an internal address (the Docker network's gateway such as 172.17.0.1, or 127.0.0.1 / 10.0.2.x) as its client, never the real client.` +
          v3 +
          pending,
        impact: "Applications behind these ports log one internal address for every client; IP allow-lists, rate limits and geo rules by client address do not work. Connections themselves work.",
        evidence,
        facts: { portDriver: driver, portDriverFrom: pd?.from ?? 'default', published: published.length, ...(r.net ? { net: r.net.value } : {}) },
        remedy: {
          summary:
            "Where the client's address matters, have RootlessKit use the slirp4netns network and port driver, which hand the container the client's address. It forwards IPv4 only (rootlesskit#258) and is slower than builtin; the MTU line keeps slirp4netns' usual 65520, which dockerd-rootless.sh leaves at 1500 once the network is named (moby#47765). Run as the user dockerd runs as (a drop-in of its own, so an existing override.conf is kept; it sorts after it, so it wins):" +
            vpnkit,
          commands: [
            'mkdir -p ~/.config/systemd/user/docker.service.d',
            "printf '[Service]\\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns\"\\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns\"\\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=65520\"\\n' > ~/.config/systemd/user/docker.service.d/source-ip.conf",
            'systemctl --user daemon-reload && systemctl --user restart docker',
            "ps -o args= -C rootlesskit | grep -o -- '--port-driver=[a-z0-9-]*'   # check: --port-driver=slirp4netns",
          ],
          caution: 'Restarting rootless Docker stops its containers (those with a restart policy come back). Ports published on IPv6 addresses are no longer forwarded with slirp4netns.',
        },
      },
    ];
  },
});
