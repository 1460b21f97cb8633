#!/bin/sh
# Set up a fresh Debian machine and build meshmedic in this directory:
# install the missing build dependencies (apt-get, only those missing),
# run autoreconf, configure and make. Extra arguments go to configure.
#   ./bootstrap.sh                  build
#   ./bootstrap.sh --enable-werror  build with warnings as errors
set -eu
cd "$(dirname "$0")"

# Debian packages the build and the tests need.
PKGS="build-essential autoconf automake pkg-config libncurses-dev libreadline-dev
libjansson-dev libcurl4-openssl-dev libyaml-dev libarchive-dev tmux jq graphviz"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "bootstrap: missing packages:$missing (no apt-get here: install them by hand)" >&2
		exit 1
	fi
	echo "bootstrap: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
else
	echo "bootstrap: every build dependency is installed"
fi

autoreconf -fi
./configure "$@"
make -j"$(nproc 2>/dev/null || echo 2)"
