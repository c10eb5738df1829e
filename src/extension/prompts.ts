/** The messages sent for each editor action, and the extraction of code from an answer. */

import type { ChatMessage } from '../engine/types';

/**
 * Characters of file or selection text sent as context; longer text is cut and the cut is
 * stated in the prompt. NOTE: a fixed estimate, not the model's context window, which the
 * extension does not know.
 */
export const MAX_CONTEXT_CHARACTERS = 100_000;

export interface CodeContext {
  /** File name shown to the model, relative to the workspace where possible. */
  fileName: string;
  languageId: string;
  text: string;
  /** True when `text` is a selection rather than the whole file. */
  isSelection: boolean;
}

const SYSTEM_PROMPT = 'You are a programming assistant inside the code editor VS Code. Answer precisely and concisely, in Markdown.';

export function askMessages(question: string, context: CodeContext | undefined): ChatMessage[] {
  const parts = [question.trim()];
  if (context) parts.push(`${context.isSelection ? 'Selected code' : 'Current file'} (${context.fileName}):\n\n${fence(context)}`);
  return [system(SYSTEM_PROMPT), user(parts.join('\n\n'))];
}

export function explainMessages(context: CodeContext): ChatMessage[] {
  return [system(SYSTEM_PROMPT), user(`Explain what this code from ${context.fileName} does, how it works, and anything surprising in it.\n\n${fence(context)}`)];
}

export function testMessages(context: CodeContext): ChatMessage[] {
  const subject = context.isSelection ? 'this code' : 'the code in this file';
  return [
    system(SYSTEM_PROMPT),
    user(`Write unit tests for ${subject} from ${context.fileName}, using the test framework most common for ${context.languageId}. Cover normal cases, edge cases and errors. Reply with the test file in one code block, followed by one sentence on how to run it.\n\n${fence(context)}`),
  ];
}

const REPLACEMENT_RULES = 'Reply with the replacement code only, in one code block: no explanation before or after it. Keep the indentation style of the original.';

export function editMessages(instruction: string, context: CodeContext): ChatMessage[] {
  return [system(`${SYSTEM_PROMPT} ${REPLACEMENT_RULES}`), user(`Rewrite this code from ${context.fileName} as follows: ${instruction.trim()}\n\n${fence(context)}`)];
}

export function documentationMessages(context: CodeContext): ChatMessage[] {
  return [
    system(`${SYSTEM_PROMPT} ${REPLACEMENT_RULES}`),
    user(`Add documentation comments in the usual style for ${context.languageId} to this code from ${context.fileName}. Leave the code itself unchanged.\n\n${fence(context)}`),
  ];
}

/** Cuts text to MAX_CONTEXT_CHARACTERS, saying so at the cut. */
export function limitContext(text: string): string {
  if (text.length <= MAX_CONTEXT_CHARACTERS) return text;
  return `${text.slice(0, MAX_CONTEXT_CHARACTERS)}\n[… ${text.length - MAX_CONTEXT_CHARACTERS} more characters not sent]`;
}

/** Wraps code in a fence longer than any backtick run inside it. */
function fence(context: CodeContext): string {
  const text = limitContext(context.text);
  const longestRun = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marker = '`'.repeat(longestRun + 1);
  return `${marker}${context.languageId}\n${text}\n${marker}`;
}

/**
 * Takes the replacement code out of an answer: the first fenced block when there is one,
 * else the whole answer. A trailing line break follows the original's.
 */
export function extractReplacement(answer: string, original: string): string {
  const block = /^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)^\1[ \t]*$/m.exec(answer);
  let code = block ? block[2].replace(/\n$/, '') : answer.replace(/^\s*\n/, '').replace(/\s+$/, '');
  if (original.endsWith('\n') && !code.endsWith('\n')) code += '\n';
  if (!original.endsWith('\n')) code = code.replace(/\n$/, '');
  return code;
}

function system(content: string): ChatMessage {
  return { role: 'system', content };
}

function user(content: string): ChatMessage {
  return { role: 'user', content };
}
