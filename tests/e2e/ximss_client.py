"""A small XIMSS-over-TCP client for the end-to-end tests.

Every message, in both directions, is one XML document followed by a zero byte. Requests carry an
`id`; the server answers with zero or more synchronous data messages carrying the same `id` and
then one `response`. Messages without an `id` are asynchronous and are kept in `async_messages`.

The client is deliberately strict: PROTOCOL.md promises responses in request order, so a message
for another request arriving while one is being collected raises ProtocolError.
"""

import base64
import hashlib
import hmac
import os
import socket
import ssl
import sys
import threading
import time
import xml.etree.ElementTree as ET


class ProtocolError(AssertionError):
    """The server sent something the protocol does not allow (a test failure, not a crash)."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection."""


def escape_attr(value):
    """Escapes a value for a double-quoted XML attribute (whitespace kept as character refs)."""
    s = str(value)
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def escape_text(value):
    """Escapes character data for an element body."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_xml(name, attrs=None, body=None):
    """One element as text. `body` is raw XML markup (str), an Element, or None."""
    parts = [f'<{name}']
    for key, value in (attrs or {}).items():
        if value is not None:
            parts.append(f' {key}="{escape_attr(value)}"')
    if body is None or body == "":
        parts.append("/>")
        return "".join(parts)
    if isinstance(body, ET.Element):
        body = ET.tostring(body, encoding="unicode")
    parts.append(f">{body}</{name}>")
    return "".join(parts)


def to_text(element):
    return ET.tostring(element, encoding="unicode") if element is not None else "None"


def cram_md5_response(user, password, challenge):
    """RFC 2195: base64(user SP hex(HMAC-MD5(password, challenge)))."""
    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    return base64.b64encode(f"{user} {digest}".encode()).decode()


def insecure_tls_context():
    """The test server's certificate is self-signed: no verification."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Reply:
    """Everything the server sent for one request id."""

    def __init__(self, request_id):
        self.id = request_id
        self.data = []         # synchronous data messages (same id), in arrival order
        self.response = None  # the final <response>
        self.challenges = []   # SASL <challenge> messages consumed during a login

    @property
    def error_num(self):
        num = self.response.get("errorNum") if self.response is not None else None
        return int(num) if num is not None else None

    @property
    def error_text(self):
        return self.response.get("errorText") if self.response is not None else None

    @property
    def ok(self):
        return self.response is not None and self.response.get("errorNum") is None

    def first(self, tag):
        """The first data message with this tag, or None."""
        return next((m for m in self.data if m.tag == tag), None)

    def __repr__(self):
        msgs = " ".join(to_text(m) for m in self.data + [self.response])
        return f"<Reply {self.id}: {msgs}>"


class XimssClient:
    def __init__(self, host, port, timeout=10, trace=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.async_messages = []   # messages without an id, in arrival order
        self.session = None        # the <session> element of the last successful login
        self.trace = os.environ.get("XIMSS_TRACE") == "1" if trace is None else trace
        self._buf = bytearray()
        self._pending = {}         # id -> messages that arrived while nobody was collecting them
        self._seen_async = set()   # indexes into async_messages already returned by wait_async
        self._counter = 0

    # --- connection -----------------------------------------------------------------------
    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def url_id(self):
        return self.session.get("urlID") if self.session is not None else None

    # --- sending --------------------------------------------------------------------------
    def send_raw(self, data):
        """Sends bytes exactly as given (no terminator added)."""
        if isinstance(data, str):
            data = data.encode()
        if self.trace:
            print(f"C: {bytes(data[:2000])!r}", file=sys.stderr)
        self.sock.sendall(data)

    def send(self, xml_text):
        """Sends one message: the text plus the zero byte."""
        if isinstance(xml_text, str):
            xml_text = xml_text.encode()
        self.send_raw(xml_text + b"\0")

    def next_id(self):
        self._counter += 1
        return f"A{self._counter:03d}"

    def send_request(self, name, attrs=None, body=None, id=None):
        """Sends a request without waiting; returns its id."""
        request_id = id if id is not None else self.next_id()
        self.send(build_xml(name, {"id": request_id, **(attrs or {})}, body))
        return request_id

    # --- receiving ------------------------------------------------------------------------
    def _recv_some(self, deadline):
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError) as e:
            raise ConnectionClosed(f"connection closed by the server ({e})") from e
        except socket.timeout as e:
            raise TimeoutError("timed out waiting for the server") from e
        if not chunk:
            raise ConnectionClosed("connection closed by the server")
        self._buf += chunk

    def read_raw_message(self, timeout=None):
        """The next message's bytes (terminator removed). Empty frames are skipped."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            end = self._buf.find(b"\0")
            if end >= 0:
                raw = bytes(self._buf[:end])
                del self._buf[:end + 1]
                if raw.strip():
                    if self.trace:
                        print(f"S: {raw[:2000]!r}", file=sys.stderr)
                    return raw.strip()
                continue
            self._recv_some(deadline)

    def read_message(self, timeout=None):
        """The next message as an Element (not dispatched anywhere)."""
        raw = self.read_raw_message(timeout)
        try:
            return ET.fromstring(raw)
        except ET.ParseError as e:
            raise ProtocolError(f"server sent malformed XML ({e}): {raw[:500]!r}") from e

    def _dispatch_or_return(self, msg, want_id):
        """Files `msg` away unless it belongs to `want_id`; returns True when it does."""
        msg_id = msg.get("id")
        if msg_id is None:
            self.async_messages.append(msg)
            return False
        if msg_id == want_id:
            return True
        if want_id is not None:
            raise ProtocolError(f"got {to_text(msg)} while waiting for the reply to {want_id}")
        self._pending.setdefault(msg_id, []).append(msg)
        return False

    def collect(self, request_id, timeout=None, on_async=None):
        """Reads until the `response` for `request_id`; returns the Reply.

        `on_async(msg) -> bool` may consume an id-less message (e.g. a SASL challenge) instead of
        filing it in async_messages.
        """
        reply = Reply(request_id)
        queued = self._pending.pop(request_id, [])
        for msg in queued:
            if msg.tag == "response":
                reply.response = msg
                return reply
            reply.data.append(msg)
        while True:
            msg = self.read_message(timeout)
            if msg.get("id") is None and on_async is not None and on_async(msg):
                continue
            if not self._dispatch_or_return(msg, request_id):
                continue
            if msg.tag == "response":
                reply.response = msg
                return reply
            reply.data.append(msg)

    def request(self, name, attrs=None, body=None, id=None, timeout=None):
        """Sends one request and returns its Reply (data messages + response)."""
        return self.collect(self.send_request(name, attrs, body, id), timeout)

    def pipeline(self, requests, timeout=None):
        """Sends all requests in one write, then collects the replies in order.

        `requests` holds (name,), (name, attrs) or (name, attrs, body) tuples. The write runs in
        a thread so that a server applying back-pressure cannot deadlock the test.
        """
        ids, chunks = [], []
        for req in requests:
            name, attrs, body = (tuple(req) + (None, None))[:3]
            request_id = self.next_id()
            ids.append(request_id)
            chunks.append(build_xml(name, {"id": request_id, **(attrs or {})}, body).encode() + b"\0")
        sender = BackgroundSender(self, b"".join(chunks))
        try:
            return [self.collect(i, timeout) for i in ids]
        finally:
            sender.join()

    def wait_async(self, tag, timeout=None):
        """Returns the next asynchronous message with this tag (one not returned before)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.async_messages):
                if msg.tag == tag and i not in self._seen_async:
                    self._seen_async.add(i)
                    return msg
            msg = self.read_message(max(deadline - time.monotonic(), 0.001))
            self._dispatch_or_return(msg, None)

    def wait_closed(self, timeout=None):
        """Reads (and files away) messages until the server closes the connection.

        Raises TimeoutError if it is still open after `timeout` seconds.
        """
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            while True:
                msg = self.read_message(max(deadline - time.monotonic(), 0.001))
                self._dispatch_or_return(msg, None)
        except ConnectionClosed:
            return True

    # --- higher-level operations --------------------------------------------------------------
    def starttls(self, context=None, attrs=None):
        """<starttls>; on success wraps the socket in TLS. Returns the Reply."""
        reply = self.request("starttls", attrs)
        if reply.ok:
            if self._buf:
                raise ProtocolError(f"server sent data after the starttls response: {bytes(self._buf)!r}")
            self.sock.settimeout(self.timeout)
            self.sock = (context or insecure_tls_context()).wrap_socket(self.sock)
        return reply

    def _remember_session(self, reply):
        if reply.ok and reply.first("session") is not None:
            self.session = reply.first("session")
        return reply

    def login_plain(self, user, password, attrs=None, id=None):
        """Cleartext login (authData + password)."""
        return self._remember_session(self.request(
            "login", {"authData": user, "password": password, **(attrs or {})}, id=id))

    def login_cram_md5(self, user, password, attrs=None, id=None):
        """SASL CRAM-MD5: the id-less <challenge> is answered by <auth> with the login's id."""
        request_id = self.send_request("login", {"method": "CRAM-MD5", **(attrs or {})}, id=id)
        challenges = []

        def on_async(msg):
            if msg.tag != "challenge":
                return False
            challenges.append(msg)
            challenge = base64.b64decode(msg.get("value", ""))
            self.send(build_xml("auth", {"id": request_id,
                                         "value": cram_md5_response(user, password, challenge)}))
            return True

        reply = self.collect(request_id, on_async=on_async)
        reply.challenges = challenges
        return self._remember_session(reply)


class BackgroundSender:
    """sendall() in a thread; join() re-raises its error."""

    def __init__(self, client, data):
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(client, data), daemon=True)
        self.thread.start()

    def _run(self, client, data):
        try:
            client.send_raw(data)
        except Exception as e:  # noqa: BLE001 - reported by join()
            self.error = e

    def done(self):
        return not self.thread.is_alive()

    def join(self, timeout=60):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError("the server stopped reading our requests")
        if self.error is not None:
            raise self.error
