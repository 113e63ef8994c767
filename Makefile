# Developer entry points. The database comes from scripts/db.sh unless
# ConnectionStrings__Registry is already set.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

DOTNET ?= dotnet
CONFIG ?= Release
SLN    := ModelRegistry.sln
# Extra arguments for scripts/bench.sh (make bench ARGS=--quick) or the client (make cli ARGS="models list")
ARGS   ?=

# Exports the connection string of the local cluster unless one is set.
DB_ENV := export ConnectionStrings__Registry="$${ConnectionStrings__Registry:-$$(scripts/db.sh url)}"

.PHONY: build run test bench cli codegen db-start db-stop db-reset clean

build:
	$(DOTNET) build $(SLN) -c $(CONFIG)

run: db-start
	@$(DB_ENV); \
	export ASPNETCORE_URLS="$${ASPNETCORE_URLS:-http://127.0.0.1:5080}"; \
	export Registry__Storage__Root="$${Registry__Storage__Root:-$(CURDIR)/.data/models}"; \
	mkdir -p "$$Registry__Storage__Root"; \
	Registry__Auth__BootstrapAdminKey="$$(scripts/bootstrap-admin-key.sh)"; \
	export Registry__Auth__BootstrapAdminKey; \
	exec $(DOTNET) run --project src/ModelRegistry -c $(CONFIG)

# Build and test are separate steps so that a build error is reported as such.
# The browser tests drive Debian's Chromium, installed here when missing (as root).
# Without --results-directory each test project writes its own
# <project>/TestResults/results.trx (a shared directory makes the projects
# overwrite one another's results.trx); they are gathered under TestResults/.
test: db-start
	@rm -rf TestResults; \
	find src tests benchmarks -type d -name TestResults -prune -exec rm -rf {} +; \
	[ -d tools/openapi-lint/node_modules ] || npm ci --prefix tools/openapi-lint --no-audit --no-fund; \
	[ -x /usr/bin/chromium ] || [ "$$(id -u)" -ne 0 ] || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; }; \
	$(DB_ENV); \
	rc=0; \
	if $(DOTNET) build $(SLN) -c $(CONFIG); then \
	  $(DOTNET) test $(SLN) -c $(CONFIG) --no-build --logger "trx;LogFileName=results.trx" || rc=$$?; \
	else \
	  rc=1; \
	fi; \
	mkdir -p TestResults; \
	for d in $$(find src tests benchmarks -type d -name TestResults -prune); do \
	  mv "$$d" "TestResults/$$(basename "$$(dirname "$$d")")"; \
	done; \
	TEST_EXIT_CODE=$$rc scripts/test-summary.sh TestResults

bench: db-start
	@$(DB_ENV); scripts/bench.sh $(ARGS)

# The command-line client against REGISTRY_URL (default http://127.0.0.1:5080) with REGISTRY_KEY. Make answers 2 for
# any failure; scripts run scripts/modelregistry, which passes the client's exit code on.
cli:
	@DOTNET=$(DOTNET) scripts/modelregistry $(ARGS)

# Wolverine's handler code, generated ahead of time into src/ModelRegistry/Internal/Generated and committed: run after adding
# or changing a message handler (GeneratedCodeTests fails until then). Starts nothing and contacts no database; stale files
# are removed first, since codegen write only adds and overwrites.
codegen:
	@export ConnectionStrings__Registry="$${ConnectionStrings__Registry:-Host=127.0.0.1}"; \
	rm -rf src/ModelRegistry/Internal/Generated; \
	$(DOTNET) run --project src/ModelRegistry -c $(CONFIG) -- codegen write

db-start:
	@scripts/db.sh start

db-stop:
	@scripts/db.sh stop

db-reset:
	@scripts/db.sh reset

clean:
	rm -rf TestResults BenchmarkDotNet.Artifacts .ci-test.log
	find src tests benchmarks -type d \( -name bin -o -name obj -o -name TestResults \) -prune -exec rm -rf {} +
