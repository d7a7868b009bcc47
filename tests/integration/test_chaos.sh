#!/usr/bin/env bash
# The chaos scenario (chaos.sh) twice: two servers sharing one PostgreSQL
# store (every line exactly once), then two separate SQLite stores
# (nothing lost in their union).
set -euo pipefail
here=$(dirname "$0")
echo "=== shared PostgreSQL store"
CHAOS_STORE=postgresql bash "$here/chaos.sh" "$1" "$2"
echo "=== two SQLite stores"
CHAOS_STORE=sqlite bash "$here/chaos.sh" "$1" "$2"
