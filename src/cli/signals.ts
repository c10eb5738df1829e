/** Cancellation of a command by SIGINT (Ctrl+C) or SIGTERM, shared by every long-running command. */

/** Exit statuses for a cancelled command, by the usual shell convention of 128 + signal number. */
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

export interface SignalCancellation {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Returns 143 after SIGTERM, else 130, for a command that ended because it was cancelled. */
  cancelledStatus(): number;
  /** Removes the signal listeners; call it when the command ends. */
  dispose(): void;
}

/** Listens for SIGINT and SIGTERM once each, and aborts `signal` on either. */
export function cancelOnSignals(): SignalCancellation {
  const controller = new AbortController();
  let terminated = false;
  const onSigint = () => controller.abort();
  const onSigterm = () => {
    terminated = true;
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  return {
    signal: controller.signal,
    cancelledStatus: () => (terminated ? EXIT_TERMINATED : EXIT_INTERRUPTED),
    dispose: () => {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
    },
  };
}
