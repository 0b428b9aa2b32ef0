#!/bin/sh
# bench/run.sh - starts a fresh cluster (release build) in a scratch folder,
# runs corral-bench against it and stops it. Results go to stdout as a
# Markdown table; docs/BENCHMARKS.md records them.
#   bench/run.sh [--pods N] [--window W]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
scons -Q -j"$(nproc)" variant=release >/dev/null
bin=build/release/bin
dir=$(mktemp -d /tmp/corral-bench.XXXXXX)
ports="--data-dir $dir --etcd-port 23900 --broker-port 17900 --events-port 17901 --nodes 0 --disable scheduler,registry,gateway"
$bin/corral up $ports >/dev/null
trap '$bin/corral down $ports >/dev/null; rm -rf "$dir"' EXIT
$bin/corral-bench --etcd http://127.0.0.1:23900 --config "$dir/admin.conf" \
    --broker-pid "$(cat "$dir/run/broker.pid")" "$@"
