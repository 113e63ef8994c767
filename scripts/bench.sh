#!/usr/bin/env bash
# Benchmarks of SPEC §8, as ratios against baselines measured in the same run.
#   scripts/bench.sh [--quick] [scenario ...]   scenarios: appends, rebuild, http-register, http-production, http-versions,
#                                              download, hashing, download-memory, crash, startup (default: all)
# The file scenarios write up to 4 GiB under /var/tmp and delete it; download and download-memory need nginx and curl.
#   scripts/bench.sh micro [BenchmarkDotNet args]   in-process micro-benchmarks
# Uses ConnectionStrings__Registry when set, otherwise the local cluster of scripts/db.sh.
# Each scenario runs in a database of its own (mr_bench_*), dropped afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PROJECT="$ROOT/benchmarks/ModelRegistry.Benchmarks"
cd "$ROOT"

scripts/db.sh start >/dev/null
ConnectionStrings__Registry="$(scripts/db.sh url)"
export ConnectionStrings__Registry

dotnet build "$PROJECT" -c Release -nologo -v quiet -clp:NoSummary
exec dotnet run --no-build -c Release --project "$PROJECT" -- "$@"
