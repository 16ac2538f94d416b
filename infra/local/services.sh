#!/usr/bin/env bash
# Ensures the services Shortlist needs for local use and for its tests, then prints the environment to use as
# `export NAME=value` lines on stdout (progress goes to stderr):
#   - PostgreSQL >= 15 with pgvector >= 0.8 on 127.0.0.1 (role and database `shortlist`);
#   - Redis >= 7 with maxmemory-policy noeviction on 127.0.0.1;
#   - an S3-compatible server (s3rver, from node_modules) on 127.0.0.1.
# Idempotent and quick when everything is already up. Installs what is missing on Debian/Ubuntu when run as root.
# Where a URL is already set in the environment (DATABASE_URL, REDIS_URL, S3_ENDPOINT), that service is only
# checked, never installed: point them at your own servers or at `docker compose up -d postgres redis minio`.
#
#   eval "$(npm run --silent services)"
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=${SHORTLIST_SERVICES_DIR:-$ROOT/.shortlist/services}
PG_PORT=${SHORTLIST_PG_PORT:-5432}
REDIS_PORT=${SHORTLIST_REDIS_PORT:-6379}
S3_PORT=${SHORTLIST_S3_PORT:-9100}
PGVECTOR_MIN=0.8
QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1

log() { [ "$QUIET" = 1 ] || echo "services: $*" >&2; }
die() {
  echo "services: $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

APT_UPDATED=0
apt_install() {
  is_root || die "installing $* needs root: run 'sudo npm run services', or use 'docker compose up -d postgres redis minio' and set DATABASE_URL, REDIS_URL and S3_ENDPOINT"
  command -v apt-get >/dev/null || die "no apt-get here to install $*: install it yourself or use docker compose (see README.md)"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

mkdir -p "$STATE_DIR"

# ---------------------------------------------------------------------------------------------- PostgreSQL
pg_major() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sed -E 's|.*/postgresql/([0-9]+)/.*|\1|' | sort -n | tail -n1; }

# Superuser access to the local server: the postgres OS user over the socket (Debian's peer auth), else TCP.
pg_admin() {
  if is_root && id postgres >/dev/null 2>&1; then
    runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"
  else
    psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
  fi
}

build_pgvector() {
  local major=$1 work
  # Debian 12 has no pgvector package; the next release's source package builds cleanly against PostgreSQL 15+.
  apt_install "postgresql-server-dev-$major" make gcc dpkg-dev xz-utils
  work=$(mktemp -d)
  cat >"$work/trixie-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  mkdir -p "$work/lists/partial"
  local apt_opts=(-o "Dir::Etc::sourcelist=$work/trixie-src.sources" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists")
  log "fetching the pgvector source package"
  (cd "$work" && apt-get "${apt_opts[@]}" update -qq >&2 && apt-get "${apt_opts[@]}" source --download-only -qq pgvector >&2)
  tar -xzf "$work"/pgvector_*.orig.tar.gz -C "$work"
  log "building pgvector for PostgreSQL $major"
  # OPTFLAGS="" drops -march=native so the library also runs on other CPUs of the same architecture.
  make -s -C "$work"/pgvector-*/ PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" OPTFLAGS="" -j"$(nproc)" >&2
  make -s -C "$work"/pgvector-*/ PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >&2
  rm -rf "$work"
}

ensure_local_postgres() {
  local major
  major=$(pg_major)
  if [ -z "$major" ]; then
    apt_install postgresql postgresql-contrib
    major=$(pg_major)
  fi
  [ -n "$major" ] || die "PostgreSQL is not installed and could not be installed"
  version_ge "$major" 15 || die "PostgreSQL $major is installed; Shortlist needs 15 or newer"
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    is_root || die "PostgreSQL is not running on 127.0.0.1:$PG_PORT; start it (pg_ctlcluster $major main start) and retry"
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -q "^$major main$"; then
      pg_createcluster "$major" main -p "$PG_PORT" >&2
    fi
    log "starting PostgreSQL $major"
    pg_ctlcluster --skip-systemctl-redirect "$major" main start >&2 || pg_ctlcluster "$major" main start >&2
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.2; done
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL did not start on 127.0.0.1:$PG_PORT"
  fi
  local available
  available=$(pg_admin -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
  if [ -z "$available" ] || ! version_ge "$available" "$PGVECTOR_MIN"; then
    build_pgvector "$major"
  fi
  if [ "$(pg_admin -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = 'shortlist'")" = 0 ]; then
    log "creating role shortlist"
    # A superuser on a loopback development server: tests create databases and the vector extension.
    pg_admin -d postgres -c "CREATE ROLE shortlist LOGIN SUPERUSER PASSWORD 'shortlist'"
  fi
  if [ "$(pg_admin -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'shortlist'")" = 0 ]; then
    log "creating database shortlist"
    pg_admin -d postgres -c "CREATE DATABASE shortlist OWNER shortlist"
  fi
  DATABASE_URL="postgres://shortlist:shortlist@127.0.0.1:$PG_PORT/shortlist"
}

check_postgres_url() {
  command -v psql >/dev/null || apt_install postgresql-client
  local version vector
  version=$(psql "$DATABASE_URL" -X -At -c 'SHOW server_version_num' 2>/dev/null) ||
    die "cannot connect to DATABASE_URL ($(printf '%s' "$DATABASE_URL" | sed -E 's|//[^@]*@|//***@|')): is the server running?"
  [ "$version" -ge 150000 ] || die "the PostgreSQL at DATABASE_URL is older than 15"
  vector=$(psql "$DATABASE_URL" -X -At -c "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
  [ -n "$vector" ] && version_ge "$vector" "$PGVECTOR_MIN" ||
    die "the PostgreSQL at DATABASE_URL has no pgvector >= $PGVECTOR_MIN (found '${vector:-none}'): install it, or use the pgvector/pgvector image"
}

if [ -n "${DATABASE_URL:-}" ]; then check_postgres_url; else ensure_local_postgres; fi
log "PostgreSQL ready"

# ------------------------------------------------------------------------------------------------- Redis
redis_cmd() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }

ensure_redis() {
  command -v redis-cli >/dev/null || apt_install redis-tools
  if [ -z "${REDIS_URL:-}" ]; then
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    if [ "$(redis_cmd ping 2>/dev/null)" != PONG ]; then
      command -v redis-server >/dev/null || apt_install redis-server
      mkdir -p "$STATE_DIR/redis"
      log "starting Redis on 127.0.0.1:$REDIS_PORT"
      redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STATE_DIR/redis" \
        --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
        --logfile "$STATE_DIR/redis/redis.log" --pidfile "$STATE_DIR/redis/redis.pid" >&2
      for _ in $(seq 1 50); do [ "$(redis_cmd ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
    fi
  fi
  [ "$(redis_cmd ping 2>/dev/null)" = PONG ] || die "Redis does not answer at $REDIS_URL"
  local version policy
  version=$(redis_cmd info server | tr -d '\r' | sed -n 's/^redis_version://p')
  version_ge "$version" 7 || die "Redis $version at $REDIS_URL; Shortlist needs 7 or newer"
  policy=$(redis_cmd config get maxmemory-policy | tail -n1)
  if [ "$policy" != noeviction ]; then
    # BullMQ loses jobs when Redis evicts keys; the workers refuse to start on anything else.
    log "setting maxmemory-policy noeviction on $REDIS_URL (was $policy)"
    redis_cmd config set maxmemory-policy noeviction >/dev/null
  fi
}
ensure_redis
log "Redis ready"

# ---------------------------------------------------------------------------------------------------- S3
s3_answers() { node -e "fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))" "$1"; }

if [ -z "${S3_ENDPOINT:-}" ]; then
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  S3_ACCESS_KEY_ID=S3RVER
  S3_SECRET_ACCESS_KEY=S3RVER
  # An s3rver started without the legacy OpenSSL provider (earlier versions of this script) fails every
  # truncated listing: replace it.
  if [ -f "$STATE_DIR/s3.pid" ] && kill -0 "$(cat "$STATE_DIR/s3.pid")" 2>/dev/null &&
    ! tr '\0' ' ' <"/proc/$(cat "$STATE_DIR/s3.pid")/cmdline" | grep -q -- --openssl-legacy-provider; then
    log "restarting s3rver with the legacy OpenSSL provider"
    kill "$(cat "$STATE_DIR/s3.pid")"
    for _ in $(seq 1 50); do s3_answers "$S3_ENDPOINT" || break; sleep 0.1; done
  fi
  if ! s3_answers "$S3_ENDPOINT"; then
    [ -f "$ROOT/node_modules/s3rver/bin/s3rver.js" ] || die "s3rver is not installed: run 'npm ci' first"
    mkdir -p "$STATE_DIR/s3"
    log "starting s3rver on 127.0.0.1:$S3_PORT"
    # s3rver makes listing continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
    setsid nohup node --openssl-legacy-provider "$ROOT/node_modules/s3rver/bin/s3rver.js" -d "$STATE_DIR/s3" -a 127.0.0.1 -p "$S3_PORT" \
      --silent --no-vhost-buckets >"$STATE_DIR/s3.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/s3.pid"
    for _ in $(seq 1 50); do s3_answers "$S3_ENDPOINT" && break; sleep 0.1; done
  fi
fi
s3_answers "$S3_ENDPOINT" || die "no S3 server answers at $S3_ENDPOINT"
log "S3 ready"

# Output contract: `export NAME=value` lines, also kept in $STATE_DIR/env.
{
  echo "export DATABASE_URL=$DATABASE_URL"
  echo "export REDIS_URL=$REDIS_URL"
  echo "export S3_ENDPOINT=$S3_ENDPOINT"
  echo "export S3_REGION=${S3_REGION:-us-east-1}"
  echo "export S3_BUCKET=${S3_BUCKET:-shortlist}"
  [ -n "${S3_ACCESS_KEY_ID:-}" ] && echo "export S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID"
  [ -n "${S3_SECRET_ACCESS_KEY:-}" ] && echo "export S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY"
  echo "export S3_FORCE_PATH_STYLE=true"
} | tee "$STATE_DIR/env"
