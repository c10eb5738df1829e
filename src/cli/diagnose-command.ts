/** `switchboard diagnose`: runs the connection doctor on one profile and prints its report. */

import { runDoctor } from '../engine/doctor/doctor';
import { renderDoctorJson, renderDoctorText } from '../engine/doctor/render';
import { SwitchboardError } from '../engine/errors';
import { isProviderKind, PRESETS, type ProfileInput } from '../engine/profiles';
import { keysFromEnvironment, loadStandaloneConfiguration } from '../engine/standalone-config';
import { PROVIDER_KINDS, type Logger } from '../engine/types';
import { usageError, type CliArguments } from './args';

interface DiagnoseIo {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Exit statuses, as in cli.ts: 0 when no step failed, 1 when one did, 130 when interrupted. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_INTERRUPTED = 130;

/**
 * Prints the report (✓ passed, ✗ failed, ! warning, - skipped) or its JSON form. A profile that
 * cannot be found or built throws `config.*`, which the caller reports as a usage error. A
 * profile with bad values is not thrown, because the configuration step reports it.
 */
export async function runDiagnose(args: CliArguments, io: DiagnoseIo, logger: Logger): Promise<number> {
  const { profile, apiKey } = selectProfile(args, io.env);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const report = await runDoctor(profile, { apiKey, skipCompletion: args.skipCompletion, signal: controller.signal, logger });
    io.stdout.write(args.json ? renderDoctorJson(report) : renderDoctorText(report));
    if (report.ok) return EXIT_OK;
    const failed = report.steps.find((step) => step.id === report.failedStep);
    return failed?.error?.code === 'cancelled' ? EXIT_INTERRUPTED : EXIT_FAILED;
  } finally {
    process.removeListener('SIGINT', onSigint);
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
  // The same check as Engine.configure, which `chat` and `models` go through.
  const names = configuration.profiles.map((input) => input.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new SwitchboardError('config.invalid', `Two profiles are named "${String(duplicate)}".`, { fix: ['Give each profile its own name.'] });
  }
  const name = args.profile ?? String(configuration.profiles[0]?.name ?? '');
  const found = configuration.profiles.find((input) => input.name === name);
  if (!found) {
    const known = configuration.profiles.map((input) => String(input.name));
    throw new SwitchboardError('config.profile_not_found', `No profile is named "${name}".`, {
      fix: [known.length ? `Use one of: ${known.join(', ')}.` : 'Pass --profiles FILE, set SWITCHBOARD_PROFILES, or use --provider, --base-url and --model.'],
    });
  }
  const profile = args.model ? { ...found, model: args.model } : found;
  return { profile, apiKey: configuration.keys.get(name) };
}

function adHocProfile(args: CliArguments): ProfileInput {
  if (!args.provider) throw usageError('--base-url needs --provider.', 'Add --provider openai-compatible (or openai, gemini, azure-openai, or a preset such as ollama).');
  const isPreset = PRESETS[args.provider] !== undefined;
  if (!isPreset && !isProviderKind(args.provider)) {
    throw usageError(`Unknown provider "${args.provider}".`, `Use --provider with one of: ${PROVIDER_KINDS.join(', ')}, or a preset: ${Object.keys(PRESETS).join(', ')}.`);
  }
  if (!args.model) throw usageError('diagnose needs --model ID with --provider.', 'Add the model to check, such as --model llama3.2.');
  return {
    name: 'cli',
    ...(isPreset ? { preset: args.provider } : { kind: args.provider }),
    baseUrl: args.baseUrl,
    model: args.model,
    apiVersion: args.apiVersion,
  };
}
