/**
 * Log signatures from H88: aardvark-dns, the DNS server of Podman's netavark networks, did not start.
 * Only aardvark-dns's and netavark's own wording: failed DNS lookups in general are log.dns-lookup-failed's
 * (signatures-dns.ts).
 *
 * - log.aardvark-dns-bind-failed: aardvark-dns could not bind its listener on a network's gateway, port 53
 *   (or dns_bind_port): `failed to bind udp listener on {addr}` / `failed to bind tcp listener on {addr}`
 *   (aardvark-dns src/server/serve.rs, containers/aardvark-dns#484), then the I/O error with its errno. As
 *   podman --log-level=debug prints it (containers/aardvark-dns#725): `ExitCode msg: "netavark (exit code 1):
 *   error while applying dns entries: io error: aardvark-dns failed to start: error from child process\nerror
 *   starting server failed to bind udp listener on [2001:db8::1]:53: io error: cannot assign requested address
 *   (os error 99)"`. errno 99 (EADDRNOTAVAIL): the address is not usable yet (an IPv6 gateway still
 *   `tentative`, in duplicate address detection) or not on the host; errno 98 (EADDRINUSE): something else
 *   holds the port. Facts: protocol, address, port, reason, errno.
 * - log.aardvark-dns-start-failed: netavark's `aardvark-dns failed to start` for any other reason
 *   (podman-container-tools/podman#24451: `netavark: IO error: Error while applying dns entries: IO error:
 *   aardvark-dns failed to start: Error from child process`, its cause on the next line: `Error starting server
 *   failed to get upstream nameservers, dns forwarding will not work: ...`). Lines of the bind failure are that
 *   entry's, not this one's.
 *
 * Both: containers on that network get no DNS (neither the names of the other containers nor outside names).
 * podman.aardvark-dns-failed names the cause from the rest of the bundle (severity critical stays there).
 */
import type { LogSignature } from './signatures.js';

/** `[2001:db8::1]`, `10.89.0.1` */
const ADDR = String.raw`(?<address>\[[0-9A-Fa-f:.]{2,45}(?:%[\w.-]{1,32})?\]|\d{1,3}(?:\.\d{1,3}){3})`;

export const AARDVARK_BIND_FAILED = new RegExp(
  String.raw`failed to bind (?<protocol>udp|tcp) listener on ${ADDR}:(?<port>\d{1,5})(?:: (?:io error: )?(?<reason>[^"\\()]{1,120}?)(?: \(os error (?<errno>\d{1,4})\))?(?=["\\]|$|\s*\())?`,
  'i',
);

export const AARDVARK_START_FAILED = /aardvark-dns failed to start(?:: (?<reason>[^"\\]{1,200}))?/i;

export const PODMAN_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.aardvark-dns-bind-failed',
    literals: ['failed to bind udp listener on', 'failed to bind tcp listener on'],
    ignoreCase: true,
    pattern: AARDVARK_BIND_FAILED,
    meaning:
      "aardvark-dns, the DNS server of Podman's netavark networks, could not listen on the network's gateway address (port 53 unless dns_bind_port says otherwise), so it did not start. Containers on that network get no DNS: neither the names of the other containers nor outside names resolve. errno 99 (cannot assign requested address) means the address is not usable on the host yet, such as an IPv6 gateway still in duplicate address detection (tentative); errno 98 (address already in use) means another program holds that port on the address.",
    supports: ['podman.aardvark-dns-failed'],
    severity: 'warning',
    title: 'aardvark-dns could not bind its DNS port on the network gateway',
    advice:
      'Look at the address the line names: its state on the network bridge (a tentative or dadfailed IPv6 address cannot be bound) and what already listens on port 53 there (commands below). Then start the container again.',
    commands: ['ip addr show | grep -n -e tentative -e dadfailed', 'ss -lunp | grep -w 53'],
  },
  {
    id: 'log.aardvark-dns-start-failed',
    literals: ['aardvark-dns failed to start'],
    ignoreCase: true,
    pattern: AARDVARK_START_FAILED,
    // the bind failure is its own entry, with the address and errno
    unless: /failed to bind (?:udp|tcp) listener on/i,
    meaning:
      "netavark could not start aardvark-dns, the DNS server of Podman's netavark networks, so the container did not start (or started without DNS). The reason is aardvark-dns's own message, on the same line or the next (Error starting server ...). Containers on that network get no DNS for their names or outside names until it runs.",
    supports: ['podman.aardvark-dns-failed'],
    severity: 'warning',
    title: 'aardvark-dns (Podman network DNS) failed to start',
    advice:
      "Read aardvark-dns's reason on this line or the next one: it names what it could not do (bind an address, read the host's nameservers from /etc/resolv.conf). Compare the netavark and aardvark-dns versions (podman info: networkBackendInfo); they are released together and should match.",
    commands: ["podman info --format '{{.Host.NetworkBackendInfo}}'", 'podman --log-level=debug run --rm --network <network> <image> true   # repeats the start with aardvark-dns\'s message'],
  },
];
