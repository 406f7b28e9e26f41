#!/usr/bin/env bash
# npm run demo: build the extension, start the mail fixture and code-server (or desktop VS Code when
# `code` is on PATH) with the extension loaded and a demo IMAP account configured, print the URL,
# stay up until Ctrl-C. See test/vscode/runners/demo.ts for the environment variables.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs what is missing (apt packages, npm ci, code-server), idempotently.
if command -v code >/dev/null 2>&1 && [ "${MAILROOM_DEMO_CODE_SERVER:-}" != "1" ]; then
  bash scripts/setup.sh --no-code-server
else
  bash scripts/setup.sh
fi

echo "[demo] building the extension and the test helpers" >&2
npm run --silent build
npm run --silent compile-tests

if [ "${MAILROOM_DEMO_CODE_SERVER:-}" = "1" ] || ! command -v code >/dev/null 2>&1; then
  echo "[demo] making sure code-server is installed" >&2
  MAILROOM_TOOLS_CACHE="$(bash scripts/install-code-server.sh | tail -n 1)"
  export MAILROOM_TOOLS_CACHE
fi

exec node out/test/vscode/runners/demo.js
