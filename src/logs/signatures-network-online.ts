/**
 * H91: the moment a host's network came online at boot, as the network managers log it. No finding of its own
 * (quiet): analyzers/log-signatures.ts reads it to tell DNS failures logged at boot, before the network was online
 * (ntpd, dnf, any client started before network-online.target), from failures of a host whose network is up.
 *
 * - systemd: `systemd[1]: Reached target Network is Online.`; systemd 253 and later name the unit first:
 *   `Reached target network-online.target - Network is Online.`
 * - NetworkManager: `<info>  [1499305701.7102] manager: NetworkManager state is now CONNECTED_GLOBAL` (older releases:
 *   `<info>  NetworkManager state is now CONNECTED_GLOBAL`): full connectivity (a default route and, where checked, the
 *   connectivity check passed). CONNECTED_LOCAL / CONNECTED_SITE are not online.
 *
 * The real lines are in test/logs/h91-past-failures.test.ts with their sources.
 * Facts: `marker` (`network-online.target` or `CONNECTED_GLOBAL`).
 */
import type { LogSignature } from './signatures.js';

export const NETWORK_ONLINE_SIGNATURES: LogSignature[] = [
  {
    id: 'log.network-online',
    literals: ['Network is Online', 'state is now CONNECTED_GLOBAL'],
    pattern: /\bReached target (?:(?<marker>network-online\.target) - )?Network is Online\b|\bNetworkManager state is now (?<marker_2>CONNECTED_GLOBAL)\b/,
    meaning: "The host's network came online (systemd's network-online.target reached, or NetworkManager's full connectivity).",
    supports: [],
    severity: 'info',
    title: 'The network came online',
    advice: 'Nothing to fix by itself.',
    quiet: true,
    maxMatches: 200,
  },
];

