"""A small raw-socket SMTP/LMTP client for the end-to-end tests (what smtplib cannot express:
LMTP's one reply per recipient after DATA, pipelined commands, bytes the protocol forbids).

    c = SmtpRaw.tcp(host, port)             # reads the greeting into c.greeting
    c = SmtpRaw.unix(path)
    code, lines = c.command("LHLO client")  # one reply: its code and its lines' texts
    c.send("MAIL FROM:<a@b>\\r\\n...")        # raw bytes, for pipelining
    code, lines = c.reply()                 # the next reply
"""

import os
import re
import socket
import ssl
import sys

TIMEOUT = 15


class SmtpRaw:
    def __init__(self, sock, timeout=TIMEOUT):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.trace = bool(os.environ.get("XIMSS_TRACE"))
        self._buf = bytearray()
        self.greeting = self.reply()

    @classmethod
    def tcp(cls, host, port, timeout=TIMEOUT):
        return cls(socket.create_connection((host, port), timeout=timeout), timeout)

    @classmethod
    def unix(cls, path, timeout=TIMEOUT):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(str(path))
        return cls(s, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.trace:
            print(f"SMTP C: {data[:2000]!r}", file=sys.stderr)
        self.sock.sendall(data)

    def _line(self):
        while True:
            i = self._buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[:i + 2]
                if self.trace:
                    print(f"SMTP S: {line!r}", file=sys.stderr)
                return line.decode("utf-8", "replace")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._buf += chunk

    def reply(self):
        """The next reply: (code, [text of each line])."""
        lines = []
        while True:
            line = self._line()
            m = re.match(r"^(\d{3})([ -])(.*)$", line)
            assert m, f"not a reply line: {line!r}"
            lines.append(m.group(3))
            if m.group(2) == " ":
                return int(m.group(1)), lines

    def command(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def ok(self, text, code=250):
        got, lines = self.command(text)
        assert got == code, (text, got, lines)
        return lines

    def closed(self):
        """True when the server has closed the connection (after reading what is left)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self._buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def starttls(self, host="127.0.0.1"):
        code, lines = self.command("STARTTLS")
        assert code == 220, (code, lines)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname=host)


def dot_stuff(message):
    """The DATA form of a message (bytes with CRLF line ends): leading dots doubled, and the
    terminating line."""
    lines = message.split(b"\r\n")
    body = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"
