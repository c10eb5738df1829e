#!/usr/bin/env bash
# Installs what the editor tests need: Debian's Chromium, ripgrep and the Kerberos headers,
# and code-server (VS Code's server and web client, published on npm) under
# .vscode-test/code-server/. Runs as root. A second run skips every step whose result is
# already in place, so CI and developers can run it before each test run.
#
# code-server 4.100.3 (VS Code 1.100.3) is the newest release that runs on Node 20. Its
# install scripts download prebuilt binaries, which this machine cannot reach, so it is
# installed with --ignore-scripts and its native modules are built here from source.
set -Eeuo pipefail

readonly CODE_SERVER_VERSION="4.100.3"
readonly VSCODE_VERSION="1.100.3"
readonly APT_PACKAGES=(libkrb5-dev ripgrep chromium)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
install_dir="$repo_root/.vscode-test/code-server"
marker_file="$install_dir/installed-version"
vscode_dir="$install_dir/node_modules/code-server/lib/vscode"
current_step="starting"
started_at=$SECONDS

log() {
  printf 'setup-editor-tests: %s\n' "$*"
}

report_failure() {
  local status=$?
  # Subshells inherit the trap (set -E), so only the main shell prints the message.
  if [[ $BASHPID != "$$" ]]; then
    exit "$status"
  fi
  printf 'setup-editor-tests: FAILED at step "%s" (exit status %d)\n' "$current_step" "$status" >&2
  exit "$status"
}
trap report_failure ERR

step() {
  current_step="$1"
  log "$1 ($((SECONDS - started_at)) s)"
}

is_package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

install_apt_packages() {
  step "checking Debian packages"
  local missing=()
  local package
  for package in "${APT_PACKAGES[@]}"; do
    is_package_installed "$package" || missing+=("$package")
  done
  if [[ ${#missing[@]} -eq 0 ]] && command -v rg >/dev/null && [[ -x /usr/bin/chromium ]]; then
    log "Debian packages already installed"
    return
  fi
  if [[ ${#missing[@]} -eq 0 ]]; then
    missing=("${APT_PACKAGES[@]}")
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]}. Run this script as root, or install them first." >&2
    return 1
  fi

  step "apt-get update"
  apt-get update -qq

  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

is_code_server_installed() {
  [[ -f "$marker_file" ]] && [[ "$(cat "$marker_file")" == "$CODE_SERVER_VERSION" ]] \
    && [[ -f "$install_dir/node_modules/code-server/out/node/entry.js" ]]
}

# node-gyp downloads Node's headers unless it is pointed at a local copy. This machine can
# reach only the npm registry and Debian's mirrors, so a local copy is required.
use_local_node_headers() {
  step "locating Node's headers for native builds"
  local node_prefix
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [[ -f "${npm_config_nodedir:-$node_prefix}/include/node/node.h" ]]; then
    export npm_config_nodedir="${npm_config_nodedir:-$node_prefix}"
    return
  fi
  log "Node's headers not found in ${npm_config_nodedir:-$node_prefix}/include/node. Set npm_config_nodedir to a folder that contains include/node/node.h." >&2
  return 1
}

install_code_server_package() {
  step "npm install code-server@$CODE_SERVER_VERSION (no install scripts)"
  rm -rf "$install_dir"
  mkdir -p "$install_dir"
  # Without its own package.json, npm would treat the repository as the project to install into.
  printf '{ "name": "switchboard-editor-test-server", "private": true }\n' >"$install_dir/package.json"
  (cd "$install_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION")
}

install_vscode_dependencies() {
  step "npm install in code-server's lib/vscode (production dependencies, no install scripts)"
  (cd "$vscode_dir" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)

  # spdlog writes VS Code's log files, and native-watchdog lets the extension host notice
  # that its parent process died. Without them code-server still runs, but logs/ stays empty.
  step "npm rebuild kerberos node-pty @parcel/watcher @vscode/spdlog native-watchdog"
  (cd "$vscode_dir" && npm_config_yes=true npm rebuild --loglevel=error \
    kerberos node-pty @parcel/watcher @vscode/spdlog native-watchdog)

  # @vscode/ripgrep's install script would download rg, so Debian's binary takes its place.
  step "copying /usr/bin/rg into @vscode/ripgrep"
  mkdir -p "$vscode_dir/node_modules/@vscode/ripgrep/bin"
  cp "$(command -v rg)" "$vscode_dir/node_modules/@vscode/ripgrep/bin/rg"

  # VS Code's built code refers to modules under node_modules.asar, an archive that only
  # the Electron builds ship, so the link points those paths at node_modules.
  step "linking node_modules.asar to node_modules"
  ln -sfn node_modules "$vscode_dir/node_modules.asar"

  step "npm rebuild argon2"
  (cd "$install_dir" && npm rebuild --loglevel=error argon2)
}

check_code_server_version() {
  step "checking entry.js --version"
  # code-server writes a default config file and a log folder under XDG_CONFIG_HOME and
  # XDG_DATA_HOME even for --version, so both point into a folder removed afterwards.
  local scratch_dir output
  scratch_dir="$(mktemp -d)"
  output="$(XDG_CONFIG_HOME="$scratch_dir/config" XDG_DATA_HOME="$scratch_dir/data" \
    node "$install_dir/node_modules/code-server/out/node/entry.js" --version | tail -n 1)"
  rm -rf "$scratch_dir"
  if [[ "$output" != "$CODE_SERVER_VERSION "* ]] || [[ "$output" != *"with Code $VSCODE_VERSION"* ]]; then
    log "expected code-server $CODE_SERVER_VERSION with Code $VSCODE_VERSION, but entry.js --version printed: $output" >&2
    return 1
  fi
  log "entry.js --version: $output"
}

main() {
  install_apt_packages

  if is_code_server_installed; then
    log "code-server $CODE_SERVER_VERSION already installed in $install_dir"
  else
    use_local_node_headers
    install_code_server_package
    install_vscode_dependencies
  fi

  check_code_server_version
  printf '%s\n' "$CODE_SERVER_VERSION" >"$marker_file"
  current_step="done"
  log "done in $((SECONDS - started_at)) s"
}

main "$@"
