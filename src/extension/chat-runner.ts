/**
 * Runs one chat request with a cancellable progress notification: streamed events arrive
 * as `$/progress` partial results, Cancel reaches the server as `$/cancelRequest`, and the
 * status bar counts the request while it runs.
 */

import { randomUUID } from 'node:crypto';

import * as vscode from 'vscode';

import type { ErrorData } from '../engine/errors';
import { isLoopbackHost } from '../engine/network/options';
import type { ChatEvent, ChatRequest } from '../engine/types';
import { chatProgress, chatRequest, type ChatResult } from '../protocol/protocol';
import { formatDuration } from './status-view';
import { isServerUnavailable } from './server-connection';
import { showServerUnavailable } from './notifications';
import type { Services } from './services';

/**
 * JSON-RPC error codes of the client's rejections: RequestCancelled from the LSP 3.17
 * specification, and vscode-jsonrpc 10's ConnectionInactive. Errors are matched by code
 * because they come from the language-client bundle's own copy of vscode-jsonrpc, where
 * `instanceof` against this bundle's classes fails.
 */
const REQUEST_CANCELLED = -32800;
const CONNECTION_INACTIVE = -32096;

export type ChatRunResult =
  | { kind: 'finished'; result: ChatResult; text: string }
  | { kind: 'failed'; error: ErrorData; text: string }
  | { kind: 'cancelled'; text: string }
  /** The server stopped or could not be reached, as `message` states. */
  | { kind: 'lost'; message: string; text: string };

export interface ChatRunOptions {
  /** Title of the progress notification, such as "Explain Selection". */
  title: string;
  request: ChatRequest;
  /** Receives each batch of events as it arrives. */
  onEvents?(events: readonly ChatEvent[]): void;
}

export async function runChat(services: Services, options: ChatRunOptions): Promise<ChatRunResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Switchboard: {0}', options.title), cancellable: true },
    (progress, token) => runWithProgress(services, options, progress, token),
  );
}

async function runWithProgress(
  services: Services,
  options: ChatRunOptions,
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
): Promise<ChatRunResult> {
  const { log, server, status } = services;
  progress.report({ message: server.isRunning ? vscode.l10n.t('Sending the request…') : vscode.l10n.t('Starting the language server…') });
  try {
    await server.start();
  } catch (error) {
    const message = isServerUnavailable(error) ? error.message : String(error);
    void showServerUnavailable(message, log);
    return { kind: 'lost', message, text: '' };
  }

  let text = '';
  const tracked = status.requestStarted({ loopback: isLoopbackProfile(services, options.request.profile) });
  const partialResultToken = `switchboard-chat-${randomUUID()}`;
  const subscription = server.onProgress(chatProgress, partialResultToken, (events) => {
    tracked.firstEvent();
    for (const event of events) text += event.type === 'text' ? event.text : '';
    progress.report({ message: describeProgress(events, text) });
    options.onEvents?.(events);
  });

  const started = performance.now();
  log.info(`${options.title}: sending a request to profile "${options.request.profile}".`);
  try {
    progress.report({ message: vscode.l10n.t('Waiting for the first token…') });
    const result = await server.sendRequest(chatRequest, { request: options.request, partialResultToken }, token);
    return outcomeOf(result, text);
  } catch (error) {
    if (token.isCancellationRequested || isCancelledResponse(error)) return { kind: 'cancelled', text };
    const message = describeLostRequest(error);
    log.error(`${options.title}: ${message}`);
    return { kind: 'lost', message, text };
  } finally {
    subscription.dispose();
    tracked.end();
    log.info(`${options.title}: ended after ${Math.round(performance.now() - started)} ms${token.isCancellationRequested ? ' (cancelled)' : ''}.`);
  }
}

/** True when the profile's server is on this machine (or, in a remote window, on the remote host). */
function isLoopbackProfile(services: Services, profileName: string): boolean {
  const baseUrl = services.configuration.profile(profileName)?.baseUrl;
  if (!baseUrl) return false;
  try {
    return isLoopbackHost(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

function outcomeOf(result: ChatResult, text: string): ChatRunResult {
  if (result.error?.code === 'cancelled') return { kind: 'cancelled', text };
  if (result.error) return { kind: 'failed', error: result.error, text };
  return { kind: 'finished', result, text };
}

function describeProgress(events: readonly ChatEvent[], text: string): string {
  const retry = [...events].reverse().find((event) => event.type === 'retry');
  if (retry?.type === 'retry') return vscode.l10n.t('Retrying after {0} in {1}…', retry.code, formatDuration(retry.delayMs));
  if (text === '' && events.some((event) => event.type === 'reasoning')) return vscode.l10n.t('Reasoning…');
  return vscode.l10n.t('Receiving: {0} characters', text.length);
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function isCancelledResponse(error: unknown): boolean {
  return errorCode(error) === REQUEST_CANCELLED;
}

function describeLostRequest(error: unknown): string {
  if (isServerUnavailable(error)) return error.message;
  if (errorCode(error) === CONNECTION_INACTIVE) return vscode.l10n.t('The language server stopped before the request finished.');
  const message = error instanceof Error ? error.message : String(error);
  if (/disposed|closed|ended/i.test(message)) return vscode.l10n.t('The language server stopped before the request finished.');
  return vscode.l10n.t('The request failed inside the extension: {0}', message);
}
