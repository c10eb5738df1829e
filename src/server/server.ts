/**
 * The language server: hosts the engine in its own process and serves the messages declared
 * in src/protocol. Started over IPC by the extension, or over stdio by other editors.
 */

import { createConnection, ProposedFeatures, ResponseError, type Connection, type InitializeParams } from 'vscode-languageserver/node';

import { Engine } from '../engine/engine';
import { isSwitchboardError, SwitchboardError } from '../engine/errors';
import type { ChatEvent, Logger } from '../engine/types';
import {
  chatProgress,
  chatRequest,
  configureRequest,
  listModelsRequest,
  listProfilesRequest,
  setKeyRequest,
  statusNotification,
  type ChatParams,
  type ChatResult,
  type ConfigureParams,
} from '../protocol/protocol';
import { createConnectionLogger } from './logger';
import { loadStandaloneConfiguration } from '../engine/standalone-config';

export interface ServerOptions {
  /** True when started by another editor over stdio: keys come from environment variables. */
  standalone: boolean;
}

export function startServer(options: ServerOptions): Connection {
  const connection = createConnection(ProposedFeatures.all);
  const logger = createConnectionLogger(connection);
  routeConsoleToLogger(logger);
  const engine = new Engine({ logger });

  connection.onInitialize(async (params: InitializeParams) => {
    if (options.standalone) await applyStandaloneConfiguration(engine, params.initializationOptions, logger);
    return { capabilities: {}, serverInfo: { name: 'switchboard', version: SERVER_VERSION } };
  });

  registerHandlers(connection, engine, logger);
  engine.onStatus(() => {
    const profiles = engine.listProfiles().map((profile) => engine.statusOf(profile.name));
    const inFlight = profiles.reduce((sum, status) => sum + status.inFlight, 0);
    void connection.sendNotification(statusNotification, { profiles, inFlight });
  });
  connection.onShutdown(() => engine.close());
  connection.onExit(() => process.exit(0));
  connection.listen();
  return connection;
}

/**
 * Sends console output of dependencies (the Gemini SDK warns through console.warn) to the
 * client's log, because over stdio any stray write to stdout would corrupt the JSON-RPC stream.
 */
function routeConsoleToLogger(logger: Logger): void {
  /* eslint-disable no-console -- this replaces the console methods, it does not write to them. */
  console.log = (...values: unknown[]) => logger.info(values.map(String).join(' '));
  console.info = console.log;
  console.debug = (...values: unknown[]) => logger.debug(values.map(String).join(' '));
  console.warn = (...values: unknown[]) => logger.warn(values.map(String).join(' '));
  console.error = (...values: unknown[]) => logger.error(values.map(String).join(' '));
  /* eslint-enable no-console */
}

declare const __SWITCHBOARD_VERSION__: string | undefined;
const SERVER_VERSION = typeof __SWITCHBOARD_VERSION__ === 'string' ? __SWITCHBOARD_VERSION__ : 'development';

function registerHandlers(connection: Connection, engine: Engine, logger: Logger): void {
  connection.onRequest(configureRequest, async (params: ConfigureParams) => {
    try {
      await engine.configure(params);
      return { ok: true as const, profiles: engine.listProfiles() };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    }
  });

  connection.onRequest(setKeyRequest, (params) => {
    engine.setKey(params.profile, params.key);
    logger.info(`Key ${params.key ? 'set' : 'removed'} for profile "${params.profile}".`);
    return { ok: true as const };
  });

  connection.onRequest(listModelsRequest, async (params, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      return { ok: true as const, models: await engine.listModels(params.profile, controller.signal) };
    } catch (error) {
      return { ok: false as const, error: toErrorData(error) };
    }
  });

  connection.onRequest(listProfilesRequest, () => ({
    profiles: engine.listProfiles(),
    keys: engine.listProfiles().filter((profile) => engine.hasKey(profile.name)).map((profile) => profile.name),
  }));

  connection.onRequest(chatRequest, async (params: ChatParams, token) => {
    if (!params || typeof params !== 'object' || !params.request) {
      throw new ResponseError(-32602, 'switchboard/chat needs params of the form {request: {profile, messages}}.');
    }
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      return await runChat(connection, engine, params, controller.signal);
    } finally {
      cancel.dispose();
    }
  });
}

async function runChat(connection: Connection, engine: Engine, params: ChatParams, signal: AbortSignal): Promise<ChatResult> {
  const started = performance.now();
  const result: ChatResult = { totalMs: 0 };
  for await (const event of engine.chat(params.request, signal)) {
    result.firstEventMs ??= performance.now() - started;
    if (params.partialResultToken !== undefined) {
      void connection.sendProgress(chatProgress, params.partialResultToken, [event] as ChatEvent[]);
    }
    if (event.type === 'end') {
      result.finishReason = event.finishReason;
      result.usage = event.usage;
      result.cached = event.cached;
    } else if (event.type === 'error') {
      result.error = event.error;
    }
  }
  result.totalMs = performance.now() - started;
  return result;
}

async function applyStandaloneConfiguration(engine: Engine, initializationOptions: unknown, logger: Logger): Promise<void> {
  try {
    const configuration = loadStandaloneConfiguration(initializationOptions, process.env, process.argv);
    await engine.configure({ profiles: configuration.profiles });
    for (const [profile, key] of configuration.keys) engine.setKey(profile, key);
    logger.info(`Loaded ${configuration.profiles.length} profiles from ${configuration.source}.`);
  } catch (error) {
    logger.error(`Could not load the standalone configuration: ${toErrorData(error).message}`);
  }
}

function toErrorData(error: unknown) {
  if (isSwitchboardError(error)) return error.toData();
  return new SwitchboardError('internal', (error as Error)?.message ?? String(error), { cause: error }).toData();
}
