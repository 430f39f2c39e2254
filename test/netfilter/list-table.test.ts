/**
 * The table of an `iptables -L` listing that does not name it (no layout hint, no `-t` on a command
 * line above it, no table marker). Its built-in chains said it before; a listing of one user chain
 * has none, and was read as filter: cloudnativelabs/kube-router#637 pasted `iptables -t nat -nvL`'s
 * KUBE-ROUTER-HAIRPIN chain (one SNAT rule, verbatim in test/fixtures/list-table/
 * kube-router637-hairpin-nat-nvL.txt), and reviewer R5 saved it as iptables-t-nat-nvL.txt: the report
 * showed a filter chain. Now, as for `iptables -S` output, the file's name and then a target only one
 * table has say it, where the chains shown can be in that table.
 * docker-{nat,filter}-nvL.txt: the real iptables v1.8.9 (nf_tables) of Debian 12, `iptables -t nat
 * -nvL` and `iptables -nvL` of Docker's rules restored in a network namespace.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/list-table', name), 'utf8');
const HAIRPIN = fx('kube-router637-hairpin-nat-nvL.txt');
const tables = (text: string, file: string) => Object.keys(parseIptablesList(text, file).tables);

describe('the table of an iptables -L listing that does not say it', () => {
  it("a single nat chain: the file's name says nat (any spelling), else its SNAT does", () => {
    for (const name of ['iptables-t-nat-nvL.txt', 'iptables -t nat -nvL.txt', 'iptables_-t_nat_-nvL', 'hairpin.txt']) {
      const rs = parseIptablesList(HAIRPIN, name);
      expect(Object.keys(rs.tables), name).toEqual(['nat']);
      const chain = rs.tables.nat.chains['KUBE-ROUTER-HAIRPIN'];
      expect(chain.table).toBe('nat');
      expect(chain.rules[0]).toMatchObject({ table: 'nat', target: 'SNAT' });
    }
  });

  it('a name that no chain shown can be in is not taken: a filter listing named nat stays filter', () => {
    expect(tables(fx('docker-filter-nvL.txt'), 'iptables-t-nat-nvL.txt')).toEqual(['filter']);
    expect(tables(fx('docker-filter-nvL.txt'), 'rules.txt')).toEqual(['filter']);
  });

  it('built-in chains decide as before; a mangle name does not move a nat listing', () => {
    expect(tables(fx('docker-nat-nvL.txt'), 'rules.txt')).toEqual(['nat']);
    expect(tables(fx('docker-nat-nvL.txt'), 'iptables-t-mangle-nvL.txt')).toEqual(['nat']);
  });

  it('a command line or a table marker above the output is stronger than the name and the targets', () => {
    expect(tables(`# iptables -t mangle -nvL\n${HAIRPIN}`, 'iptables-t-nat-nvL.txt')).toEqual(['mangle']);
    // `iptables -nvL` named no table: filter, yet the SNAT row says nat
    expect(tables(`$ iptables -nvL KUBE-ROUTER-HAIRPIN\n${HAIRPIN}`, 'paste.txt')).toEqual(['nat']);
    // the caller's table (a layout rule's hint) is never second-guessed
    expect(Object.keys(parseIptablesList(HAIRPIN, 'x.txt', { table: 'filter' }).tables)).toEqual(['filter']);
  });

  it('a user chain of filter (REJECT, ACCEPT) stays filter', () => {
    const text = 'Chain DOCKER-USER (1 references)\n pkts bytes target     prot opt in     out     source               destination         \n    0     0 REJECT     6    --  eth0   *       0.0.0.0/0            0.0.0.0/0            tcp dpt:5432 reject-with icmp-port-unreachable\n    0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           \n';
    expect(tables(text, 'docker-user.txt')).toEqual(['filter']);
  });
});
