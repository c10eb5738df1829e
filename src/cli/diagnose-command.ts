/** `switchboard diagnose`: runs the connection doctor on one profile and prints its report. */

import { runDoctor } from '../engine/doctor/doctor';
import { renderDoctorJson, renderDoctorText } from '../engine/doctor/render';
import { SwitchboardError } from '../engine/errors';
import { findDuplicateName, quoteValue, type ProfileInput } from '../engine/profiles';
import { keysFromEnvironment, loadStandaloneConfiguration } from '../engine/standalone-config';
import type { Logger } from '../engine/types';
import { adHocProfileInput, usageError, type CliArguments } from './args';
import { cancelOnSignals } from './signals';

interface DiagnoseIo {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Exit statuses, as in cli.ts: 0 when no step failed, 1 when one did; signals.ts has those for SIGINT and SIGTERM. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;

/**
 * Prints the report (✓ passed, ✗ failed, ! warning, - skipped) or its JSON form. A profile that
 * cannot be found or built throws `config.*`, which the caller reports as a usage error. A
 * profile with bad values is not thrown, because the configuration step reports it.
 */
export async function runDiagnose(args: CliArguments, io: DiagnoseIo, logger: Logger): Promise<number> {
  const { profile, apiKey } = selectProfile(args, io.env);
  const cancellation = cancelOnSignals();
  try {
    const report = await runDoctor(profile, { apiKey, network: args.network, surface: 'cli', skipCompletion: args.skipCompletion, signal: cancellation.signal, logger });
    io.stdout.write(args.json ? renderDoctorJson(report) : renderDoctorText(report));
    if (report.ok) return EXIT_OK;
    const failed = report.steps.find((step) => step.id === report.failedStep);
    return failed?.error?.code === 'cancelled' || cancellation.signal.aborted ? cancellation.cancelledStatus() : EXIT_FAILED;
  } finally {
    cancellation.dispose();
  }
}

/** Finds the profile to check and its key: an ad-hoc profile from --provider, or a named one. */
function selectProfile(args: CliArguments, env: NodeJS.ProcessEnv): { profile: ProfileInput; apiKey?: string } {
  if (args.provider || args.baseUrl) {
    const profile = adHocProfile(args);
    return { profile, apiKey: keysFromEnvironment([profile], env).get('cli') };
  }
  const argv = args.profilesFile ? ['--profiles', args.profilesFile] : [];
  const configuration = loadStandaloneConfiguration(undefined, env, argv);
  // The same check as `chat` and `models`, which compares names as parseProfile stores them (trimmed).
  const duplicate = findDuplicateName(configuration.profiles);
  if (duplicate !== undefined) {
    throw new SwitchboardError('config.invalid', `Two profiles in ${configuration.source} are named ${quoteValue(duplicate)}.`, { fix: ['Give each profile its own name.'] });
  }
  const name = args.profile ?? String(configuration.profiles[0]?.name ?? '').trim();
  const found = configuration.profiles.find((input) => typeof input.name === 'string' && input.name.trim() === name);
  if (!found) {
    const known = configuration.profiles.map((input) => String(input.name));
    throw new SwitchboardError('config.profile_not_found', `No profile is named "${name}".`, {
      fix: [known.length ? `Use one of: ${known.join(', ')}.` : 'Pass --profiles FILE, set SWITCHBOARD_PROFILES, or use --provider, --base-url and --model.'],
    });
  }
  const profile = args.model ? { ...found, model: args.model } : found;
  return { profile, apiKey: configuration.keys.get(String(found.name).trim()) };
}

function adHocProfile(args: CliArguments): ProfileInput {
  const profile = adHocProfileInput(args, args.model);
  if (!args.model) throw usageError('diagnose needs --model ID with --provider.', 'Add the model to check, such as --model llama3.2.');
  return profile;
}
