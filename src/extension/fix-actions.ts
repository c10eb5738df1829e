/** Notification buttons and text for an engine error, from the FixActions the engine attaches to it. */

import { docsUrl, type ErrorData, type FixAction } from '../engine/errors';
import { isLoopbackHost } from '../engine/network/options';
import type { Profile } from '../engine/profiles';
import { l10n } from './l10n';

export interface FixButton {
  title: string;
  action: FixButtonAction;
}

/** The effect of a button: a command to run, a rerun of the failed action, or a web page to open in the browser. */
export type FixButtonAction = { kind: 'command'; command: string; arguments?: unknown[] } | { kind: 'retry' } | { kind: 'link'; url: string };

/** Facts besides the error that buttons and text use: the profile the request went to, and VS Code's remote name. */
export interface FixContext {
  profile?: Pick<Profile, 'kind' | 'baseUrl'>;
  /** `vscode.env.remoteName`, such as `ssh-remote`, `wsl` or `dev-container`; undefined in a local window. */
  remoteName?: string;
}

type ErrorFields = Pick<ErrorData, 'code' | 'actions' | 'docsUrl' | 'suggestedModels'>;

/** Builds one action's button, or returns undefined when this error or profile offers nothing for it. */
type FixButtonFactory = (error: ErrorFields, context: FixContext) => FixButton | undefined;

function commandButton(title: string, command: string, args?: unknown[]): FixButton {
  return { title, action: args ? { kind: 'command', command, arguments: args } : { kind: 'command', command } };
}

/**
 * Billing pages per provider kind. Azure OpenAI bills through the Azure subscription and
 * OpenAI-compatible servers have no common page, so those get no Open Billing button.
 * Gemini's billing is set up from the AI Studio API keys page ("Set up Billing"), according
 * to https://ai.google.dev/gemini-api/docs/billing.
 */
const BILLING_PAGES: Partial<Record<Profile['kind'], string>> = {
  openai: 'https://platform.openai.com/settings/organization/billing/overview',
  gemini: 'https://aistudio.google.com/apikey',
};

const FIX_BUTTONS: Record<FixAction, FixButtonFactory> = {
  setApiKey: () => commandButton(l10n.t('Set API Key'), 'switchboard.setApiKey'),
  // Select Model lists the suggested models first.
  selectModel: (error) => commandButton(l10n.t('Select Model'), 'switchboard.selectModel', error.suggestedModels?.length ? [{ suggestedModels: error.suggestedModels }] : undefined),
  selectProfile: () => commandButton(l10n.t('Select Profile'), 'switchboard.selectProfile'),
  openSettings: () => commandButton(l10n.t('Open Settings'), 'switchboard.openSettings'),
  showLogs: () => commandButton(l10n.t('Show Logs'), 'switchboard.showLogs'),
  retry: () => ({ title: l10n.t('Retry'), action: { kind: 'retry' } }),
  diagnose: () => commandButton(l10n.t('Diagnose Connection'), 'switchboard.diagnoseConnection'),
  openDocs: (error) => commandButton(l10n.t('Open Docs'), 'switchboard.openErrorDocs', [error.docsUrl ?? docsUrl(error.code)]),
  openBilling: (_error, context) => {
    const url = context.profile && BILLING_PAGES[context.profile.kind];
    return url ? { title: l10n.t('Open Billing'), action: { kind: 'link', url } } : undefined;
  },
};

/** Notifications show at most this many buttons before VS Code folds them into a menu. */
const MAX_BUTTONS = 3;

/** Buttons for an error, most useful first, with Show Logs last when there is room. */
export function fixButtonsFor(error: ErrorFields, canRetry: boolean, context: FixContext = {}): FixButton[] {
  const chosen: FixAction[] = [];
  const buttons: FixButton[] = [];
  for (const action of error.actions) {
    if (chosen.includes(action) || (action === 'retry' && !canRetry)) continue;
    const button = FIX_BUTTONS[action](error, context);
    if (!button) continue;
    chosen.push(action);
    buttons.push(button);
  }
  const limited = buttons.slice(0, MAX_BUTTONS);
  if (limited.length < MAX_BUTTONS && !chosen.slice(0, MAX_BUTTONS).includes('showLogs')) limited.push(FIX_BUTTONS.showLogs(error, context)!);
  return limited;
}

/**
 * Joins the error's message and its first fix into the text of a notification. A refused or
 * timed-out connection to a loopback address from a remote window also names the machine that
 * `localhost` means there, and explains how to reach the user's own computer.
 */
export function errorNotificationText(error: Pick<ErrorData, 'code' | 'message' | 'fix'>, context: FixContext = {}): string {
  const fix = error.fix[0];
  const text = fix ? `${error.message} ${fix}` : error.message;
  const remote = remoteLoopbackNote(error.code, context);
  return remote ? `${text} ${remote}` : text;
}

/** Returns the remote-window sentence for `network.refused` and `timeout.connect` on a loopback base URL, else undefined. */
export function remoteLoopbackNote(code: ErrorData['code'], context: FixContext): string | undefined {
  if (code !== 'network.refused' && code !== 'timeout.connect') return undefined;
  const remoteName = context.remoteName;
  const address = parseAddress(context.profile?.baseUrl);
  if (!remoteName || !address || !isLoopbackHost(address.host)) return undefined;

  const { host, port } = address;
  switch (remoteName) {
    case 'ssh-remote':
      return l10n.t(
        'This window runs on an SSH host, so {0} is that host, not your computer. To reach a server on your computer, forward the port: connect with ssh -R {1}:127.0.0.1:{1} HOST, or add "RemoteForward {1} 127.0.0.1:{1}" to the host in ~/.ssh/config.',
        host,
        port,
      );
    case 'wsl':
      return l10n.t(
        'This window runs in WSL, so {0} is the WSL machine, not Windows. To reach a server on Windows, set networkingMode=mirrored in .wslconfig and restart WSL, or make the server listen on all interfaces and use the Windows host\'s address.',
        host,
      );
    case 'dev-container':
    case 'attached-container':
      return l10n.t(
        'This window runs in a container, so {0} is the container, not your computer. To reach a server on your computer, use http://host.docker.internal:{1} in the base URL.',
        host,
        port,
      );
    default:
      return l10n.t(
        'This window runs on a remote machine ({0}), so {1} is that machine, not your computer. Forward port {2} from your computer to it, or run the server on the remote machine.',
        remoteName,
        host,
        port,
      );
  }
}

/** Returns the host and port of a base URL, with the scheme's default port when none is given. */
function parseAddress(baseUrl: string | undefined): { host: string; port: string } | undefined {
  if (!baseUrl) return undefined;
  try {
    const url = new URL(baseUrl);
    return { host: url.hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
  } catch {
    return undefined;
  }
}

/** Reads the `suggestedModels` that the Select Model button passes as its command argument; anything else gives []. */
export function suggestedModelsOf(argument: unknown): string[] {
  const models = (argument as { suggestedModels?: unknown } | null | undefined)?.suggestedModels;
  return Array.isArray(models) ? models.filter((model): model is string => typeof model === 'string') : [];
}

/** Puts the suggested models first, in the order suggested, followed by the others in their order; suggestions not listed are dropped. */
export function suggestedFirst<T extends { id: string }>(models: readonly T[], suggested: readonly string[]): { model: T; suggested: boolean }[] {
  const byId = new Map(models.map((model) => [model.id, model]));
  const first = [...new Set(suggested)].flatMap((id) => {
    const model = byId.get(id);
    return model ? [{ model, suggested: true }] : [];
  });
  const rest = models.filter((model) => !first.some((entry) => entry.model === model)).map((model) => ({ model, suggested: false }));
  return [...first, ...rest];
}
