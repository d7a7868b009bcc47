#!/usr/bin/env python3
"""openssl_idle.py: N idle agents that are OpenSSL clients (Python's ssl),
for bench/run's memory per idle agent of a peer that is not ours.

  openssl_idle.py --gateway HOST:PORT --certs DIR --ca FILE --agents N
                  [--inflight K] [--hold SECS] [--timeout SECS]

DIR holds NAME.crt and NAME.key pairs (gw-cert issue-many); the first N in
name order are used, one per connection: gatewayd keeps one session per
name.  Each agent connects with mutual TLS 1.3, sends HELLO and waits for
its HELLO_ACK, at most K (100) of them at a time; then it answers PING
with PONG and sends PING every heartbeat_ms (HELLO_ACK) as gw-agent does,
so that gatewayd keeps it.  Unlike gw-agent (mbedTLS), OpenSSL does not
offer record_size_limit (RFC 8449).

Output: "open=N connect_s=S" once all are open; then it holds them until
stdin closes, or for SECS with --hold, or until SIGTERM or SIGINT; then
it closes them and prints "closed=C pings=P pongs=Q" (C: sessions that
gatewayd ended while held).  Exit 0 if all opened and none was ended by
gatewayd, 1 otherwise (the first error is printed), 2 on bad usage.
Loopback only is the intended use: it is a benchmark tool.
"""
import argparse
import asyncio
import os
import signal
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True  # nothing written in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "tools"))
import gwproto  # noqa: E402


class Fleet:
    """The agents, what they counted, and the first error."""

    def __init__(self, n):
        self.n = n
        self.open = 0
        self.closed = 0
        self.pings = 0
        self.pongs = 0
        self.error = None
        self.writers = []
        self.all_open = asyncio.Event()
        self.stop = asyncio.Event()

    def fail(self, who, why):
        if self.error is None:
            self.error = "%s: %s" % (who, why)
        self.stop.set()


async def read_frame(reader):
    """read_frame(reader): (type, payload) of the next frame."""
    h = await reader.readexactly(gwproto.HEADER_LEN)
    ftype, _, length = gwproto.header(h)
    if length > gwproto.MAX_PAYLOAD:
        raise ValueError("frame of %d bytes" % length)
    return ftype, await reader.readexactly(length)


def ended(ftype, payload):
    """ended(ftype, payload): why a frame ends the session, or None."""
    if ftype in (gwproto.ERROR, gwproto.GOAWAY):
        code, text = gwproto.reason(payload)
        return "%s code %d %s" % ("ERROR" if ftype == gwproto.ERROR
                                  else "GOAWAY", code, text)
    return None


async def agent(fleet, name, ctx, host, port, slots, timeout):
    """agent(...): one agent's session, until ${fleet}.stop."""
    async with slots:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=ctx, server_hostname=host), timeout)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
            fleet.fail(name, "connect: %r" % e)
            return
        fleet.writers.append(writer)
        try:
            writer.write(gwproto.hello())
            while True:
                ftype, payload = await asyncio.wait_for(read_frame(reader),
                                                        timeout)
                why = ended(ftype, payload)
                if why:
                    raise ConnectionError(why)
                if ftype == gwproto.HELLO_ACK:
                    ack = gwproto.hello_ack(payload)
                    break
        except (OSError, EOFError, ValueError, asyncio.IncompleteReadError,
                asyncio.TimeoutError, ssl.SSLError) as e:
            fleet.fail(name, "before HELLO_ACK: %r" % e)
            return
    fleet.open += 1
    if fleet.open == fleet.n:
        fleet.all_open.set()
    hb = (ack["heartbeat_ms"] or 5000) / 1000.0
    pinger = asyncio.ensure_future(heartbeat(fleet, writer, hb))
    try:
        while True:
            ftype, payload = await read_frame(reader)
            why = ended(ftype, payload)
            if why:
                raise ConnectionError(why)
            if ftype == gwproto.PING:
                writer.write(gwproto.pong(payload))
            elif ftype == gwproto.PONG:
                fleet.pongs += 1
    except asyncio.CancelledError:
        pass
    except (OSError, EOFError, ValueError, asyncio.IncompleteReadError,
            ssl.SSLError) as e:
        if not fleet.stop.is_set():
            fleet.closed += 1
            fleet.fail(name, "ended by the gateway: %r" % e)
    finally:
        pinger.cancel()


async def heartbeat(fleet, writer, hb):
    """heartbeat(fleet, writer, hb): a PING every ${hb} seconds."""
    n = 0
    while True:
        await asyncio.sleep(hb)
        n += 1
        writer.write(gwproto.ping(n))
        fleet.pings += 1


def certs(d, n):
    """certs(d, n): the first ${n} (name, crt, key) of directory ${d}."""
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".crt")
                   and os.path.exists(os.path.join(d, f[:-4] + ".key")))
    if len(names) < n:
        sys.exit("openssl_idle: %d certificates in %s, %d wanted"
                 % (len(names), d, n))
    return [(m, os.path.join(d, m + ".crt"), os.path.join(d, m + ".key"))
            for m in names[:n]]


def context(ca, crt, key):
    """context(ca, crt, key): an OpenSSL client context, TLS 1.3 only,
    presenting ${crt}, trusting ${ca}."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(crt, key)
    return ctx


async def run(a):
    loop = asyncio.get_running_loop()
    fleet = Fleet(a.agents)
    host, _, port = a.gateway.rpartition(":")
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, fleet.stop.set)
    if a.hold is None:
        # Until stdin closes (a thread: stdin may be a file or a tty).
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(fleet.stop.set)
        threading.Thread(target=watch, daemon=True).start()
    slots = asyncio.Semaphore(a.inflight)
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(agent(fleet, name, context(a.ca, crt, key),
                                         host, int(port), slots, a.timeout))
             for name, crt, key in certs(a.certs, a.agents)]
    waits = [asyncio.ensure_future(e.wait())
             for e in (fleet.all_open, fleet.stop)]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()
    if fleet.all_open.is_set() and fleet.error is None:
        print("open=%d connect_s=%.3f" % (fleet.open, time.monotonic() - t0),
              flush=True)
        try:
            await asyncio.wait_for(fleet.stop.wait(), a.hold)
        except asyncio.TimeoutError:
            pass
    failed = fleet.error
    fleet.stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for w in fleet.writers:
        w.close()
    if fleet.writers:
        await asyncio.wait([asyncio.ensure_future(w.wait_closed())
                            for w in fleet.writers], timeout=10)
    print("closed=%d pings=%d pongs=%d"
          % (fleet.closed, fleet.pings, fleet.pongs), flush=True)
    if failed:
        print("openssl_idle: %s" % failed, file=sys.stderr)
        return 1
    if not fleet.all_open.is_set():
        print("openssl_idle: stopped with %d of %d open"
              % (fleet.open, fleet.n), file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description="N idle OpenSSL agents")
    p.add_argument("--gateway", required=True, help="HOST:PORT")
    p.add_argument("--certs", required=True, help="NAME.crt, NAME.key")
    p.add_argument("--ca", required=True, help="the gateway's CA")
    p.add_argument("--agents", required=True, type=int)
    p.add_argument("--inflight", type=int, default=100)
    p.add_argument("--hold", type=float, help="seconds (else: stdin)")
    p.add_argument("--timeout", type=float, default=60,
                   help="seconds for a connection to get its HELLO_ACK")
    a = p.parse_args()
    if a.agents < 1 or a.inflight < 1 or ":" not in a.gateway:
        p.error("bad --agents, --inflight or --gateway")
    sys.exit(asyncio.run(run(a)))


if __name__ == "__main__":
    main()
