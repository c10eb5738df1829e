/** The DNS and TCP steps: every address of the host, and a connection to each, timed. */

import { promises as dns, type LookupAddress } from 'node:dns';
import { connect, isIP } from 'node:net';

import { SwitchboardError, type ErrorCode } from '../errors';
import { isLocalhostName, LOCALHOST_ADDRESSES } from '../network/localhost';
import { classifyTransportError, formatHostPort } from '../network/transport-errors';
import type { DoctorContext } from './context';
import { remoteLoopbackHint } from './remote';
import type { StepStatus } from './report';

export async function checkDns(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const { host, url } = context.target!;
  if (isIP(host)) {
    context.addresses = [{ address: host, family: isIP(host) }];
    details.push(`${host} is an IP address, so no lookup is needed.`);
    return 'pass';
  }

  const started = context.now();
  let found: LookupAddress[] = [];
  try {
    found = await withTimeout(dns.lookup(host, { all: true, order: 'verbatim' }), context.network!.connectTimeoutMs, `The DNS lookup of ${host}`);
  } catch (error) {
    if (!isLocalhostName(host)) return lookupFailed(context, details, error, url);
    details.push(`The system resolver returned no address for ${host} (${(error as { code?: string }).code ?? (error as Error).message}).`);
  }
  details.push(`${host} resolved in ${Math.round(context.now() - started)} ms: ${describeFamilies(found)}.`);

  if (isLocalhostName(host)) {
    const missing = LOCALHOST_ADDRESSES.filter((loopback) => !found.some((address) => address.address === loopback.address));
    found = [...found, ...missing];
    details.push(`${host} always means this machine's loopback addresses (RFC 6761), so Switchboard tries 127.0.0.1 and ::1 whatever the resolver returns.`);
  }
  context.addresses = found;
  return 'pass';
}

function lookupFailed(context: DoctorContext, details: string[], error: unknown, url: URL): StepStatus {
  const classified = classifyTransportError(error, url.href) ?? new SwitchboardError('network.dns', `The DNS lookup of ${url.hostname} failed: ${(error as Error).message}`, { cause: error });
  if (context.proxy?.proxyUrl) {
    details.push(`This machine cannot resolve ${url.hostname} (${classified.message}) but requests go through a proxy, which resolves names itself.`);
    return 'warn';
  }
  throw classified;
}

function describeFamilies(addresses: LookupAddress[]): string {
  const ipv4 = addresses.filter((address) => address.family === 4).map((address) => address.address);
  const ipv6 = addresses.filter((address) => address.family === 6).map((address) => address.address);
  return `IPv4 (A) ${ipv4.length ? ipv4.join(', ') : 'none'}; IPv6 (AAAA) ${ipv6.length ? ipv6.join(', ') : 'none'}`;
}

interface TcpResult {
  address: LookupAddress;
  /** `127.0.0.1:11434` or `[::1]:11434`. */
  label: string;
  durationMs: number;
  /** Errno code such as ECONNREFUSED, or ETIMEDOUT for our own timeout; undefined when connected. */
  errorCode?: string;
}

export async function checkTcp(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const { port } = context.target!;
  if (context.addresses.length === 0) {
    details.push('No address to connect to directly; requests go through the proxy, which the next step checks.');
    return 'skip';
  }

  const results = await Promise.all(context.addresses.map((address) => probeTcp(address, port, context)));
  for (const result of results) details.push(describeTcpResult(result));
  const connected = results.filter((result) => result.errorCode === undefined);
  if (connected.length === results.length) return 'pass';

  if (connected.length > 0) {
    details.push(
      `Switchboard connects to ${connected.map((result) => result.label).join(' and ')}, because it tries every address in turn. ` +
        'Tools that try only the first address may fail; use that address in the base URL to be sure.',
    );
    return 'warn';
  }
  if (context.proxy?.proxyUrl) {
    details.push('Direct connections fail, but requests go through the proxy, which the next step checks.');
    return 'warn';
  }
  throw tcpFailure(results, context);
}

function describeTcpResult(result: TcpResult): string {
  const family = result.address.family === 6 ? 'IPv6' : 'IPv4';
  if (result.errorCode === undefined) return `${result.label} (${family}): connected in ${result.durationMs} ms.`;
  return `${result.label} (${family}): failed after ${result.durationMs} ms with ${result.errorCode}${result.errorCode === 'ECONNREFUSED' ? ' (connection refused: nothing listens there)' : ''}.`;
}

function probeTcp(address: LookupAddress, port: number, context: DoctorContext): Promise<TcpResult> {
  const label = formatHostPort(address.address, port);
  const started = context.now();
  const timeoutMs = context.network!.connectTimeoutMs;
  return new Promise((resolve) => {
    const socket = connect({ host: address.address, port, family: address.family });
    const finish = (errorCode?: string) => {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ address, label, durationMs: Math.round(context.now() - started), errorCode });
    };
    const onAbort = () => finish('ECANCELED');
    const timer = setTimeout(() => finish('ETIMEDOUT'), timeoutMs);
    context.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish());
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'ERROR'));
  });
}

function tcpFailure(results: TcpResult[], context: DoctorContext): SwitchboardError {
  const { host, port } = context.target!;
  const first = results[0]!;
  const labels = results.map((result) => result.label).join(' and ');
  const code: ErrorCode = first.errorCode === 'ECONNREFUSED' ? 'network.refused' : first.errorCode === 'ETIMEDOUT' ? 'timeout.connect' : 'network.unreachable';
  const summary =
    code === 'network.refused'
      ? `Connection refused by ${labels}: nothing is listening there`
      : code === 'timeout.connect'
        ? `Connecting to ${labels} timed out after ${context.network!.connectTimeoutMs} ms`
        : `Could not connect to ${labels} (${results.map((result) => result.errorCode).join(', ')})`;
  const hint = remoteLoopbackHint(context.options.remoteName, host, port);
  const message = hint ? `${summary}. ${hint.explanation}` : `${summary}.`;
  return new SwitchboardError(code, message, { fix: hint ? hint.fixes : localFixes(context) });
}

function localFixes(context: DoctorContext): string[] {
  const { port } = context.target!;
  const fixes = ['Start the server, or correct the host and port in the base URL.'];
  if (context.profile?.server === 'ollama') fixes.push(`Start Ollama with "ollama serve"; it listens on 127.0.0.1:${port} unless OLLAMA_HOST says otherwise.`);
  fixes.push('Check that no firewall blocks the port.');
  return fixes;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${operation} did not finish within ${timeoutMs} ms.`), { code: 'EAI_AGAIN' })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
