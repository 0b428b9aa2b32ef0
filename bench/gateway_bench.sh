#!/bin/sh
# bench/gateway_bench.sh - through corral-gateway vs directly over ZeroMQ
# (release build). See bench/gateway_bench.py.
#   bench/gateway_bench.sh [--pods N] [--requests N] [--watchers N]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
scons -Q -j"$(nproc)" variant=release >/dev/null
CORRAL_BIN="$top/build/release/bin" exec /usr/bin/python3 bench/gateway_bench.py "$@"
