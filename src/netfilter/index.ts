export * from './rules.js';
export * from './values.js';
export { parseIptablesSave, parseIptablesSpec, parseRuleArgs, rulesetsOf, sniffIptables, tokenize, type SaveOptions } from './save-format.js';
export { appendOnce, deleteRuleCommand, deleteRulesCommands, iptablesTool, ruleSpec } from './commands.js';
export { parseIptablesList, parseCount, type ListOptions } from './list-format.js';
export { parseIptablesVersion, sniffIptablesVersion, type IptablesVersion } from './iptables-version.js';
