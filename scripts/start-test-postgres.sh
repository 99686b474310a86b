#!/usr/bin/env bash
# Starts a local PostgreSQL server for the store tests and prints, as the LAST line on stdout,
#   SLEEPTIME_TEST_DATABASE_URL=postgres://ROLE:PASSWORD@127.0.0.1:PORT/DATABASE
# so CI can run:  export "$(bash scripts/start-test-postgres.sh | tail -1)"
#
# - As root (CI on Debian 12): installs Debian's `postgresql` with apt-get when no server binaries
#   are present, then uses the Debian cluster `<newest version>/main` (created if missing, started
#   if down, left alone if already running).
# - As another user: runs a private cluster under $SLEEPTIME_TEST_PG_DIR (default
#   ${TMPDIR:-/tmp}/sleeptime-test-postgres-$UID) on a free port. Needs the server binaries.
# Idempotent: running it again reuses the running server, role and database.
#
# Settings (environment): SLEEPTIME_TEST_PG_ROLE, SLEEPTIME_TEST_PG_PASSWORD,
# SLEEPTIME_TEST_PG_DATABASE (all default to `sleeptime_test`; the role may create databases, which
# the tests use to give every test file its own fresh database). The role is for tests only.
set -euo pipefail

role="${SLEEPTIME_TEST_PG_ROLE:-sleeptime_test}"
password="${SLEEPTIME_TEST_PG_PASSWORD:-sleeptime_test}"
database="${SLEEPTIME_TEST_PG_DATABASE:-sleeptime_test}"

# Progress goes to stderr so that stdout carries only the final URL line.
log() { echo "start-test-postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

for name in "$role" "$database"; do
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "role and database names must match ^[a-z_][a-z0-9_]*\$ (got '$name')"
done
[[ "$password" != *"'"* && "$password" =~ ^[A-Za-z0-9._~-]+$ ]] \
  || die "the password may only contain URL-safe characters [A-Za-z0-9._~-]"

newest_server_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -n "$dir" && -x "$dir/postgres" ]]; then echo "$dir"; fi
}

bin_dir="$(newest_server_bin_dir)"
if [[ -z "$bin_dir" ]]; then
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL server binaries not found in /usr/lib/postgresql and not root: install the 'postgresql' package"
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
  bin_dir="$(newest_server_bin_dir)"
  [[ -n "$bin_dir" ]] || die "apt-get installed postgresql but no server binaries appeared in /usr/lib/postgresql"
fi
version="$(basename "$(dirname "$bin_dir")")"
export PATH="$bin_dir:$PATH"

wait_until_ready() { # host port
  local attempt
  for attempt in $(seq 1 120); do
    if pg_isready -q -h "$1" -p "$2"; then return 0; fi
    sleep 0.5
  done
  die "PostgreSQL on $1:$2 did not become ready within 60 s"
}

if [[ "$(id -u)" == 0 ]] && command -v pg_ctlcluster >/dev/null; then
  # Debian cluster, managed by postgresql-common. PostgreSQL refuses to run as root; pg_ctlcluster
  # runs the server as the cluster owner (postgres).
  if ! pg_lsclusters --no-header "$version" main >/dev/null 2>&1; then
    log "creating cluster $version/main"
    pg_createcluster "$version" main >&2
  fi
  status="$(pg_lsclusters --no-header "$version" main | awk '{print $4}')"
  port="$(pg_lsclusters --no-header "$version" main | awk '{print $3}')"
  if [[ "$status" != online* ]]; then
    log "starting cluster $version/main on port $port"
    pg_ctlcluster "$version" main start >&2
  else
    log "cluster $version/main is already running on port $port"
  fi
  wait_until_ready 127.0.0.1 "$port"
  superuser_psql() { runuser -u postgres -- psql --no-psqlrc -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
else
  [[ "$(id -u)" != 0 ]] || die "running as root without pg_ctlcluster: install Debian's postgresql-common"
  # Private cluster owned by the current user; trust over its own unix socket, passwords over TCP.
  base_dir="${SLEEPTIME_TEST_PG_DIR:-${TMPDIR:-/tmp}/sleeptime-test-postgres-$(id -u)}"
  data_dir="$base_dir/data"
  mkdir -p "$base_dir"
  if [[ ! -f "$data_dir/PG_VERSION" ]]; then
    log "initialising a private cluster in $data_dir"
    rm -rf "$data_dir"
    initdb -D "$data_dir" -U postgres --auth-local=trust --auth-host=scram-sha-256 >&2
  fi
  if pg_ctl -D "$data_dir" status >/dev/null 2>&1; then
    port="$(cat "$base_dir/port")"
    log "private cluster already running on port $port"
  else
    port=54329
    while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port" >"$base_dir/port"
    log "starting private cluster on port $port"
    pg_ctl -D "$data_dir" -l "$base_dir/server.log" -w \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$base_dir" start >&2
  fi
  wait_until_ready 127.0.0.1 "$port"
  superuser_psql() { psql --no-psqlrc -X -q -h "$base_dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
fi

log "ensuring role $role and database $database"
superuser_psql >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $database OWNER $role'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database')
\gexec
SQL

url="postgres://$role:$password@127.0.0.1:$port/$database"
# Proves the URL works (TCP, password auth) before handing it out.
psql --no-psqlrc -X -q "$url" -c 'SELECT 1' >/dev/null || die "cannot connect as $role to 127.0.0.1:$port/$database"
log "ready: PostgreSQL $version on 127.0.0.1:$port, database $database"
echo "SLEEPTIME_TEST_DATABASE_URL=$url"
