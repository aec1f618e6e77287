#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests of hyperparameter.tune (Optuna's RDB storage):
# used by .ci/run, and by tests/tune/conftest.py when HP_TEST_POSTGRES_URL is not set.
#
#   .ci/postgres.sh bindir      print the folder of the server programs (initdb, pg_ctl,
#                               postgres), from PATH or /usr/lib/postgresql/*/bin; exit 3 if none
#   .ci/postgres.sh start DIR   a new cluster in DIR (absent or empty), listening on 127.0.0.1
#                               only, on a free port, with the database hp_test; prints its URL
#                               postgresql+psycopg://hp:PASSWORD@127.0.0.1:PORT/hp_test
#   .ci/postgres.sh stop DIR    stop that server (fast shutdown) and remove DIR; nothing to do
#                               if DIR is gone
#
# The server runs as an unprivileged user: the caller, or, when run as root (postgres refuses
# root), the `postgres` system user if there is one, else `hp-postgres` (created). The role `hp`
# is the cluster's superuser (tests create and drop a database each); over TCP it needs its
# random password (scram-sha-256), over the Unix socket in DIR (0700) no password. Durability is
# off (fsync): the data is thrown away.
set -euo pipefail

readonly ROLE=hp DB=hp_test MARKER=.hp-postgres-cluster
readonly NO_BINARIES=3

die() {
  printf 'postgres.sh: %s\n' "$*" >&2
  exit 1
}

usable() { [[ -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_bindir() {
  local found dir
  if found=$(command -v pg_ctl 2>/dev/null); then
    dir=$(dirname "$(readlink -f "$found")")
    if usable "$dir"; then
      printf '%s\n' "$dir"
      return 0
    fi
  fi
  while IFS= read -r dir; do
    if usable "$dir"; then
      printf '%s\n' "$dir"
      return 0
    fi
  done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)
  return 1
}

bindir_or_exit() {
  find_bindir || {
    printf 'postgres.sh: %s %s %s\n' "no PostgreSQL server programs (initdb, pg_ctl, postgres) in" \
      "PATH or /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install" \
      "postgresql; macOS: brew install postgresql)" >&2
    exit "$NO_BINARIES"
  }
}

# A client program: the server's own, else the one in PATH (Debian's wrappers).
client() {
  if [[ -x $BIN/$1 ]]; then printf '%s\n' "$BIN/$1"; else command -v "$1"; fi
}

# as_user USER CMD...: CMD as USER (root only; otherwise USER is the caller).
as_user() {
  local user=$1
  shift
  if [[ $EUID -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

server_user() {
  if [[ $EUID -ne 0 ]]; then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    printf 'postgres\n'
  else
    id -u hp-postgres >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        hp-postgres
    printf 'hp-postgres\n'
  fi
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    printf '%s\n' $((40000 + RANDOM % 20000))
  fi
}

start() {
  local dir=$1 user password port attempt started=0
  if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then die "start: $dir is not empty"; fi
  BIN=$(bindir_or_exit)
  user=$(server_user)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  # The Unix socket DIR/.s.PGSQL.PORT must fit in sockaddr_un (107 bytes).
  [[ ${#dir} -le 90 ]] || die "start: $dir is too long a path for the server's socket"
  touch "$dir/$MARKER"
  if [[ $EUID -eq 0 ]]; then chown "$user:" "$dir"; fi
  chmod 700 "$dir"
  cd "$dir"
  as_user "$user" test -w "$dir" ||
    die "start: $user cannot write $dir (is a parent folder closed to it? use one under /tmp)"

  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
  if [[ $EUID -eq 0 ]]; then chown "$user:" "$dir/pwfile"; fi
  as_user "$user" "$BIN/initdb" -D "$dir/data" -U "$ROLE" --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "start: initdb failed"; }
  rm -f "$dir/pwfile"
  cat >>"$dir/data/postgresql.conf" <<EOF

# .ci/postgres.sh: loopback only, the socket in the cluster's folder, no durability
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

  # The port is free when picked, not when bound: another attempt if someone took it meanwhile.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_user "$user" "$BIN/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port" >/dev/null; then
      started=1
      break
    fi
    grep -q 'could not bind\|already in use' "$dir/server.log" ||
      { cat "$dir/server.log" >&2; die "start: the server did not start"; }
    printf 'postgres.sh: port %s taken (attempt %s), another one\n' "$port" "$attempt" >&2
  done
  [[ $started -eq 1 ]] || { cat "$dir/server.log" >&2; die "start: no free port"; }
  # Until the URL is printed, a failure stops the server again (the caller's stop removes DIR).
  STARTED_USER=$user STARTED_DIR=$dir
  trap 'as_user "$STARTED_USER" "$BIN/pg_ctl" stop -D "$STARTED_DIR/data" -m immediate \
    >/dev/null 2>&1 || true' EXIT
  printf '%s\n' "$port" >"$dir/port"

  # pg_ctl -w waited for "ready"; pg_isready confirms over TCP (bounded: 30 s).
  for attempt in $(seq 60); do
    if "$(client pg_isready)" -q -h 127.0.0.1 -p "$port" -t 1; then break; fi
    [[ $attempt -lt 60 ]] || { cat "$dir/server.log" >&2; die "start: not accepting on $port"; }
    sleep 0.5
  done
  as_user "$user" "$(client psql)" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U "$ROLE" \
    -d postgres -c "CREATE DATABASE $DB" >&2 || die "start: CREATE DATABASE $DB failed"
  # The URL's way in (TCP, the password) works before anyone is told it.
  PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$(client psql)" -X -q -At -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$port" -U "$ROLE" -d "$DB" -c 'SELECT 1' >/dev/null ||
    die "start: cannot log in over TCP"
  trap - EXIT
  printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$password" "$port" "$DB"
}

stop() {
  local dir=$1 user pid
  [[ -d $dir ]] || return 0
  if [[ ! -e $dir/$MARKER ]]; then
    [[ -z $(ls -A "$dir") ]] || die "stop: $dir holds no cluster of postgres.sh start; not removed"
    rmdir "$dir"
    return 0
  fi
  if [[ -f $dir/data/postmaster.pid ]]; then
    user=$(id -un)
    if [[ $EUID -eq 0 ]]; then user=$(stat -c %U "$dir"); fi
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    cd "$dir"
    if BIN=$(find_bindir); then
      as_user "$user" "$BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null ||
        as_user "$user" "$BIN/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null ||
        true
    fi
    # Without its programs, or if it would not stop: the postmaster itself, for good. Then
    # until it is reaped (its parent is init, which takes a moment; bounded: 10 s).
    if [[ $(ps -o stat=,comm= -p "$pid" || true) =~ ^[^Z]+postgres ]]; then
      kill -KILL "$pid" || true
    fi
    for _ in $(seq 100); do
      ps -p "$pid" >/dev/null || break
      sleep 0.1
    done
    cd /
  fi
  rm -rf "$dir"
}

case ${1:-} in
  bindir) bindir_or_exit ;;
  start)
    [[ $# -eq 2 ]] || die "usage: $0 start DIR"
    start "$2"
    ;;
  stop)
    [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
    stop "$2"
    ;;
  *) die "usage: $0 bindir | start DIR | stop DIR" ;;
esac
