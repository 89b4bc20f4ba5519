#!/bin/sh
# dev.sh - build stageguard from a fresh clone and run it or its tests.
#
#   tools/dev.sh demo     install build dependencies, build, run the demo
#   tools/dev.sh check    install build dependencies, build, run the tests
#   tools/dev.sh build    install build dependencies and build
#
# Builds out of tree in $BUILD_DIR (default ./build).  Extra configure
# flags come from $CONFIGURE_FLAGS (CI passes --enable-werror).
# Dependencies are Debian packages; they are installed with apt-get when
# missing (as root, or through sudo).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
what=${1:-build}

packages="build-essential autoconf automake libtool pkg-config \
libcurl4-openssl-dev libjansson-dev libxlsxwriter-dev libarchive-dev \
libsqlite3-dev libzstd-dev zlib1g-dev libdeflate-dev libssl-dev check python3 python3-openpyxl sqlite3 time \
tzdata tar gzip zstd unzip coreutils clang libclang-rt-dev"

install_deps() {
	missing=""
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing:$missing"
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing
}

configure_tree() {
	[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		# shellcheck disable=SC2086
		(cd "$build" && "$top/configure" -q ${CONFIGURE_FLAGS:-})
	fi
}

jobs=$(nproc 2>/dev/null || echo 2)
case "$what" in
build)
	install_deps; configure_tree
	make -C "$build" -j"$jobs" ;;
demo)
	install_deps; configure_tree
	make -C "$build" -j"$jobs"
	"$build/stageguard" demo --out "$build/demo" ;;
check)
	install_deps; configure_tree
	make -C "$build" -j"$jobs" check ;;
*)
	echo "usage: tools/dev.sh build|demo|check" >&2
	exit 2 ;;
esac
