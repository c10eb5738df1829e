/**
 * The steps that go through the engine and the profile's adapter, so the provider's own error
 * mapping applies: authentication (the models endpoint), model availability, a one-token
 * request and a short streamed request.
 */

import { SwitchboardError, type ErrorData } from '../errors';
import { selectModelFix } from '../fix-text';
import type { ChatEvent } from '../types';
import { closestModelIds, isSameModel } from './closest-models';
import { StepFailure, type DoctorContext } from './context';
import type { StepStatus } from './report';

const PROMPT = [{ role: 'user' as const, content: 'Reply with the single word OK.' }];
/** Output tokens of the streamed request: enough for a few chunks, cheap on any paid API. */
const STREAMING_MAX_TOKENS = 16;
/** Codes that mean the model responded but the small token limit left no visible text. */
const LIMIT_CODES = new Set(['output.empty', 'output.truncated']);

export async function checkAuthentication(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const engine = await context.engine();
  const profile = context.profile!;
  details.push(context.options.apiKey ? 'Sent the API key with the request for the model list.' : 'Sent no API key with the request for the model list.');
  const started = context.now();
  const models = await engine.listModels(profile.name, context.signal);
  context.models = models;
  details.push(`The server accepted the request and listed ${models.length} models in ${Math.round(context.now() - started)} ms.`);
  return 'pass';
}

export async function checkModel(context: DoctorContext, details: string[]): Promise<StepStatus> {
  const { model, kind, server } = context.profile!;
  const ids = (context.models ?? []).map((info) => info.id);
  if (ids.length === 0) {
    details.push(`The server listed no models, so "${model}" cannot be checked before it is used.`);
    return 'warn';
  }
  const match = ids.find((id) => isSameModel(model, id));
  if (match) {
    details.push(`"${model}" is among the ${ids.length} models the server lists${match === model ? '' : ` (as "${match}")`}.`);
    return 'pass';
  }
  const closest = closestModelIds(model, ids);
  if (kind === 'azure-openai') {
    details.push(`"${model}" is not among the listed models; for Azure OpenAI it must be a deployment name, which the model list does not show. Closest models: ${closest.join(', ')}.`);
    return 'warn';
  }
  const pull = server === 'ollama' ? [`Run "ollama pull ${model}" to install it.`] : [];
  throw new SwitchboardError('model.not_found', `The server does not list the model "${model}". Closest: ${closest.join(', ')}.`, {
    fix: [`Set the profile's model to one of: ${closest.join(', ')}.`, ...pull, selectModelFix('Choose from every model the server offers')],
  });
}

export async function checkCompletion(context: DoctorContext, details: string[]): Promise<StepStatus> {
  if (context.options.skipCompletion) {
    details.push('Skipped on request, so no tokens were spent.');
    return 'skip';
  }
  const engine = await context.engine();
  const started = context.now();
  const request = { profile: context.profile!.name, messages: PROMPT, maxOutputTokens: 1, stream: false, bypassCache: true };
  const events = await collect(engine.chat(request, context.signal));
  const elapsed = Math.round(context.now() - started);
  const failure = errorOf(events);
  if (failure && LIMIT_CODES.has(failure.code)) {
    details.push(`The model responded in ${elapsed} ms; the one-token limit left no visible text (${failure.code}), as expected for models that reason first.`);
    return 'pass';
  }
  if (failure) throw new StepFailure(failure);
  const end = events.find((event): event is Extract<ChatEvent, { type: 'end' }> => event.type === 'end');
  details.push(`The model responded in ${elapsed} ms with finish reason ${end?.finishReason ?? 'none'}${end?.usage?.outputTokens !== undefined ? ` and ${end.usage.outputTokens} output tokens` : ''}.`);
  return 'pass';
}

export async function checkStreaming(context: DoctorContext, details: string[]): Promise<StepStatus> {
  if (context.options.skipCompletion) {
    details.push('Skipped on request, so no tokens were spent.');
    return 'skip';
  }
  const engine = await context.engine();
  const started = context.now();
  let firstChunkMs: number | undefined;
  let chunks = 0;
  let last: ChatEvent | undefined;
  const request = { profile: context.profile!.name, messages: PROMPT, maxOutputTokens: STREAMING_MAX_TOKENS, stream: true, bypassCache: true };
  for await (const event of engine.chat(request, context.signal)) {
    if (event.type === 'text' || event.type === 'reasoning') {
      chunks++;
      firstChunkMs ??= Math.round(context.now() - started);
    }
    last = event;
  }
  const elapsed = Math.round(context.now() - started);

  if (last?.type === 'error' && LIMIT_CODES.has(last.error.code)) {
    details.push(`The stream delivered ${chunks} chunks in ${elapsed} ms and ended at the token limit without visible text (${last.error.code}).`);
    return 'pass';
  }
  if (last?.type === 'error') throw new StepFailure(last.error);
  if (last?.type !== 'end') {
    throw new SwitchboardError('stream.interrupted', `The stream ended after ${chunks} chunks without a finish reason, so answers may be cut off.`, {
      fix: ['Retry; if it keeps happening, check proxies or firewalls that buffer or cut streamed responses.'],
    });
  }
  details.push(`The stream delivered ${chunks} chunks, the first after ${firstChunkMs ?? elapsed} ms, and ended after ${elapsed} ms with finish reason ${last.finishReason}.`);
  return 'pass';
}

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const collected: ChatEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

function errorOf(events: ChatEvent[]): ErrorData | undefined {
  const last = events[events.length - 1];
  return last?.type === 'error' ? last.error : undefined;
}
