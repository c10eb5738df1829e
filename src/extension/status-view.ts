/**
 * The connection indicator's state and its rendering, as pure functions. `deriveStatus`
 * picks one state from the extension's inputs, and `renderStatus` turns it into the
 * status-bar item's text, colour and tooltip. status-bar.ts applies the result. Words go
 * through `l10n.t` when a state is rendered.
 */

import type { ProfileStatus } from '../engine/engine';
import { l10n } from './l10n';

export type StatusState =
  | { kind: 'notConfigured'; reason: 'noProfile' | 'profileNotFound' | 'noKey'; profileName?: string }
  | { kind: 'serverStopped'; reason?: string }
  | { kind: 'connecting' }
  /** `retryScheduled` is true when the client retries by itself at `retryAt`. */
  | { kind: 'rateLimited'; retryAt: number; retryScheduled: boolean }
  /** The profile's circuit breaker is open: requests fail at once until `retryAt`. */
  | { kind: 'circuitOpen'; retryAt: number }
  /** The breaker's pause has ended, and the next request tests the provider. */
  | { kind: 'circuitHalfOpen' }
  | { kind: 'warmingUp' }
  | { kind: 'busy'; requests: number }
  | { kind: 'authError'; message?: string }
  | { kind: 'unreachable'; message?: string }
  | { kind: 'degraded'; message?: string }
  | { kind: 'connected'; latencyMs?: number }
  | { kind: 'idle' };

export type ServerPhase = 'notStarted' | 'starting' | 'running' | 'stopped';

/** Everything the indicator is derived from. */
export interface StatusInputs {
  /** The reason requests cannot be sent yet, when they cannot. */
  setupProblem?: { reason: 'noProfile' | 'profileNotFound' | 'noKey'; profileName?: string };
  server: ServerPhase;
  serverStoppedReason?: string;
  /** The engine's latest status of the active profile, from the server's status notification. */
  engine?: ProfileStatus;
  /** Round trip of the last health check, in milliseconds. */
  checkLatencyMs?: number;
  /** Requests this window has in flight. */
  localRequests: number;
  /** A retry this window scheduled after an error that asked for a wait, such as a 429 with Retry-After. */
  scheduledRetry?: { retryAt: number };
  /** The engine's rate-limit end (`ProfileStatus.retryAt`) whose countdown the user cancelled. */
  dismissedRetryAt?: number;
  /** Epoch milliseconds when the oldest request to a loopback server that has received no event yet was sent. */
  awaitingLocalSince?: number;
}

/** Milliseconds without a first event from a loopback server after which the indicator shows "Warming up". */
export const WARM_UP_AFTER_MS = 3000;

/** The active profile as shown in the tooltip. */
export interface StatusDetails {
  profile?: string;
  model?: string;
  baseUrl?: string;
  lastError?: string;
}

export interface StatusPresentation {
  text: string;
  /** Markdown; its command links are limited to STATUS_TOOLTIP_COMMANDS. */
  tooltip: string;
  backgroundColor?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
  accessibilityLabel: string;
}

/** Commands the tooltip may link to; the status bar trusts exactly these. */
export const STATUS_TOOLTIP_COMMANDS = [
  'switchboard.selectProfile',
  'switchboard.selectModel',
  'switchboard.setApiKey',
  'switchboard.showLogs',
  'switchboard.restartServer',
  'switchboard.openSettings',
  'switchboard.retryNow',
  'switchboard.cancelRetry',
  'switchboard.diagnoseConnection',
] as const;

/** Picks the one state to show; problems the user must fix come before activity. */
export function deriveStatus(inputs: StatusInputs, now: number): StatusState {
  if (inputs.setupProblem) return { kind: 'notConfigured', ...inputs.setupProblem };
  if (inputs.server === 'stopped') return { kind: 'serverStopped', reason: inputs.serverStoppedReason };
  if (inputs.server === 'starting') return { kind: 'connecting' };

  const engine = inputs.engine;
  const circuit = engine?.circuit;
  if (circuit?.state === 'open' && circuit.retryAt !== undefined && circuit.retryAt > now) return { kind: 'circuitOpen', retryAt: circuit.retryAt };
  const scheduled = inputs.scheduledRetry;
  if (scheduled && scheduled.retryAt > now) return { kind: 'rateLimited', retryAt: scheduled.retryAt, retryScheduled: true };
  if (engine?.state === 'rate_limited' && engine.retryAt !== undefined && engine.retryAt > now && engine.retryAt !== inputs.dismissedRetryAt) {
    return { kind: 'rateLimited', retryAt: engine.retryAt, retryScheduled: false };
  }
  if (engine?.state === 'warming_up' || isWarmingUp(inputs, now)) return { kind: 'warmingUp' };
  const requests = Math.max(inputs.localRequests, engine?.inFlight ?? 0);
  if (requests > 0) return { kind: 'busy', requests };
  // The server sends no event when an open breaker's pause ends, so an expired `open` counts as half-open.
  if (circuit && circuit.state !== 'closed') return { kind: 'circuitHalfOpen' };

  switch (engine?.state) {
    case 'connecting':
      return { kind: 'connecting' };
    case 'auth_error':
      return { kind: 'authError', message: engine.lastErrorMessage };
    case 'unreachable':
      return { kind: 'unreachable', message: engine.lastErrorMessage };
    case 'error':
    // A rate limit whose time has passed, or whose countdown was cancelled, leaves the last error to show.
    case 'rate_limited':
      return { kind: 'degraded', message: engine.lastErrorMessage };
    case 'connected':
      return { kind: 'connected', latencyMs: engine.lastLatencyMs ?? inputs.checkLatencyMs };
    default:
      return { kind: 'idle' };
  }
}

function isWarmingUp(inputs: StatusInputs, now: number): boolean {
  return inputs.awaitingLocalSince !== undefined && now - inputs.awaitingLocalSince >= WARM_UP_AFTER_MS;
}

/**
 * Returns the milliseconds after which the state or its text changes without any new input:
 * every second while a countdown or pause is shown, and when a silent local request turns
 * into "Warming up". Undefined when nothing changes by itself.
 */
export function nextRefreshMs(inputs: StatusInputs, state: StatusState, now: number): number | undefined {
  if (state.kind === 'rateLimited' || state.kind === 'circuitOpen') return 1000;
  if (inputs.awaitingLocalSince !== undefined && state.kind !== 'warmingUp') {
    return Math.max(0, inputs.awaitingLocalSince + WARM_UP_AFTER_MS - now);
  }
  return undefined;
}

interface Look {
  icon: string;
  label: string;
  /** A sentence for the tooltip's first line. */
  summary: string;
  color?: StatusPresentation['backgroundColor'];
  links: (typeof STATUS_TOOLTIP_COMMANDS)[number][];
}

const WARNING = 'statusBarItem.warningBackground';
const ERROR = 'statusBarItem.errorBackground';

/** One small function per state: its icon, words, colour and the actions the tooltip offers. */
const LOOKS: { [K in StatusState['kind']]: (state: Extract<StatusState, { kind: K }>, now: number) => Look } = {
  notConfigured: (state) => {
    if (state.reason === 'noKey') {
      return { icon: 'key', label: l10n.t('Set API key'), summary: l10n.t('Profile "{0}" has no API key yet.', state.profileName ?? ''), color: WARNING, links: ['switchboard.setApiKey', 'switchboard.selectProfile'] };
    }
    if (state.reason === 'profileNotFound') {
      return { icon: 'gear', label: l10n.t('Profile not found'), summary: l10n.t('No profile is named "{0}".', state.profileName ?? ''), color: WARNING, links: ['switchboard.selectProfile', 'switchboard.openSettings'] };
    }
    return { icon: 'gear', label: l10n.t('Not configured'), summary: l10n.t('No profile is configured.'), links: ['switchboard.openSettings'] };
  },
  serverStopped: (state) => ({
    icon: 'circle-slash',
    label: l10n.t('Server stopped'),
    summary: state.reason ?? l10n.t('The Switchboard language server is not running.'),
    color: ERROR,
    links: ['switchboard.restartServer', 'switchboard.showLogs'],
  }),
  connecting: () => ({ icon: 'plug', label: l10n.t('Connecting'), summary: l10n.t('Connecting.'), links: ['switchboard.showLogs'] }),
  rateLimited: (state, now) => {
    const wait = formatDuration(state.retryAt - now);
    const summary = state.retryScheduled
      ? l10n.t('Rate limited by the provider; Switchboard retries in {0}, at {1}.', wait, formatClock(state.retryAt))
      : l10n.t('Rate limited by the provider; requests can resume in {0}.', wait);
    return { icon: 'watch', label: l10n.t('Rate limited {0}', wait), summary, color: WARNING, links: ['switchboard.retryNow', 'switchboard.cancelRetry', 'switchboard.showLogs'] };
  },
  circuitOpen: (state) => ({
    icon: 'debug-pause',
    label: l10n.t('Paused until {0}', formatClock(state.retryAt)),
    summary: l10n.t('Requests to this profile failed repeatedly, so Switchboard stopped sending them until {0} (circuit breaker open).', formatClock(state.retryAt)),
    color: WARNING,
    links: ['switchboard.retryNow', 'switchboard.diagnoseConnection', 'switchboard.showLogs'],
  }),
  circuitHalfOpen: () => ({
    icon: 'debug-continue',
    label: l10n.t('Resuming'),
    summary: l10n.t('The pause after repeated failures has ended; the next request tests whether the provider works again (circuit breaker half-open).'),
    color: WARNING,
    links: ['switchboard.retryNow', 'switchboard.diagnoseConnection', 'switchboard.showLogs'],
  }),
  warmingUp: () => ({
    icon: 'flame',
    label: l10n.t('Warming up'),
    summary: l10n.t('The local server has not started its answer yet; it is probably loading the model, so the first answer can take a while.'),
    links: ['switchboard.showLogs'],
  }),
  busy: (state) => ({
    icon: 'loading~spin',
    label: state.requests > 1 ? l10n.t('{0} requests', state.requests) : '',
    summary: state.requests > 1 ? l10n.t('{0} requests in progress.', state.requests) : l10n.t('A request is in progress.'),
    links: ['switchboard.showLogs'],
  }),
  authError: () => ({ icon: 'key', label: l10n.t('Auth error'), summary: l10n.t('The provider rejected the API key.'), color: ERROR, links: ['switchboard.setApiKey', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  unreachable: () => ({ icon: 'debug-disconnect', label: l10n.t('Unreachable'), summary: l10n.t('The provider could not be reached.'), color: ERROR, links: ['switchboard.openSettings', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  degraded: () => ({ icon: 'warning', label: l10n.t('Error'), summary: l10n.t('The last request failed.'), color: WARNING, links: ['switchboard.selectModel', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  connected: (state) => ({
    icon: 'pass-filled',
    label: state.latencyMs === undefined ? '' : l10n.t('{0} ms', Math.round(state.latencyMs)),
    summary: state.latencyMs === undefined ? l10n.t('Connected.') : l10n.t('Connected; the last response started after {0} ms.', Math.round(state.latencyMs)),
    links: ['switchboard.selectProfile', 'switchboard.selectModel', 'switchboard.showLogs'],
  }),
  idle: () => ({ icon: 'circle-large-outline', label: '', summary: l10n.t('Not checked yet; the connection is tested on first use.'), links: ['switchboard.selectProfile', 'switchboard.setApiKey', 'switchboard.showLogs'] }),
};

/** Links every tooltip ends with, after the ones for the state. */
const ALWAYS_LINKED: (typeof STATUS_TOOLTIP_COMMANDS)[number][] = ['switchboard.selectProfile', 'switchboard.setApiKey', 'switchboard.showLogs'];

/** The title of each tooltip link, translated when the tooltip is rendered. */
const LINK_TITLES: Record<(typeof STATUS_TOOLTIP_COMMANDS)[number], () => string> = {
  'switchboard.selectProfile': () => l10n.t('Select Profile'),
  'switchboard.selectModel': () => l10n.t('Select Model'),
  'switchboard.setApiKey': () => l10n.t('Set API Key'),
  'switchboard.showLogs': () => l10n.t('Show Logs'),
  'switchboard.restartServer': () => l10n.t('Restart Server'),
  'switchboard.openSettings': () => l10n.t('Open Settings'),
  'switchboard.retryNow': () => l10n.t('Retry now'),
  'switchboard.cancelRetry': () => l10n.t('Cancel'),
  'switchboard.diagnoseConnection': () => l10n.t('Diagnose Connection'),
};

/** Renders a state into the item's text, background colour, tooltip and screen-reader label. */
export function renderStatus(state: StatusState, details: StatusDetails, now: number): StatusPresentation {
  const look = (LOOKS[state.kind] as (state: StatusState, now: number) => Look)(state, now);
  const name = details.model ?? 'Switchboard';
  const text = [`$(${look.icon})`, name, look.label].filter((part) => part !== '').join(' ');
  return {
    text,
    tooltip: renderTooltip(look, details),
    backgroundColor: look.color,
    accessibilityLabel: l10n.t('Switchboard: {0}. {1}', [name, look.label].filter(Boolean).join(', '), look.summary),
  };
}

function renderTooltip(look: Look, details: StatusDetails): string {
  const rows: [string, string | undefined][] = [
    [l10n.t('Profile'), details.profile],
    [l10n.t('Model'), details.model],
    [l10n.t('Server'), hostOf(details.baseUrl)],
    [l10n.t('Last error'), details.lastError],
  ];
  const table = rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([label, value]) => `| ${label} | ${escapeMarkdown(value)} |`);
  const commands = [...new Set([...look.links, ...ALWAYS_LINKED])];
  const links = commands.map((command) => `[${LINK_TITLES[command]()}](command:${command})`).join(' · ');
  const sections = [l10n.t('**Switchboard**: {0}', escapeMarkdown(look.summary))];
  if (table.length > 0) sections.push(['| | |', '|---|---|', ...table].join('\n'));
  sections.push(links);
  return sections.join('\n\n');
}

/** Formats milliseconds as "42 s", "3 min 5 s" or "2 h 10 min", rounding up so a countdown never shows 0 early. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return l10n.t('{0} s', seconds);
  const minutes = Math.floor(seconds / 60);
  if (minutes >= 60) {
    // Waits of an hour or more (a provider may ask for up to a day) drop the seconds.
    const hours = Math.floor(minutes / 60);
    const restMinutes = minutes % 60;
    return restMinutes === 0 ? l10n.t('{0} h', hours) : l10n.t('{0} h {1} min', hours, restMinutes);
  }
  const rest = seconds % 60;
  return rest === 0 ? l10n.t('{0} min', minutes) : l10n.t('{0} min {1} s', minutes, rest);
}

/** Formats epoch milliseconds as the local time of day, HH:MM:SS on a 24-hour clock. */
export function formatClock(epochMs: number): string {
  const time = new Date(epochMs);
  return [time.getHours(), time.getMinutes(), time.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

function hostOf(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** Escapes text from settings and error messages so it shows literally in a Markdown tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/\r?\n/g, ' ');
}
