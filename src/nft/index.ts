/** nftables rulesets (text and JSON listings) and firewalld's zones, in one model. */
export * from './model.js';
export { parseNftText, parseRuleExprs, sniffNftText } from './parse-text.js';
export { parseNftJson, sniffNftJson } from './parse-json.js';
export { renderExpr, renderValue, renderVerdict } from './expr.js';
export {
  parseFirewallCmdListAllZones,
  parseFirewalldConf,
  parseFirewalldZoneXml,
  readXml,
  sniffFirewallCmd,
  zoneOfInterface,
  type FirewalldConf,
  type FirewalldField,
  type FirewalldForwardPort,
  type FirewalldPort,
  type FirewalldTarget,
  type FirewalldZone,
  type FirewalldZones,
  type XmlElement,
} from './firewalld.js';
