/**
 * The proxy step: which proxy applies and why, and whether a CONNECT tunnel through it to
 * the target opens. The TLS step uses `openTunnel` to inspect certificates through the proxy.
 */

import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';

import { SwitchboardError } from '../errors';
import { lookupWithLocalhost } from '../network/localhost';
import { describeProxyDecision, proxyAddress } from '../network/proxy';
import { classifyProxyFailure, formatHostPort, proxyStatusError } from '../network/transport-errors';
import { loadTrustSources } from '../network/trust';
import { redactUrl } from '../redact';
import type { DoctorContext } from './context';
import type { StepStatus } from './report';

const ENVIRONMENT_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

export async function checkProxy(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const decision = context.proxy!;
  const { url } = context.target!;
  details.push(`Requests to ${url.host} go ${describeProxyDecision(decision)}.`);
  details.push(...describeConfiguredProxies(context));
  if (!decision.proxyUrl) return decision.bypassedBy || decision.skippedRemoteProxy ? 'pass' : 'skip';

  const started = context.now();
  const { socket, status } = await openTunnel(context);
  socket.destroy();
  details.push(`CONNECT ${tunnelTarget(context)} through ${proxyAddress(decision.proxyUrl).label}: status ${status} in ${Math.round(context.now() - started)} ms.`);
  return 'pass';
}

function describeConfiguredProxies(context: DoctorContext): string[] {
  const lines = [`Proxy setting: ${context.network!.proxy ? redactUrl(context.network!.proxy) : '(empty)'}; no-proxy setting: ${context.network!.noProxy ?? '(not set)'}.`];
  const variables = ENVIRONMENT_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => `${name}=${redactUrl(process.env[name]!)}`);
  lines.push(variables.length ? `Environment: ${variables.join(', ')}.` : 'Environment: no proxy variables are set.');
  return lines;
}

function tunnelTarget(context: DoctorContext): string {
  const { host, port } = context.target!;
  return formatHostPort(host, port);
}

/**
 * Opens a CONNECT tunnel to the target through the proxy that applies. It throws
 * `proxy.auth_required` for a 407 (or tinyproxy's 401), and `proxy.failed` for another status
 * or an unreachable proxy. Both errors name the proxy's address and never its password.
 */
export function openTunnel(context: DoctorContext): Promise<{ socket: Socket; status: number }> {
  const decision = context.proxy!;
  const proxyUrl = new URL(decision.proxyUrl!);
  const proxy = proxyAddress(decision.proxyUrl!);
  const target = tunnelTarget(context);
  const headers: Record<string, string> = { host: target };
  if (proxyUrl.username || proxyUrl.password) {
    const credentials = `${decodeURIComponent(proxyUrl.username)}:${decodeURIComponent(proxyUrl.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const secureProxy = proxyUrl.protocol === 'https:';
  const ca = secureProxy ? loadTrustSources(context.network!, process.env).flatMap((source) => source.certificates) : undefined;
  const timeoutMs = context.network!.connectTimeoutMs + context.network!.firstByteTimeoutMs;

  return new Promise((resolve, reject) => {
    const options = { host: proxy.host, port: proxy.port, method: 'CONNECT', path: target, headers, lookup: lookupWithLocalhost, autoSelectFamily: true, ca, rejectUnauthorized: context.network!.strictSsl, signal: context.signal };
    const request = (secureProxy ? https : http).request(options);
    const timer = setTimeout(() => request.destroy(new SwitchboardError('proxy.failed', `The proxy ${proxy.label} did not respond to the CONNECT request within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
    request.once('connect', (response: http.IncomingMessage, socket: Socket) => {
      clearTimeout(timer);
      const status = response.statusCode ?? 0;
      if (status === 200) {
        resolve({ socket, status });
        return;
      }
      socket.destroy();
      reject(tunnelRefused(status, context));
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error instanceof SwitchboardError ? error : (classifyProxyFailure(error, decision, context.target!.url) ?? new SwitchboardError('proxy.failed', `The CONNECT request to the proxy ${proxy.label} failed: ${error.message}`, { cause: error })));
    });
    request.end();
  });
}

function tunnelRefused(status: number, context: DoctorContext): SwitchboardError {
  return proxyStatusError(status, context.proxy!, context.target!.url);
}
