"""gwproto: the frames of the gatewayd protocol, version 1, for Python
clients (tests and the bench): the codec of docs/PROTOCOL.md sections 3
and 6, downstream frames only.  Pure: no I/O, standard library only.

`python3 gwproto.py` checks the codec against the example bytes of
docs/PROTOCOL.md section 11 (exit 0 if they match).
"""
import struct

HELLO, HELLO_ACK, DATA, ACK, CREDIT, PING, PONG, GOAWAY, ERROR = range(1, 10)
# type, flags, reserved, channel, length
HEADER = struct.Struct(">BBHII")
HEADER_LEN = HEADER.size
MAX_PAYLOAD = 16384  # what gw-agent announces in HELLO

_HELLO = struct.Struct(">HHII")  # vmin, vmax, caps, max_payload
# version, caps, max_payload, heartbeat_ms, last_seq
_HELLO_ACK = struct.Struct(">HIIIQ")
_U64 = struct.Struct(">Q")


def frame(ftype, payload=b"", channel=0):
    """frame(ftype, payload, channel): the bytes of one frame."""
    return HEADER.pack(ftype, 0, 0, channel, len(payload)) + payload


def header(buf):
    """header(buf): (type, channel, length) of the 12-byte header at the
    start of ${buf}; ValueError if flags or reserved are not 0, or if
    ${buf} is shorter."""
    if len(buf) < HEADER_LEN:
        raise ValueError("header of %d bytes" % len(buf))
    ftype, flags, reserved, channel, length = HEADER.unpack_from(buf)
    if flags != 0 or reserved != 0:
        raise ValueError("bad header %s" % bytes(buf[:HEADER_LEN]).hex())
    return ftype, channel, length


def hello(vmin=1, vmax=1, max_payload=MAX_PAYLOAD):
    """hello(vmin, vmax, max_payload): a HELLO frame (caps 0)."""
    return frame(HELLO, _HELLO.pack(vmin, vmax, 0, max_payload))


def hello_ack(payload):
    """hello_ack(payload): a HELLO_ACK's ${payload} as a dict (version,
    caps, max_payload, heartbeat_ms, last_seq); ValueError if not 22
    bytes."""
    if len(payload) != _HELLO_ACK.size:
        raise ValueError("HELLO_ACK of %d bytes" % len(payload))
    keys = ("version", "caps", "max_payload", "heartbeat_ms", "last_seq")
    return dict(zip(keys, _HELLO_ACK.unpack(payload)))


def data(seq, body=b""):
    """data(seq, body): a DATA frame on channel 0."""
    return frame(DATA, _U64.pack(seq) + body)


def seq(payload):
    """seq(payload): the u64 at the start of an ACK's, DATA's, PING's or
    PONG's ${payload}; ValueError if shorter than 8 bytes."""
    if len(payload) < _U64.size:
        raise ValueError("payload of %d bytes, not 8" % len(payload))
    return _U64.unpack_from(payload)[0]


def ping(opaque):
    """ping(opaque): a PING frame carrying the u64 ${opaque}."""
    return frame(PING, _U64.pack(opaque))


def pong(payload):
    """pong(payload): the PONG answering a PING of ${payload}."""
    return frame(PONG, bytes(payload))


def reason(payload):
    """reason(payload): (code, text) of an ERROR's or GOAWAY's ${payload},
    the text escaped for printing; ValueError if shorter than 2 bytes."""
    if len(payload) < 2:
        raise ValueError("payload of %d bytes, not 2 or more" % len(payload))
    code = struct.unpack_from(">H", payload)[0]
    text = bytes(payload[2:]).decode("utf-8", "backslashreplace")
    return code, text.encode("unicode_escape").decode("ascii")


def _selftest():
    """The examples of docs/PROTOCOL.md section 11 that this codec makes."""
    ex = {
        "HELLO": (hello(),
                  "01000000000000000000000c" "0001000100000000" "00004000"),
        "DATA": (frame(DATA, _U64.pack(0x0102030405060708) + b"hi", 7),
                 "03000000000000070000000a" "0102030405060708" "6869"),
        "PING": (ping(0x1122334455667788),
                 "060000000000000000000008" "1122334455667788"),
    }
    for name, (got, want) in ex.items():
        assert got.hex() == want, "%s: %s != %s" % (name, got.hex(), want)
    ack = bytes.fromhex("020000000000000000000016" "0001" "00000000"
        "00004000" "00002710" "0000000000000005")
    assert header(ack) == (HELLO_ACK, 0, 22)
    assert hello_ack(ack[HEADER_LEN:]) == {"version": 1, "caps": 0,
        "max_payload": 16384, "heartbeat_ms": 10000, "last_seq": 5}
    err = bytes.fromhex("090000000000000000000005" "0001" "626164")
    assert header(err) == (ERROR, 0, 5)
    assert reason(err[HEADER_LEN:]) == (1, "bad")
    assert pong(ping(7)[HEADER_LEN:]) == frame(PONG, _U64.pack(7))


if __name__ == "__main__":
    _selftest()
    print("gwproto: the examples of docs/PROTOCOL.md section 11 match")
