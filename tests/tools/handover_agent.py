#!/usr/bin/env python3
"""handover_agent.py: one agent identity (one certificate) driven step by
step, for tests/integration/test_workers_handover.sh: the sessions it
opens may land on any worker of a gatewayd in workers mode, and an older
session of it LINGERS (its TCP connection left open, never closed by this
side) while the next one says HELLO, as an agent whose old connection is
not yet dead would.

  handover_agent.py --gateway HOST:PORT --cert CRT --key KEY --ca CA

Reads one command a line on stdin, answers one line on stdout, "ok ..."
or "fail WHY" (then the test fails):

  connect    a new session (the current one, if any, left open): HELLO;
             its HELLO_ACK's last_seq must be every DATA acknowledged so
             far (or more, up to every DATA sent); then the lingering one must get ERROR superseded (8)
             and be closed by the gateway.  GOAWAY overload (13, the
             agent being handed over between workers) is retried, counted.
  send K [nowait]
             K DATA on the current session (seq after the last sent),
             then wait until an ACK covers them all (not with nowait:
             then the next connect may find last_seq below the last sent,
             and resends the rest on the new session, acknowledged).
  frozen     connect while the current session's worker is stopped
             (SIGSTOP): handshakes that get no answer (that worker) are
             given up and tried again; HELLO_ACK as for connect; the old
             session must be closed (the parent killed its worker).
  lost       the current session must be closed by the gateway without
             an ERROR (its worker was killed).
  race       two new sessions at once (their HELLOs sent together, the
             current one lingering): each ends with HELLO_ACK, or ERROR
             superseded, or GOAWAY overload; at most one stays open (one
             with HELLO_ACK that is superseded by the other is closed);
             it becomes the current one.
  quit       close everything, exit 0.

Every wait is bounded (--timeout, 15 s): nothing is timed.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True  # nothing written in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwproto  # noqa: E402

SUPERSEDED, OVERLOAD = 8, 13


class Fail(Exception):
    """A step did not go as the protocol says."""


class Session:
    """One TLS connection of the agent."""

    def __init__(self, args, ctx, handshake=None):
        host, port = args.gateway.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), args.timeout)
        raw.settimeout(handshake or args.timeout)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname=host)
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(args.timeout)
        self.credit = 0
        self.acked = 0
        self.buf = b""

    def fill(self, n):
        """Read until ${n} bytes are buffered (a timeout keeps them)."""
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except ssl.SSLZeroReturnError:
                chunk = b""
            if not chunk:
                raise EOFError("closed with %d of %d bytes" %
                               (len(self.buf), n))
            self.buf += chunk

    def frame(self, credit=False):
        """(type, payload) of the next frame; PING answered, CREDIT
        counted here (and returned if ${credit}).  A timeout consumes
        nothing."""
        while True:
            self.fill(gwproto.HEADER_LEN)
            ftype, _, length = gwproto.header(self.buf)
            if length > gwproto.MAX_PAYLOAD:
                raise Fail("frame of %d bytes" % length)
            self.fill(gwproto.HEADER_LEN + length)
            payload = self.buf[gwproto.HEADER_LEN:gwproto.HEADER_LEN + length]
            self.buf = self.buf[gwproto.HEADER_LEN + length:]
            if ftype == gwproto.PING:
                self.sock.sendall(gwproto.pong(payload))
                continue
            if ftype == gwproto.CREDIT:
                self.credit += int.from_bytes(payload[:4], "big")
                if not credit:
                    continue
            return ftype, payload

    def hello(self):
        """HELLO; the HELLO_ACK as a dict, or ("ERROR"|"GOAWAY", code)."""
        self.sock.sendall(gwproto.hello())
        while True:
            ftype, payload = self.frame()
            if ftype == gwproto.HELLO_ACK:
                return gwproto.hello_ack(payload)
            if ftype in (gwproto.ERROR, gwproto.GOAWAY):
                code, text = gwproto.reason(payload)
                return ("ERROR" if ftype == gwproto.ERROR else "GOAWAY",
                        code, text)
            raise Fail("frame type %d before HELLO_ACK" % ftype)

    def ended(self):
        """Read until the gateway ends the session: (code of its ERROR or
        GOAWAY or None, how: eof|reset)."""
        code = None
        while True:
            try:
                ftype, payload = self.frame()
            except (EOFError, ConnectionResetError, ssl.SSLEOFError):
                return code, "eof"
            except ssl.SSLError as e:
                return code, "tls:%s" % e.reason
            except socket.timeout:
                raise Fail("the session was not closed (code %s)" % code)
            if ftype in (gwproto.ERROR, gwproto.GOAWAY) and code is None:
                code = gwproto.reason(payload)[0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Agent:
    """The agent: its sessions and its numbering."""

    def __init__(self, args):
        self.args = args
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.load_verify_locations(args.ca)
        self.ctx.load_cert_chain(args.cert, args.key)
        self.cur = None
        self.acked = 0
        self.sent = 0

    def check_ack(self, ack, who):
        """The store has every DATA acknowledged, and none not sent."""
        if not self.acked <= ack["last_seq"] <= self.sent:
            raise Fail("%s: HELLO_ACK last_seq %d, %d acknowledged, %d "
                       "sent" % (who, ack["last_seq"], self.acked,
                                 self.sent))

    def open_one(self):
        """A session that got its HELLO_ACK, GOAWAY overload retried:
        (session, retries)."""
        for retries in range(50):
            s = Session(self.args, self.ctx)
            got = s.hello()
            if isinstance(got, dict):
                self.check_ack(got, "connect")
                return s, retries, got["last_seq"]
            s.close()
            if got[:2] != ("GOAWAY", OVERLOAD):
                raise Fail("connect: %s %d %s" % got)
            time.sleep(0.1)
        raise Fail("connect: GOAWAY overload 50 times")

    def superseded(self, old, who):
        code, how = old.ended()
        old.close()
        if code != SUPERSEDED:
            raise Fail("%s: the lingering session ended with code %s (%s),"
                       " not superseded" % (who, code, how))
        return how

    def connect(self):
        old = self.cur
        self.cur, retries, last = self.open_one()
        out = "last_seq=%d retries=%d" % (last, retries)
        if old is not None:
            out += " old=superseded,%s" % self.superseded(old, "connect")
        self.acked = last
        if self.sent > last:
            # What the store lacks, resent under its seq (PROTOCOL 9.2).
            n = self.sent - last
            self.sent = last
            self.send(n)
            out += " resent=%d acked=%d" % (n, self.acked)
        return out

    def send(self, k, wait=True):
        s = self.cur
        if s is None:
            raise Fail("send: no session")
        first = self.sent + 1
        deadline = time.monotonic() + self.args.timeout
        while s.credit < k and time.monotonic() < deadline:
            ftype, payload = s.frame(credit=True)
            if ftype not in (gwproto.ACK, gwproto.CREDIT):
                raise Fail("send: frame type %d awaiting CREDIT" % ftype)
        if s.credit < k:
            raise Fail("send: credit %d, %d wanted" % (s.credit, k))
        for n in range(first, first + k):
            s.sock.sendall(gwproto.data(n, b"handover seq %d" % n))
            s.credit -= 1
        last = self.sent = first + k - 1
        if not wait:
            return "sent=%d" % self.sent
        while self.acked < last:
            ftype, payload = s.frame()
            if ftype in (gwproto.ERROR, gwproto.GOAWAY):
                kind = "ERROR" if ftype == gwproto.ERROR else "GOAWAY"
                raise Fail("send: %s %d %s" % ((kind,) +
                                               gwproto.reason(payload)))
            if ftype != gwproto.ACK:
                raise Fail("send: frame type %d awaiting ACK" % ftype)
            seq = gwproto.seq(payload)
            if seq > last or seq < self.acked:
                raise Fail("send: ACK %d, sent up to %d, acked %d" %
                           (seq, last, self.acked))
            self.acked = seq
            if len(payload) == 12:
                s.credit += int.from_bytes(payload[8:12], "big")
        return "acked=%d" % self.acked

    def frozen(self):
        """connect, the current session's worker stopped (SIGSTOP): a
        connection that lands on it gets no TLS handshake (given up after
        1.5 s, tried again); one on the other worker claims the agent, and
        the parent kills the stopped one that cannot release it."""
        old = self.cur
        for attempt in range(1, 21):
            try:
                s = Session(self.args, self.ctx, handshake=1.5)
                break
            except socket.timeout:
                continue
        else:
            raise Fail("frozen: 20 handshakes timed out")
        got = s.hello()
        if not isinstance(got, dict):
            raise Fail("frozen: %s %d %s" % got)
        self.check_ack(got, "frozen")
        self.cur = s
        self.acked = got["last_seq"]
        out = "last_seq=%d attempts=%d" % (got["last_seq"], attempt)
        if old is not None:
            code, how = old.ended()
            old.close()
            out += " old=%s,%s" % (code, how)
        return out

    def lost(self):
        s, self.cur = self.cur, None
        if s is None:
            raise Fail("lost: no session")
        code, how = s.ended()
        s.close()
        if code is not None:
            raise Fail("lost: the session ended with code %d" % code)
        return "closed=%s" % how

    def racer(self, box, i, go):
        try:
            s = Session(self.args, self.ctx)
            go.wait(self.args.timeout)
            box[i] = (s, s.hello())
        except Exception as e:  # noqa: BLE001: reported as the outcome
            box[i] = (None, ("EXC", 0, repr(e)))

    def race(self):
        old, self.cur = self.cur, None
        box = [None, None]
        go = threading.Barrier(3)
        ts = [threading.Thread(target=self.racer, args=(box, i, go))
              for i in range(2)]
        for t in ts:
            t.start()
        go.wait(self.args.timeout)
        for t in ts:
            t.join(self.args.timeout * 2)
        outs, open_ = [], []
        for s, got in box:
            if isinstance(got, dict):
                self.check_ack(got, "race")
                outs.append("ack")
                open_.append(s)
            elif got[0] == "EXC":
                raise Fail("race: %s" % got[2])
            else:
                if s is not None:
                    code, how = s.ended()
                    s.close()
                if got[1] not in (SUPERSEDED, OVERLOAD):
                    raise Fail("race: %s %d %s" % got)
                outs.append("%s%d" % (got[0], got[1]))
        if len(open_) == 2:
            # One must be superseded by the other and closed: the older.
            first = self.first_ended(open_)
            if first is None:
                raise Fail("race: both sessions got HELLO_ACK and stay "
                           "open")
            i = open_.index(first)
            code, how = first.ended()
            first.close()
            if code != SUPERSEDED:
                raise Fail("race: an acknowledged session ended with %s"
                           % code)
            outs[outs.index("ack", i)] = "ack+superseded"
            open_.remove(first)
        if open_:
            self.cur = open_[0]
        old_out = "none"
        if old is not None:
            if open_:
                old_out = "superseded," + self.superseded(old, "race")
            else:
                code, how = old.ended()
                old.close()
                old_out = "%s,%s" % (code, how)
        return "a=%s b=%s open=%d old=%s" % (outs[0], outs[1], len(open_),
                                             old_out)

    def first_ended(self, sessions):
        """The one of ${sessions} that gets an ERROR or GOAWAY first
        (bounded: --timeout), or None."""
        deadline = time.monotonic() + self.args.timeout
        try:
            while time.monotonic() < deadline:
                for s in sessions:
                    s.sock.settimeout(0.1)
                    try:
                        ftype, payload = s.frame()
                    except socket.timeout:
                        continue
                    if ftype in (gwproto.ERROR, gwproto.GOAWAY):
                        # pushed back: ended() reads it again
                        s.buf = gwproto.frame(ftype, payload) + s.buf
                        return s
        finally:
            for s in sessions:
                s.sock.settimeout(self.args.timeout)
        return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--timeout", type=float, default=15.0)
    args = p.parse_args()
    agent = Agent(args)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "connect":
                out = agent.connect()
            elif words[0] == "send":
                out = agent.send(int(words[1]), words[2:] != ["nowait"])
            elif words[0] == "frozen":
                out = agent.frozen()
            elif words[0] == "lost":
                out = agent.lost()
            elif words[0] == "race":
                out = agent.race()
            elif words[0] == "quit":
                print("ok bye", flush=True)
                return 0
            else:
                raise Fail("unknown command %r" % words[0])
            print("ok " + out, flush=True)
        except (Fail, OSError, EOFError, ValueError, ssl.SSLError) as e:
            print("fail %s: %s" % (words[0], e), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
