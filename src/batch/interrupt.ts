/**
 * Stopping a batch cleanly: Ctrl-C, or a pod told to stop (SIGTERM), ends the batch with what it
 * has done kept. The first signal aborts: bundles not started are not analyzed, running ones are
 * stopped, and the index is still written, listing them with code `interrupted`. A second signal
 * exits at once.
 */
export const INTERRUPTED = 'interrupted';

export function interruptOnSignals(onFirst: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
