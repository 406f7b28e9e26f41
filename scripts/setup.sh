#!/usr/bin/env bash
# Installs what the demo and the tests need, idempotently:
#   apt: dovecot-imapd dovecot-pop3d (mail server fixture), chromium (drives code-server),
#        openssl (per-run certificates), libkrb5-dev (code-server's native kerberos module),
#        fonts-ipafont-gothic (CJK glyphs in screenshots)
#   npm: the project's locked dependencies (npm ci when package-lock.json changed)
#   code-server + Node 24, in a cache outside the clone (scripts/install-code-server.sh)
# Usage: scripts/setup.sh [--no-code-server]
set -euo pipefail
cd "$(dirname "$0")/.."

want_code_server=1
[ "${1:-}" = "--no-code-server" ] && want_code_server=0

missing=()
[ -x /usr/sbin/dovecot ] && [ -d /usr/lib/dovecot ] && dpkg -s dovecot-imapd >/dev/null 2>&1 && dpkg -s dovecot-pop3d >/dev/null 2>&1 || missing+=(dovecot-imapd dovecot-pop3d)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "$want_code_server" = 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  # A CJK font, so screenshots of Japanese subjects show text rather than empty boxes.
  dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || missing+=(fonts-ipafont-gothic)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo); else sudo=(none); fi
  if [ "${sudo[0]:-}" = none ]; then
    echo "[setup] missing apt packages: ${missing[*]} (not root and no passwordless sudo: install them yourself)" >&2
  else
    echo "[setup] apt-get install ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

if [ "$want_code_server" = 1 ]; then
  bash scripts/install-code-server.sh >/dev/null
fi
echo "[setup] ready" >&2
