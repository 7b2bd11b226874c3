#!/usr/bin/env bash
# Install (Debian's package), start and prepare a PostgreSQL server on loopback for the store tests.
# Idempotent. Log lines go to stderr; stdout is one line to eval:
#   eval "$(.ci/postgres.sh)"    # sets XXGK_TEST_POSTGRES_URL
# The test role may create databases: every store test gets a fresh database of its own.
set -euo pipefail

PORT="${XXGK_PG_PORT:-5432}"
PG_USER="${XXGK_PG_USER:-xxgk}"
PG_PASSWORD="${XXGK_PG_PASSWORD:-xxgk}"
PG_DB="${XXGK_PG_DB:-xxgk_test}"
log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
CLUSTER="${XXGK_PG_CLUSTER:-main}"
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
  log "creating cluster $VERSION/$CLUSTER on port $PORT"
  pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')"
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c && $4 ~ /online/ {found=1} END {exit !found}'; then
  log "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

psql_su() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $PORT -tA $*"; }
if [ "$(psql_su "-c \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"")" != "1" ]; then
  log "creating role $PG_USER"
  psql_su "-c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
else
  psql_su "-c \"ALTER ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
fi
if [ "$(psql_su "-c \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\"")" != "1" ]; then
  log "creating database $PG_DB"
  psql_su "-c \"CREATE DATABASE $PG_DB OWNER $PG_USER\""
fi

URL="postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
log "ready: $URL"
echo "export XXGK_TEST_POSTGRES_URL=$URL"
