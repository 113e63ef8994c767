#!/usr/bin/env bash
# The bootstrap admin key `make run` starts the server with, on stdout:
# Registry__Auth__BootstrapAdminKey when set, otherwise the key kept in
# .data/bootstrap-admin-key, generated on the first run. Keeping it means a
# saved REGISTRY_KEY still works after a restart.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
FILE=".data/bootstrap-admin-key"

if [ -n "${Registry__Auth__BootstrapAdminKey:-}" ]; then
  printf '%s\n' "$Registry__Auth__BootstrapAdminKey"
  exit 0
fi

cd "$ROOT"
mkdir -p .data
if [ ! -s "$FILE" ]; then
  # Written whole under a temporary name, so a run that dies midway leaves no half key.
  tmp="$(umask 077 && mktemp "$FILE.XXXXXX")"
  { openssl rand -hex 32 2>/dev/null || od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; } >"$tmp"
  mv -f "$tmp" "$FILE"
fi
chmod 600 "$FILE"
key="$(tr -d ' \n' <"$FILE")"
echo "Bootstrap admin key: $key (kept in $FILE)" >&2
printf '%s\n' "$key"
