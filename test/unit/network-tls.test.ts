import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { DEFAULT_ANSWER } from '../emulator/answer';
import { generateCertificates, type TlsMaterial } from '../emulator/tls';
import { PROFILE, startHarness, type Harness } from './support/harness';
import { answerText, errorOf } from './support/helpers';

const CA_NAME = 'CN=Switchboard emulator test CA';

describe('network TLS', function () {
  this.timeout(30_000);
  let valid: TlsMaterial;
  let expired: TlsMaterial;
  let wrongHost: TlsMaterial;
  let directory: string;
  let harness: Harness | undefined;
  let savedExtraCa: string | undefined;

  before(async () => {
    [valid, expired, wrongHost] = await Promise.all([
      generateCertificates(),
      generateCertificates({ expired: true }),
      generateCertificates({ hostnames: ['wrong-host.invalid'] }),
    ]);
    directory = await mkdtemp(path.join(tmpdir(), 'switchboard-tls-test-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  beforeEach(() => {
    savedExtraCa = process.env.NODE_EXTRA_CA_CERTS;
    delete process.env.NODE_EXTRA_CA_CERTS;
  });

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    if (savedExtraCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = savedExtraCa;
  });

  async function writeCaFile(material: TlsMaterial): Promise<string> {
    const file = path.join(directory, `ca-${Date.now()}-${Math.random().toString(16).slice(2)}.pem`);
    await writeFile(file, material.caPem);
    return file;
  }

  it('trusts a private CA given as PEM text', async () => {
    harness = await startHarness({ emulator: { tls: valid }, engine: { network: { extraCaCertificates: [valid.caPem] } } });
    const events = await harness.chat();
    assert.equal(errorOf(events), undefined);
    assert.equal(answerText(events), DEFAULT_ANSWER);
  });

  it('verifies a second connection to the same host', async () => {
    const profile = (url: string) => ({ name: PROFILE, kind: 'openai-compatible', baseUrl: `${url.replace('127.0.0.1', 'localhost')}/v1`, model: 'gpt-4o-mini' });
    harness = await startHarness({ emulator: { tls: valid }, engine: { network: { extraCaCertificates: [valid.caPem] } }, profile });
    assert.equal(answerText(await harness.chat({ bypassCache: true })), DEFAULT_ANSWER);
    // Two requests at once need a second connection, opened after the first one's session ticket arrived.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const both = await Promise.all([harness.chat({ bypassCache: true }), harness.chat({ bypassCache: true })]);
    for (const events of both) {
      assert.equal(errorOf(events), undefined);
      assert.equal(answerText(events), DEFAULT_ANSWER);
    }
    assert.equal(harness.emulator.requests.length, 3);
  });

  it('trusts a private CA from a PEM file path', async () => {
    const file = await writeCaFile(valid);
    harness = await startHarness({ emulator: { tls: valid }, engine: { network: { caCertificateFiles: [file] } } });
    const events = await harness.chat();
    assert.equal(answerText(events), DEFAULT_ANSWER);
  });

  it('trusts a private CA from NODE_EXTRA_CA_CERTS', async () => {
    process.env.NODE_EXTRA_CA_CERTS = await writeCaFile(valid);
    harness = await startHarness({ emulator: { tls: valid } });
    const events = await harness.chat();
    assert.equal(answerText(events), DEFAULT_ANSWER);
  });

  it('reports an untrusted CA as tls.untrusted naming the issuer', async () => {
    harness = await startHarness({ emulator: { tls: valid } });
    const error = errorOf(await harness.chat());
    assert.equal(error?.code, 'tls.untrusted');
    assert.match(error!.message, new RegExp(`issued by "${CA_NAME}"`));
    assert.match(error!.message, new RegExp(`127\\.0\\.0\\.1:${harness.emulator.port}`));
    assert.match(error!.fix.join(' '), /NODE_EXTRA_CA_CERTS/);
    assert.ok(!/NODE_TLS_REJECT_UNAUTHORIZED/.test(error!.fix.join(' ')), 'never suggests turning checks off');
    assert.equal(harness.emulator.requests.length, 0, 'nothing is sent to an untrusted server');
  });

  it('reports an expired certificate as tls.expired', async () => {
    harness = await startHarness({ emulator: { tls: expired }, engine: { network: { extraCaCertificates: [expired.caPem] } } });
    const error = errorOf(await harness.chat());
    assert.equal(error?.code, 'tls.expired');
    assert.match(error!.message, /valid until/);
    assert.equal(harness.emulator.requests.length, 0);
  });

  it('reports a host name mismatch as tls.hostname on every connection', async () => {
    harness = await startHarness({ emulator: { tls: wrongHost }, engine: { network: { extraCaCertificates: [wrongHost.caPem] } } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const error = errorOf(await harness.chat());
      assert.equal(error?.code, 'tls.hostname', `attempt ${attempt}`);
      assert.match(error!.message, /issued to CN=wrong-host\.invalid/);
    }
    assert.equal(harness.emulator.requests.length, 0);
  });

  it('accepts any certificate with strictSsl false and logs a warning', async () => {
    harness = await startHarness({ emulator: { tls: wrongHost }, engine: { network: { strictSsl: false } } });
    const events = await harness.chat();
    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.ok(
      harness.logger.lines.some((line) => /^warn: TLS certificate checks are off/.test(line)),
      harness.logger.lines.join('\n'),
    );
  });

  it('logs an unreadable CA file and keeps working', async () => {
    const missing = path.join(directory, 'missing.pem');
    harness = await startHarness({ emulator: { tls: valid }, engine: { network: { extraCaCertificates: [valid.caPem], caCertificateFiles: [missing] } } });
    const events = await harness.chat();
    assert.equal(answerText(events), DEFAULT_ANSWER);
    assert.ok(harness.logger.lines.some((line) => line.startsWith('warn: ') && line.includes(missing)));
  });
});
