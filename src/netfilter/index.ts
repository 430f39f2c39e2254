export * from './rules.js';
export { parseIptablesSave, parseIptablesSpec, parseRuleArgs, sniffIptables, tokenize } from './save-format.js';
export { parseIptablesList, parseCount } from './list-format.js';
export { parseIptablesVersion, sniffIptablesVersion, type IptablesVersion } from './iptables-version.js';
