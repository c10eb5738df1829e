/**
 * Azure OpenAI data-plane routes, as the openai SDK's AzureOpenAI client calls them:
 * `POST /openai/deployments/{deployment}/chat/completions?api-version=…` with an `api-key`
 * header, `GET /openai/models?api-version=…` and `GET /openai/deployments?api-version=…`.
 * Bodies are OpenAI's, plus Azure's content filter results.
 */

import { randomUUID } from 'node:crypto';

import { unixSeconds } from './answer';
import { chatCompletionReply, parseChatRequest, type ChatDialect } from './openai';
import { headerValue, jsonReply, type Reply, type Route, type RouteContext } from './reply';

const MODEL_CREATED = 1_715_367_049;

/** Azure's error body: `{"error":{"code","message"}}`, where code is a string. */
function azureError(status: number, code: string, message: string): Reply {
  return jsonReply(status, { error: { code, message } });
}

/** Returns Azure's 404 "Resource not found" when the api-version query parameter is missing or malformed. */
function checkApiVersion(context: RouteContext): Reply | undefined {
  const apiVersion = context.url.searchParams.get('api-version');
  if (apiVersion && /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
    return undefined;
  }
  return azureError(404, '404', 'Resource not found');
}

/** Accepts the key in the `api-key` header, or as a Bearer token as Entra ID clients send one. */
function checkAzureKey(context: RouteContext): Reply | undefined {
  const expected = context.settings.apiKey;
  if (!expected) {
    return undefined;
  }

  const bearer = /^Bearer\s+(.*)$/i.exec(headerValue(context.headers, 'authorization') ?? '')?.[1]?.trim();
  const key = headerValue(context.headers, 'api-key') ?? bearer;
  if (!key) {
    return azureError(
      401,
      '401',
      'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    );
  }
  if (key !== expected) {
    return azureError(
      401,
      '401',
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    );
  }
  return undefined;
}

function checkRequest(context: RouteContext): Reply | undefined {
  return checkApiVersion(context) ?? checkAzureKey(context);
}

const SAFE_FILTER = { filtered: false, severity: 'safe' };
const CONTENT_FILTER_RESULTS = { hate: SAFE_FILTER, self_harm: SAFE_FILTER, sexual: SAFE_FILTER, violence: SAFE_FILTER };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: CONTENT_FILTER_RESULTS }];

// Azure streams a first chunk with empty choices, an empty id and model, and only the prompt
// filter results. Clients that read choices[0] of every chunk break on it.
const AZURE_DIALECT: ChatDialect = {
  leadingChunks: [{ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS }],
  completionFields: { prompt_filter_results: PROMPT_FILTER_RESULTS },
  choiceFields: { content_filter_results: CONTENT_FILTER_RESULTS },
};

function handleChatCompletions(context: RouteContext): Reply {
  const rejection = checkRequest(context);
  if (rejection) {
    return rejection;
  }

  const deployment = decodeURIComponent(context.params[0] ?? '');
  if (!context.settings.models.includes(deployment)) {
    return azureError(
      404,
      'DeploymentNotFound',
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    );
  }

  const request = parseChatRequest(context, deployment);
  if ('status' in request) {
    return request;
  }
  const reply = chatCompletionReply(context, request, AZURE_DIALECT);
  reply.headers['apim-request-id'] = randomUUID();
  return reply;
}

function handleListModels(context: RouteContext): Reply {
  const rejection = checkRequest(context);
  if (rejection) {
    return rejection;
  }
  const data = context.settings.models.map((id) => ({
    id,
    object: 'model',
    created_at: MODEL_CREATED,
    status: 'succeeded',
    lifecycle_status: 'generally-available',
    capabilities: { chat_completion: true, completion: false, embeddings: false, fine_tune: false, inference: true },
  }));
  return jsonReply(200, { data, object: 'list' });
}

function handleListDeployments(context: RouteContext): Reply {
  const rejection = checkRequest(context);
  if (rejection) {
    return rejection;
  }
  const now = unixSeconds();
  const data = context.settings.models.map((model) => ({
    id: model,
    model,
    owner: 'organization-owner',
    status: 'succeeded',
    object: 'deployment',
    created_at: now,
    updated_at: now,
    scale_settings: { scale_type: 'standard' },
  }));
  return jsonReply(200, { data, object: 'list' });
}

export const azureRoutes: Route[] = [
  { method: 'POST', pattern: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, handle: handleChatCompletions },
  { method: 'GET', pattern: /^\/openai\/models$/, handle: handleListModels },
  { method: 'GET', pattern: /^\/openai\/deployments$/, handle: handleListDeployments },
];
