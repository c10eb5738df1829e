/**
 * Reports shown as read-only Markdown documents: the connection diagnosis and the performance
 * report. Each report is a virtual document (`switchboard-report:` scheme) whose text is fixed
 * when it opens; running the command again opens a new one.
 */

import * as vscode from 'vscode';

export const REPORT_SCHEME = 'switchboard-report';

/** Reports kept in memory; the oldest ones that are no longer open are dropped past this. */
const MAX_REPORTS = 20;

export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reports = new Map<string, string>();
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString()) ?? `_${vscode.l10n.t('This report is no longer available. Run its command again.')}_\n`;
  }

  /** Stores a report under a new URI whose file name is `title` and a counter, ending in `.md`. */
  create(title: string, markdown: string): vscode.Uri {
    this.counter += 1;
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${title} ${this.counter}.md` });
    this.reports.set(uri.toString(), markdown);
    this.dropOldReports();
    return uri;
  }

  /** Returns a report's Markdown, while it is kept in memory. */
  text(uri: vscode.Uri): string | undefined {
    return this.reports.get(uri.toString());
  }

  /** Opens a report as a read-only Markdown text document beside the active editor. */
  async showSource(uri: vscode.Uri): Promise<void> {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  }

  /** Opens a report in the Markdown preview, which draws its tables and inline SVG. */
  async showPreview(uri: vscode.Uri): Promise<void> {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }

  private dropOldReports(): void {
    const open = new Set(vscode.workspace.textDocuments.map((document) => document.uri.toString()));
    for (const key of this.reports.keys()) {
      if (this.reports.size <= MAX_REPORTS) break;
      if (!open.has(key)) this.reports.delete(key);
    }
  }

  dispose(): void {
    this.reports.clear();
  }
}
