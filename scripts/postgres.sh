#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the feedback store's tests and prints its URL.
#
#   scripts/postgres.sh [FOLDER]      start (FOLDER defaults to a new folder under /tmp)
#   scripts/postgres.sh --stop FOLDER stop the server started in FOLDER
#
# The cluster lives entirely in FOLDER: data in FOLDER/data, its socket and log beside it. It
# listens on 127.0.0.1 only, on a free port, with trust authentication (loopback, tests only),
# and with fsync off, because a test database is thrown away and fsync would dominate the
# time of the many small transactions the tests make. Prints one line on stdout,
#   postgres://rlhf@127.0.0.1:PORT/rlhf
# for RLHF_TEST_POSTGRES_URL; everything else goes to stderr.
set -euo pipefail

# initdb and postgres refuse to run as root: as root the server runs as the system user
# "postgres"; anyone else runs it as themselves.
if [[ $(id -u) -eq 0 ]]; then readonly user=postgres; else readonly user=$(id -un); fi

as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

stop() {
    local folder=$1
    as_server_user "$(pg_bin)/pg_ctl" -D "$folder/data" -m fast -w stop >&2
}

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $bin ]] || { echo "postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }
    echo "$bin"
}

install_if_missing() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        "$(dirname "$0")/install-system-packages.sh" postgresql >&2
    fi
    id "$user" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [[ ${1:-} == --stop ]]; then
    [[ -n ${2:-} ]] || { echo "usage: $0 --stop FOLDER" >&2; exit 2; }
    stop "$2"
    exit 0
fi

install_if_missing
bin=$(pg_bin)
folder=${1:-$(mktemp -d /tmp/rlhf-postgres.XXXXXX)}
mkdir -p "$folder"
folder=$(cd "$folder" && pwd)
[[ $(id -u) -eq 0 ]] && chown "$user" "$folder"
chmod 700 "$folder"

if [[ ! -f $folder/data/PG_VERSION ]]; then
    as_server_user "$bin/initdb" -D "$folder/data" --auth=trust --username="$user" \
        --encoding=UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 \
        || { cat "$folder/initdb.log" >&2; exit 1; }
fi

port=$(free_port)
# Each test opens its own database and store; room for a few hundred short-lived connections.
as_server_user "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$folder -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 \
    || { tail -n 20 "$folder/server.log" >&2; exit 1; }

psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -qAt)
if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'rlhf'") ]]; then
    "${psql[@]}" -c "CREATE ROLE rlhf LOGIN CREATEDB" >&2
fi
if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'rlhf'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE rlhf OWNER rlhf" >&2
fi
echo "postgres.sh: server in $folder (stop with: $0 --stop $folder)" >&2
echo "postgres://rlhf@127.0.0.1:$port/rlhf"
