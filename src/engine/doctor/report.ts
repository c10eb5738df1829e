/** The connection doctor's report: plain data, so it crosses LSP and prints as JSON unchanged. */

import type { ErrorData } from '../errors';

/** The steps in the order they run; each later step builds on the ones before it. */
export const STEP_IDS = ['configuration', 'dns', 'tcp', 'proxy', 'tls', 'authentication', 'model', 'completion', 'streaming'] as const;

export type StepId = (typeof STEP_IDS)[number];

export type StepStatus = 'pass' | 'fail' | 'warn' | 'skip';

export const STEP_TITLES: Record<StepId, string> = {
  configuration: 'Configuration',
  dns: 'DNS lookup',
  tcp: 'TCP connection',
  proxy: 'Proxy',
  tls: 'TLS certificate',
  authentication: 'Authentication',
  model: 'Model availability',
  completion: 'One-token request',
  streaming: 'Streaming',
};

export interface DoctorStep {
  id: StepId;
  title: string;
  status: StepStatus;
  durationMs: number;
  /** Findings in the order they were made, one sentence each; never a key or a password. */
  details: string[];
  /** Set on a failing step: the code, the message and the fix. */
  error?: ErrorData;
}

export interface DoctorReport {
  profile: string;
  /** The base URL as configured, with any credentials masked. */
  baseUrl: string;
  model: string;
  /** VS Code's remote name (`ssh-remote`, `wsl`, `dev-container`, …) when the server runs on a remote host. */
  remoteName?: string;
  /** ISO 8601 time the run started. */
  startedAt: string;
  durationMs: number;
  /** True when no step failed; warnings do not count as failures. */
  ok: boolean;
  /** The first failing step, after which the remaining steps were skipped. */
  failedStep?: StepId;
  steps: DoctorStep[];
}
