#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, only where it is missing, from
# Debian's packages: a native gRPC client for Python (grpcio + protoc's Python plugin) and
# Chromium for the browser tests (Playwright cannot download its own browser here).
# Safe to run repeatedly; on a machine that already has everything it does nothing.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null || missing+=(python3-grpcio python3-protobuf)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
[ -x /usr/bin/grpc_python_plugin ] || missing+=(protobuf-compiler-grpc)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v h2load >/dev/null || missing+=(nghttp2-client)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
  { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
