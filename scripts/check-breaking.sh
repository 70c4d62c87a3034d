#!/usr/bin/env bash
# Fails if proto/ breaks clients built from (1) the upstream canonical definitions
# (proto-baseline/canonical: grpc's route_guide.proto and the user service contract) or
# (2) our last release (proto-baseline/release-*.binpb, a `buf build` image). Rules: buf.yaml's
# `breaking` section. Additive changes (fields, messages, methods, services) pass.
#
# On a release, record the new baseline: buf build -o proto-baseline/release-<version>.binpb
set -euo pipefail
cd "$(dirname "$0")/.."
release=$(ls proto-baseline/release-*.binpb | sort -V | tail -1)
buf breaking --against proto-baseline/canonical --error-format text
buf breaking --against "$release" --error-format text
echo "proto/ is compatible with the canonical definitions and with ${release#proto-baseline/}"
