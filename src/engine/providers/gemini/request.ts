/** Conversion of an AdapterRequest into the parameters of `models.generateContent`. */

import type { Content, GenerateContentConfig, GenerateContentParameters } from '@google/genai' with { 'resolution-mode': 'import' };

import type { ChatMessage } from '../../types';
import type { AdapterRequest } from '../adapter';
import { capabilitiesOf } from './capabilities';

export interface RequestOptions {
  apiVersion: string;
  /** Sets `thinkingConfig.includeThoughts`, which only some models accept. */
  thoughtSummaries: boolean;
}

/**
 * Builds the model, contents and generation settings of a request. System messages become
 * `systemInstruction` where the API version accepts that field, and are folded into the first
 * user turn where it does not (v1) or where a server rejected the field before
 * (`request.capabilities.foldSystemMessages`).
 */
export function toGeminiRequest(request: AdapterRequest, options: RequestOptions): GenerateContentParameters {
  const systemText = joinSystemMessages(request.messages);
  let contents = request.messages.filter((message) => message.role !== 'system').map(toContent);
  const config: GenerateContentConfig = {};

  if (systemText !== undefined) {
    // A request of system messages only still needs one turn in `contents`.
    const systemInstruction = capabilitiesOf(options.apiVersion).systemInstruction && !request.capabilities?.foldSystemMessages;
    if (systemInstruction && contents.length > 0) {
      config.systemInstruction = { parts: [{ text: systemText }] };
    } else {
      contents = foldIntoFirstUserTurn(contents, systemText);
    }
  }

  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = request.stop;
  if (options.thoughtSummaries) config.thinkingConfig = { includeThoughts: true };
  return { model: request.model, contents, config };
}

function joinSystemMessages(messages: ChatMessage[]): string | undefined {
  const texts = messages.filter((message) => message.role === 'system').map((message) => message.content);
  return texts.length === 0 ? undefined : texts.join('\n\n');
}

function toContent(message: ChatMessage): Content {
  return { role: message.role === 'assistant' ? 'model' : 'user', parts: [{ text: message.content }] };
}

/** Puts the system text before the first user turn's text, or in a new first turn when there is none. */
function foldIntoFirstUserTurn(contents: Content[], systemText: string): Content[] {
  const index = contents.findIndex((content) => content.role === 'user');
  if (index === -1) return [{ role: 'user', parts: [{ text: systemText }] }, ...contents];

  // Every turn built by toContent contains exactly one text part.
  const original = contents[index]!.parts?.[0]?.text ?? '';
  const folded: Content = { role: 'user', parts: [{ text: `${systemText}\n\n${original}` }] };
  return [...contents.slice(0, index), folded, ...contents.slice(index + 1)];
}
