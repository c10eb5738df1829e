#!/usr/bin/env bash
# Installs what the network tests need besides Node: Debian's tinyproxy, which
# test/support/proxy.ts starts in the foreground on 127.0.0.1, and openssl, which generates
# the test certificates. Runs as root on CI. A second run finds both installed and skips apt.
set -Eeuo pipefail

readonly APT_PACKAGES=(tinyproxy openssl)

log() {
  printf 'setup-network-tests: %s\n' "$*"
}

is_package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

main() {
  local missing=()
  local package
  for package in "${APT_PACKAGES[@]}"; do
    is_package_installed "$package" || missing+=("$package")
  done
  if [[ ${#missing[@]} -eq 0 ]] && command -v tinyproxy >/dev/null && command -v openssl >/dev/null; then
    log "tinyproxy and openssl already installed"
    return
  fi
  if [[ ${#missing[@]} -eq 0 ]]; then
    missing=("${APT_PACKAGES[@]}")
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]}. Run this script as root, or install them first." >&2
    return 1
  fi

  log "apt-get update"
  apt-get update -qq
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

  # The Debian package enables and starts a tinyproxy service on port 8888. The tests start
  # their own instances, so a service started by this install is stopped again.
  if command -v systemctl >/dev/null && systemctl is-active --quiet tinyproxy 2>/dev/null; then
    systemctl stop tinyproxy || true
  fi
  log "installed: $(tinyproxy -v 2>&1 | head -n 1)"
}

main "$@"
