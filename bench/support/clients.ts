/**
 * The clients a scenario compares, each used the way its users typically use it: raw undici
 * (the reference), Switchboard's engine, the openai SDK on global fetch, Continue's provider
 * layer, and the Vercel AI SDK with its OpenAI-compatible provider. Every client sends the same
 * chat completions request to the emulator and reads the whole answer.
 */

import { Agent, request } from 'undici';

import { Engine } from '../../src/engine/engine';
import type { ChatMessage, Peers } from './peers';

export const MODEL = 'gpt-4o-mini';
export const API_KEY = 'sk-bench-0123456789abcdef';

export interface BenchClient {
  name: string;
  /** Sends one non-streamed request and returns the answer text. */
  complete(prompt: string): Promise<string>;
  /** Sends one streamed request, calls `onText` for every piece of text, and returns the number of pieces. */
  stream(prompt: string, onText: () => void): Promise<number>;
  close(): Promise<void>;
}

export interface ClientTarget {
  /** The emulator's origin, such as https://127.0.0.1:PORT. */
  url: string;
  /** PEM of the CA that signed the emulator's certificate, for HTTPS. */
  caPem?: string;
  caFile?: string;
}

const messagesFor = (prompt: string): ChatMessage[] => [{ role: 'user', content: prompt }];

/** undici's request API with a keep-alive Agent, reading the JSON or SSE body with JSON.parse. */
export function rawUndici(target: ClientTarget, agent = new Agent({ keepAliveTimeout: 60_000, connect: target.caPem ? { ca: target.caPem } : {} })): BenchClient {
  const url = `${target.url}/v1/chat/completions`;
  const send = (prompt: string, stream: boolean) =>
    request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ model: MODEL, stream, messages: messagesFor(prompt) }),
    });
  return {
    name: 'raw undici',
    complete: async (prompt) => {
      const response = await send(prompt, false);
      const body = (await response.body.json()) as { choices: Array<{ message: { content: string } }> };
      return body.choices[0]!.message.content;
    },
    stream: async (prompt, onText) => {
      const response = await send(prompt, true);
      return readSse(response.body as AsyncIterable<Uint8Array>, onText);
    },
    close: () => agent.close(),
  };
}

/** Reads an SSE body minimally: splits events at blank lines and parses each `data:` line as JSON. */
async function readSse(body: AsyncIterable<Uint8Array>, onText: () => void): Promise<number> {
  const decoder = new TextDecoder();
  let buffer = '';
  let pieces = 0;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const data = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      if (data !== '[DONE]') {
        const parsed = JSON.parse(data) as { choices: Array<{ delta?: { content?: string } }> };
        if (parsed.choices[0]?.delta?.content) {
          pieces++;
          onText();
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
  return pieces;
}

/** Switchboard's engine with an OpenAI-compatible profile, as the language server runs it. */
export async function switchboard(target: ClientTarget): Promise<BenchClient> {
  const engine = new Engine({ network: target.caPem ? { extraCaCertificates: [target.caPem] } : {} });
  await engine.configure({ profiles: [{ name: 'bench', kind: 'openai-compatible', baseUrl: `${target.url}/v1`, model: MODEL }] });
  engine.setKey('bench', API_KEY);
  const run = async (prompt: string, stream: boolean, onText?: () => void) => {
    let text = '';
    let pieces = 0;
    for await (const event of engine.chat({ profile: 'bench', messages: messagesFor(prompt), stream })) {
      if (event.type === 'text') {
        text += event.text;
        pieces++;
        onText?.();
      } else if (event.type === 'error') {
        throw new Error(`${event.error.code}: ${event.error.message}`);
      }
    }
    return { text, pieces };
  };
  return {
    name: 'Switchboard',
    complete: async (prompt) => (await run(prompt, false)).text,
    stream: async (prompt, onText) => (await run(prompt, true, onText)).pieces,
    close: () => engine.close(),
  };
}

/** Creates the openai SDK client as a typical extension does: global fetch, default settings, no retries. */
export function openAiSdk(target: ClientTarget, peers: Peers): BenchClient {
  const client = new peers.openai.default({ apiKey: API_KEY, baseURL: `${target.url}/v1`, maxRetries: 0 });
  return {
    name: `openai ${peers.versions.openai}`,
    complete: async (prompt) => {
      const completion = await client.chat.completions.create({ model: MODEL, messages: messagesFor(prompt) });
      return completion.choices[0]?.message?.content ?? '';
    },
    stream: async (prompt, onText) => {
      let pieces = 0;
      for await (const chunk of await client.chat.completions.create({ model: MODEL, messages: messagesFor(prompt), stream: true })) {
        if (chunk.choices[0]?.delta?.content) {
          pieces++;
          onText();
        }
      }
      return pieces;
    },
    close: async () => undefined,
  };
}

/** Continue's provider layer (`constructLlmApi`), which opens a new agent for every request. */
export function continueAdapters(target: ClientTarget, peers: Peers): BenchClient {
  const api = peers.continueAdapters.constructLlmApi({
    provider: 'openai',
    apiKey: API_KEY,
    apiBase: `${target.url}/v1/`,
    requestOptions: target.caFile ? { caBundlePath: target.caFile } : undefined,
  });
  if (!api) throw new Error('constructLlmApi returned no API for provider "openai".');
  return {
    name: `Continue openai-adapters ${peers.versions['@continuedev/openai-adapters']}`,
    complete: async (prompt) => {
      const completion = await api.chatCompletionNonStream({ model: MODEL, messages: messagesFor(prompt) }, new AbortController().signal);
      return completion.choices[0]?.message?.content ?? '';
    },
    stream: async (prompt, onText) => {
      let pieces = 0;
      for await (const chunk of api.chatCompletionStream({ model: MODEL, messages: messagesFor(prompt), stream: true }, new AbortController().signal)) {
        if (chunk.choices[0]?.delta?.content) {
          pieces++;
          onText();
        }
      }
      return pieces;
    },
    close: async () => undefined,
  };
}

/** Uses the Vercel AI SDK (`generateText`, `streamText`) with @ai-sdk/openai-compatible on global fetch. */
export function vercelAi(target: ClientTarget, peers: Peers): BenchClient {
  const provider = peers.compatible.createOpenAICompatible({ name: 'bench', baseURL: `${target.url}/v1`, apiKey: API_KEY });
  const model = provider.chatModel(MODEL);
  return {
    name: `ai ${peers.versions.ai}`,
    complete: async (prompt) => (await peers.ai.generateText({ model, messages: messagesFor(prompt), maxRetries: 0 })).text,
    stream: async (prompt, onText) => {
      let failure: unknown;
      const result = peers.ai.streamText({ model, messages: messagesFor(prompt), maxRetries: 0, onError: ({ error }) => (failure = error) });
      let pieces = 0;
      for await (const text of result.textStream) {
        if (text) {
          pieces++;
          onText();
        }
      }
      if (failure) throw failure;
      return pieces;
    },
    close: async () => undefined,
  };
}

/** Creates every client of the comparison, the reference first. */
export async function allClients(target: ClientTarget, peers: Peers): Promise<BenchClient[]> {
  return [rawUndici(target), await switchboard(target), openAiSdk(target, peers), continueAdapters(target, peers), vercelAi(target, peers)];
}
