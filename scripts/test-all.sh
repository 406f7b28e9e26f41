#!/usr/bin/env bash
# `npm test`: set up, build, then run every tier and close with one line "N passed, N failed".
#   unit        plain Node (mocha)                      test/unit
#   integration real Dovecot + SMTP sink on loopback    test/integration
#   vscode      the suite inside the real extension host, code-server + Chromium   test/vscode
#   vscode-de   the German display-language suite of test/vscode again under `--locale de`
#   install     the tools install (Node 24 + code-server) into a new, empty cache, started under
#               `npm run` as the README starts it, then that code-server answering; always on CI,
#               elsewhere skipped only with MAILROOM_SKIP_FRESH_INSTALL=1 (takes about 2.5 minutes)
#   desktop     the same suite under @vscode/test-cli (only with MAILROOM_TEST_DESKTOP=1:
#               it downloads desktop VS Code, which needs the internet)
# With CI=true a missing Dovecot, Chromium or code-server fails its tier; it is never skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/*.png  # a screenshot listed at the end was written by this run

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
status=0
summaries=()
failed_tiers=()

count() { # tier, log file, exit code
  local tier=$1 log=$2 rc=$3 p f
  p=$(grep -Eo '^[[:space:]]*[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^[[:space:]]*[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  if [ -z "$p$f" ]; then # the runner's own summary (code-server runner)
    p=$(grep -Eo '^vscode: [0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
    f=$(grep -Eo '^vscode: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || true)
  fi
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed before reporting: count it as a failure
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "[$tier] ran no test: counted as a failure"; fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && status=1
  echo "== $tier tier: $p passing, $f failing (exit $rc; log test-results/$tier.log)"
  summaries+=("== $tier tier: $p passing, $f failing (exit $rc)")
  [ "$f" -gt 0 ] && failed_tiers+=("$tier")
}

# Repeats, at the very end where a CI log's tail shows it, which tests failed and why: mocha's
# numbered failure list of each failing tier (bounded), or the tier log's tail when it crashed.
failure_report() {
  local tier log
  for tier in "${failed_tiers[@]}"; do
    log="test-results/$tier.log"
    echo "== failures in the $tier tier (whole log: $log)"
    if grep -Eq '^[[:space:]]*[0-9]+ failing' "$log"; then
      sed -n '/^[[:space:]]*[0-9]* failing/,$p' "$log" | head -n 80
    else
      tail -n 40 "$log"
    fi
  done
}

tier() { # name, command...
  local name=$1; shift
  echo "== $name tier: $*"
  "$@" 2>&1 | tee "test-results/$name.log"
  count "$name" "test-results/$name.log" "${PIPESTATUS[0]}"
}

echo "== build"
if ! (npm run --silent build && npm run --silent compile-tests) > test-results/build.log 2>&1; then
  cat test-results/build.log
  echo "0 passed, 1 failed"
  exit 1
fi

if [ "${CI:-}" = true ] || [ "${MAILROOM_SKIP_FRESH_INSTALL:-0}" != 1 ]; then
  tier install node out/test/vscode/runners/fresh-install.js
else
  echo "== install tier: skipped (MAILROOM_SKIP_FRESH_INSTALL=1)"
fi
tier unit npx mocha --config test/unit/.mocharc.json
tier integration npx mocha --config test/integration/.mocharc.json
tier vscode node out/test/vscode/runners/code-server.js
# A second, short run with VS Code's display language set to German (code-server --locale de):
# only the suites that check the translated manifest, host strings and webviews (about 1 minute).
tier vscode-de env MAILROOM_LOCALE=de MAILROOM_TEST_GREP='German display language' MAILROOM_RESULTS_DIR=test-results/locale-de node out/test/vscode/runners/code-server.js
if [ "${MAILROOM_TEST_DESKTOP:-0}" = 1 ]; then
  tier desktop node out/test/vscode/runners/desktop.js
fi

ls test-results/*.png >/dev/null 2>&1 && echo "== screenshots: $(ls test-results/*.png | tr '\n' ' ')"
failure_report
printf '%s\n' "${summaries[@]}"
echo "$passed passed, $failed failed"
exit $status
