/**
 * A bare IPv6 literal where the wording delimits it: psql's quotes (`connection to server at
 * "fdc4:f303:9324::254", port 5433 failed`: libpq prints the literal with no address after it) and
 * curl's ` port N` (`Failed to connect to ::1 port 18081`). The peer and port were not read, so
 * port-blocked never traced them (reviewer R2); Go's bracketed form was.
 */
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/index.js';

const factsOf = (line: string) => scanLogText(`${line}\n`, 'app.log').matches.filter((m) => m.signature !== 'log.client-connect-step').map((m) => [m.signature, m.facts.host, m.facts.port]);

describe('bare IPv6 peers', () => {
  it('psql 14+', () => {
    expect(factsOf('psql: error: connection to server at "fdc4:f303:9324::254", port 5433 failed: No route to host')).toEqual([['log.no-route-to-host', 'fdc4:f303:9324::254', '5433']]);
  });
  it('curl', () => {
    expect(factsOf('curl: (7) Failed to connect to ::1 port 18081 after 0 ms: Connection refused')).toEqual([['log.connection-refused', '::1', '18081']]);
    expect(factsOf('curl: (7) Failed to connect to 2001:db8:1::10 port 443 after 3002 ms: Connection timed out')).toEqual([['log.connection-timed-out', '2001:db8:1::10', '443']]);
  });
  it('IPv4 and names as before', () => {
    expect(factsOf('curl: (7) Failed to connect to 10.0.0.1 port 80 after 1 ms: Connection refused')).toEqual([['log.connection-refused', '10.0.0.1', '80']]);
    expect(factsOf('psql: error: connection to server at "db" (172.18.0.2), port 5432 failed: Connection refused')).toEqual([['log.connection-refused', 'db', '5432']]);
  });
});
