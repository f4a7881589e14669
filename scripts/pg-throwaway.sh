#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, on loopback only, in a directory of its own.
#   eval "$(scripts/pg-throwaway.sh start DIR)"   # exports REKAP_PG_CONNINFO
#   scripts/pg-throwaway.sh stop DIR
# Runs as the 'postgres' system user when invoked as root (initdb refuses root).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgresql server not installed (scripts/deps.sh installs it)" >&2; exit 77; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"; chmod 700 "$dir"
    # The postgres user must be able to reach DIR: open the scratch parent for traversal only.
    chmod o+x "$(dirname "$dir")"
  fi
  as_pg "$bin/initdb" -D "$dir/data" -U rekap -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # A free port: let the kernel pick one, then hand it to postgres.
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null \
         || echo $((20000 + RANDOM % 20000)))
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export REKAP_PG_CONNINFO='host=127.0.0.1 port=$port user=rekap dbname=postgres'"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
