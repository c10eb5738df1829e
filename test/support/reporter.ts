/**
 * Mocha's spec reporter plus a closing line "N passed, N failed, N skipped", which CI reads.
 * When SWITCHBOARD_TEST_SUMMARY names a file, the counts are appended to it so scripts/test.sh
 * can print one total for all suites.
 */

import { appendFileSync } from 'node:fs';
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
      const file = process.env.SWITCHBOARD_TEST_SUMMARY;
      if (file) appendFileSync(file, `${passes} ${failures} ${pending}\n`);
    });
  }
}

export = SummaryReporter;
