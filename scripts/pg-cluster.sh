#!/usr/bin/env bash
# scripts/pg-cluster.sh: a throwaway PostgreSQL cluster for tests and demos,
# from Debian's postgresql package: nothing to set up by hand.
#
#   scripts/pg-cluster.sh start DIR PORT   initdb in DIR, start it on
#                                          127.0.0.1:PORT, create database
#                                          "gw"; print its libpq conninfo
#   scripts/pg-cluster.sh stop DIR         stop it (DIR stays; remove it)
#
# PostgreSQL refuses to run as root: as root, the cluster runs as the
# "postgres" user that the package creates (DIR's parents must let it in:
# make DIR with mktemp -d under /tmp, not inside a private directory).
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg-cluster: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
cd /	# the postgres user may not enter the caller's directory

case $cmd in
start)
	port=${3:?port}
	mkdir -p "$dir"
	[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
	chmod 700 "$dir"
	"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U gw --auth=trust \
	    --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
	    { cat "$dir/initdb.log" >&2; exit 1; }
	"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on" \
	    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U gw gw
	echo "host=127.0.0.1 port=$port dbname=gw user=gw"
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	;;
*)
	echo "usage: pg-cluster.sh start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
