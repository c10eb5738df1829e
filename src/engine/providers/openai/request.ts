/** Converts an AdapterRequest into an OpenAI chat completions request body. */

import type { Profile } from '../../profiles';
import type { AdapterRequest } from '../adapter';
import { acceptsTemperature, maxTokensField } from './capabilities';

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

export function toChatCompletionBody(request: AdapterRequest, profile: Profile): ChatCompletionBody {
  const body: ChatCompletionBody = {
    model: request.model,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    stream: request.stream,
  };
  if (request.stream) body.stream_options = { include_usage: true };
  if (request.temperature !== undefined && acceptsTemperature(profile, request.model)) body.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) body[maxTokensField(profile, request.model)] = request.maxOutputTokens;
  if (request.stop?.length) body.stop = request.stop;
  return body;
}
