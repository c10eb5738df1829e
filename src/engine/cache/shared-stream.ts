/**
 * One upstream event stream read by several subscribers. Every subscriber receives the whole
 * stream from its start: a late subscriber first gets the events buffered so far, then the live
 * ones. The upstream is aborted only when the last subscriber leaves before it ends.
 */

/** Starts the upstream. `onItem` receives every item once, as it arrives, however many subscribers read it. */
export type StreamSource<T> = (signal: AbortSignal) => { items: AsyncIterable<T>; onItem?: (item: T) => void };

export interface SubscribeOptions<T> {
  /** Ends this subscriber's iteration early, while the others keep reading. */
  signal?: AbortSignal;
  /** Builds the last item of a subscriber that aborted, such as a `cancelled` error event, from the items it received. */
  onAbort?: (received: readonly T[]) => T;
  /** Receives each item just before this subscriber does. */
  onItem?: (item: T) => void;
  /** Called once when this subscriber is done, by reading to the end, aborting or leaving early. */
  onEnd?: () => void;
}

export class SharedStream<T> {
  /** Every item so far, kept for late subscribers until the stream is dropped. */
  readonly items: T[] = [];
  private finished = false;
  private failure: { error: unknown } | undefined;
  private subscribers = 0;
  private readonly controller = new AbortController();
  /** Resolved and replaced whenever an item arrives or the stream ends. */
  private changed = createSignal();
  private readonly done: Promise<void>;

  constructor(source: StreamSource<T>) {
    this.done = this.pump(source);
  }

  /** Resolves when the upstream has ended, by success, error or abort. */
  whenDone(): Promise<void> {
    return this.done;
  }

  get ended(): boolean {
    return this.finished;
  }

  get listeners(): number {
    return this.subscribers;
  }

  async *subscribe(options: SubscribeOptions<T> = {}): AsyncGenerator<T> {
    const { signal } = options;
    this.subscribers++;
    let index = 0;
    try {
      for (;;) {
        // Buffered items are handed over without waiting, so a burst costs no extra turns of the event loop.
        while (index < this.items.length) {
          if (signal?.aborted) return yield* this.abortedWith(options, index);
          const item = this.items[index++]!;
          options.onItem?.(item);
          yield item;
        }
        if (this.finished) {
          if (this.failure) throw this.failure.error;
          return;
        }
        if (signal?.aborted) return yield* this.abortedWith(options, index);
        await waitForChange(this.changed.promise, signal);
      }
    } finally {
      this.leave(signal?.aborted ? signal.reason : undefined);
      options.onEnd?.();
    }
  }

  private *abortedWith(options: SubscribeOptions<T>, received: number): Generator<T> {
    if (!options.onAbort) return;
    const last = options.onAbort(this.items.slice(0, received));
    options.onItem?.(last);
    yield last;
  }

  /**
   * Counts a subscriber out. The last one to leave before the end aborts the upstream with its
   * own abort reason when it has one, so the upstream can tell a caller's deadline from a caller
   * that stopped reading.
   */
  private leave(abortReason: unknown): void {
    this.subscribers--;
    if (this.subscribers === 0 && !this.finished) this.controller.abort(abortReason ?? new StreamAbandonedError());
  }

  private async pump(source: StreamSource<T>): Promise<void> {
    // Starts on the next microtask, so the creator can subscribe before the first item.
    await Promise.resolve();
    try {
      const { items, onItem } = source(this.controller.signal);
      for await (const item of items) {
        onItem?.(item);
        this.items.push(item);
        this.notify();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private notify(): void {
    const current = this.changed;
    this.changed = createSignal();
    current.resolve();
  }
}

/** The abort reason of the upstream when every subscriber has left without an abort reason of its own. */
export class StreamAbandonedError extends Error {
  constructor() {
    super('Every caller of the shared request left before it ended.');
    this.name = 'StreamAbandonedError';
  }
}

function createSignal(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** Waits for the next change, or for the subscriber's own abort, whichever comes first. */
function waitForChange(change: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return change;
  return new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void change.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
