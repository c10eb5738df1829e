/**
 * The connection doctor: probes a profile's endpoint step by step (configuration, DNS, TCP per
 * address, proxy, TLS, authentication, model, a one-token request, streaming) and stops at
 * the first failing step, whose error names the code and the fix.
 */

import { isSwitchboardError, SwitchboardError, type ErrorData } from '../errors';
import { redactText, redactUrl } from '../redact';
import { silentLogger } from '../types';
import { PRESETS, type Profile, type ProfileInput } from '../profiles';
import { checkAuthentication, checkCompletion, checkModel, checkStreaming } from './api-steps';
import { checkConfiguration } from './configuration-step';
import { createContext, profileName, StepFailure, type DoctorContext, type DoctorOptions } from './context';
import { checkDns, checkTcp } from './address-steps';
import { checkProxy } from './proxy-step';
import { STEP_IDS, STEP_TITLES, type DoctorReport, type DoctorStep, type StepId, type StepStatus } from './report';
import { checkTls } from './tls-step';

export type { DoctorOptions } from './context';

/** A step adds its findings to `details` and returns its status, or throws to fail. */
export type StepCheck = (context: DoctorContext, details: string[]) => Promise<StepStatus>;

const CHECKS: Record<StepId, StepCheck> = {
  configuration: checkConfiguration,
  dns: checkDns,
  tcp: checkTcp,
  proxy: checkProxy,
  tls: checkTls,
  authentication: checkAuthentication,
  model: checkModel,
  completion: checkCompletion,
  streaming: checkStreaming,
};

/** Runs every step in order and returns the report. Never throws: failures are steps with status `fail`. */
export async function runDoctor(profile: ProfileInput, options: DoctorOptions = {}): Promise<DoctorReport> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const context = createContext(profile, options, controller.signal, options.logger ?? silentLogger);
  const started = context.now();
  const steps: DoctorStep[] = [];
  let failedStep: StepId | undefined;
  try {
    for (const id of STEP_IDS) {
      const step = failedStep ? skippedStep(id, `Not run, because the ${failedStep} step failed.`) : await runStep(id, context);
      steps.push(step);
      if (step.status === 'fail' && !failedStep) failedStep = id;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await context.close().catch((error: unknown) => context.logger.warn(`Connection doctor: closing its engine failed: ${(error as Error)?.message ?? String(error)}`));
  }
  const report: DoctorReport = {
    profile: profileName(profile),
    baseUrl: typeof profile.baseUrl === 'string' ? redactUrl(profile.baseUrl) : context.profile?.baseUrl ?? '',
    model: context.profile?.model ?? (typeof profile.model === 'string' ? profile.model : ''),
    remoteName: options.remoteName || undefined,
    startedAt: new Date(started).toISOString(),
    durationMs: Math.round(context.now() - started),
    ok: failedStep === undefined,
    failedStep,
    steps,
  };
  return scrubReport(report, secretsOf(options));
}

/** Turns a checked profile back into input that parseProfile reads to the same profile. */
export function profileInputOf(profile: Profile): ProfileInput {
  // Every local server name is also a preset name, and its preset's kind is openai-compatible.
  const preset = profile.server && PRESETS[profile.server]?.kind === profile.kind ? profile.server : undefined;
  return { name: profile.name, kind: profile.kind, preset, baseUrl: profile.baseUrl, model: profile.model, apiVersion: profile.apiVersion, headers: profile.headers };
}

async function runStep(id: StepId, context: DoctorContext): Promise<DoctorStep> {
  const details: string[] = [];
  const started = context.now();
  let status: StepStatus;
  let error: ErrorData | undefined;
  try {
    if (context.signal.aborted) throw new SwitchboardError('cancelled', 'The diagnosis was cancelled.');
    status = await CHECKS[id](context, details);
  } catch (thrown) {
    status = 'fail';
    error = toErrorData(thrown, context);
    context.logger.info(`Connection doctor: the ${id} step failed with ${error.code}: ${error.message}`);
  }
  return { id, title: STEP_TITLES[id], status, durationMs: Math.round(context.now() - started), details, error };
}

function skippedStep(id: StepId, reason: string): DoctorStep {
  return { id, title: STEP_TITLES[id], status: 'skip', durationMs: 0, details: [reason] };
}

function toErrorData(thrown: unknown, context: DoctorContext): ErrorData {
  if (thrown instanceof StepFailure) return thrown.data;
  const surface = context.options.surface;
  if (isSwitchboardError(thrown)) return thrown.toData(surface);
  if (context.signal.aborted) return new SwitchboardError('cancelled', 'The diagnosis was cancelled.').toData(surface);
  return new SwitchboardError('internal', `The connection doctor failed unexpectedly: ${(thrown as Error)?.message ?? String(thrown)}`, { cause: thrown }).toData(surface);
}

/** Collects the key and every proxy password the run may have seen, to be masked wherever they appear. */
function secretsOf(options: DoctorOptions): string[] {
  const secrets = [options.apiKey ?? ''];
  const proxies = [options.network?.proxy, process.env.HTTPS_PROXY, process.env.https_proxy, process.env.HTTP_PROXY, process.env.http_proxy];
  for (const proxy of proxies) {
    if (!proxy) continue;
    try {
      const password = new URL(proxy).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // The configuration step reports an invalid proxy URL. Its text after the last ":" before
      // the "@" may still be a password, so that text is masked too.
      const password = /:([^:@/\s]+)@/.exec(proxy)?.[1];
      if (password) secrets.push(password);
    }
  }
  return secrets.filter((secret) => secret.length >= 4);
}

/** Masks every secret and token in every string of the report, however a step phrased it. */
function scrubReport(report: DoctorReport, secrets: string[]): DoctorReport {
  const scrub = (text: string) => redactText(secrets.reduce((result, secret) => result.split(secret).join('****'), text));
  return JSON.parse(JSON.stringify(report), (_key, value: unknown) => (typeof value === 'string' ? scrub(value) : value)) as DoctorReport;
}
