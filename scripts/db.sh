#!/usr/bin/env bash
# Local PostgreSQL for development and tests.
#   scripts/db.sh start|stop|reset|url
# If ConnectionStrings__Registry is set, that database is used and no local
# cluster is started. Otherwise a private cluster listens on 127.0.0.1:$REGISTRY_PG_PORT.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${REGISTRY_PG_PORT:-55432}"
DB=modelregistry
# The checkout may be unreachable for the postgres OS user (e.g. under /root),
# so the cluster lives in /var/tmp, one per checkout, linked from .data/pg.
BASE="/var/tmp/modelregistry-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
PGDATA="$BASE/data"
SOCKDIR="$BASE/run"
LOG="$BASE/postgres.log"
LINK="$ROOT/.data/pg"

log() { echo "db.sh: $*" >&2; }
die() { log "$*"; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# initdb/pg_ctl refuse to run as root. cd / because the caller's directory may
# be unreadable for postgres.
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

find_bindir() {
  local dir
  dir="$(pg_config --bindir 2>/dev/null || true)"
  # pg_config comes from libpq-dev and may point at a version without a server.
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

ensure_binaries() {
  BIN="$(find_bindir)" && return 0
  is_root || die "PostgreSQL server binaries not found; install the 'postgresql' package."
  log "installing PostgreSQL (apt-get)"
  # The package also creates and may start a 'main' cluster on port 5432; it is
  # harmless to us: we use our own data directory, socket and port.
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  BIN="$(find_bindir)" || die "PostgreSQL installed but initdb not found."
}

# A postmaster killed with -9 leaves what stops a new one from starting: it may
# linger as a zombie when PID 1 is slow to reap it (some containers), so its
# postmaster.pid looks live; and busy backends outlive it, holding the shared
# memory. Those orphans are killed, as the postmaster would have done. Server
# processes are recognised by their working directory, the data directory.
cwd_is_pgdata() { [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$PGDATA_REAL" ]; }

recover_killed_postmaster() {
  local pid p procs i
  [ -d "$PGDATA" ] || return 0
  PGDATA_REAL="$(readlink -f "$PGDATA")"
  if pid="$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)"; then
    cwd_is_pgdata "$pid" && return 0
    log "postmaster $pid is gone; removing its lock files"
    rm -f "$PGDATA/postmaster.pid" "$SOCKDIR"/.s.PGSQL.*
  fi
  for i in $(seq 20); do
    procs=""
    for p in /proc/[0-9]*; do cwd_is_pgdata "${p#/proc/}" && procs+=" ${p#/proc/}"; done
    [ -n "$procs" ] || return 0
    log "killing orphaned server processes:$procs"
    # shellcheck disable=SC2086
    kill -9 $procs 2>/dev/null || true
    sleep 0.5
  done
  die "orphaned server processes still running:$procs"
}

running() { as_pg "$BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }
ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -t 2; }
# Something accepts connections there, PostgreSQL ready or not.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
psql_admin() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

init_cluster() {
  log "initialising cluster in $PGDATA"
  local locale=C
  locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' && locale=C.UTF-8
  as_pg "$BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale="$locale" >"$BASE/initdb.log"
  # fsync stays on: the benchmarks measure real commit latency.
  cat >>"$PGDATA/postgresql.conf" <<EOF

# --- scripts/db.sh (dev/test cluster) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKDIR'
max_connections = 300
shared_buffers = 256MB
max_locks_per_transaction = 256
fsync = on
EOF
}

wait_ready() {
  local i
  for i in $(seq 60); do ready && return 0; sleep 1; done
  tail -n 30 "$LOG" >&2 || true
  die "PostgreSQL did not become ready on port $PORT within 60s"
}

start() {
  ensure_binaries
  mkdir -p "$BASE" "$SOCKDIR"
  is_root && chown postgres:postgres "$BASE" "$SOCKDIR"
  chmod 700 "$BASE"
  mkdir -p "$ROOT/.data"
  ln -sfn "$BASE" "$LINK"

  # Serialise concurrent starts (parallel make targets, several terminals).
  exec 9>"$BASE/.lock"
  flock -w 120 9 || die "timed out waiting for $BASE/.lock"

  recover_killed_postmaster

  if [ -f "$PGDATA/PG_VERSION" ] && running; then
    local actual
    actual="$(sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null || true)"
    [ "$actual" = "$PORT" ] || die "cluster is running on port $actual, not $PORT; run 'scripts/db.sh stop' first"
  elif ready; then
    # Some other server (e.g. another checkout's cluster) owns the port: reuse it,
    # and initialise no cluster of our own that could not listen there anyway.
    log "warning: port $PORT is served by a PostgreSQL that is not this checkout's cluster; reusing it"
  elif port_taken; then
    die "port $PORT is taken by a program that does not accept PostgreSQL connections; set REGISTRY_PG_PORT to a free port"
  else
    [ -f "$PGDATA/PG_VERSION" ] || init_cluster
    # 9>&-: the postmaster must not inherit (and hold forever) our lock.
    as_pg "$BIN/pg_ctl" start -D "$PGDATA" -l "$LOG" -w -t 60 -o "-p $PORT" >/dev/null 9>&- \
      || { tail -n 30 "$LOG" >&2 || true; die "pg_ctl start failed (log: $LOG)"; }
  fi
  wait_ready

  if [ -z "$(psql_admin -d postgres -Atc "select 1 from pg_database where datname = '$DB'")" ]; then
    psql_admin -d postgres -c "create database $DB"
  fi
  log "PostgreSQL ready on 127.0.0.1:$PORT, database $DB"
}

stop() {
  BIN="$(find_bindir)" || { log "no PostgreSQL binaries; nothing to stop"; return 0; }
  recover_killed_postmaster
  if [ -f "$PGDATA/PG_VERSION" ] && running; then
    as_pg "$BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

url() { echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=$DB"; }

case "${1:-}" in
  start)
    # Masked: start runs in CI logs, url is what scripts consume.
    if [ -n "${ConnectionStrings__Registry:-}" ]; then
      sed -E 's/((Password|Pwd)=)[^;]*/\1***/Ig' <<<"$ConnectionStrings__Registry"
    else
      start
    fi ;;
  url)
    if [ -n "${ConnectionStrings__Registry:-}" ]; then echo "$ConnectionStrings__Registry"; else url; fi ;;
  stop)
    stop ;;
  reset)
    stop
    rm -rf "$BASE"
    rm -f "$LINK"
    log "removed $BASE" ;;
  *)
    echo "usage: $0 start|stop|reset|url" >&2; exit 2 ;;
esac
