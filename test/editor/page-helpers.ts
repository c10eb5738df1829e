/**
 * Code that the editor-test harness runs inside the workbench page, and the shapes of the
 * values that it reads there. VS Code's DOM is not a public API, so the class names used
 * here are those of VS Code 1.100 (code-server 4.100.3).
 */

export interface StatusBarItemInfo {
  /** The element id, `<extension id>.<item id>` for items that extensions create. */
  id: string;
  /** The label with icons written as `$(name)`, as the extension set it. */
  text: string;
  /** The accessibility label: the text, followed by the tooltip when the tooltip is a string. */
  ariaLabel: string;
}

export interface NotificationInfo {
  message: string;
  /** The extension or component that raised it, without the "Source: " prefix. */
  source: string;
  severity: 'info' | 'warning' | 'error' | 'unknown';
  buttons: string[];
}

export interface QuickPickItemInfo {
  /** The label with icons written as `$(name)`. */
  label: string;
  description: string;
  ariaLabel: string;
  focused: boolean;
}

export interface TextQuery {
  source: string;
  flags: string;
  /** True when `source` is a plain substring rather than a regular expression. */
  plain: boolean;
}

export interface ItemQuery {
  id?: string;
  pattern?: TextQuery;
}

export interface QuickPickRowQuery {
  label: string;
  /** Unique per wait, so that a row list seen during an earlier wait never counts as settled. */
  waitId?: number;
  /** When set, the row's description must end with this text (a folder, for Quick Open). */
  descriptionSuffix?: string;
}

export function toTextQuery(text: string | RegExp): TextQuery {
  return typeof text === 'string'
    ? { source: text, flags: '', plain: true }
    : { source: text.source, flags: text.flags, plain: false };
}

export function toItemQuery(item: string | RegExp): ItemQuery {
  return typeof item === 'string' ? { id: item } : { pattern: toTextQuery(item) };
}

/** The functions that `installPageHelpers` puts on `globalThis.editorHarness` in the page. */
export interface PageHelpers {
  findStatusBarItem(query: ItemQuery): StatusBarItemInfo | undefined;
  listNotifications(): NotificationInfo[];
  listQuickPickItems(): QuickPickItemInfo[];
  findStableQuickPickRow(query: QuickPickRowQuery): { index: number; focused: boolean } | undefined;
  quickInputShows(value: string): boolean;
  activeEditorPath(): string | undefined;
  matchesText(text: string, query: TextQuery): boolean;
}

declare global {
  // Set in the page by `installPageHelpers`, and used by the callbacks that Playwright runs there.
  var editorHarness: PageHelpers;
}

/**
 * Defines `globalThis.editorHarness` in the page. Playwright serializes this function and
 * runs it in every frame before the frame's own scripts, so it must not refer to anything
 * outside its own body.
 */
export function installPageHelpers(): void {
  /** Renders an element's text with codicons written as `$(name)`, as extensions write them. */
  function renderLabel(element: Element | null): string {
    let text = '';
    for (const node of Array.from(element?.childNodes ?? [])) {
      if (node.nodeType === Node.TEXT_NODE) {
        text += node.textContent ?? '';
      } else if (node instanceof Element) {
        text += renderIconOrText(node);
      }
    }
    return text;
  }

  function renderIconOrText(element: Element): string {
    const icon = Array.from(element.classList).find(
      (name) => name.startsWith('codicon-') && !name.startsWith('codicon-modifier-'),
    );
    if (!element.classList.contains('codicon') || !icon) {
      return renderLabel(element);
    }
    const spin = element.classList.contains('codicon-modifier-spin') ? '~spin' : '';
    return `$(${icon.slice('codicon-'.length)}${spin})`;
  }

  function isVisible(element: Element): boolean {
    return element.checkVisibility();
  }

  function matchesText(text: string, query: TextQuery): boolean {
    return query.plain ? text.includes(query.source) : new RegExp(query.source, query.flags).test(text);
  }

  function findStatusBarItem(query: ItemQuery): StatusBarItemInfo | undefined {
    for (const element of Array.from(document.querySelectorAll('.statusbar-item'))) {
      if (!isVisible(element)) {
        continue;
      }
      const info = {
        id: element.id,
        text: renderLabel(element.querySelector('.statusbar-item-label')).trim(),
        ariaLabel: element.getAttribute('aria-label') ?? '',
      };
      const idMatches = query.id !== undefined && (info.id === query.id || info.id.endsWith(`.${query.id}`));
      const textMatches =
        query.pattern !== undefined && (matchesText(info.text, query.pattern) || matchesText(info.ariaLabel, query.pattern));
      if (idMatches || textMatches) {
        return info;
      }
    }
    return undefined;
  }

  function readSeverity(item: Element): NotificationInfo['severity'] {
    const icon = item.querySelector('.notification-list-item-icon');
    for (const severity of ['info', 'warning', 'error'] as const) {
      if (icon?.classList.contains(`codicon-${severity}`)) {
        return severity;
      }
    }
    return 'unknown';
  }

  // A toast counts once its fade-in has finished, so that a screenshot taken next shows it.
  function isShown(item: Element): boolean {
    const toast = item.closest('.notification-toast');
    return isVisible(item) && (!toast || toast.classList.contains('notification-fade-in-done'));
  }

  function listNotifications(): NotificationInfo[] {
    const items = Array.from(document.querySelectorAll('.notification-list-item')).filter(isShown);
    return items.map((item) => ({
      message: (item.querySelector('.notification-list-item-message') as HTMLElement | null)?.innerText.trim() ?? '',
      source: (item.querySelector('.notification-list-item-source')?.textContent ?? '').replace(/^Source:\s*/, ''),
      severity: readSeverity(item),
      buttons: Array.from(item.querySelectorAll('.notification-list-item-buttons-container .monaco-button')).map(
        (button) => button.textContent?.trim() ?? '',
      ),
    }));
  }

  function quickInputWidget(): Element | undefined {
    const widget = document.querySelector('.quick-input-widget');
    return widget && isVisible(widget) ? widget : undefined;
  }

  function listQuickPickRows(): { index: number; item: QuickPickItemInfo }[] {
    const widget = quickInputWidget();
    if (!widget) {
      return [];
    }
    const rows = Array.from(widget.querySelectorAll('.quick-input-list .monaco-list-row'));
    return rows.map((row) => ({
      index: Number(row.getAttribute('data-index')),
      item: {
        label: renderLabel(row.querySelector('.label-name')).trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        ariaLabel: row.getAttribute('aria-label') ?? '',
        focused: row.classList.contains('focused'),
      },
    }));
  }

  // The row list seen at the previous poll of the same wait, to tell when filtering has settled.
  let previousRows = '';

  function findStableQuickPickRow(query: QuickPickRowQuery): { index: number; focused: boolean } | undefined {
    const rows = listQuickPickRows();
    const snapshot = JSON.stringify({ waitId: query.waitId, rows });
    const stable = snapshot === previousRows;
    previousRows = snapshot;
    if (!stable) {
      return undefined;
    }
    const match = rows.find(
      ({ item }) =>
        item.label === query.label &&
        (query.descriptionSuffix === undefined || item.description.endsWith(query.descriptionSuffix)),
    );
    return match ? { index: match.index, focused: match.item.focused } : undefined;
  }

  function quickInputShows(value: string): boolean {
    const input = quickInputWidget()?.querySelector<HTMLInputElement>('.quick-input-box input');
    return input?.value === value;
  }

  function activeEditorPath(): string | undefined {
    const uri = document.querySelector('.editor-group-container.active .monaco-editor[data-uri]')?.getAttribute('data-uri');
    return uri ? decodeURIComponent(new URL(uri).pathname) : undefined;
  }

  const helpers: PageHelpers = {
    findStatusBarItem,
    listNotifications,
    listQuickPickItems: () => listQuickPickRows().map(({ item }) => item),
    findStableQuickPickRow,
    quickInputShows,
    activeEditorPath,
    matchesText,
  };
  globalThis.editorHarness = helpers;
}
