import type { NftRule, NftRuleset } from '../../src/nft/model.js';

/** The model without what must differ between text and JSON: where things are and how they were written. */
export function comparable(rs: NftRuleset) {
  return rs.tables.map((t) => ({
    ...t,
    ref: undefined,
    chains: t.chains.map((c) => ({ ...c, ref: undefined, priorityText: undefined, rules: c.rules.map((r) => ({ ...r, ref: undefined, text: undefined })) })),
    sets: t.sets.map((s) => ({ ...s, ref: undefined })),
    maps: t.maps.map((m) => ({ ...m, ref: undefined })),
  }));
}

export const rulesOf = (rs: NftRuleset): NftRule[] => rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
