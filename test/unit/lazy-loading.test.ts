import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The compiled tree (out/), where the registry reaches adapters by dynamic import. */
const OUT = path.resolve(__dirname, '../..');

// Runs in a fresh Node process, so the module cache holds only what this script loads. It
// prints one JSON line: which SDKs are loaded after configure and after the first chat.
const CHILD_SCRIPT = `
const path = require('node:path');
const out = process.argv[1];
const { Engine } = require(path.join(out, 'src/engine/engine.js'));
const { Emulator } = require(path.join(out, 'test/emulator/emulator.js'));

function loaded(packageName) {
  const marker = path.sep + path.join('node_modules', packageName) + path.sep;
  return Object.keys(require.cache).some((file) => file.includes(marker));
}
const sdks = () => ({ openai: loaded('openai'), genai: loaded(path.join('@google', 'genai')) });

(async () => {
  const emulator = await Emulator.start();
  const engine = new Engine();
  try {
    await engine.configure({
      profiles: [
        { name: 'local', kind: 'openai-compatible', baseUrl: emulator.url + '/v1', model: 'gpt-4o-mini' },
        { name: 'google', kind: 'gemini', baseUrl: emulator.url, model: 'gemini-2.5-flash' },
      ],
    });
    const afterConfigure = sdks();
    let text = '';
    for await (const event of engine.chat({ profile: 'local', messages: [{ role: 'user', content: 'Hi' }] })) {
      if (event.type === 'text') text += event.text;
      if (event.type === 'error') text += '[' + event.error.code + ']';
    }
    process.stdout.write(JSON.stringify({ afterConfigure, afterChat: sdks(), text, kinds: engine.registry.loadedKinds() }) + '\\n');
  } finally {
    await emulator.stop();
    await engine.close();
  }
})();
`;

interface ChildReport {
  afterConfigure: { openai: boolean; genai: boolean };
  afterChat: { openai: boolean; genai: boolean };
  text: string;
  kinds: string[];
}

describe('lazy loading of provider SDKs', function () {
  this.timeout(20_000);
  let report: ChildReport;

  before(async () => {
    const { stdout } = await run(process.execPath, ['-e', CHILD_SCRIPT, OUT], { timeout: 15_000 });
    report = JSON.parse(stdout) as ChildReport;
  });

  it('loads no SDK when the engine is configured', () => {
    assert.equal(report.afterConfigure.openai, false);
    assert.equal(report.afterConfigure.genai, false);
  });

  it('loads openai on the first OpenAI-compatible chat', () => {
    assert.equal(report.text, 'Hello from the Switchboard emulator.');
    assert.equal(report.afterChat.openai, true);
  });

  it('still leaves @google/genai unloaded after that chat', () => {
    assert.equal(report.afterChat.genai, false);
    assert.deepEqual(report.kinds, ['openai-compatible']);
  });
});
