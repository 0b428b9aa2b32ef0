#!/bin/sh
# scripts/up.sh - installs what is missing, builds, and starts a local
# Corral cluster (embedded etcd + control plane). Options go to `corral up`
# (e.g. --data-dir DIR). Run as root on Debian 12.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
scons -Q -j"$(nproc)" variant=release >/dev/null
exec build/release/bin/corral up "$@"
