/** Entry point of dist/cli.js, the `switchboard` command. */

import { runCli } from './cli';

// A reader that closes early (`switchboard chat … | head -c 10`) makes writes fail with EPIPE.
// Nothing is left to read the output, so the command stops quietly with status 0.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`switchboard: could not write to standard output: ${error.message}\n`);
  process.exit(1);
});

runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`switchboard: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
