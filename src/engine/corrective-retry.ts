/**
 * Corrective retries: a server rejected a request because of a parameter the model does not
 * accept, and its error names the fix. The engine sends the request once more with the fix and
 * remembers what it learned. These retries are separate from transient retries: they do not
 * count as attempts, emit no `retry` event and are logged at info level.
 */

import type { LearnedCapabilities } from './capability-memory';
import type { Correction, SwitchboardError } from './errors';
import type { AdapterRequest } from './providers/adapter';

export interface CorrectiveRetry {
  /** The request to send instead. */
  request: AdapterRequest;
  /** Capabilities to remember for the model on its server. */
  learned: LearnedCapabilities;
  /** One sentence for the log saying what changed and why. */
  description: string;
}

type Planner<K extends Correction['kind']> = (correction: Extract<Correction, { kind: K }>, request: AdapterRequest) => CorrectiveRetry | undefined;

/**
 * One planner per kind. A planner returns undefined when the correction would not change the
 * request, such as a temperature correction for a request without temperature, so that the
 * same rejection is not provoked twice.
 */
const PLANNERS: { [K in Correction['kind']]: Planner<K> } = {
  maxTokensField: (correction, request) => {
    if (request.maxOutputTokens === undefined || request.capabilities?.maxTokensField === correction.field) return undefined;
    const other = correction.field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
    return withCapabilities(request, { maxTokensField: correction.field }, `${request.model} accepts ${correction.field} instead of ${other}`);
  },
  omitTemperature: (_correction, request) => {
    if (request.temperature === undefined || request.capabilities?.omitTemperature) return undefined;
    return withCapabilities(request, { omitTemperature: true }, `${request.model} accepts only its default temperature, so the request goes without temperature`);
  },
  foldSystemMessages: (_correction, request) => {
    const hasSystem = request.messages.some((message) => message.role === 'system');
    if (!hasSystem || request.capabilities?.foldSystemMessages) return undefined;
    return withCapabilities(request, { foldSystemMessages: true }, `${request.model} rejects system messages, so they go into the first user message`);
  },
  omitThoughtSummaries: (_correction, request) => {
    if (request.capabilities?.omitThoughtSummaries) return undefined;
    return withCapabilities(request, { omitThoughtSummaries: true }, `${request.model} rejects thought summaries, so the request goes without them`);
  },
  lowerMaxOutputTokens: (correction, request) => {
    if (request.maxOutputTokens === undefined || request.maxOutputTokens <= correction.maxOutputTokens) return undefined;
    const learned = { contextTokens: correction.contextTokens };
    const description =
      `the prompt (${correction.promptTokens} tokens) and the output limit (${request.maxOutputTokens}) exceed the ` +
      `${correction.contextTokens}-token context of ${request.model}, so the output limit was lowered to ${correction.maxOutputTokens}`;
    const corrected = withCapabilities(request, learned, description);
    return { ...corrected, request: { ...corrected.request, maxOutputTokens: correction.maxOutputTokens } };
  },
};

/**
 * Plans the corrective retry that `error` names as its fix, or returns undefined. Each kind of
 * correction is applied at most once per request, and `applied` records the kinds used so far.
 */
export function planCorrectiveRetry(error: SwitchboardError, request: AdapterRequest, applied: Set<Correction['kind']>): CorrectiveRetry | undefined {
  const correction = error.correction;
  if (!correction || applied.has(correction.kind)) return undefined;
  const planner = PLANNERS[correction.kind] as Planner<Correction['kind']>;
  const plan = planner(correction, request);
  if (plan) applied.add(correction.kind);
  return plan;
}

function withCapabilities(request: AdapterRequest, learned: LearnedCapabilities, description: string): CorrectiveRetry {
  return { request: { ...request, capabilities: { ...request.capabilities, ...learned } }, learned, description };
}
