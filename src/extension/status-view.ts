/**
 * The connection indicator's state and its rendering, as pure functions. `deriveStatus`
 * picks one state from the extension's inputs, and `renderStatus` turns it into the
 * status-bar item's text, colour and tooltip. status-bar.ts applies the result.
 */

import type { ProfileStatus } from '../engine/engine';

export type StatusState =
  | { kind: 'notConfigured'; reason: 'noProfile' | 'profileNotFound' | 'noKey'; profileName?: string }
  | { kind: 'serverStopped'; reason?: string }
  | { kind: 'connecting' }
  | { kind: 'rateLimited'; retryAt: number }
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
}

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
] as const;

/** Picks the one state to show; problems the user must fix come before activity. */
export function deriveStatus(inputs: StatusInputs, now: number): StatusState {
  if (inputs.setupProblem) return { kind: 'notConfigured', ...inputs.setupProblem };
  if (inputs.server === 'stopped') return { kind: 'serverStopped', reason: inputs.serverStoppedReason };
  if (inputs.server === 'starting') return { kind: 'connecting' };

  const engine = inputs.engine;
  if (engine?.state === 'rate_limited' && engine.retryAt !== undefined && engine.retryAt > now) {
    return { kind: 'rateLimited', retryAt: engine.retryAt };
  }
  if (engine?.state === 'warming_up') return { kind: 'warmingUp' };
  const requests = Math.max(inputs.localRequests, engine?.inFlight ?? 0);
  if (requests > 0) return { kind: 'busy', requests };

  switch (engine?.state) {
    case 'connecting':
      return { kind: 'connecting' };
    case 'auth_error':
      return { kind: 'authError', message: engine.lastErrorMessage };
    case 'unreachable':
      return { kind: 'unreachable', message: engine.lastErrorMessage };
    case 'error':
      return { kind: 'degraded', message: engine.lastErrorMessage };
    case 'connected':
      return { kind: 'connected', latencyMs: engine.lastLatencyMs ?? inputs.checkLatencyMs };
    default:
      return { kind: 'idle' };
  }
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
      return { icon: 'key', label: 'Set API key', summary: `Profile "${state.profileName}" has no API key yet.`, color: WARNING, links: ['switchboard.setApiKey', 'switchboard.selectProfile'] };
    }
    if (state.reason === 'profileNotFound') {
      return { icon: 'gear', label: 'Profile not found', summary: `No profile is named "${state.profileName}".`, color: WARNING, links: ['switchboard.selectProfile', 'switchboard.openSettings'] };
    }
    return { icon: 'gear', label: 'Not configured', summary: 'No profile is configured.', links: ['switchboard.openSettings'] };
  },
  serverStopped: (state) => ({
    icon: 'circle-slash',
    label: 'Server stopped',
    summary: state.reason ?? 'The Switchboard language server is not running.',
    color: ERROR,
    links: ['switchboard.restartServer', 'switchboard.showLogs'],
  }),
  connecting: () => ({ icon: 'plug', label: 'Connecting', summary: 'Connecting.', links: ['switchboard.showLogs'] }),
  rateLimited: (state, now) => {
    const wait = formatDuration(state.retryAt - now);
    return { icon: 'watch', label: `Rate limited ${wait}`, summary: `Rate limited by the provider; requests can resume in ${wait}.`, color: WARNING, links: ['switchboard.selectProfile', 'switchboard.showLogs'] };
  },
  warmingUp: () => ({ icon: 'flame', label: 'Warming up', summary: 'The server is loading the model; the first answer can take a while.', links: ['switchboard.showLogs'] }),
  busy: (state) => ({
    icon: 'loading~spin',
    label: state.requests > 1 ? `${state.requests} requests` : '',
    summary: state.requests > 1 ? `${state.requests} requests in progress.` : 'A request is in progress.',
    links: ['switchboard.showLogs'],
  }),
  authError: () => ({ icon: 'key', label: 'Auth error', summary: 'The provider rejected the API key.', color: ERROR, links: ['switchboard.setApiKey', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  unreachable: () => ({ icon: 'debug-disconnect', label: 'Unreachable', summary: 'The provider could not be reached.', color: ERROR, links: ['switchboard.openSettings', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  degraded: () => ({ icon: 'warning', label: 'Error', summary: 'The last request failed.', color: WARNING, links: ['switchboard.selectModel', 'switchboard.selectProfile', 'switchboard.showLogs'] }),
  connected: (state) => ({
    icon: 'pass-filled',
    label: state.latencyMs === undefined ? '' : `${Math.round(state.latencyMs)} ms`,
    summary: state.latencyMs === undefined ? 'Connected.' : `Connected; the last response started after ${Math.round(state.latencyMs)} ms.`,
    links: ['switchboard.selectProfile', 'switchboard.selectModel', 'switchboard.showLogs'],
  }),
  idle: () => ({ icon: 'circle-large-outline', label: '', summary: 'Not checked yet; the connection is tested on first use.', links: ['switchboard.selectProfile', 'switchboard.setApiKey', 'switchboard.showLogs'] }),
};

/** Links every tooltip ends with, after the ones for the state. */
const ALWAYS_LINKED: (typeof STATUS_TOOLTIP_COMMANDS)[number][] = ['switchboard.selectProfile', 'switchboard.setApiKey', 'switchboard.showLogs'];

const LINK_TITLES: Record<(typeof STATUS_TOOLTIP_COMMANDS)[number], string> = {
  'switchboard.selectProfile': 'Select Profile',
  'switchboard.selectModel': 'Select Model',
  'switchboard.setApiKey': 'Set API Key',
  'switchboard.showLogs': 'Show Logs',
  'switchboard.restartServer': 'Restart Server',
  'switchboard.openSettings': 'Open Settings',
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
    accessibilityLabel: `Switchboard: ${[name, look.label].filter(Boolean).join(', ')}. ${look.summary}`,
  };
}

function renderTooltip(look: Look, details: StatusDetails): string {
  const rows: [string, string | undefined][] = [
    ['Profile', details.profile],
    ['Model', details.model],
    ['Server', hostOf(details.baseUrl)],
    ['Last error', details.lastError],
  ];
  const table = rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([label, value]) => `| ${label} | ${escapeMarkdown(value)} |`);
  const commands = [...new Set([...look.links, ...ALWAYS_LINKED])];
  const links = commands.map((command) => `[${LINK_TITLES[command]}](command:${command})`).join(' · ');
  const sections = [`**Switchboard**: ${escapeMarkdown(look.summary)}`];
  if (table.length > 0) sections.push(['| | |', '|---|---|', ...table].join('\n'));
  sections.push(links);
  return sections.join('\n\n');
}

/** Formats milliseconds as "42 s" or "3 min 5 s", rounding up so a countdown never shows 0 early. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
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
