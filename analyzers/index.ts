/** Every built-in analyzer, in the order they run. One line per analyzer. */
import type { Analyzer } from '../src/engine/analyzer.js';
import sysctlIpForwardDisabled from './sysctl-ip-forward-disabled.js';

export const BUILTIN_ANALYZERS: readonly Analyzer[] = [sysctlIpForwardDisabled];
