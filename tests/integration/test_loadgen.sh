#!/usr/bin/env bash
# gw-loadgen, small, so that the benchmark cannot rot (no timing is
# asserted): 200 agents with their own certificates connect and hold (idle),
# then each sends 20 events of 200 bytes, every one acknowledged end to end;
# the store must hold each event exactly once.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count 200 \
    --out-dir agents >/dev/null
write_configs
start_mgmt
start_gateway
lg() { "$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --agents 200 --timeout 60 "$@"; }

out=$(lg --mode idle --hold 1) || fail "idle run: $out"
case $out in *"opened=200 failed=0"*) ;; *) fail "idle: $out" ;; esac
pass "idle: $out"

out=$(lg --mode send --events 20 --size 200) || fail "send run: $out"
case $out in *"events=4000 acked=4000"*) ;; *) fail "send: $out" ;; esac
pass "send: $out"

export_store >export.jsonl
[ "$(wc -l <export.jsonl)" = 4000 ] || fail "store holds $(wc -l <export.jsonl) rows, not 4000"
[ "$(sort -u export.jsonl | wc -l)" = 4000 ] || fail "duplicates in the store"
n=$(sed -n 's/.*"agent":"\(agent-[0-9]*\)".*/\1/p' export.jsonl | sort -u | wc -l)
[ "$n" = 200 ] || fail "events from $n agents, not 200"
pass "store: 4000 events from 200 agents, each once"
