#!/usr/bin/env bash
# gw-agent's commands (docs/PROTOCOL.md 9.7) over real TLS, with a real
# handler program: a small Python gateway (mutual TLS, the test PKI) takes
# the agent's HELLO (COMMANDS announced), agrees the capability in its
# HELLO_ACK and sends COMMANDs again every 0.5 s, as gw-mgmt resends them;
# it prints what the agent answers.  The handler runs once per id (the
# repeats get the RESULT again), with the body on stdin and its output in
# the RESULT; an id whose handler was running when the agent was killed
# (kill -9) is answered lost after the restart (--state) and never run
# again; the timeout kills a handler; without --on-command: no-handler.
source "$(dirname "$0")/lib.sh" "$@"

python3 -c 'import ssl' 2>/dev/null || fail "python3 has no ssl module"
cd "$T"
make_pki pki
mkdir agents
"$GW_CERT" issue --ca pki --role agent --name agent-1 --out agents/agent-1 \
    >/dev/null
GW_PORT=$(free_port)

cat >fakegw.py <<'EOF'
import select, socket, ssl, struct, sys, time
port, cmds = int(sys.argv[1]), sys.argv[2]
H = struct.Struct(">BBHII")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("pki/gateway.crt", "pki/gateway.key")
ctx.load_verify_locations("pki/ca.crt")
ctx.verify_mode = ssl.CERT_REQUIRED
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
def out(*a):
    print(*a, flush=True)
def frame(t, p=b""):
    return H.pack(t, 0, 0, 0, len(p)) + p
def commands(c):
    for line in open(cmds):
        i, body = line.rstrip("\n").split(" ", 1)
        c.sendall(frame(0x0A, struct.pack(">Q", int(i)) + body.encode()))
def serve(c):
    buf, last = b"", 0.0
    while True:
        if time.time() - last > 0.5 and last > 0:
            commands(c)
            last = time.time()
        r, _, _ = select.select([c], [], [], 0.1)
        if c in r or c.pending():
            d = c.recv(65536)
            if not d:
                return
            buf += d
        while len(buf) >= 12:
            t, _, _, _, n = H.unpack_from(buf)
            if len(buf) < 12 + n:
                break
            p, buf = buf[12:12 + n], buf[12 + n:]
            if t == 0x01:
                out("HELLO caps=%d" % struct.unpack_from(">I", p, 4))
                c.sendall(frame(0x02, struct.pack(">HIIIQ", 1, 1, 65536,
                    0, 0)))
                commands(c)
                last = time.time()
            elif t == 0x06:
                c.sendall(frame(0x07, p))
            elif t == 0x0D:
                out("ACK %d" % struct.unpack(">Q", p))
            elif t == 0x0E:
                i, o, f, s = struct.unpack_from(">QBBi", p)
                out("RESULT %d outcome=%d flags=%d status=%d out=%s" %
                    (i, o, f, s, p[14:].decode("utf-8", "replace")
                     .replace("\n", "|")))
            else:
                out("FRAME %d" % t)
while True:
    s, _ = ls.accept()
    try:
        c = ctx.wrap_socket(s, server_side=True)
        out("CONNECTED")
        serve(c)
    except (OSError, ssl.SSLError) as e:
        out("CLOSED %s" % e)
    s.close()
EOF

# The handler: a program (#!), no shell between the agent and it.
cat >handler <<EOF
#!/bin/sh
read body
echo \$\$ >$T/handler.pid
echo "run \$GW_COMMAND_ID \$GW_AGENT" >>$T/runs
[ "\$body" = sleep ] && sleep 60
echo "body=\$body path=\$PATH"
exit 3
EOF
chmod +x handler
: >runs
printf '5 hello\n' >cmds
mkfifo in.fifo
exec 7<>in.fifo			# the agents' input: open, never ending
start fakegw python3 -u fakegw.py "$GW_PORT" cmds
wait_port "$GW_PORT"
agent() {
	start agent $(agent_cmd agent-1 --file in.fifo --state a.state \
	    --heartbeat 1 "$@")
}

# 1. COMMANDS announced (with ACKCREDIT, which gw-agent always offers:
# 0x1 | 0x8) and agreed (this gateway answers COMMANDS alone); ACK, run
# once, RESULT; repeats.
agent --on-command "$T/handler"
wait_log fakegw.log "^HELLO caps=9$"
wait_log fakegw.log "^ACK 5$"
wait_log fakegw.log "^RESULT 5 outcome=0 flags=0 status=3 out=body=hello path=/usr/bin:/bin|$"
sleep 1.5			# three more COMMAND 5: RESULT again each time
[ "$(grep -c '^RESULT 5 ' fakegw.log)" -ge 2 ] ||
    fail "a repeated COMMAND got no RESULT again: $(cat fakegw.log)"
[ "$(cat runs)" = "run 5 agent-1" ] || fail "runs: $(cat runs)"
pass "ACK, one run (GW_COMMAND_ID, GW_AGENT, PATH, body on stdin), RESULT; repeats answered from the journal"

# 2. kill -9 while the handler runs: after the restart, lost, not run.
printf '6 sleep\n' >cmds
wait_log fakegw.log "^ACK 6$"
wait_log runs "^run 6 "
stop agent KILL
# The handler outlives a kill -9 of its agent (its own process group).
kill -9 -- "-$(cat handler.pid)" 2>/dev/null || true
agent --on-command "$T/handler"
wait_log fakegw.log "^RESULT 6 outcome=5 flags=0 status=0 out=$" 15
sleep 1
[ "$(grep -c '^run 6 ' runs)" = 1 ] || fail "6 ran again: $(cat runs)"
pass "a command running when the agent was killed: lost after the restart, never run again"

# 3. The timeout; 4. without --on-command: no-handler.
stop agent
printf '7 sleep\n' >cmds
agent --on-command "$T/handler" --command-timeout 0.5
wait_log fakegw.log "^RESULT 7 outcome=2 flags=0 status=0 out=$" 15
stop agent
printf '8 x\n5 hello\n' >cmds
agent
wait_log fakegw.log "^RESULT 8 outcome=3 " 15
wait_log fakegw.log "^RESULT 5 outcome=0 flags=0 status=3 " 15
[ "$(grep -c '^run ' runs)" = 3 ] || fail "runs: $(cat runs)"
pass "timeout kills the handler; without --on-command: no-handler, old results still answered"
