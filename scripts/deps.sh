#!/bin/sh
# scripts/deps.sh - installs what Corral needs from Debian 12, if missing.
# Runs apt-get only when a package is absent (as root).
set -e
PKGS="scons gcc pkg-config libczmq-dev libzmq3-dev libmsgpack-dev libyaml-dev
libjansson-dev libcurl4-openssl-dev libsodium-dev libmicrohttpd-dev libarchive-dev
etcd-server etcd-client curl iproute2 iptables runc busybox-static
docker-registry skopeo umoci iputils-ping socat
python3-pytest python3-zmq python3-msgpack python3-yaml python3-kubernetes"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "corral: installing$missing"
    if [ "$(id -u)" != 0 ]; then
        echo "corral: missing packages; run as root (or: sudo apt-get install$missing)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
