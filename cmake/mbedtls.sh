#!/bin/sh
# cmake/mbedtls.sh CONFIG_HEADER: print the prefix of a static mbedTLS 3.6
# built with the project's configuration header, building it if needed.
#
# Debian 12 ships mbedTLS 2.28; the next release ships 3.6.  We fetch Debian's
# own source package of the next release with `apt-get source`, through a
# private apt directory whose one deb-src line reuses the mirror URI already
# configured in this machine's apt sources (no host name lives in this repo),
# checked with Debian's archive keyring.  Source and build are cached outside
# the build tree, keyed by the configuration header's hash, so a second build
# fetches and compiles nothing.
#
# Every cmake/mbedtls-patches/*.patch is applied, in order, to a copy of the
# source before the build (each says why in its head); they are part of the
# cache key.
#
# GW_MBEDTLS_CC and GW_MBEDTLS_CFLAGS build another flavour (the fuzz build
# instruments mbedTLS with clang's sanitizers and coverage); they are part
# of the cache key.
set -eu
config=$1
suite=${GW_MBEDTLS_SUITE:-trixie}
cache=${GW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gatewayd}
flavour="${GW_MBEDTLS_CC:-}${GW_MBEDTLS_CFLAGS:-}"
patches=$(ls "$(dirname "$config")"/mbedtls-patches/*.patch 2>/dev/null | sort || true)
# shellcheck disable=SC2086
hash=$( (cat "$config" $patches; [ -z "$flavour" ] || echo "$flavour") |
    sha256sum | cut -c1-12)
prefix=$cache/mbedtls-$hash
if [ -f "$prefix/.done" ]; then echo "$prefix"; exit 0; fi
mkdir -p "$cache"
exec 3>&1 1>&2            # progress to stderr, the answer to fd 3

src=$(ls -d "$cache"/src/mbedtls-3.6.*/ 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$src" ]; then
	apt=$cache/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" \
	    "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$cache/src"
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources \
	    2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' \
	    /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || { echo "mbedtls.sh: no Debian mirror in apt sources" >&2; exit 1; }
	uri=${uri%/}
	case $uri in *-security) uri=${uri%-security} ;; esac
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
	    > "$apt/etc/sources.list"
	aptopts="-o Dir::Etc=$apt/etc -o Dir::Etc::SourceList=$apt/etc/sources.list
	    -o Dir::Etc::SourceParts=$apt/etc/sources.list.d
	    -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
	    -o APT::Sandbox::User=root"
	echo "mbedtls.sh: fetching Debian's mbedtls source ($suite) from $uri"
	# shellcheck disable=SC2086
	apt-get -q $aptopts update >/dev/null
	# shellcheck disable=SC2086
	(cd "$cache/src" && apt-get -q $aptopts source --download-only mbedtls)
	tarball=$(ls "$cache"/src/mbedtls_3.6.*.orig.tar.* | sort -V | tail -n 1)
	(cd "$cache/src" && tar xf "$tarball")
	src=$(ls -d "$cache"/src/mbedtls-3.6.*/ | sort -V | tail -n 1)
fi
src=${src%/}

echo "mbedtls.sh: building $(basename "$src") with $(basename "$config")"
build=$cache/build-$hash
rm -rf "$build" "$prefix"
if [ -n "$patches" ]; then
	mkdir -p "$build"
	cp -a "$src" "$build/src"
	src=$build/src
	for p in $patches; do
		echo "mbedtls.sh: applying $(basename "$p")"
		(cd "$src" && git apply -p1 "$p")
	done
fi
cmake -S "$src" -B "$build/obj" -DCMAKE_BUILD_TYPE=Release \
    -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
    -DMBEDTLS_CONFIG_FILE="$config" -DCMAKE_INSTALL_PREFIX="$prefix" \
    ${GW_MBEDTLS_CC:+-DCMAKE_C_COMPILER="$GW_MBEDTLS_CC"} \
    ${GW_MBEDTLS_CFLAGS:+-DCMAKE_C_FLAGS="$GW_MBEDTLS_CFLAGS"} >/dev/null
cmake --build "$build/obj" -j "$(nproc)" >/dev/null
cmake --install "$build/obj" >/dev/null
cp "$config" "$prefix/include/gw_mbedtls_config.h"
rm -rf "$build"
touch "$prefix/.done"
echo "$prefix" >&3
