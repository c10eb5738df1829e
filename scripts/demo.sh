#!/usr/bin/env bash
# `npm run demo`: VS Code with Switchboard loaded and a profile pointed at the local emulator.
# Desktop VS Code when `code` is on the PATH, otherwise code-server in the browser (the URL is
# printed). With OPENAI_API_KEY or GEMINI_API_KEY set, profiles for those providers are added
# and the first becomes active; store the key with "Switchboard: Set API Key".
# Press Ctrl+C to stop; everything the demo started is stopped with it.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
npm run --silent compile-tests
npm run --silent package >/dev/null
vsix=$(ls -t switchboard-*.vsix | head -n 1)

demo=$(mktemp -d -t switchboard-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  rm -rf "$demo"
}
trap cleanup EXIT INT TERM

# The emulator answers like OpenAI, Gemini and Ollama on one loopback port.
set -m
node out/test/emulator/main.js --port "${SWITCHBOARD_DEMO_EMULATOR_PORT:-0}" --tokens-per-second 40 >"$demo/emulator.json" &
pids+=($!)
set +m
for _ in $(seq 50); do [ -s "$demo/emulator.json" ] && break; sleep 0.1; done
emulator=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url)' "$demo/emulator.json")
echo "Emulator listening at $emulator"

mkdir -p "$demo/user/User" "$demo/extensions" "$demo/workspace"
node - "$demo/user/User/settings.json" "$emulator" <<'NODE'
const [file, emulator] = process.argv.slice(2);
const profiles = [{ name: 'emulator', preset: 'ollama', baseUrl: `${emulator}/v1`, model: 'llama3.2' }];
if (process.env.OPENAI_API_KEY) profiles.unshift({ name: 'openai', kind: 'openai', model: 'gpt-4o-mini' });
if (process.env.GEMINI_API_KEY) profiles.unshift({ name: 'gemini', kind: 'gemini', model: 'gemini-2.5-flash' });
const settings = { 'workbench.startupEditor': 'none', 'switchboard.profiles': profiles, 'switchboard.activeProfile': profiles[0].name };
require('fs').writeFileSync(file, JSON.stringify(settings, null, 2));
NODE
cat >"$demo/workspace/hello.py" <<'PY'
def greet(name):
    return "Hello, " + name + "!"
PY

if command -v code >/dev/null 2>&1 && [ -z "${SWITCHBOARD_DEMO_BROWSER:-}" ]; then
  code --user-data-dir "$demo/user" --extensions-dir "$demo/extensions" --install-extension "$vsix" >/dev/null
  echo "Opening desktop VS Code with Switchboard. Close the window, then press Ctrl+C here."
  code --wait --user-data-dir "$demo/user" --extensions-dir "$demo/extensions" "$demo/workspace"
  exit 0
fi

bash scripts/setup-editor-tests.sh
# code-server writes its config and data under XDG folders; keep them inside the demo folder.
export XDG_CONFIG_HOME="$demo/xdg-config" XDG_DATA_HOME="$demo/xdg-data"
entry=.vscode-test/code-server/node_modules/code-server/out/node/entry.js
node "$entry" --user-data-dir "$demo/user" --extensions-dir "$demo/extensions" --install-extension "$vsix" >/dev/null
port=${SWITCHBOARD_DEMO_PORT:-8765}
set -m
node "$entry" --auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$demo/user" --extensions-dir "$demo/extensions" \
  --disable-telemetry --disable-update-check --disable-workspace-trust "$demo/workspace" >"$demo/code-server.log" 2>&1 &
pids+=($!)
set +m
echo
echo "Switchboard demo: open http://127.0.0.1:$port/?folder=$demo/workspace in a browser."
echo "Try: select the code in hello.py, then run \"Switchboard: Explain Selection\" from the command palette (F1)."
echo "Press Ctrl+C to stop."
wait
