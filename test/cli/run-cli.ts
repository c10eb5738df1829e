/** Runs the built command line (dist/cli.js) in a child process, for the CLI tests. */

import { spawn } from 'node:child_process';

import { cleanEnvironment, CLI_BUNDLE, REPOSITORY } from '../server/bundles';

export interface CliRun {
  /** Exit status, or null when a signal ended the process. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Text written to standard input, which is then closed; empty by default. */
  stdin?: string;
  /** Kills the process with SIGKILL after this many milliseconds; default 20 000. */
  killAfterMs?: number;
  /** Called once the process runs, to send it a signal at the right moment. */
  onStart?: (child: { kill(signal: NodeJS.Signals): boolean }) => void;
}

/**
 * Runs dist/cli.js with `args` and a clean environment (no keys, proxies or SWITCHBOARD_*
 * variables of this machine) plus `env`, and returns its exit status and output.
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: REPOSITORY, env: cleanEnvironment(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A process that exits before reading its input makes the write fail with EPIPE, which is expected.
    child.stdin.on('error', () => undefined);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('spawn', () => options.onStart?.(child));
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
