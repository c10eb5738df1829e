/**
 * Hints for a language server that runs on a remote host (VS Code Remote SSH, WSL, dev
 * containers, Codespaces): there, a loopback base URL means the remote machine, not the
 * user's computer where a local model server usually runs.
 */

import { isLoopbackHost } from '../network/options';

export interface RemoteHint {
  /** One sentence saying which machine `localhost` is. */
  explanation: string;
  /** Ways to reach the server, most likely first. */
  fixes: string[];
}

const REMOTE_LABELS: Record<string, string> = {
  'ssh-remote': 'a remote host over SSH',
  wsl: 'WSL',
  'dev-container': 'a dev container',
  'attached-container': 'a container',
  codespaces: 'a GitHub Codespace',
  tunnel: 'a remote tunnel host',
};

/** Returns the hint when the server runs remotely and the host is a loopback address, else undefined. */
export function remoteLoopbackHint(remoteName: string | undefined, host: string, port: number): RemoteHint | undefined {
  if (!remoteName || !isLoopbackHost(host)) return undefined;
  const where = REMOTE_LABELS[remoteName] ?? `a remote host (${remoteName})`;
  return {
    explanation: `VS Code runs Switchboard in ${where} (remote name "${remoteName}"), so ${host} in the base URL is that machine, not your computer.`,
    fixes: fixesFor(remoteName, port),
  };
}

/**
 * Returns the hint for the command line in an SSH session (SSH_CONNECTION or SSH_TTY set) whose
 * base URL names a loopback host, else undefined. A model server on the user's own computer
 * is then on the other end of the SSH connection.
 */
export function sshSessionLoopbackHint(env: NodeJS.ProcessEnv, host: string, port: number): RemoteHint | undefined {
  if ((!env.SSH_CONNECTION && !env.SSH_TTY) || !isLoopbackHost(host)) return undefined;
  return {
    explanation: `This shell is an SSH session (SSH_CONNECTION or SSH_TTY is set), so ${host} in the base URL is the remote machine, not your computer.`,
    fixes: fixesFor('ssh-remote', port),
  };
}

function fixesFor(remoteName: string, port: number): string[] {
  const runThere = `Or run the model server on the remote machine itself, listening on port ${port}.`;
  switch (remoteName) {
    case 'ssh-remote':
      return [
        `Forward the port from your computer to the remote host: connect with ssh -R ${port}:127.0.0.1:${port} HOST (or add RemoteForward ${port} 127.0.0.1:${port} to the host's entry in ~/.ssh/config).`,
        runThere,
      ];
    case 'wsl':
      return [
        'With WSL 2, set networkingMode=mirrored in %UserProfile%\\.wslconfig so that localhost reaches Windows, then restart WSL.',
        `Or make the Windows server listen on all interfaces (for Ollama, OLLAMA_HOST=0.0.0.0) and use the Windows host's address in the base URL.`,
        runThere,
      ];
    case 'dev-container':
    case 'attached-container':
      return [`Use http://host.docker.internal:${port} in the base URL to reach your computer from the container (on Linux, add --add-host=host.docker.internal:host-gateway to the container's run arguments).`, runThere];
    case 'codespaces':
      return ['A Codespace runs in the cloud and cannot reach servers on your computer; use a hosted provider or a server reachable from the internet.', runThere];
    default:
      return [`Make port ${port} of your computer reachable from the remote host (for example with an SSH reverse tunnel), or point the base URL at an address the remote host can reach.`, runThere];
  }
}
