/**
 * The getting-started walkthrough (`contributes.walkthroughs` in package.json, pages in
 * walkthroughs/): the Get Started command, the walkthrough's one opening after the first
 * installation, and the Open Guide command that shows the guides shipped in docs/.
 */

import * as vscode from 'vscode';

import type { Services } from './services';

/** The walkthrough's id in package.json; VS Code prefixes it with the extension id and `#`. */
const WALKTHROUGH_ID = 'switchboard.gettingStarted';

/** globalState key, true once the walkthrough opened by itself, so it never does so again. */
const OPENED_ON_FIRST_RUN_KEY = 'switchboard.walkthroughOpened';

/** VS Code's setting for opening an extension's walkthrough when it is installed; default true. */
const OPEN_ON_INSTALL_SETTING = 'workbench.welcomePage.walkthroughs.openOnInstall';

interface Guide {
  id: string;
  /** Path inside the extension's folder; .vscodeignore ships it. */
  file: string;
  title(): string;
  description(): string;
}

/** The guides Open Guide offers, in this order; a file missing from the installation is left out. */
const GUIDES: readonly Guide[] = [
  {
    id: 'troubleshooting',
    file: 'docs/troubleshooting.md',
    title: () => vscode.l10n.t('Troubleshooting'),
    description: () => vscode.l10n.t('Connection problems, local servers, proxies and certificates'),
  },
  { id: 'errors', file: 'docs/errors.md', title: () => vscode.l10n.t('Error codes'), description: () => vscode.l10n.t('What each error code means and how to fix it') },
  { id: 'providers', file: 'docs/providers.md', title: () => vscode.l10n.t('Providers and local servers'), description: () => vscode.l10n.t('Presets, base URLs and API keys') },
  { id: 'privacy', file: 'docs/privacy.md', title: () => vscode.l10n.t('Privacy'), description: () => vscode.l10n.t('What Switchboard sends, and where') },
];

export function registerWalkthrough(services: Services): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand('switchboard.openWalkthrough', () => openWalkthrough(services.context)),
    vscode.commands.registerCommand('switchboard.openGuide', (guide?: unknown) => openGuide(services, typeof guide === 'string' ? guide : undefined)),
  );
  scheduleFirstRunWalkthrough(services);
}

function openWalkthrough(context: vscode.ExtensionContext): Thenable<unknown> {
  // The last argument, false, opens it in the active editor group rather than to the side.
  // NOTE: it then takes the focus, which closes a quick pick opened at that moment; VS Code
  // 1.100's command keeps the focus only when it opens the walkthrough to the side.
  return vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false);
}

/** Opens the walkthrough once, after activate() has returned, on the first start after installation. */
function scheduleFirstRunWalkthrough(services: Services): void {
  if (services.context.globalState.get<boolean>(OPENED_ON_FIRST_RUN_KEY)) return;
  const timer = setTimeout(() => void openOnFirstRun(services), 0);
  services.context.subscriptions.push({ dispose: () => clearTimeout(timer) });
}

async function openOnFirstRun({ context, log }: Services): Promise<void> {
  // The flag is set first: a failed opening is not retried, because the walkthrough opens by itself only once.
  await context.globalState.update(OPENED_ON_FIRST_RUN_KEY, true);
  if (!vscode.workspace.getConfiguration().get<boolean>(OPEN_ON_INSTALL_SETTING, true)) {
    log.info(`The getting-started walkthrough was not opened, because ${OPEN_ON_INSTALL_SETTING} is false.`);
    return;
  }
  try {
    await openWalkthrough(context);
    log.info('Opened the getting-started walkthrough after the first installation.');
  } catch (error) {
    log.warn(`Opening the getting-started walkthrough failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Opens a guide in the Markdown preview: the one named, else the user's pick. */
async function openGuide(services: Services, requested: string | undefined): Promise<void> {
  const available = await installedGuides(services.context);
  let guide: Guide | undefined;
  if (requested !== undefined) {
    guide = available.find((candidate) => candidate.id === requested);
    if (!guide) {
      services.log.error(`Open Guide: no guide "${requested}" in ${services.context.extensionUri.toString()}.`);
      void vscode.window.showErrorMessage(vscode.l10n.t('The guide "{0}" is not part of this installation of Switchboard. Run Open Guide to see the guides it has.', requested));
      return;
    }
  } else {
    const items = available.map((candidate) => ({ label: candidate.title(), description: candidate.description(), guide: candidate }));
    guide = (await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Switchboard: Open Guide'), placeHolder: vscode.l10n.t('Choose a guide') }))?.guide;
    if (!guide) return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(services.context.extensionUri, guide.file));
}

async function installedGuides(context: vscode.ExtensionContext): Promise<Guide[]> {
  const present = await Promise.all(
    GUIDES.map((guide) =>
      vscode.workspace.fs.stat(vscode.Uri.joinPath(context.extensionUri, guide.file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return GUIDES.filter((_, index) => present[index]);
}
