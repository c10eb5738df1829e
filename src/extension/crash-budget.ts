/** Counts language-server crashes in a sliding window, to decide whether one more restart is allowed. */

export class CrashBudget {
  private crashes: number[] = [];

  /**
   * @param maxRestarts restarts allowed within the window; the crash after them is not restarted.
   * @param windowMs length of the sliding window, in milliseconds.
   */
  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
  ) {}

  /** Records a crash at `now` and returns whether the server may be restarted after it. */
  recordCrash(now: number): boolean {
    this.crashes = this.crashes.filter((time) => now - time < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }
}

/** Keeps the last lines written to a stream, such as the server's stderr, for crash reports. */
export class LineTail {
  private lines: string[] = [];

  constructor(readonly maxLines = 20) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  get text(): string {
    return this.lines.join('\n');
  }

  /**
   * Returns the line that names the error, such as `Error: Cannot find module …` from Node's
   * report of an uncaught exception, else the last non-empty line.
   */
  summary(): string | undefined {
    const lines = this.lines.map((line) => line.trim()).filter((line) => line !== '');
    const errors = lines.filter((line) => /^([A-Z]\w*)?Error\b/.test(line));
    return errors.at(-1) ?? lines.at(-1);
  }

  clear(): void {
    this.lines = [];
  }
}
