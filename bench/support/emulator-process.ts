/**
 * The emulator in a process of its own, so that it does not share the event loop (or the CPU
 * core) of the client being measured, as a real server would not. The parent talks to it over
 * Node's IPC channel: `script` queues a script, `stop` stops it.
 */

import { fork, type ChildProcess } from 'node:child_process';

import { Emulator, type Script } from '../../test/emulator/emulator';
import { benchTls } from './environment';

export interface EmulatorSettings {
  answer?: string;
  tokensPerSecond?: number;
  tls?: boolean;
}

type Command = { type: 'script'; script: Script } | { type: 'stop' };
type Reply = { type: 'started'; url: string } | { type: 'done' } | { type: 'failed'; message: string };

export class EmulatorProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(settings: EmulatorSettings = {}): Promise<EmulatorProcess> {
    // No inherited flags, so a profiled benchmark does not profile the emulator too.
    const child = fork(__filename, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    const reply = await nextReply(child);
    if (reply.type !== 'started') {
      child.kill();
      throw new Error(`The emulator process did not start: ${reply.type === 'failed' ? reply.message : reply.type}`);
    }
    return new EmulatorProcess(reply.url, child);
  }

  /** Queues a script for the next request, as Emulator.script does; resolves once it is queued. */
  async script(script: Script): Promise<void> {
    const replied = nextReply(this.child);
    this.child.send({ type: 'script', script } satisfies Command);
    await replied;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' } satisfies Command);
    await exited;
  }
}

function nextReply(child: ChildProcess): Promise<Reply> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as Reply));
    child.once('error', reject);
  });
}

/** Starts the emulator in the child process and runs the parent's commands. */
async function serve(settings: EmulatorSettings): Promise<void> {
  const tls = settings.tls ? benchTls() : undefined;
  const emulator = await Emulator.start({
    answer: settings.answer,
    tokensPerSecond: settings.tokensPerSecond,
    ...(tls ? { tls: { certPem: tls.certPem, keyPem: tls.keyPem } } : {}),
  });
  process.on('message', (command: Command) => {
    if (command.type === 'script') {
      emulator.script(command.script);
      process.send!({ type: 'done' } satisfies Reply);
    } else {
      void emulator.stop().then(() => process.exit(0));
    }
  });
  process.send!({ type: 'started', url: emulator.url } satisfies Reply);
}

if (require.main === module) {
  serve(JSON.parse(process.argv[2] ?? '{}') as EmulatorSettings).catch((error: unknown) => {
    process.send?.({ type: 'failed', message: (error as Error).message } satisfies Reply);
    process.exitCode = 1;
  });
}
