# Shared helpers for the scripts in this folder. Source it; it defines functions only.

# A TCP port that nothing listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
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
