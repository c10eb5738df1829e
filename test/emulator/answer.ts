/**
 * Answer planning shared by every wire format: token splitting, output limits and the
 * approximate token counts reported as usage.
 *
 * NOTE: token counts are an approximation, not a real tokenizer. A prompt token is one
 * whitespace-separated word of the request's text; an answer token is one word together with
 * the whitespace before it, and each token is streamed as one chunk.
 */

import { randomBytes } from 'node:crypto';

export const DEFAULT_ANSWER = 'Hello from the Switchboard emulator.';

export const DEFAULT_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'gemini-2.5-flash', 'gemini-2.5-pro', 'llama3.2'];

/** Adds Ollama's default `latest` tag to a model name that has no tag. */
export function withTag(model: string): string {
  return model.includes(':') ? model : `${model}:latest`;
}

/**
 * Finds a configured model by the name a request gives. Ollama names carry a tag that
 * defaults to `latest`, so `llama3.2` and `llama3.2:latest` name the same model.
 */
export function findModel(name: string, models: readonly string[]): string | undefined {
  return models.find((model) => model === name || withTag(model) === withTag(name));
}

/** Splits text into tokens: each word with the whitespace before it. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** Counts the whitespace-separated words of the given texts. */
export function countWords(texts: readonly string[]): number {
  let count = 0;
  for (const text of texts) {
    count += text.split(/\s+/).filter((word) => word.length > 0).length;
  }
  return count;
}

export interface AnswerInput {
  answer: string;
  reasoning?: string;
  /** The request's output limit in tokens; undefined means no limit. */
  maxTokens?: number;
}

export interface AnswerPlan {
  reasoningTokens: string[];
  answerTokens: string[];
  /** True when the output limit cut the reasoning or the answer short. */
  truncated: boolean;
}

/**
 * Applies the output limit to the reasoning and the answer. Reasoning tokens use up the limit
 * first, as thinking tokens do on Gemini and on OpenAI reasoning models, so a small limit can
 * leave an empty answer.
 */
export function planAnswer(input: AnswerInput): AnswerPlan {
  const reasoning = splitTokens(input.reasoning ?? '');
  const answer = splitTokens(input.answer);
  const limit = input.maxTokens;
  if (limit === undefined || reasoning.length + answer.length <= limit) {
    return { reasoningTokens: reasoning, answerTokens: answer, truncated: false };
  }

  const keptReasoning = reasoning.slice(0, limit);
  const keptAnswer = answer.slice(0, limit - keptReasoning.length);
  return { reasoningTokens: keptReasoning, answerTokens: keptAnswer, truncated: true };
}

/** Reads an output limit from a request field, ignoring values that are not non-negative integers. */
export function readTokenLimit(...values: unknown[]): number | undefined {
  for (const value of values) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
      return value;
    }
  }
  return undefined;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A URL-safe random identifier of about `length` characters, like the ids providers return. */
export function randomId(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length);
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
