/**
 * Retry now and Cancel, offered by the rate-limit notification, the status bar's tooltip and
 * its action list. Retry now also closes the profile's circuit breaker when it is open or
 * half-open, because the breaker would reject the retry at once.
 */

import * as vscode from 'vscode';

import { resetCircuitRequest } from '../protocol/protocol';
import { isServerUnavailable } from './server-connection';
import type { Services } from './services';
import { reportConnectionCheck } from './status-updates';

export function registerRetryCommands(services: Services): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('switchboard.retryNow', () => retryNow(services)),
    vscode.commands.registerCommand('switchboard.cancelRetry', () => cancelRetry(services)),
  );
}

/** Runs the scheduled retry at once, or checks the connection when none is scheduled. */
async function retryNow(services: Services): Promise<void> {
  await closeCircuit(services);
  if (services.retries.retryNow()) {
    services.log.info('Retry now: running the scheduled retry.');
    return;
  }
  await reportConnectionCheck(services);
}

/** Drops the scheduled retry and hides the engine's rate-limit countdown, so the status bar stops counting. */
function cancelRetry(services: Services): void {
  const cancelled = services.retries.cancel();
  services.status.dismissRateLimit();
  services.log.info(cancelled ? 'The scheduled retry was cancelled.' : 'The rate-limit countdown was hidden.');
}

async function closeCircuit(services: Services): Promise<void> {
  const { configuration, status, server, log } = services;
  const profile = configuration.activeProfile()?.name;
  const circuit = status.engineStatus?.circuit;
  if (!profile || !circuit || circuit.state === 'closed' || !server.isRunning) return;
  try {
    const outcome = await server.sendRequest(resetCircuitRequest, { profile });
    if (!outcome.ok) log.warn(`Closing the circuit breaker of profile "${profile}" failed: ${outcome.error.code}: ${outcome.error.message}`);
  } catch (error) {
    if (!isServerUnavailable(error)) throw error;
    log.warn(`Closing the circuit breaker of profile "${profile}" failed: ${error.message}`);
  }
}
