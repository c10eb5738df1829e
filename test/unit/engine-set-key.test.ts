import * as assert from 'node:assert/strict';

import { Engine } from '../../src/engine/engine';
import type { SwitchboardError } from '../../src/engine/errors';
import { silentLogger } from '../../src/engine/types';

describe('Engine.setKey profile name', () => {
  let engine: Engine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  for (const [label, profile] of [['blank', '  '], ['a tab and a newline', '\t\n'], ['empty', '']] as const) {
    it(`rejects a ${label} name`, () => {
      engine = new Engine({ logger: silentLogger });
      assert.throws(
        () => engine!.setKey(profile, 'sk-blank-profile-key-0123'),
        (error: SwitchboardError) => error.code === 'config.invalid' && /profile name for the API key is (only white space|an empty string); it must be a string that is not blank/.test(error.message),
      );
      assert.equal(engine.hasKey(profile), false);
    });
  }

  it('accepts a name with spaces inside', () => {
    engine = new Engine({ logger: silentLogger });
    engine.setKey('local model', 'sk-spaced-profile-key-0123');
    assert.equal(engine.hasKey('local model'), true);
    engine.setKey('local model', undefined);
  });
});
