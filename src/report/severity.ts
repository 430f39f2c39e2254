/**
 * Severities and their order, apart from the zod schemas so that code which only compares
 * severities (the CLI's --fail-on) does not load zod; schema.ts re-exports them.
 */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
