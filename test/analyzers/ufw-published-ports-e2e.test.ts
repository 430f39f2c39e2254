/**
 * ufw.published-ports-bypass end to end, on a sosreport-shaped folder
 * (test/fixtures/ufw/sosreport-ufw-docker-2026-12-02-abcdefg): sos's ufw plugin's
 * `sos_commands/ufw/ufw_status_numbered`, sos's firewall_tables listings (`iptables -t <table> -nvL`,
 * not iptables-save) and networking files, every one the real output of a namespace where ufw 0.36.2
 * was enabled (default deny incoming) beside Docker's chains publishing 0.0.0.0:8080 -> 172.17.0.2:80
 * on docker0, the uplink enp3s0 192.0.2.1/24. The folder, and the same folder as a .tar.gz archive.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const NAME = 'sosreport-ufw-docker-2026-12-02-abcdefg';
const FOLDER = projectPath('test/fixtures/ufw', NAME);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe('sosreport of a ufw host whose Docker publishes 8080', () => {
  it('the folder: one warning naming 0.0.0.0:8080 -> 172.17.0.2:80 (traced to 192.0.2.1), citing ufw_status_numbered and the nat listing', async () => {
    const report = await analyzeBundle(FOLDER);
    expect(report.nodes.map((n) => n.name)).toEqual(['ufw-docker-host']);
    const found = report.findings.filter((f) => f.id === 'ufw.published-ports-bypass');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f).toMatchObject({ severity: 'warning', node: 'ufw-docker-host' });
    expect(f.message).toContain('0.0.0.0:8080/tcp -> 172.17.0.2:80');
    expect(f.facts).toMatchObject({ ports: [{ family: 4, protocol: 'tcp', port: 8080, hostAddress: '192.0.2.1', to: '172.17.0.2:80', bridge: 'docker0' }], ufwStatus: 'active' });
    const status = readFileSync(join(FOLDER, 'sos_commands/ufw/ufw_status_numbered'), 'utf8').split('\n');
    expect(f.evidence[0]).toMatchObject({ file: 'sos_commands/ufw/ufw_status_numbered', line: 1, excerpt: 'Status: active' });
    expect(status[f.evidence[0].line - 1]).toBe('Status: active');
    const nat = f.evidence.find((e) => e.file === 'sos_commands/firewall_tables/iptables_-t_nat_-nvL')!;
    expect(readFileSync(join(FOLDER, nat.file), 'utf8').split('\n')[nat.line - 1]).toMatch(/DNAT .*!docker0 .*tcp dpt:8080 to:172\.17\.0\.2:80/);
    expect(report.coverage.nodes[0].artifacts.ufwStatus).toEqual(['sos_commands/ufw/ufw_status_numbered']);
    expect(report.coverage.nodes[0].parseProblems).toEqual([]);
  });

  it('the archive sos makes of it: the same finding', async () => {
    const items = files(FOLDER).map((p) => ({ name: `${NAME}/${relative(FOLDER, p)}`, content: readFileSync(p) }));
    const report = await analyzeBundle(writeTmp(`${NAME}.tar.gz`, await makeTarGz(items)));
    const f = report.findings.find((x) => x.id === 'ufw.published-ports-bypass');
    expect(f).toMatchObject({ severity: 'warning', node: 'ufw-docker-host' });
    expect(f?.evidence[0].file).toBe(`${NAME}/sos_commands/ufw/ufw_status_numbered`);
  });
});
