#!/usr/bin/env bash
# Makes sure the PostgreSQL and RabbitMQ servers the test suite talks to are installed and
# running on this machine (Debian/Ubuntu, no systemd needed):
#   PostgreSQL at 127.0.0.1:5432, user postgres, no password, database "tradewind"
#   RabbitMQ   at 127.0.0.1:5672, guest/guest
# Idempotent; when both are already up it only probes them (well under a second).
# Installing, starting a stopped server or changing pg_hba.conf needs root (or password-less sudo).
# Prints one line per service, e.g. "postgresql: running", "rabbitmq: started".
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_DB=tradewind
AMQP_HOST=127.0.0.1
AMQP_PORT=5672
PG_WAIT_S=30
RABBIT_WAIT_S=60

# rabbitmqctl, rabbitmq-server and pg_ctlcluster's helpers live in sbin, often not on a user's PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

die() { echo "ensure-services: error: $*" >&2; exit 1; }
note() { echo "ensure-services: $*" >&2; }

# join_list a b c -> "a, b, c"
join_list() {
  local out="" x
  for x in "$@"; do out+="${out:+, }$x"; done
  echo "$out"
}

is_root() { [[ $(id -u) -eq 0 ]]; }
can_sudo() { command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; }

# Runs a command with root rights: directly as root, else through password-less sudo, else
# directly anyway (it may still work, e.g. pg_ctlcluster as the cluster's owner).
as_root() {
  if is_root; then "$@"
  elif can_sudo; then sudo -n "$@"
  else "$@"
  fi
}

# Fails unless we are root or can sudo without a password; $1 says what needed it.
need_root() {
  is_root || can_sudo || die "$1 needs root: rerun as root (e.g. 'sudo $0')"
}

APT_UPDATED=0
apt_install() {
  need_root "installing $*"
  command -v apt-get >/dev/null 2>&1 || die "cannot install $*: apt-get not found (not Debian/Ubuntu?)"
  if [[ $APT_UPDATED -eq 0 ]]; then
    note "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  note "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }

# psql as postgres over TCP, never prompting and ignoring any ~/.pgpass or $PGPASSWORD, so it
# succeeds only when the server really lets postgres in without a password (as the tests do).
pg_psql() {
  env -u PGPASSWORD PGPASSFILE=/nonexistent/.pgpass PGCONNECT_TIMEOUT=5 \
    psql -X -w -q -A -t -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# Prints 1 if the database exists, 0 if not; fails if we cannot log in password-less.
pg_db_exists() { pg_psql -c "select count(*) from pg_database where datname = '$PG_DB'" 2>/dev/null; }

pg_wait_ready() {
  local i
  for ((i = 0; i < PG_WAIT_S * 2; i++)); do
    pg_ready && return 0
    sleep 0.5
  done
  return 1
}

pg_have_binaries() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

# Highest installed major version, e.g. "15".
pg_version() {
  local v
  v=$(for f in /usr/lib/postgresql/*/bin/postgres; do basename "$(dirname "$(dirname "$f")")"; done \
    | sort -n | tail -n 1)
  [[ -n $v ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  echo "$v"
}

# "version name status" of the Debian cluster configured for port 5432, if any.
pg_cluster_on_port() {
  pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2, $4; exit }'
}

pg_log_hint() {
  local v=$1 n=$2
  echo "see /var/log/postgresql/postgresql-$v-$n.log"
}

# Makes postgres reachable without a password over 127.0.0.1/::1 and the local socket.
pg_trust_local() {
  local v=$1 n=$2 hba tmp
  hba=/etc/postgresql/$v/$n/pg_hba.conf
  [[ -f $hba ]] || die "postgresql: $hba not found; allow password-less access for postgres by hand"
  need_root "changing $hba"
  if grep -q '^# BEGIN tradewind-ensure-services' "$hba"; then
    # Our lines are there already (an earlier run may have stopped before reloading): reload only.
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" "$n" reload \
      || die "postgresql: reloading cluster $v/$n failed; $(pg_log_hint "$v" "$n")"
    return 0
  fi
  note "postgresql: allowing password-less local access in $hba (backup: $hba.orig)"
  tmp=$(mktemp)
  # pg_hba.conf is first-match, so these lines go on top and win over Debian's peer/scram lines.
  # Trust auth for everyone connecting from this machine is only acceptable because this is a
  # throw-away dev/test box whose servers listen on loopback only; never do this on a shared or
  # production server.
  cat >"$tmp" <<'EOF'
# BEGIN tradewind-ensure-services: dev/test machine only. Password-less ("trust") access from
# this machine so the test suite can connect as postgres without a password. Do not use on a
# shared or production server.
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
host    all   all   ::1/128        trust
# END tradewind-ensure-services

EOF
  as_root cp -p "$hba" "$hba.orig"
  as_root cat "$hba" >>"$tmp"
  # Write through the existing file so its owner and mode stay as they were.
  as_root tee "$hba" <"$tmp" >/dev/null
  rm -f "$tmp"
  as_root pg_ctlcluster --skip-systemctl-redirect "$v" "$n" reload \
    || die "postgresql: reloading cluster $v/$n failed; $(pg_log_hint "$v" "$n")"
}

ensure_postgres() {
  local done=() exists v n status line i

  # Fast path: up and password-less.
  if pg_ready && exists=$(pg_db_exists); then
    if [[ $exists == 1 ]]; then
      echo "postgresql: running"
    else
      pg_psql -c "create database $PG_DB" >/dev/null || die "postgresql: cannot create database $PG_DB"
      echo "postgresql: running (created database $PG_DB)"
    fi
    return 0
  fi

  if ! pg_have_binaries; then
    apt_install postgresql
    pg_have_binaries || die "postgresql: installed, but no server under /usr/lib/postgresql/*/bin"
    done+=(installed)
  fi
  command -v pg_lsclusters >/dev/null 2>&1 || die "postgresql: pg_lsclusters missing (install postgresql-common)"

  if ! pg_ready; then
    line=$(pg_cluster_on_port)
    if [[ -z $line ]]; then
      v=$(pg_version)
      if [[ -d /etc/postgresql/$v/main ]]; then
        die "postgresql: cluster $v/main exists but is not configured for port $PG_PORT" \
          "(see pg_lsclusters); set port = $PG_PORT in /etc/postgresql/$v/main/postgresql.conf"
      fi
      need_root "creating a PostgreSQL cluster"
      note "postgresql: creating cluster $v/main on port $PG_PORT"
      as_root pg_createcluster --port "$PG_PORT" "$v" main >/dev/null \
        || die "postgresql: pg_createcluster $v main failed"
      done+=("created cluster $v/main")
      line=$(pg_cluster_on_port)
      [[ -n $line ]] || die "postgresql: created cluster $v/main but pg_lsclusters shows none on $PG_PORT"
    fi
    read -r v n status <<<"$line"
    if [[ $status != online* ]]; then
      note "postgresql: starting cluster $v/$n"
      as_root pg_ctlcluster --skip-systemctl-redirect "$v" "$n" start \
        || die "postgresql: could not start cluster $v/$n ($( is_root || can_sudo || echo 'not root; ')$(pg_log_hint "$v" "$n"))"
      done+=(started)
    fi
    pg_wait_ready || die "postgresql: not accepting connections on $PG_HOST:$PG_PORT after ${PG_WAIT_S}s;" \
      "$(pg_log_hint "$v" "$n")"
  fi

  if ! exists=$(pg_db_exists); then
    line=$(pg_cluster_on_port)
    [[ -n $line ]] || die "postgresql: a server answers on $PG_HOST:$PG_PORT but it is no Debian cluster" \
      "(pg_lsclusters); allow password-less login for user postgres by hand"
    read -r v n status <<<"$line"
    pg_trust_local "$v" "$n"
    done+=("trust auth configured")
    # A reload is asynchronous: give the postmaster a moment to re-read pg_hba.conf.
    for ((i = 0; i < 20; i++)); do
      exists=$(pg_db_exists) && break
      sleep 0.5
    done
    [[ -n ${exists:-} ]] || die "postgresql: still cannot connect as postgres without a password to" \
      "$PG_HOST:$PG_PORT although /etc/postgresql/$v/$n/pg_hba.conf trusts local connections;" \
      "$(pg_log_hint "$v" "$n")"
  fi

  if [[ $exists != 1 ]]; then
    pg_psql -c "create database $PG_DB" >/dev/null || die "postgresql: cannot create database $PG_DB"
    done+=("created database $PG_DB")
  fi

  if [[ ${#done[@]} -eq 0 ]]; then
    echo "postgresql: running"
  else
    echo "postgresql: $(join_list "${done[@]}")"
  fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------------------------

# True when 127.0.0.1:5672 speaks AMQP: we send the AMQP 0-9-1 protocol header and expect the
# broker's Connection.Start method frame (type 1, channel 0) back. Needs no client library.
# Without a working python3 it falls back to a plain TCP connect.
amqp_ok() {
  local rc=0
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$AMQP_HOST" "$AMQP_PORT" <<'EOF' 2>/dev/null || rc=$?
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3) as s:
        s.sendall(b"AMQP\x00\x00\x09\x01")
        head = s.recv(7)
except OSError:
    sys.exit(1)
sys.exit(0 if len(head) >= 3 and head[0] == 1 and head[1:3] == b"\x00\x00" else 1)
EOF
    # 0: AMQP answered, 1: it did not; anything else means python3 itself failed to run.
    [[ $rc -le 1 ]] && return "$rc"
  fi
  timeout 3 bash -c "exec 3<>/dev/tcp/$AMQP_HOST/$AMQP_PORT" 2>/dev/null
}

# For a broker we have just installed (and that has never run, so no data is tied to its node
# name): name the node rabbit@localhost, so it boots whatever the machine's hostname resolves to
# (a frequent reason for RabbitMQ failing to start in containers), and keep it on loopback.
# Settings already present are left alone.
rabbit_configure_loopback() {
  local env_conf=/etc/rabbitmq/rabbitmq-env.conf conf=/etc/rabbitmq/rabbitmq.conf
  as_root mkdir -p /etc/rabbitmq
  if ! grep -qs '^ *NODENAME=' "$env_conf"; then
    note "rabbitmq: setting NODENAME=rabbit@localhost, loopback only, in $env_conf"
    as_root tee -a "$env_conf" >/dev/null <<'EOF'
# Added by tradewind scripts/ensure-services.sh: a node name that always resolves, loopback only.
NODENAME=rabbit@localhost
ERL_EPMD_ADDRESS=127.0.0.1
export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
  fi
  if ! grep -qs '^ *listeners\.tcp\.' "$conf"; then
    as_root tee -a "$conf" >/dev/null <<'EOF'
# Added by tradewind scripts/ensure-services.sh: AMQP on loopback only (tests use 127.0.0.1).
listeners.tcp.local = 127.0.0.1:5672
EOF
  fi
}

rabbit_wait_ready() {
  local deadline=$((SECONDS + RABBIT_WAIT_S))
  # await_startup returns once the broker has booted (or fails at once if the Erlang node is not
  # up yet); the AMQP probe loop below is what decides.
  as_root timeout "$RABBIT_WAIT_S" rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  while ((SECONDS < deadline)); do
    amqp_ok && return 0
    sleep 1
  done
  amqp_ok
}

ensure_rabbitmq() {
  local done=()

  if amqp_ok; then
    echo "rabbitmq: running"
    return 0
  fi

  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    apt_install rabbitmq-server
    command -v rabbitmq-server >/dev/null 2>&1 || die "rabbitmq: installed, but rabbitmq-server not found"
    done+=(installed)
    # The package may have started the broker itself (it does where services may start).
    if amqp_ok; then
      echo "rabbitmq: $(join_list "${done[@]}")"
      return 0
    fi
    rabbit_configure_loopback
  fi

  # rabbitmq-server/rabbitmqctl must run as root or the rabbitmq user (Debian's wrapper switches).
  if [[ $(id -un) != rabbitmq ]]; then
    need_root "starting rabbitmq-server"
  fi

  if as_root timeout 20 rabbitmqctl -q ping >/dev/null 2>&1; then
    # The Erlang node is up but AMQP does not answer: still booting, or the app was stopped.
    note "rabbitmq: node is up but port $AMQP_PORT is closed; starting the rabbit app"
    as_root rabbitmqctl -q start_app >/dev/null 2>&1 || true
  else
    note "rabbitmq: starting rabbitmq-server -detached"
    as_root rabbitmq-server -detached >/dev/null 2>&1 \
      || die "rabbitmq: 'rabbitmq-server -detached' failed; see /var/log/rabbitmq/"
  fi
  done+=(started)

  rabbit_wait_ready || die "rabbitmq: not accepting AMQP connections on $AMQP_HOST:$AMQP_PORT after" \
    "${RABBIT_WAIT_S}s; see /var/log/rabbitmq/ (a node name that does not resolve is a common cause:" \
    "NODENAME=rabbit@localhost in /etc/rabbitmq/rabbitmq-env.conf fixes that)"
  echo "rabbitmq: $(join_list "${done[@]}")"
}

ensure_postgres
ensure_rabbitmq
