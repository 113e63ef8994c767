#!/usr/bin/env bash
# Sums the <Counters> of every *.trx under the given directories and prints, as
# the last line:  N passed, N failed, N skipped
# Exits 1 when anything failed.
#
# TEST_EXIT_CODE (optional) is the exit code of the build/test run. A failing run
# without a failed test (build error, crashed test host, no TRX at all) counts
# as one failure, so the line never looks green when the run was not.
set -euo pipefail

passed=0 failed=0 skipped=0

attr() { local v; v="$(sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p" <<<"$2")"; echo "${v:-0}"; }

while IFS= read -r -d '' trx; do
  counters="$(tr '\n' ' ' <"$trx" | grep -o '<Counters [^>]*>' | head -n 1 || true)"
  if [ -z "$counters" ]; then
    echo "test-summary: no <Counters> in $trx (truncated run?)" >&2
    failed=$((failed + 1))
    continue
  fi
  total=$(attr total "$counters")
  p=$(attr passed "$counters")
  f=$(( $(attr failed "$counters") + $(attr error "$counters") + $(attr timeout "$counters") + $(attr aborted "$counters") ))
  # Skipped tests are in total but neither passed nor failed (xunit: total > executed).
  s=$(( total - p - f ))
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + (s > 0 ? s : 0)))
done < <(find "${@:-TestResults}" -name '*.trx' -print0 2>/dev/null || true)

if [ "${TEST_EXIT_CODE:-0}" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test-summary: the test run failed (exit code $TEST_EXIT_CODE) without a failed test" >&2
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
