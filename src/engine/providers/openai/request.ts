/** Converts an AdapterRequest into an OpenAI chat completions request body. */

import type { Profile } from '../../profiles';
import type { ChatMessage } from '../../types';
import type { AdapterRequest } from '../adapter';
import { acceptsSystemMessages, acceptsTemperature, maxTokensField } from './capabilities';

export interface ChatCompletionBody {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  stream: boolean;
  stream_options?: { include_usage: boolean };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
}

/** Builds the body, following what earlier rejections taught about the model (request.capabilities). */
export function toChatCompletionBody(request: AdapterRequest, profile: Profile): ChatCompletionBody {
  const messages = acceptsSystemMessages(request) ? request.messages : foldSystemMessages(request.messages);
  const body: ChatCompletionBody = {
    model: request.model,
    messages: messages.map((message) => ({ role: message.role, content: message.content })),
    stream: request.stream,
  };
  if (request.stream) body.stream_options = { include_usage: true };
  if (request.temperature !== undefined && acceptsTemperature(profile, request)) body.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) body[maxTokensField(profile, request)] = request.maxOutputTokens;
  if (request.stop?.length) body.stop = request.stop;
  return body;
}

/**
 * Puts the text of every system message before the first user message's text, for models whose
 * chat template rejects the system role. Without a user message the text becomes one.
 */
export function foldSystemMessages(messages: ChatMessage[]): ChatMessage[] {
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  if (system.length === 0) return messages;
  const rest = messages.filter((message) => message.role !== 'system');
  const systemText = system.join('\n\n');
  const index = rest.findIndex((message) => message.role === 'user');
  if (index === -1) return [{ role: 'user', content: systemText }, ...rest];
  return rest.map((message, position) => (position === index ? { role: 'user', content: `${systemText}\n\n${message.content}` } : message));
}
