import { it } from "vitest";
import { readdirSync, readFileSync } from 'node:fs';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../../src/netfilter/save-format.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { allRules } from '../../src/netfilter/rules.js';
const base = '/work/shared/corpus/';
it("probe", () => { for (const dir of ['iptables-save', 'iptables-list']) for (const f of readdirSync(base + dir)) {
  const text = readFileSync(base + dir + '/' + f, 'utf8');
  const kind = sniffIptables(text.slice(0, 4096));
  try {
    const rs = kind === 'list' ? parseIptablesList(text, f) : kind === 'spec' ? parseIptablesSpec(text, f) : parseIptablesSave(text, f);
    const rules = allRules(rs);
    const inc = rules.filter(r => r.incomplete?.some(x => !/interfaces and counters not shown/.test(x)));
    const unexpected = rules.filter(r => r.incomplete?.some(x => /unexpected/.test(x)));
    console.log(`${kind} ${f}: tables=${Object.keys(rs.tables).join(',')} chains=${Object.values(rs.tables).reduce((a,t)=>a+Object.keys(t.chains).length,0)} rules=${rules.length} fam=${rs.family} be=${rs.backend} v=${rs.version} warn=${rs.warnings.length} inc=${inc.length}`);
    for (const w of rs.warnings.slice(0,4)) console.log('   W', w.line, w.message);
    for (const r of inc.slice(0,4)) console.log('   I', r.ref.line, r.incomplete);
  } catch (e) { console.log(`${kind} ${f}: THROW ${(e as Error).constructor.name} ${(e as Error).message}`); }
}
});
