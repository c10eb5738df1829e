/** `switchboard detect`: lists the local model servers that respond on this machine. */

import { checkDetectPorts, DEFAULT_DETECT_PORTS, detectLocalServers, type DetectedServer, type LocalServerKind } from '../engine/detect/detect-local-servers';
import type { Logger } from '../engine/types';
import { usageError, type CliArguments } from './args';
import { cancelOnSignals } from './signals';

/** The streams and environment of one run, as runCli receives them. */
interface DetectIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * Prints one line per detected server, or one JSON object per line with --json, and returns
 * exit status 0, also when nothing was found. Bad SWITCHBOARD_DETECT_PORTS throws `config.invalid`.
 * SIGINT ends it with status 130 and SIGTERM with 143.
 */
export async function runDetect(args: CliArguments, io: DetectIo, logger: Logger): Promise<number> {
  const ports = readDetectPorts(io.env);
  const cancellation = cancelOnSignals();
  let servers: DetectedServer[];
  try {
    servers = await detectLocalServers({ ports, logger, signal: cancellation.signal });
  } catch (error) {
    if (!cancellation.signal.aborted) throw error;
    io.stderr.write('switchboard: detect was cancelled before it finished.\n');
    return cancellation.cancelledStatus();
  } finally {
    cancellation.dispose();
  }

  for (const server of servers) io.stdout.write(`${args.json ? JSON.stringify(server) : describeServer(server)}\n`);
  if (servers.length === 0) {
    (args.json ? io.stderr : io.stdout).write(`${noneFoundMessage({ ...DEFAULT_DETECT_PORTS, ...ports })}\n`);
  } else if (!args.json) {
    io.stderr.write('To use a server, add its profile to the switchboard.profiles setting, or to SWITCHBOARD_PROFILES for the command line.\n');
  }
  return 0;
}

/** Reads SWITCHBOARD_DETECT_PORTS, a JSON object of ports by server kind, for tests and servers on other ports. */
function readDetectPorts(env: NodeJS.ProcessEnv): Partial<Record<LocalServerKind, number>> | undefined {
  const text = env.SWITCHBOARD_DETECT_PORTS;
  if (text === undefined || text.trim() === '') return undefined;
  const fix = 'Set SWITCHBOARD_DETECT_PORTS to a JSON object such as {"ollama": 11435}, or unset it.';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`SWITCHBOARD_DETECT_PORTS is not valid JSON: ${(error as Error).message}.`, fix);
  }
  try {
    return checkDetectPorts(value);
  } catch (error) {
    throw usageError(`Invalid SWITCHBOARD_DETECT_PORTS: ${(error as Error).message}`, fix);
  }
}

function describeServer(server: DetectedServer): string {
  const count = server.models.length === 1 ? '1 model' : `${server.models.length} models`;
  const fields = [server.label, server.baseUrl, server.version ? `version ${server.version}` : 'version unknown', count, `profile ${JSON.stringify(server.suggestedProfile)}`];
  if (server.note) fields.push(`note: ${server.note}`);
  return fields.join('\t');
}

function noneFoundMessage(ports: Record<LocalServerKind, number>): string {
  const probed = [...new Set(Object.values(ports))].join(', ');
  return `No local model server was found on 127.0.0.1 (ports ${probed}). Start Ollama with "ollama serve", or the LM Studio server with "lms server start", then run switchboard detect again.`;
}
