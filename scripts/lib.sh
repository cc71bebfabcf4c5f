# Shared helpers for the scripts in this folder. Source it; it defines functions only.

# A TCP port that nothing listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# True when nothing listens on 127.0.0.1:$1 (binding it succeeds; SO_REUSEADDR as servers
# do, so connections of the last run still in TIME_WAIT do not count).
port_is_free() {
  python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# PostgreSQL refuses to run as root: run its tools as the dedicated user `sparkd-pg` then.
pg_run() {
  if [ "$(id -u)" = 0 ]; then
    id sparkd-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sparkd-pg
    runuser -u sparkd-pg -- "$@"
  else
    "$@"
  fi
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL server binaries not found; install the postgresql package" >&2; return 1; }
  echo "$dir"
}
