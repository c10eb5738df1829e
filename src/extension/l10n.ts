/**
 * Translation for the modules that unit tests load without VS Code: settings, the status view,
 * answer Markdown, fix buttons and key validation. They call `l10n.t` from here with the same
 * arguments as `vscode.l10n.t`. activate() routes it to `vscode.l10n.t`; until then, as in unit
 * tests, it returns the English message with its placeholders filled in.
 */

export type L10nArgument = string | number | boolean;

export type Translate = (message: string, ...args: L10nArgument[]) => string;

let translate: Translate = formatMessage;

export const l10n = {
  /** Translates `message` and replaces its `{0}`, `{1}`… placeholders with `args`. */
  t: (message: string, ...args: L10nArgument[]): string => translate(message, ...args),
};

/** Routes `l10n.t` to VS Code's translation; activate() calls it before any message is built. */
export function useTranslation(translator: Translate): void {
  translate = translator;
}

/**
 * Replaces `{0}`, `{1}`… with `args` and leaves other braces alone, as `vscode.l10n.t` does
 * for the default language (VS Code 1.100): a message without arguments stays as it is.
 */
export function formatMessage(message: string, ...args: L10nArgument[]): string {
  if (args.length === 0) return message;
  return message.replace(/\{(\d+)\}/g, (placeholder, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? placeholder : String(value);
  });
}
