/** The layouts: which bundle shape, which nodes, which file is which artifact. */
export { locate } from './locate.js';
export { logSourceOf } from './logs.js';
export { isWantedPath } from './wanted.js';
export type { Located, LocatedNode, LocatedFile, LocatedLog, LayoutName, LogSource, DistributionHint, NodeHints } from './types.js';
