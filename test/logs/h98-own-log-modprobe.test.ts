/**
 * H98 (reviewer R31): a LOG rule of the host's own traced through the bundle's rules (c01: logged, then accepted; c02: the
 * input chain's DNS), prefixes that say accept/audit (c03), and modprobe's `Module X not found` where X is not missing in
 * any way that matters: nf_conntrack_ipv4 renamed on 4.19+ (c05), br_netfilter built into WSL2's kernel (c06), a conntrack
 * helper container networking does not need (c07). The case folders are test/fixtures/h98 (README: R31 made them from
 * real output and cited public text; c01-drop and c01-nolog are iptables-save output of rules restored in a namespace).
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const REJECTED = 'log.firewall-rejected-container-traffic';
const MODULE = 'log.kernel-module-not-found';

async function caseFindings(name: string) {
  return (await analyzeBundle(projectPath('test', 'fixtures', 'h98', name))).findings;
}

async function findings(files: Record<string, string>, name: string) {
  return (await analyzeBundle(writeFolder(files, name))).findings;
}

describe("a LOG rule of the host's own, traced through the bundle's rules (R31 c01, c02)", () => {
  it('c01: DROP-CANDIDATE logged in DOCKER-USER, then RETURN and an ACCEPT in FORWARD: no finding', async () => {
    const fs = await caseFindings('c01-drop-candidate');
    expect(fs.map((f) => f.id)).not.toContain(REJECTED);
  });

  it('the same lines where a DROP follows the LOG rule (rules restored and saved in a namespace): kept, the dropping rule named', async () => {
    const f = (await caseFindings('c01-drop')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.message).toContain('dropped after the LOG rule, by "-A DOCKER-USER -i docker0 -o eth0 -p tcp -m tcp --dport 443 -j DROP"');
    expect(f!.evidence.some((e) => e.file.endsWith('iptables-save.txt') && /--log-prefix "DROP-CANDIDATE: "/.test(e.excerpt))).toBe(true);
    expect(f!.remedy.summary).toMatch(/change that rule, or put an accept/);
  });

  it('rules in the bundle but no LOG rule with the prefix: kept, without claiming the containers certainly cannot reach it', async () => {
    const f = (await caseFindings('c01-nolog')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warning');
    expect(f!.message).toContain('no LOG rule in the bundle\'s rules has the prefix "DROP-CANDIDATE:"');
    expect(f!.message).not.toContain('cannot reach that destination while the rule stands');
    expect(f!.message).toContain('likely, not certain');
  });

  it('c02: INPUT-DROP of DNS to the host (OUT= empty): the input chain, traced to the policy; no forward accept, no masquerade', async () => {
    const f = (await caseFindings('c02-input-dns')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    // traced to a drop up to the logs' end: no longer capped at a warning as a bare prefix is
    expect(f!.severity).toBe('critical');
    expect(f!.message).toContain("by the INPUT chain's policy DROP");
    expect(f!.remedy.commands).toContain('iptables -I INPUT -i docker0 -p udp --dport 53 -j ACCEPT');
    expect(f!.remedy.commands.some((c) => c.startsWith('nft insert rule inet filter input iifname "docker0" udp dport 53 accept'))).toBe(true);
    const text = `${f!.remedy.summary}\n${f!.remedy.commands.join('\n')}`;
    expect(text).not.toMatch(/forward|FORWARD|masquerade/);
  });
});

describe('prefixes that say accept, allow, audit, pass or log-only (R31 c03)', () => {
  it('c03: [UFW AUDIT], [UFW ALLOW], nodrop-fwd:, ACCEPT-not-DROP: are no drops', async () => {
    const fs = await caseFindings('c03-nodrop-audit');
    expect(fs.map((f) => f.id)).not.toContain(REJECTED);
  });

  it('a drop prefix beside them in the same log still fires (oniGino/docker-nftables-scripts#1)', async () => {
    const drop = 'NFTABLES IPv4 FORWARD DROP - IN=docker0 OUT=eno1 PHYSIN=veth1504c43 SRC=172.17.0.4 DST=8.8.8.8 ...';
    // R31 c03's line (test/fixtures/h98/c03-nodrop-audit/messages:4)
    const audit =
      'Dec  4 10:32:04 web1 kernel: [ 8246.1] ACCEPT-not-DROP: IN=docker0 OUT=eth0 PHYSIN=veth3a1b2c4 MAC=02:42:ac:11:00:02:02:42:ac:11:00:01:08:00 SRC=172.17.0.2 DST=198.51.100.20 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=4 DF PROTO=TCP SPT=51517 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0';
    const f = (await findings({ 'journalctl-k.txt': `${audit}\n${drop}\n` }, 'h98-mixed')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.message).toContain('NFTABLES IPv4 FORWARD DROP -');
    expect(f!.message).not.toContain('ACCEPT-not-DROP');
  });
});

describe("modprobe's missing module that is not missing in a way that matters (R31 c05, c06, c07)", () => {
  it('c05: nf_conntrack_ipv4 on 5.15 (Kubespray): renamed, load nf_conntrack; info, no module-tree wording', async () => {
    const f = (await caseFindings('c05-kubeproxy-conntrack-ipv4')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('info');
    expect(f!.message).toMatch(/merged into nf_conntrack in Linux 4\.19/);
    expect(f!.message).toMatch(/load nf_conntrack instead/);
    expect(f!.message).not.toMatch(/module tree|modules_install|upgraded/);
    expect(f!.remedy.summary).not.toMatch(/modules_install|reboot/i);
  });

  it("RHEL 8's 4.18 kernel, which backports the merge (kURL#1470): renamed too, info", async () => {
    // Kubespray's modprobe task on RHEL 8 (public Kubespray install notes, found with the code search: 4.18.0-372.9.1.el8.x86_64)
    const line =
      'fatal: [kube-master01]: FAILED! => {"changed": false, "msg": "modprobe: FATAL: Module nf_conntrack_ipv4 not found in directory /lib/modules/4.18.0-372.9.1.el8.x86_64\\n", "name": "nf_conntrack_ipv4", "params": "", "rc": 1, "state": "present"}';
    const f = (await findings({ 'ansible.log': `${line}\n` }, 'h98-rhel8')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('info');
    expect(f!.title).toBe('nf_conntrack_ipv4 is now part of nf_conntrack (kernel 4.18.0-372.9.1.el8.x86_64)');
  });

  it("c06: br_netfilter on WSL2 with net.bridge.bridge-nf-call-iptables = 1: built in, info, WSL's kernel named", async () => {
    const f = (await caseFindings('c06-wsl2-br-netfilter')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('info');
    expect(f!.message).toContain('net.bridge.bridge-nf-call-iptables = 1');
    expect(f!.message).toMatch(/WSL2's kernel/);
    expect(`${f!.message} ${f!.remedy.summary}`).not.toMatch(/modules_install|upgraded and|reboot/);
    expect(f!.evidence.some((e) => e.file.endsWith('sysctl_-a'))).toBe(true);
  });

  it("the same WSL2 line without the sysctl dump: a warning worded as WSL's kernel (wsl --update), not a broken upgrade", async () => {
    const line = 'modprobe: FATAL: Module br_netfilter not found in directory /lib/modules/5.15.153.1-microsoft-standard-WSL2';
    const f = (await findings({ 'terminal.txt': `${line}\n` }, 'h98-wsl-nosysctl')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warning');
    expect(f!.message).toMatch(/WSL2's kernel, which has no \/lib\/modules tree/);
    expect(f!.remedy.summary).toMatch(/wsl --update/);
    expect(`${f!.message} ${f!.remedy.summary} ${f!.remedy.commands.join(' ')}`).not.toMatch(/modules_install|linux-modules|upgraded and/);
    expect(f!.remedy.commands.join('\n')).toContain('CONFIG_BRIDGE_NETFILTER');
  });

  it('c07: nf_conntrack_ftp from fail2ban on a healthy Docker host: a helper nothing needs, info', async () => {
    const f = (await caseFindings('c07-conntrack-ftp')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('info');
    expect(f!.message).toMatch(/container networking does not use/);
    expect(f!.message).not.toMatch(/module tree/);
  });

  it("ip_tables on WDMC's custom kernel is no helper, no rename, the module-tree warning stands", async () => {
    // vzhilov/WDMC-Ex2-Ultra#3
    const line = 'modprobe: FATAL: Module ip_tables not found in directory /lib/modules/5.5.3-mvebu-tld-1-dirty';
    const f = (await findings({ messages: `${line}\n` }, 'h98-wdmc')).find((x) => x.id === MODULE);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warning');
    expect(f!.title).toBe('The running kernel 5.5.3-mvebu-tld-1-dirty has no ip_tables module');
    expect(f!.remedy.summary).toMatch(/make modules_install/);
  });
});
