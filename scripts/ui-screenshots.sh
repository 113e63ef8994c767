#!/usr/bin/env bash
# Writes docs/screenshots/{catalog,model,downloads}.png: the browser tests' pages at 1280 px, through Debian's
# Chromium (apt-get install chromium). Needs PostgreSQL as for `make test` (ConnectionStrings__Registry or scripts/db.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ConnectionStrings__Registry="${ConnectionStrings__Registry:-$(scripts/db.sh url)}"
export UI_SCREENSHOTS="$PWD/docs/screenshots"
dotnet build tests/ModelRegistry.UiTests -c Release
dotnet test tests/ModelRegistry.UiTests -c Release --no-build --filter "FullyQualifiedName~ScreenshotTests"
ls -l "$UI_SCREENSHOTS"
