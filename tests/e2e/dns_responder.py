"""A tiny authoritative DNS server over UDP for the MX tests: answers MX and A queries from a
table, an empty NOERROR for other types of known names, and NXDOMAIN for unknown names.

    dns = DnsResponder({"remote.test": {"MX": [(10, "mx.remote.test")]},
                        "mx.remote.test": {"A": ["127.0.0.1"]}}).start()
"""

import socket
import struct
import threading

TYPES = {1: "A", 15: "MX", 28: "AAAA"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_name(packet, offset):
    labels = []
    while True:
        length = packet[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        labels.append(packet[offset:offset + length].decode())
        offset += length


class DnsResponder:
    def __init__(self, zone):
        self.zone = {k.lower(): v for k, v in zone.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopped = False

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopped = True
        self.sock.close()

    def _serve(self):
        while not self._stopped:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(packet), peer)
            except Exception:
                continue

    def answer(self, packet):
        query_id, flags, qdcount = struct.unpack("!HHH", packet[:6])
        name, offset = decode_name(packet, 12)
        qtype, qclass = struct.unpack("!HH", packet[offset:offset + 4])
        question = packet[12:offset + 4]
        kind = TYPES.get(qtype, str(qtype))
        self.queries.append((name.lower(), kind))
        records = self.zone.get(name.lower())
        rcode = 3 if records is None else 0
        answers = []
        for value in (records or {}).get(kind, []):
            if kind == "A":
                rdata = socket.inet_aton(value)
            elif kind == "AAAA":
                rdata = socket.inet_pton(socket.AF_INET6, value)
            else:
                preference, host = value
                rdata = struct.pack("!H", preference) + encode_name(host)
            answers.append(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rdata)) + rdata)
        header = struct.pack("!HHHHHH", query_id, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)
