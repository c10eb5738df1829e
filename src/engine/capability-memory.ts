/**
 * Capabilities that Switchboard learned about a model on a server from the server's rejections,
 * kept per (base URL, model) so that the next request is right the first time. The memory lives
 * in the engine's process, and an optional store lets the server or the extension keep it across
 * restarts as JSON.
 */

import { silentLogger, type Logger } from './types';

/** Facts learned about one model on one server. An absent field means nothing was learned. */
export interface LearnedCapabilities {
  /** The field name under which the model accepts the output limit. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** True when the model accepts only its default temperature, so none is sent. */
  omitTemperature?: boolean;
  /** True when the model rejects system messages, so they are put into the first user message. */
  foldSystemMessages?: boolean;
  /** True when the model rejects Gemini's thought summaries (`includeThoughts`). */
  omitThoughtSummaries?: boolean;
  /**
   * The context length the server reported, in tokens. NOTE: it is kept for diagnostics only;
   * request builders cannot use it, because a prompt's token count is unknown before sending.
   */
  contextTokens?: number;
}

/** The JSON form of the memory, as a store saves and loads it. */
export interface CapabilitySnapshot {
  version: 1;
  entries: { baseUrl: string; model: string; capabilities: LearnedCapabilities }[];
}

/** Persistence for the memory; both methods may be synchronous or return a promise. */
export interface CapabilityStore {
  /**
   * Returns the saved snapshot, or undefined when nothing was saved. Rejects when the saved
   * data exists but cannot be read. May return a snapshot of a version this code does not know.
   */
  load(): CapabilitySnapshot | undefined | Promise<CapabilitySnapshot | undefined>;
  save(snapshot: CapabilitySnapshot): void | Promise<void>;
  /** The location of the snapshot, such as a file path, for log lines. */
  readonly path?: string;
}

export interface CapabilityMemoryOptions {
  store?: CapabilityStore;
  /** Entries kept; the least recently learned or read entry goes first. Default 500. */
  maxEntries?: number;
  logger?: Logger;
}

const DEFAULT_MAX_ENTRIES = 500;

export class CapabilityMemory {
  private readonly entries = new Map<string, { baseUrl: string; model: string; capabilities: LearnedCapabilities }>();
  private readonly store?: CapabilityStore;
  private readonly maxEntries: number;
  private readonly logger: Logger;
  /** Saves that failed since the last one that worked. */
  private failedSaves = 0;
  /**
   * True after restore() could not use the saved snapshot. Saving then would replace entries
   * that are still on disk, so what is learned stays in this process only.
   */
  private memoryOnly = false;

  constructor(options: CapabilityMemoryOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`Invalid CapabilityMemory option maxEntries: ${maxEntries}. Use an integer of at least 1.`);
    }
    this.store = options.store;
    this.maxEntries = maxEntries;
    this.logger = options.logger ?? silentLogger;
  }

  /** Returns a copy of what is known about a model on a server; empty when nothing is. */
  get(baseUrl: string, model: string): LearnedCapabilities {
    const key = keyOf(baseUrl, model);
    const entry = this.entries.get(key);
    if (!entry) return {};
    this.touch(key, entry);
    return { ...entry.capabilities };
  }

  /** Merges newly learned facts into an entry and saves the memory when a store is set. */
  learn(baseUrl: string, model: string, learned: LearnedCapabilities): void {
    const key = keyOf(baseUrl, model);
    const previous = this.entries.get(key)?.capabilities ?? {};
    const capabilities = { ...previous, ...dropUndefined(learned) };
    this.touch(key, { baseUrl, model, capabilities });
    this.save();
  }

  /** Forgets one model on a server, or everything when called without arguments. */
  forget(baseUrl?: string, model?: string): void {
    if (baseUrl === undefined || model === undefined) this.entries.clear();
    else this.entries.delete(keyOf(baseUrl, model));
    this.save();
  }

  snapshot(): CapabilitySnapshot {
    return {
      version: 1,
      entries: [...this.entries.values()].map((entry) => ({ baseUrl: entry.baseUrl, model: entry.model, capabilities: { ...entry.capabilities } })),
    };
  }

  /**
   * Loads the store's snapshot. Entries learned since this memory was made win over loaded
   * ones, and invalid entries are skipped with a warning. When the store cannot be read, or
   * contains a snapshot of another version, the memory warns once and stops saving until the next
   * restore(), so that the saved entries are not overwritten.
   */
  async restore(): Promise<void> {
    if (!this.store) return;
    this.memoryOnly = false;
    let snapshot: CapabilitySnapshot | undefined;
    try {
      snapshot = await this.store.load();
    } catch (error) {
      this.memoryOnly = true;
      this.logger.warn(
        `Could not load the learned model capabilities: ${(error as Error)?.message ?? String(error)}. ` +
          'Until the next start, newly learned capabilities are kept in memory only, so that the saved ones are not overwritten.',
      );
      return;
    }
    if (!snapshot) return;
    if (snapshot.version !== 1 || !Array.isArray(snapshot.entries)) {
      this.memoryOnly = true;
      const where = this.store.path === undefined ? '' : ` in ${this.store.path}`;
      const problem = typeof snapshot.version === 'number' && snapshot.version > 1 ? `of version ${snapshot.version}, which this version of Switchboard cannot read` : 'not a version 1 snapshot';
      this.logger.warn(`The learned model capabilities${where} are ${problem}. They are left as they are, and newly learned capabilities are kept in memory only until the next start.`);
      return;
    }
    for (const entry of snapshot.entries) this.restoreEntry(entry);
  }

  private restoreEntry(entry: unknown): void {
    const parsed = parseEntry(entry);
    if (!parsed) {
      this.logger.warn(`Ignored an invalid entry of the learned model capabilities: ${JSON.stringify(entry)?.slice(0, 200)}`);
      return;
    }
    const key = keyOf(parsed.baseUrl, parsed.model);
    if (this.entries.has(key)) return;
    this.touch(key, parsed);
  }

  /** Moves an entry to the end of the insertion order and drops the oldest beyond the limit. */
  private touch(key: string, entry: { baseUrl: string; model: string; capabilities: LearnedCapabilities }): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /**
   * Saves a snapshot in the background. The first failure in a row is a warning and the
   * repeats are debug lines, so a read-only folder does not fill the log on every request.
   */
  private save(): void {
    if (!this.store || this.memoryOnly) return;
    const snapshot = this.snapshot();
    Promise.resolve()
      .then(() => this.store!.save(snapshot))
      .then(
        () => {
          if (this.failedSaves > 0) this.logger.info(`Saved the learned model capabilities again after ${this.failedSaves} failed save(s).`);
          this.failedSaves = 0;
        },
        (error: unknown) => {
          this.failedSaves += 1;
          const message = `Could not save the learned model capabilities: ${(error as Error)?.message ?? String(error)}`;
          if (this.failedSaves === 1) this.logger.warn(message);
          else this.logger.debug(`${message} (failed ${this.failedSaves} times in a row)`);
        },
      );
  }
}

function keyOf(baseUrl: string, model: string): string {
  return `${baseUrl}\n${model}`;
}

function dropUndefined(learned: LearnedCapabilities): LearnedCapabilities {
  return Object.fromEntries(Object.entries(learned).filter(([, value]) => value !== undefined)) as LearnedCapabilities;
}

/** Checks one loaded entry field by field; returns undefined when any field has the wrong type. */
function parseEntry(value: unknown): { baseUrl: string; model: string; capabilities: LearnedCapabilities } | undefined {
  if (!isRecord(value) || typeof value['baseUrl'] !== 'string' || typeof value['model'] !== 'string' || !isRecord(value['capabilities'])) return undefined;
  const raw = value['capabilities'];
  const capabilities: LearnedCapabilities = {};
  const field = raw['maxTokensField'];
  if (field !== undefined && field !== 'max_tokens' && field !== 'max_completion_tokens') return undefined;
  if (field !== undefined) capabilities.maxTokensField = field;
  for (const flag of ['omitTemperature', 'foldSystemMessages', 'omitThoughtSummaries'] as const) {
    if (raw[flag] === undefined) continue;
    if (typeof raw[flag] !== 'boolean') return undefined;
    capabilities[flag] = raw[flag];
  }
  const contextTokens = raw['contextTokens'];
  if (contextTokens !== undefined && !(Number.isInteger(contextTokens) && (contextTokens as number) > 0)) return undefined;
  if (contextTokens !== undefined) capabilities.contextTokens = contextTokens as number;
  return { baseUrl: value['baseUrl'], model: value['model'], capabilities };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
