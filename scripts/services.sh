#!/usr/bin/env bash
# Test services for the streaming pipeline, on loopback:
#   - tansu 0.6.0, a Kafka-protocol broker, with its sqlite:// storage engine;
#   - Garage 2.5.0, an S3-compatible object store, as a single node with one bucket.
#
#   eval "$(scripts/services.sh up)"    # installs what is missing, starts both, prints
#                                       # NETLAKE_KAFKA, NETLAKE_S3_URL and AWS_* assignments
#   scripts/services.sh env             # prints the assignments again (services running)
#   scripts/services.sh down            # stops both and removes their data
#
# Only the shell assignments go to standard output; progress goes to standard error.
#
# Environment (all optional):
#   NETLAKE_SERVICES_DIR    state: data, logs, pid files (default: $TMPDIR/netlake-services-$UID)
#   NETLAKE_SERVICES_BIN    where the binaries are installed (default: ~/.cache/netlake/bin)
#   NETLAKE_SERVICES_CACHE  a folder with prebuilt tansu-0.6.0.xz and garage-2.5.0.xz
#                           (xz-compressed executables); used instead of building them
#   NETLAKE_SERVICES_NO_BUILD=1  fail instead of building missing binaries with cargo install
#                           (a build takes 20-70 minutes on 2 cores)
#   NETLAKE_KAFKA_PORT (19092), NETLAKE_S3_PORT (13900), NETLAKE_S3_RPC_PORT (13901),
#   NETLAKE_S3_ADMIN_PORT (13903), NETLAKE_S3_BUCKET (netlake)
#   NETLAKE_SERVICES_TIMEOUT  seconds to wait for both to answer (default 60)
set -euo pipefail

TANSU_VERSION=0.6.0
GARAGE_VERSION=2.5.0
STATE=${NETLAKE_SERVICES_DIR:-${TMPDIR:-/tmp}/netlake-services-$(id -u)}
BIN=${NETLAKE_SERVICES_BIN:-$HOME/.cache/netlake/bin}
KAFKA_PORT=${NETLAKE_KAFKA_PORT:-19092}
S3_PORT=${NETLAKE_S3_PORT:-13900}
RPC_PORT=${NETLAKE_S3_RPC_PORT:-13901}
ADMIN_PORT=${NETLAKE_S3_ADMIN_PORT:-13903}
BUCKET=${NETLAKE_S3_BUCKET:-netlake}
TIMEOUT=${NETLAKE_SERVICES_TIMEOUT:-60}
# Fixed test credentials for a loopback-only store. Garage wants key ids of the form
# GK + 24 hex digits and 64-hex-digit secrets.
ACCESS_KEY=GK0123456789abcdef01234567
SECRET_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
RPC_SECRET=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210

log() { echo "services: $*" >&2; }

# install NAME VERSION CARGO_INSTALL_ARGS...: puts $BIN/NAME-VERSION in place.
install_bin() {
  local name=$1 version=$2; shift 2
  local dest="$BIN/$name-$version"
  [ -x "$dest" ] && return 0
  mkdir -p "$BIN"
  local cached="${NETLAKE_SERVICES_CACHE:-}/$name-$version.xz"
  if [ -n "${NETLAKE_SERVICES_CACHE:-}" ] && [ -f "$cached" ]; then
    log "unpacking $name $version from NETLAKE_SERVICES_CACHE"
    command -v xz >/dev/null || { log "xz is missing (apt-get install xz-utils)"; return 1; }
    xz -dc "$cached" > "$dest.tmp" && chmod +x "$dest.tmp" && mv "$dest.tmp" "$dest"
    return 0
  fi
  if [ "${NETLAKE_SERVICES_NO_BUILD:-0}" = 1 ]; then
    log "$name $version is not installed and NETLAKE_SERVICES_NO_BUILD=1"
    return 1
  fi
  log "building $name $version with cargo install (20-70 minutes on 2 cores)"
  local root; root=$(mktemp -d)
  cargo install "$name" --version "$version" --locked --root "$root" "$@" >&2
  mv "$root/bin/$name" "$dest"
  rm -rf "$root"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

garage_healthy() {
  if command -v curl >/dev/null; then
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$ADMIN_PORT/health"
  else
    port_open "$S3_PORT"
  fi
}

print_env() {
  cat <<EOF
export NETLAKE_KAFKA=127.0.0.1:$KAFKA_PORT
export NETLAKE_S3_URL=s3://$BUCKET
export AWS_ENDPOINT=http://127.0.0.1:$S3_PORT
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
export AWS_REGION=garage
export AWS_DEFAULT_REGION=garage
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_ALLOW_HTTP=true
export AWS_VIRTUAL_HOSTED_STYLE_REQUEST=false
EOF
}

start_tansu() {
  local dir="$STATE/tansu"
  if pid_alive "$dir/pid"; then return 0; fi
  mkdir -p "$dir"
  # The sqlite:// path is relative to the working directory, hence the cd.
  (cd "$dir" && exec setsid "$BIN/tansu-$TANSU_VERSION" broker \
      --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --storage-engine sqlite://tansu.db \
      </dev/null >"$dir/log" 2>&1) &
  echo $! > "$dir/pid"
}

start_garage() {
  local dir="$STATE/garage"
  if pid_alive "$dir/pid"; then return 0; fi
  mkdir -p "$dir/meta" "$dir/data"
  cat > "$dir/garage.toml" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$RPC_SECRET"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
EOF
  (cd "$dir" && GARAGE_DEFAULT_ACCESS_KEY=$ACCESS_KEY GARAGE_DEFAULT_SECRET_KEY=$SECRET_KEY \
      GARAGE_DEFAULT_BUCKET=$BUCKET exec setsid "$BIN/garage-$GARAGE_VERSION" \
      -c "$dir/garage.toml" server --single-node --default-bucket \
      </dev/null >"$dir/log" 2>&1) &
  echo $! > "$dir/pid"
}

up() {
  install_bin tansu "$TANSU_VERSION" --features dynostore,libsql
  install_bin garage "$GARAGE_VERSION" --no-default-features --features bundled-libs,lmdb,sqlite
  mkdir -p "$STATE"
  start_tansu
  start_garage
  # Bounded readiness loop: both must answer within $TIMEOUT seconds.
  local deadline=$((SECONDS + TIMEOUT)) kafka=0 s3=0
  while [ $SECONDS -lt $deadline ]; do
    [ $kafka = 1 ] || { port_open "$KAFKA_PORT" && kafka=1; } || true
    [ $s3 = 1 ] || { garage_healthy && s3=1; } || true
    [ $kafka = 1 ] && [ $s3 = 1 ] && break
    for svc in tansu garage; do
      if ! pid_alive "$STATE/$svc/pid"; then
        log "$svc exited; its log:"; tail -20 "$STATE/$svc/log" >&2; return 1
      fi
    done
    sleep 0.2
  done
  if [ $kafka != 1 ] || [ $s3 != 1 ]; then
    log "not ready after ${TIMEOUT}s (kafka=$kafka s3=$s3); logs in $STATE"
    return 1
  fi
  # Garage creates the default key and bucket before it starts listening, so an
  # answering admin port means the bucket exists.
  log "kafka on 127.0.0.1:$KAFKA_PORT, s3 on 127.0.0.1:$S3_PORT (bucket $BUCKET); state in $STATE"
  print_env
}

down() {
  for svc in tansu garage; do
    local pidf="$STATE/$svc/pid"
    if pid_alive "$pidf"; then
      local pid; pid=$(cat "$pidf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$STATE"
  log "stopped; removed $STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
