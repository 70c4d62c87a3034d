#!/usr/bin/env bash
# Fails if gen/ is not exactly what `buf generate` makes from proto/ (someone edited a .proto
# without regenerating, or edited generated code by hand).
set -euo pipefail
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
buf generate --output "$fresh"
if ! diff -r "$fresh/gen" gen >/dev/null; then
  diff -r "$fresh/gen" gen | head -20 >&2
  echo "gen/ is stale: run 'npm run generate' and commit the result." >&2
  exit 1
fi
echo "gen/ is fresh"
