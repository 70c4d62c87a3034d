#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond npm packages, only where it is missing,
# from Debian's packages: a native gRPC client for Python (grpcio + protoc's Python plugin),
# Chromium for the browser tests (Playwright cannot download its own browser here), h2load,
# and PostgreSQL and Redis on 127.0.0.1:5432 and :6379 for the replica tests. Services already
# listening there are used as they are (TEST_POSTGRES_URL / TEST_REDIS_URL point elsewhere).
# Safe to run repeatedly; on a machine that already has everything it does nothing.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

missing=()
/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null || missing+=(python3-grpcio python3-protobuf)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
[ -x /usr/bin/grpc_python_plugin ] || missing+=(protobuf-compiler-grpc)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v h2load >/dev/null || missing+=(nghttp2-client)
want_postgres=false
want_redis=false
if [ -z "${TEST_POSTGRES_URL:-}" ] && ! listening 5432; then
  want_postgres=true
  ls /etc/postgresql/*/main >/dev/null 2>&1 || missing+=(postgresql)
fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! listening 6379; then
  want_redis=true
  command -v redis-server >/dev/null || missing+=(redis-server)
fi

if [ ${#missing[@]} -eq 0 ] && ! $want_postgres && ! $want_redis; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  [ ${#missing[@]} -gt 0 ] && echo "The tests need these Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
  $want_postgres && echo "The tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or TEST_POSTGRES_URL" >&2
  $want_redis && echo "The tests need Redis on 127.0.0.1:6379 or TEST_REDIS_URL" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if $want_postgres; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # A test machine's own cluster: local TCP connections as any user without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  echo "Starting PostgreSQL $version ..."
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 50); do listening 5432 && break; sleep 0.2; done
fi
if $want_redis; then
  echo "Starting Redis ..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do listening 6379 && break; sleep 0.2; done
fi
