/**
 * What database clients and Python print when a connection fails, read as connection failures
 * with their peer: the port an application needs is in these lines, and port-blocked traces it.
 * Python's lines are printed here by the real interpreter in a throw-away namespace; the JDBC,
 * MySQL/MariaDB and pymongo lines are as their users pasted them (origins beside each).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { canMakeNetns } from '../helpers/shared.js';

const ns = `bdpy${process.pid}`;
const haveNetns = canMakeNetns();
const havePython = spawnSync('python3', ['--version']).status === 0;
const peers = (text: string) => scanLogText(text, 'app.log').matches.map((m) => [m.line, m.signature, m.facts.host ?? null, m.facts.port ?? null]);

describe.skipIf(!haveNetns || !havePython)("Python's asyncio, printed by the real python3", () => {
  let printed = '';
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', '10.9.0.1/24', 'dev', 'lo']);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'route', 'add', 'unreachable', '10.99.0.0/24']);
    const script = [
      'import asyncio',
      'async def go(h, p):',
      '    try:',
      '        await asyncio.open_connection(h, p)',
      '    except Exception as e:',
      "        print(type(e).__name__ + ': ' + str(e))",
      "for h, p in [('10.9.0.1', 5432), ('10.99.0.5', 5432), ('::1', 6379)]:",
      '    asyncio.run(go(h, p))',
    ].join('\n');
    printed = execFileSync('ip', ['netns', 'exec', ns, 'python3', '-c', script], { encoding: 'utf8', timeout: 20_000 });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('a closed port: ConnectionRefusedError with the address tuple, IPv4 and IPv6; an unreachable route: no route, no peer printed', () => {
    expect(printed.split('\n')).toEqual([
      "ConnectionRefusedError: [Errno 111] Connect call failed ('10.9.0.1', 5432)",
      'OSError: [Errno 113] No route to host',
      "ConnectionRefusedError: [Errno 111] Connect call failed ('::1', 6379, 0, 0)",
      '',
    ]);
    expect(peers(printed)).toEqual([
      [1, 'log.connection-refused', '10.9.0.1', '5432'],
      [2, 'log.no-route-to-host', null, null],
      [3, 'log.connection-refused', '::1', '6379'],
    ]);
  });
});

describe('clients as their users pasted them', () => {
  it.each([
    // pgjdbc's PSQLException (ConnectionFactoryImpl), as in countless Spring Boot tickets
    ['org.postgresql.util.PSQLException: Connection to 172.18.0.3:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.', 'log.connection-refused', '172.18.0.3', '5432'],
    // MySQL 8 client (errno 111 refused)
    ["ERROR 2003 (HY000): Can't connect to MySQL server on '172.18.0.4:3306' (111)", 'log.connection-refused', '172.18.0.4', '3306'],
    // MariaDB client/connector: "server on", 115 = EINPROGRESS, the connect timed out
    ["mariadb.OperationalError: Can't connect to server on 'romm-db' (115)", 'log.connection-timed-out', 'romm-db', null],
    // MySQL 5.7 client: no port printed
    ["ERROR 2003 (HY000): Can't connect to MySQL server on '10.0.0.12' (113)", 'log.no-route-to-host', '10.0.0.12', null],
    // pymongo: the address, then a colon and the socket error
    ['pymongo.errors.ServerSelectionTimeoutError: mongo:27017: [Errno 111] Connection refused', 'log.connection-refused', 'mongo', '27017'],
    ['asyncpg: OSError: Multiple exceptions: [Errno 111] Connect call failed (\'fd00::5\', 5432, 0, 0), [Errno 111] Connect call failed (\'172.17.0.1\', 5432)', 'log.connection-refused', 'fd00::5', '5432'],
  ])('%s', (line, signature, host, port) => {
    expect(peers(line)).toEqual([[1, signature, host, port]]);
  });

  it('not a connection failure: a MySQL access error, a timestamp after an address', () => {
    expect(peers("ERROR 1045 (28000): Access denied for user 'app'@'172.18.0.5' (using password: YES)")).toEqual([]);
    // a host:port followed by a time is still the peer; a colon and digits is not part of it
    expect(peers('dial tcp 10.0.0.5:5432: connect: connection refused')).toEqual([[1, 'log.connection-refused', '10.0.0.5', '5432']]);
  });
});
