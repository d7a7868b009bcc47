#!/usr/bin/env bash
# The chaos scenario (chaos.sh: process faults and network partitions, in
# a network namespace of its own) twice (the sanitizer build: the first
# only, below): two servers sharing one
# PostgreSQL store (every line exactly once), the servers dialing the
# gateways (CHAOS_MODE=accept), every program dialing the others by name
# (CHAOS_NAMES=1: a hosts file of the test's own); then two separate
# SQLite stores (nothing lost in their union), the gateways dialing the
# servers, by address.
set -euo pipefail
here=$(dirname "$0")
# Under the sanitizers every agent process costs several times the CPU:
# 60 agents there (200 in the plain build), and the first scenario only
# (servers dialing, by name: the paths the rest of the suite runs least;
# the second's, gateways dialing by address, every other agent test runs
# under the sanitizers too), keep the run within minutes.
sanitized=0
if grep -qa __asan_init "$1/gateway/gatewayd/gatewayd"; then
	export CHAOS_AGENTS=${CHAOS_AGENTS:-60}
	sanitized=1
fi
echo "=== shared PostgreSQL store, servers dialing, by name"
CHAOS_STORE=postgresql CHAOS_MODE=accept CHAOS_NAMES=1 \
    bash "$here/chaos.sh" "$1" "$2"
if [ $sanitized = 1 ]; then
	echo "=== two SQLite stores, gateways dialing, by address: plain build only"
	exit 0
fi
echo "=== two SQLite stores, gateways dialing, by address"
CHAOS_STORE=sqlite CHAOS_MODE=dial bash "$here/chaos.sh" "$1" "$2"
