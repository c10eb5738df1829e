import * as assert from 'node:assert/strict';

import { BoundedCache } from '../../src/engine/cache/bounded-cache';
import { isSwitchboardError } from '../../src/engine/errors';

/** Creates a clock in milliseconds that the test moves by hand. */
function manualClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Creates a promise with its resolve and reject functions, for loaders the test finishes by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('bounded cache', () => {
  describe('map operations', () => {
    it('stores and returns a value', () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      cache.set('a', 'one');
      assert.equal(cache.get('a'), 'one');
      assert.equal(cache.has('a'), true);
      assert.equal(cache.size, 1);
    });

    it('deletes and clears', () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      cache.set('a', 'one').set('b', 'two');
      assert.equal(cache.delete('a'), true);
      assert.equal(cache.get('a'), undefined);
      cache.clear();
      assert.equal(cache.size, 0);
    });
  });

  describe('bounds', () => {
    it('keeps at most maxEntries after many inserts', () => {
      const cache = new BoundedCache<number, string>({ maxEntries: 50, ttlMs: 60_000 });
      for (let index = 0; index < 5_000; index++) cache.set(index, `value ${index}`);
      assert.equal(cache.size, 50);
      assert.equal(cache.get(4_999), 'value 4999');
      assert.equal(cache.get(0), undefined);
    });

    it('keeps the total size at most maxSize after many inserts', () => {
      const cache = new BoundedCache<number, string>({ maxEntries: 10_000, maxSize: 1_000, sizeOf: (value) => value.length, ttlMs: 60_000 });
      for (let index = 0; index < 5_000; index++) cache.set(index, 'x'.repeat(1 + (index % 97)));
      assert.ok(cache.totalSize <= 1_000, `total size ${cache.totalSize}`);
      assert.ok(cache.size > 0);
    });

    it('does not store a value larger than maxSize', () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, maxSize: 10, sizeOf: (value) => value.length, ttlMs: 60_000 });
      cache.set('big', 'x'.repeat(11));
      assert.equal(cache.has('big'), false);
      assert.equal(cache.totalSize, 0);
    });

    it('evicts the least recently used entry first', () => {
      const cache = new BoundedCache<string, number>({ maxEntries: 2, ttlMs: 60_000 });
      cache.set('a', 1).set('b', 2);
      cache.get('a');
      cache.set('c', 3);
      assert.deepEqual(cache.keys().sort(), ['a', 'c']);
    });

    it('expires entries after the TTL', () => {
      const clock = manualClock();
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 5_000, now: clock.now });
      cache.set('a', 'one');
      clock.advance(4_999);
      assert.equal(cache.get('a'), 'one');
      clock.advance(2);
      assert.equal(cache.get('a'), undefined);
    });
  });

  describe('configuration errors', () => {
    const cases: Array<[string, number]> = [
      ['zero', 0],
      ['a negative number', -1],
      ['infinity', Infinity],
      ['NaN', Number.NaN],
    ];
    for (const [label, value] of cases) {
      it(`rejects ${label} as maxSize with config.invalid`, () => {
        assert.throws(
          () => new BoundedCache<string, string>({ maxEntries: 10, maxSize: value, ttlMs: 1_000, settingNames: { maxSize: 'cache.maxMegabytes' } }),
          (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('cache.maxMegabytes'),
        );
      });

      it(`rejects ${label} as ttlMs with config.invalid`, () => {
        assert.throws(
          () => new BoundedCache<string, string>({ maxEntries: 10, ttlMs: value, settingNames: { ttlMs: 'cache.ttlMinutes' } }),
          (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('cache.ttlMinutes'),
        );
      });

      it(`rejects ${label} as maxEntries with config.invalid`, () => {
        assert.throws(
          () => new BoundedCache<string, string>({ maxEntries: value, ttlMs: 1_000 }),
          (error: unknown) => isSwitchboardError(error) && error.code === 'config.invalid' && error.message.includes('maxEntries'),
        );
      });
    }
  });

  describe('load', () => {
    it('stores what the loader returns', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      assert.equal(await cache.load('a', async () => 'loaded'), 'loaded');
      assert.equal(cache.get('a'), 'loaded');
    });

    it('returns a stored value without loading', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      cache.set('a', 'stored');
      let calls = 0;
      const value = await cache.load('a', async () => {
        calls++;
        return 'loaded';
      });
      assert.equal(value, 'stored');
      assert.equal(calls, 0);
    });

    it('coalesces concurrent loads of one key', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      const pending = deferred<string>();
      let calls = 0;
      const loader = () => {
        calls++;
        return pending.promise;
      };
      const first = cache.load('a', loader);
      const second = cache.load('a', loader);
      const refreshed = cache.load('a', loader, { refresh: true });
      pending.resolve('shared');
      assert.deepEqual(await Promise.all([first, second, refreshed]), ['shared', 'shared', 'shared']);
      assert.equal(calls, 1);
      assert.equal(cache.loading, 0);
    });

    it('loads again with refresh', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      cache.set('a', 'old');
      assert.equal(await cache.load('a', async () => 'new', { refresh: true }), 'new');
      assert.equal(cache.get('a'), 'new');
    });

    it('stores nothing when the loader fails', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      await assert.rejects(
        cache.load('a', async () => {
          throw new Error('upstream failed');
        }),
        /upstream failed/,
      );
      assert.equal(cache.has('a'), false);
      assert.equal(cache.loading, 0);
    });

    it('keeps a shared load running when one caller aborts', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      const pending = deferred<string>();
      let loaderSignal: AbortSignal | undefined;
      const loader = (signal: AbortSignal) => {
        loaderSignal = signal;
        return pending.promise;
      };
      const leaving = new AbortController();
      const first = cache.load('a', loader, { signal: leaving.signal });
      const second = cache.load('a', loader);
      leaving.abort(new Error('caller left'));
      await assert.rejects(first, /caller left/);
      assert.equal(loaderSignal?.aborted, false);
      pending.resolve('value');
      assert.equal(await second, 'value');
    });

    it('aborts the shared load when its last caller aborts', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      let loaderSignal: AbortSignal | undefined;
      const loader = (signal: AbortSignal) => {
        loaderSignal = signal;
        return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      };
      const one = new AbortController();
      const two = new AbortController();
      const first = cache.load('a', loader, { signal: one.signal });
      const second = cache.load('a', loader, { signal: two.signal });
      one.abort(new Error('first left'));
      await assert.rejects(first, /first left/);
      assert.equal(loaderSignal?.aborted, false);
      two.abort(new Error('second left'));
      await assert.rejects(second, /second left/);
      assert.equal(loaderSignal?.aborted, true);
    });

    it('does not store a load that started before clear', async () => {
      const cache = new BoundedCache<string, string>({ maxEntries: 10, ttlMs: 60_000 });
      const pending = deferred<string>();
      const loading = cache.load('a', () => pending.promise);
      cache.clear();
      pending.resolve('stale');
      assert.equal(await loading, 'stale');
      assert.equal(cache.has('a'), false);
    });
  });
});
