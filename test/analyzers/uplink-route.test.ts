/**
 * uplinkOf: the interface of the main table's default route of the family, as the kernel picks it:
 * the lowest metric, never a source-specific IPv6 default (`default from <prefix>`, which applies to
 * packets from that prefix only). It took the first default route listed.
 */
import { describe, expect, it } from 'vitest';
import { uplinkOf } from '../../analyzers/lib/node-view.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';

describe('uplinkOf', () => {
  it('IPv4: of two default routes, the one with the lower metric (a laptop-style wlan0 600 listed first)', () => {
    const t = parseRoutes('default via 192.168.1.1 dev wlan0 proto dhcp metric 600\ndefault via 10.0.0.1 dev eth0 proto dhcp metric 100\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5 metric 100\n', 'ip_route');
    expect(uplinkOf({ routes: [t] })).toBe('eth0');
  });

  it('IPv6: a source-specific default listed first is not the way out for containers', () => {
    const t = parseRoutes('default from 2001:db8:5::/64 via fe80::1 dev eth1 proto static metric 1024 pref medium\ndefault via fe80::2 dev eth0 proto ra metric 1024 expires 1799sec pref medium\n', 'ip_-6_route');
    expect(uplinkOf({ routes: [t] }, 6)).toBe('eth0');
  });
});
