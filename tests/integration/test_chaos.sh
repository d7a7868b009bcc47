#!/usr/bin/env bash
# The chaos scenario (chaos.sh) twice: two servers sharing one PostgreSQL
# store (every line exactly once), then two separate SQLite stores
# (nothing lost in their union).
set -euo pipefail
here=$(dirname "$0")
# Under the sanitizers every agent process costs several times the CPU:
# 60 agents there (200 in the plain build) keep the run within minutes.
if grep -qa __asan_init "$1/gateway/gatewayd/gatewayd"; then
	export CHAOS_AGENTS=${CHAOS_AGENTS:-60}
fi
echo "=== shared PostgreSQL store"
CHAOS_STORE=postgresql bash "$here/chaos.sh" "$1" "$2"
echo "=== two SQLite stores"
CHAOS_STORE=sqlite bash "$here/chaos.sh" "$1" "$2"
