#!/usr/bin/env bash
# Runs everything CI runs: types, lint, build, unit/server/CLI tests, packaging and the
# editor tests in a real VS Code (code-server + headless Chromium).
# SWITCHBOARD_SKIP_EDITOR=1 skips the editor tier (for quick local runs only).
set -euo pipefail
cd "$(dirname "$0")/.."

summary=$(mktemp)
export SWITCHBOARD_TEST_SUMMARY="$summary"
reporter=out/test/support/reporter.js
status=0

step() { printf '\n== %s\n' "$*"; }

step "check types";  npm run --silent check-types
step "lint";         npm run --silent lint
step "build";        npm run --silent build
step "compile tests"; npm run --silent compile-tests

step "set up tinyproxy for the network tests"; bash scripts/setup-network-tests.sh
step "unit, server, CLI and reliability tests"
npx mocha --reporter "$reporter" --timeout 20000 \
  'out/test/unit/**/*.test.js' 'out/test/server/**/*.test.js' 'out/test/cli/**/*.test.js' \
  'out/test/reliability/**/*.test.js' || status=1

if [ "${SWITCHBOARD_SKIP_EDITOR:-0}" != "1" ]; then
  step "package the extension"; npm run --silent package
  step "set up code-server and Chromium"; bash scripts/setup-editor-tests.sh
  step "editor tests in a real VS Code"
  npx mocha --reporter "$reporter" --timeout 180000 'out/test/editor/**/*.test.js' || status=1
fi

read -r passed failed skipped < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$summary")
rm -f "$summary"
printf '\nTotal: %s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
if [ "$passed" -eq 0 ]; then echo "No test ran; treating that as a failure."; exit 1; fi
exit "$status"
