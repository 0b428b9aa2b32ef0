#!/bin/sh
# bench/pod_startup.sh - pod startup latency and node-agent RSS on a real
# 3-node cluster (release build). See bench/pod_startup.py.
#   bench/pod_startup.sh [--pods N] [--batch B] [--rss-pods N]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
scons -Q -j"$(nproc)" variant=release >/dev/null
CORRAL_BIN="$top/build/release/bin" exec /usr/bin/python3 bench/pod_startup.py "$@"
