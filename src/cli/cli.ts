/** The `switchboard` command line over the same engine as the language server. */

import { sshSessionLoopbackHint } from '../engine/doctor/remote';
import { Engine } from '../engine/engine';
import { isSwitchboardError, SwitchboardError, type ErrorCode, type ErrorData } from '../engine/errors';
import { parseProfile, type ProfileInput } from '../engine/profiles';
import { redactText } from '../engine/redact';
import { checkStandaloneProfiles, keysFromEnvironment, loadStandaloneConfiguration } from '../engine/standalone-config';
import type { ChatEvent, ChatMessage, Logger } from '../engine/types';
import { adHocProfileInput, parseCliArguments, usageError, USAGE, type CliArguments } from './args';
import { runDetect } from './detect-command';
import { runDiagnose } from './diagnose-command';
import { cancelOnSignals, EXIT_INTERRUPTED, EXIT_TERMINATED } from './signals';

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Exit statuses: 0 success, 1 the request failed, 2 bad usage or configuration, 130 interrupted (SIGINT), 143 terminated (SIGTERM). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: EXIT_INTERRUPTED, terminated: EXIT_TERMINATED } as const;

declare const __SWITCHBOARD_VERSION__: string | undefined;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: CliArguments;
  try {
    args = parseCliArguments(argv);
  } catch (error) {
    return reportUsageError(error, io);
  }
  if (args.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (args.command === 'version') {
    io.stdout.write(`${typeof __SWITCHBOARD_VERSION__ === 'string' ? __SWITCHBOARD_VERSION__ : 'development'}\n`);
    return EXIT.ok;
  }
  if (args.command === 'serve') return serve(args, io);
  if (args.command === 'detect') return runDetect(args, io, createStderrLogger(io)).catch((error: unknown) => reportUsageError(error, io, args.json));
  if (args.command === 'diagnose') return runDiagnose(args, io, createStderrLogger(io)).catch((error: unknown) => reportUsageError(error, io, args.json));
  return runWithEngine(args, io);
}

async function serve(args: CliArguments, io: CliIo): Promise<number> {
  if (!args.stdio) return reportUsageError(usageError('serve needs --stdio.', 'Run: switchboard serve --stdio'), io);
  const { startServer } = await import('../server/server.js');
  startServer({ standalone: true });
  // The server exits the process itself when the editor sends `exit`.
  return new Promise<number>(() => undefined);
}

async function runWithEngine(args: CliArguments, io: CliIo): Promise<number> {
  const logger = createStderrLogger(io);
  const engine = new Engine({ logger, network: args.network, surface: 'cli' });
  // SIGTERM cancels like SIGINT, and the status says which signal it was.
  const cancellation = cancelOnSignals();
  try {
    const profileName = await configureEngine(engine, args, io.env);
    const explain = (error: ErrorData) => withSshHint(error, engine.getProfile(profileName).baseUrl, io.env);
    const status =
      args.command === 'models'
        ? await listModels(engine, profileName, args, { ...io, explain }, cancellation.signal)
        : await chat(engine, profileName, await buildMessages(args, io), args, { ...io, explain }, cancellation.signal);
    return status === EXIT.interrupted ? cancellation.cancelledStatus() : status;
  } catch (error) {
    return reportUsageError(error, io, args.json);
  } finally {
    cancellation.dispose();
    await engine.close();
  }
}

/** Loads profiles and keys into the engine and returns the name of the profile to use. */
async function configureEngine(engine: Engine, args: CliArguments, env: NodeJS.ProcessEnv): Promise<string> {
  if (args.provider || args.baseUrl) {
    const profile = adHocProfile(args);
    // Checked here first, so that messages name the flags rather than the engine's profile list.
    parseProfile(profile, undefined, AD_HOC_FIELDS);
    await engine.configure({ profiles: [profile] });
    for (const [name, key] of keysFromEnvironment([profile], env)) engine.setKey(name, key);
    return 'cli';
  }
  const argv = args.profilesFile ? ['--profiles', args.profilesFile] : [];
  const configuration = loadStandaloneConfiguration(undefined, env, argv);
  checkStandaloneProfiles(configuration);
  await engine.configure({ profiles: configuration.profiles });
  for (const [name, key] of configuration.keys) engine.setKey(name, key);
  const name = args.profile ?? String(configuration.profiles[0]?.name ?? '').trim();
  const profile = engine.getProfile(name);
  if (args.model && args.model !== profile.model) {
    await engine.configure({ profiles: configuration.profiles.map((input) => (String(input.name).trim() === name ? { ...input, model: args.model } : input)) });
  }
  return name;
}

/** The flags that set each field of the ad-hoc profile, for error messages. */
const AD_HOC_FIELDS = { kind: '--provider', preset: '--provider', baseUrl: '--base-url', model: '--model', apiVersion: '--api-version' } as const;

function adHocProfile(args: CliArguments): ProfileInput {
  return adHocProfileInput(args, args.model ?? (args.command === 'models' ? 'unused' : undefined));
}

async function buildMessages(args: CliArguments, io: CliIo): Promise<ChatMessage[]> {
  if (args.prompt === undefined) throw usageError('Missing PROMPT.', 'Add the prompt as the last argument, or "-" to read it from standard input.');
  const prompt = args.prompt === '-' ? await readAll(io.stdin) : args.prompt;
  if (prompt.trim() === '') throw usageError('The prompt is empty.', 'Give a prompt with some text.');
  const messages: ChatMessage[] = [];
  if (args.system) messages.push({ role: 'system', content: args.system });
  messages.push({ role: 'user', content: prompt });
  return messages;
}

/** The streams, and a function that adds facts about where the command runs (such as an SSH session) to an error. */
interface RequestIo extends CliIo {
  explain(error: ErrorData): ErrorData;
}

async function chat(engine: Engine, profile: string, messages: ChatMessage[], args: CliArguments, io: RequestIo, signal: AbortSignal): Promise<number> {
  let status: number = EXIT.ok;
  let endedWithNewline = true;
  // Reasoning goes to stderr under a label, so stdout carries only the answer.
  let reasoningOpen = false;
  const closeReasoning = () => {
    if (reasoningOpen) io.stderr.write('\n');
    reasoningOpen = false;
  };
  const request = { profile, messages, maxOutputTokens: args.maxTokens, temperature: args.temperature, stream: args.stream };
  for await (const engineEvent of engine.chat(request, signal)) {
    const event: ChatEvent = engineEvent.type === 'error' ? { type: 'error', error: io.explain(engineEvent.error) } : engineEvent;
    if (args.json) {
      io.stdout.write(`${JSON.stringify(toJsonLine(event))}\n`);
    } else if (event.type === 'text') {
      closeReasoning();
      io.stdout.write(event.text);
      endedWithNewline = event.text.endsWith('\n');
    } else if (event.type === 'reasoning') {
      if (!reasoningOpen) io.stderr.write('thinking: ');
      reasoningOpen = true;
      io.stderr.write(event.text);
    } else if (event.type === 'retry') {
      closeReasoning();
      io.stderr.write(`switchboard: ${event.code}: ${event.message} Retrying in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt}).\n`);
    } else if (event.type === 'correction') {
      closeReasoning();
      io.stderr.write(`switchboard: note: ${event.message}\n`);
    } else if (event.type === 'error') {
      closeReasoning();
      if (!endedWithNewline) io.stdout.write('\n');
      writeError(event.error, io);
      writeUsageHint(event.error, io);
    }
    if (event.type === 'error') status = exitStatusFor(event.error.code);
  }
  if (!args.json && !endedWithNewline && status === EXIT.ok) io.stdout.write('\n');
  return status;
}

async function listModels(engine: Engine, profile: string, args: CliArguments, io: RequestIo, signal: AbortSignal): Promise<number> {
  try {
    const models = await engine.listModels(profile, signal);
    for (const model of models) {
      if (args.json) io.stdout.write(`${JSON.stringify(model)}\n`);
      else io.stdout.write(`${model.id}${model.sizeBytes ? `\t${(model.sizeBytes / 1e9).toFixed(1)} GB` : ''}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    const data = io.explain(toErrorData(error));
    if (args.json) io.stdout.write(`${JSON.stringify(errorJson(data))}\n`);
    else {
      writeError(data, io);
      writeUsageHint(data, io);
    }
    return exitStatusFor(data.code);
  }
}

/** The JSON-lines form of an event, as documented in the README. */
function toJsonLine(event: ChatEvent): Record<string, unknown> {
  switch (event.type) {
    case 'error':
      return errorJson(event.error);
    case 'end':
      return { type: 'end', finishReason: event.finishReason, usage: event.usage ?? null };
    default:
      return event;
  }
}

function errorJson(error: ErrorData): Record<string, unknown> {
  return {
    type: 'error',
    code: error.code,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs ?? null,
    message: error.message,
    fix: error.fix,
    status: error.status ?? null,
    requestId: error.requestId ?? null,
    providerRequestId: error.providerRequestId ?? null,
    partialText: error.partialText ?? null,
  };
}

function writeError(error: ErrorData, io: CliIo): void {
  io.stderr.write(`switchboard: error ${error.code}: ${error.message}\n`);
  for (const fix of error.fix) io.stderr.write(`  fix: ${fix}\n`);
  if (error.cause) io.stderr.write(`  cause: ${error.cause}\n`);
}

function reportUsageError(error: unknown, io: CliIo, json = false): number {
  const data = toErrorData(error);
  if (json) {
    io.stdout.write(`${JSON.stringify(errorJson(data))}\n`);
  } else {
    writeError(data, io);
    writeUsageHint(data, io);
  }
  return exitStatusFor(data.code);
}

/** Returns the exit status for an error code. Configuration mistakes and a missing key count as usage errors. */
function exitStatusFor(code: ErrorCode): number {
  if (code === 'cancelled') return EXIT.interrupted;
  if (code.startsWith('config.') || code === 'auth.missing_key') return EXIT.usage;
  return EXIT.failed;
}

function writeUsageHint(error: ErrorData, io: CliIo): void {
  if (exitStatusFor(error.code) === EXIT.usage) io.stderr.write('Run switchboard --help for the usage.\n');
}

function toErrorData(error: unknown): ErrorData {
  if (isSwitchboardError(error)) return error.toData('cli');
  return new SwitchboardError('internal', (error as Error)?.message ?? String(error), { cause: error }).toData('cli');
}

/**
 * Adds the SSH hint to a refused or timed-out connection to a loopback base URL: in an SSH
 * session, the model server on the user's own computer is not on this machine.
 */
function withSshHint(error: ErrorData, baseUrl: string, env: NodeJS.ProcessEnv): ErrorData {
  if (error.code !== 'network.refused' && error.code !== 'timeout.connect') return error;
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const hint = sshSessionLoopbackHint(env, url.hostname, port);
  return hint ? { ...error, message: `${error.message} ${hint.explanation}`, fix: [...hint.fixes, ...error.fix] } : error;
}

/**
 * Logs the engine's errors to stderr; warnings and per-request info lines only with
 * SWITCHBOARD_DEBUG=1, because the command already prints each failure once.
 */
function createStderrLogger(io: CliIo): Logger {
  const verbose = io.env.SWITCHBOARD_DEBUG === '1';
  const write = (level: string, message: string) => io.stderr.write(`switchboard: ${level}: ${redactText(message)}\n`);
  return {
    error: (message) => write('error', message),
    warn: (message) => verbose && write('warn', message),
    info: (message) => verbose && write('info', message),
    debug: (message) => verbose && write('debug', message),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
