"""A small XIMSS-over-HTTP client for the end-to-end tests (G-http-binding.md).

It does what the real clients do: one keep-alive connection (http.client), login through
/XIMSSLogin/ (cleartext GET with errorAsXML=1, CRAM-MD5 with the nonce from listFeatures, HTTP
Basic, sessionid re-validation), request batches POSTed to /Session/<urlID>/sync or /async with
an increasing reqSeq, and the long-poll GET that acknowledges what it got with ackSeq. Every
body is an <XIMSS> document; this client is strict about that and about the order of the
replies in a batch.
"""

import base64
import hashlib
import hmac
import http.client
import os
import re
import ssl
import sys
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from ximss_client import ProtocolError, Reply, build_xml, to_text

AUTO = object()  # poll(ack_seq=AUTO): acknowledge the last respSeq received


class HttpStatusError(AssertionError):
    """A request that had to answer 200 did not."""

    def __init__(self, reply, expected=200):
        super().__init__(f"expected HTTP {expected}, got {reply!r}")
        self.reply = reply
        self.status = reply.status


class HttpReply:
    """One HTTP response: status, headers, raw body."""

    def __init__(self, method, path, status, reason, headers, body):
        self.method, self.path = method, path
        self.status, self.reason = status, reason
        self.headers = headers  # http.client.HTTPMessage (case-insensitive get / get_all)
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    @property
    def xml(self):
        """The body parsed as the <XIMSS> envelope (ProtocolError when it is not one)."""
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError as e:
            raise ProtocolError(f"{self.method} {self.path}: body is not XML ({e}): {self.body[:500]!r}") from e
        if root.tag != "XIMSS":
            raise ProtocolError(f"{self.method} {self.path}: root element is <{root.tag}>, not <XIMSS>")
        return root

    def __repr__(self):
        return f"<HTTP {self.status} {self.reason} for {self.method} {self.path}: {self.body[:600]!r}>"


class Batch:
    """The reply to a sync POST: every message in order, a Reply per request id, and id-less
    (asynchronous) messages."""

    def __init__(self, http_reply, ids):
        self.http = http_reply
        self.ids = ids
        self.root = http_reply.xml
        self.messages = list(self.root)
        self.async_messages = [m for m in self.messages if m.get("id") is None]
        self.replies = [Reply(i) for i in ids]
        by_id = {r.id: r for r in self.replies}
        position = 0  # replies must come in request order, data messages before their response
        for msg in self.messages:
            msg_id = msg.get("id")
            if msg_id is None:
                continue
            if msg_id not in by_id:
                raise ProtocolError(f"batch reply has a message for an unknown id: {to_text(msg)}")
            index = ids.index(msg_id)
            if index < position or by_id[msg_id].response is not None:
                raise ProtocolError(f"batch reply out of order at {to_text(msg)}: {http_reply!r}")
            position = index
            if msg.tag == "response":
                by_id[msg_id].response = msg
            else:
                by_id[msg_id].data.append(msg)

    def __getitem__(self, index):
        return self.replies[index]

    def __len__(self):
        return len(self.replies)

    def reply(self, request_id):
        return next(r for r in self.replies if r.id == request_id)

    @property
    def complete(self):
        return all(r.response is not None for r in self.replies)

    def __repr__(self):
        return f"<Batch {self.ids}: {self.http.body[:1500]!r}>"


class Poll:
    """The reply to one long-poll GET."""

    def __init__(self, http_reply, elapsed):
        self.http = http_reply
        self.elapsed = elapsed
        self.root = http_reply.xml
        seq = self.root.get("respSeq")
        self.resp_seq = int(seq) if seq is not None else None
        self.messages = list(self.root)

    def tags(self):
        return [m.tag for m in self.messages]

    def __repr__(self):
        return f"<Poll respSeq={self.resp_seq} after {self.elapsed:.2f}s: {self.http.body[:1500]!r}>"


class _Counting:
    """Counts the TCP connections an HTTPConnection opens (keep-alive checks)."""

    def connect(self):
        super().connect()
        self.connects += 1


class _HTTPConnection(_Counting, http.client.HTTPConnection):
    connects = 0


class _HTTPSConnection(_Counting, http.client.HTTPSConnection):
    connects = 0


def insecure_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def cram_md5_digest(password, nonce):
    return hmac.new(password.encode(), nonce.encode(), hashlib.md5).hexdigest()


def multipart_form(fields, files):
    """(body, content_type) of a multipart/form-data body.

    fields: {name: text}; files: [(field name, file name, content type, bytes)]."""
    boundary = "----ximssd-test-" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{value}\r\n").encode()
    for name, filename, content_type, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class XimssHttpClient:
    def __init__(self, host, port, tls=False, timeout=10, source_address=None, use_cookies=True, trace=None):
        self.host, self.port, self.tls, self.timeout = host, port, tls, timeout
        self.source_address = source_address
        self.use_cookies = use_cookies
        self.trace = os.environ.get("XIMSS_TRACE") == "1" if trace is None else trace
        self.conn = self._new_connection()
        self.session = None          # the <session> element of the last successful login
        self.login_messages = []     # data messages that followed <session> in the login reply
        self.url_id = None
        self.cookies = {}            # name -> value, from Set-Cookie
        self.req_seq = 0             # the last reqSeq sent
        self.resp_seq = None         # the last respSeq received by a long-poll
        self.async_messages = []     # id-less messages received (long-poll, syncAsync)
        self._seen_async = set()
        self._pending = {}           # id -> messages that arrived through the long-poll
        self._counter = 0

    # --- connection ---------------------------------------------------------------------------
    def _new_connection(self):
        if self.tls:
            return _HTTPSConnection(self.host, self.port, timeout=self.timeout, context=insecure_context(),
                                    source_address=self.source_address)
        return _HTTPConnection(self.host, self.port, timeout=self.timeout, source_address=self.source_address)

    @property
    def connects(self):
        """How many TCP connections this client has opened so far."""
        return self.conn.connects

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def twin(self, source_address=None, use_cookies=None):
        """Another client (its own connection) on the same session, as a second browser tab."""
        other = XimssHttpClient(self.host, self.port, self.tls, self.timeout,
                                source_address or self.source_address,
                                self.use_cookies if use_cookies is None else use_cookies, self.trace)
        other.session, other.url_id = self.session, self.url_id
        other.cookies = dict(self.cookies)
        other.req_seq = self.req_seq + 1000  # its own reqSeq range: no accidental repeats
        return other

    def request(self, method, path, body=None, headers=None, timeout=None):
        """One HTTP request on the keep-alive connection; returns HttpReply (any status)."""
        headers = dict(headers or {})
        if self.use_cookies and self.cookies and path.startswith("/Session/") and "Cookie" not in headers:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, str):
            body = body.encode()
        t = self.timeout if timeout is None else timeout
        self.conn.timeout = t
        if self.conn.sock is not None:
            self.conn.sock.settimeout(t)
        if self.trace:
            print(f"C: {method} {path} {headers} {body[:2000] if body else b''!r}", file=sys.stderr)
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        reply = HttpReply(method, path, resp.status, resp.reason, resp.headers, data)
        if self.trace:
            print(f"S: {resp.status} {dict(resp.headers)} {data[:2000]!r}", file=sys.stderr)
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].strip().partition("=")
            self.cookies[name] = value
        return reply

    def session_path(self, rest=""):
        return f"/Session/{self.url_id}/{rest}"

    def get(self, path, headers=None, method="GET", body=None, timeout=None):
        """A session URL (path relative to /Session/<urlID>/ unless it starts with '/')."""
        if not path.startswith("/"):
            path = self.session_path(path)
        return self.request(method, path, body=body, headers=headers, timeout=timeout)

    # --- login --------------------------------------------------------------------------------
    def _login_reply(self, http_reply):
        """A Reply for the login: data = [session, ...], response = the error (or None)."""
        reply = Reply(None)
        reply.http = http_reply
        if http_reply.status != 200:
            return reply
        root = http_reply.xml
        for msg in root:
            if msg.tag == "response":
                reply.response = msg
            else:
                reply.data.append(msg)
        session = reply.first("session")
        if session is not None:
            if reply.response is None:  # Reply.ok wants a response: a session is success
                reply.response = ET.Element("response")
            self.session, self.url_id = session, session.get("urlID")
            self.login_messages = [m for m in reply.data if m is not session]
            self.resp_seq, self.req_seq = None, 0
        return reply

    def login_url(self, params):
        return "/XIMSSLogin/?" + urllib.parse.urlencode(params)

    def login(self, user, password, error_as_xml=True, method="GET", **params):
        """Cleartext login; returns a Reply (ok, first('session'), error_num, .http)."""
        q = {"userName": user, "password": password, **params}
        if error_as_xml:
            q = {"errorAsXML": "1", **q}
        return self._login_reply(self.request(method, self.login_url(q)))

    def prelogin(self, requests):
        """POST /XIMSSLogin/?errorAsXML=1 with pre-login requests; returns a Batch."""
        ids, body = self._batch_body(requests)
        r = self.request("POST", "/XIMSSLogin/?errorAsXML=1", body,
                         {"Content-Type": "text/xml; charset=utf-8"})
        if r.status != 200:
            raise HttpStatusError(r)
        return Batch(r, ids)

    def list_features(self):
        batch = self.prelogin([("listFeatures", {}, None)])
        reply = batch[0]
        assert reply.ok, batch
        features = reply.first("features")
        assert features is not None, batch
        return features

    def nonce(self):
        nonce = self.list_features().findtext("nonce")
        assert nonce, "listFeatures sent no nonce"
        return nonce

    def login_cram_md5(self, user, password, nonce=None, with_user=False, **params):
        """CRAM-MD5 over HTTP: authData = base64(hex HMAC-MD5(password, nonce)) (or of
        "user hex" when with_user). Returns (Reply, nonce)."""
        nonce = self.nonce() if nonce is None else nonce
        digest = cram_md5_digest(password, nonce)
        auth = f"{user} {digest}" if with_user else digest
        q = {"errorAsXML": "1", "userName": user, "nonce": nonce,
             "authData": base64.b64encode(auth.encode()).decode(), **params}
        return self._login_reply(self.request("GET", self.login_url(q))), nonce

    def login_basic(self, user, password, error_as_xml=True, **params):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        q = {"errorAsXML": "1", **params} if error_as_xml else dict(params)
        path = "/XIMSSLogin/" + ("?" + urllib.parse.urlencode(q) if q else "")
        return self._login_reply(self.request("GET", path, headers={"Authorization": f"Basic {token}"}))

    def login_sessionid(self, session_id, kill_old=False, user=None, **params):
        q = {"errorAsXML": "1", **({"userName": user} if user else {}), "sessionid": session_id,
             **({"killOld": "1"} if kill_old else {}), **params}
        return self._login_reply(self.request("GET", self.login_url(q)))

    # --- requests -----------------------------------------------------------------------------
    def next_id(self):
        self._counter += 1
        return f"H{self._counter:03d}"

    def _batch_body(self, requests):
        """`requests`: (name,), (name, attrs) or (name, attrs, body) tuples, or raw XML text of
        one request. Ids are added to tuples that have none."""
        ids, parts = [], []
        for req in requests:
            if isinstance(req, str):
                parts.append(req)
                m = re.search(r'\sid="([^"]*)"', req)
                if m:
                    ids.append(m.group(1))
                continue
            name, attrs, body = (tuple(req) + (None, None))[:3]
            attrs = dict(attrs or {})
            request_id = attrs.pop("id", None) or self.next_id()
            ids.append(request_id)
            parts.append(build_xml(name, {"id": request_id, **attrs}, body))
        return ids, "<XIMSS>" + "".join(parts) + "</XIMSS>"

    def _next_seq(self, req_seq):
        if req_seq is None:
            self.req_seq += 1
            return self.req_seq
        self.req_seq = max(self.req_seq, int(req_seq))
        return req_seq

    def post(self, kind, body, req_seq=None, params=None, headers=None):
        """POST a raw body to /Session/<urlID>/<kind>?reqSeq=N; returns HttpReply."""
        q = {"reqSeq": self._next_seq(req_seq), **(params or {})}
        return self.request("POST", self.session_path(f"{kind}?{urllib.parse.urlencode(q)}"), body,
                            {"Content-Type": "text/xml; charset=utf-8", **(headers or {})})

    def sync(self, requests, req_seq=None, sync_async=False, params=None):
        """POST a batch to .../sync; returns a Batch (HttpStatusError unless 200)."""
        ids, body = self._batch_body(requests)
        q = dict(params or {})
        if sync_async:
            q["syncAsync"] = "1"
        r = self.post("sync", body, req_seq, q)
        if r.status != 200:
            raise HttpStatusError(r)
        batch = Batch(r, ids)
        for msg in batch.async_messages:
            self.async_messages.append(msg)
        return batch

    def call(self, name, attrs=None, body=None):
        """One request in its own sync POST; returns its Reply."""
        batch = self.sync([(name, attrs, body)])
        assert batch.complete, batch
        return batch[0]

    def async_post(self, requests, req_seq=None):
        """POST a batch to .../async; returns (ids, HttpReply). The output arrives by long-poll."""
        ids, body = self._batch_body(requests)
        return ids, self.post("async", body, req_seq)

    # --- long-poll ----------------------------------------------------------------------------
    def poll(self, ack_seq=AUTO, max_wait=1, path="", file=True, timeout=None):
        """GET /Session/<urlID>/[path]?ackSeq=K&maxWait=S; returns a Poll.

        ack_seq=AUTO acknowledges the last respSeq received (what real clients do), None sends
        no ackSeq. With `file`, the messages are filed: id-less ones in async_messages, others by
        id for collect()."""
        q = {}
        if ack_seq is AUTO:
            ack_seq = self.resp_seq
        if ack_seq is not None:
            q["ackSeq"] = ack_seq
        if max_wait is not None:
            q["maxWait"] = max_wait
        started = time.monotonic()
        r = self.get(f"{path}?{urllib.parse.urlencode(q)}" if q else path,
                     timeout=timeout or (max_wait or 20) + self.timeout)
        if r.status != 200:
            raise HttpStatusError(r)
        result = Poll(r, time.monotonic() - started)
        if result.resp_seq is not None:
            self.resp_seq = result.resp_seq
        if file:
            for msg in result.messages:
                if msg.get("id") is None:
                    self.async_messages.append(msg)
                else:
                    self._pending.setdefault(msg.get("id"), []).append(msg)
        return result

    def wait_async(self, tag, timeout=5, max_wait=1, match=None):
        """The next id-less message with this tag (and match(msg) true) not returned before."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.async_messages):
                if i not in self._seen_async and msg.tag == tag and (match is None or match(msg)):
                    self._seen_async.add(i)
                    return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no <{tag}> within {timeout} s; got {[to_text(m) for m in self.async_messages]}")
            self.poll(max_wait=max(1, min(max_wait, int(remaining + 0.999))))

    def collect(self, ids, timeout=5, max_wait=1):
        """The Replies for request ids whose output comes by long-poll (async POST)."""
        deadline = time.monotonic() + timeout
        while True:
            replies = []
            for request_id in ids:
                msgs = self._pending.get(request_id, [])
                if not msgs or msgs[-1].tag != "response":
                    break
                reply = Reply(request_id)
                reply.data, reply.response = msgs[:-1], msgs[-1]
                replies.append(reply)
            else:
                for request_id in ids:
                    del self._pending[request_id]
                return replies
            if time.monotonic() > deadline:
                raise TimeoutError(f"no complete output for {ids} within {timeout} s: "
                                   f"{ {k: [to_text(m) for m in v] for k, v in self._pending.items()} }")
            self.poll(max_wait=max_wait)

    # --- session URLs -------------------------------------------------------------------------
    def mime(self, folder, uid, part=None, suffix="P.txt", tail="", query=None, headers=None):
        """GET MIME/<folder>/<UID>-[<part>-]<suffix>[tail][?query]."""
        path = f"MIME/{urllib.parse.quote(folder, safe='')}/{uid}-{part + '-' if part else ''}{suffix}{tail}"
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.get(path, headers=headers)

    def upload_put(self, upload_id, data, content_type="application/octet-stream"):
        return self.get(f"UPLOAD/{urllib.parse.quote(upload_id, safe='')}", method="PUT", body=data,
                        headers={"Content-Type": content_type})

    def upload_form(self, upload_id, data, filename, content_type="application/octet-stream", fields=None):
        body, form_type = multipart_form(fields or {}, [("fileData", filename, content_type, data)])
        return self.get(f"UPLOAD/{urllib.parse.quote(upload_id, safe='')}", method="POST", body=body,
                        headers={"Content-Type": form_type})

    def download_upload(self, upload_id):
        return self.get(f"DOWNLOAD/$UPLOAD$/{urllib.parse.quote(upload_id, safe='')}")

    def kill(self, method="GET"):
        return self.get("KILL", method=method)


# --- raw HTTP over a socket (for what http.client will not send) --------------------------------

def parse_raw_response(data):
    """(status, headers dict with lower-case names, body) of the first response in `data`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ProtocolError(f"not an HTTP response: {data[:300]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    length = headers.get("content-length")
    if length is not None:
        body = body[:int(length)]
    return int(parts[1]), headers, body


def raw_exchange(host, port, data, timeout=10, source_address=None):
    """Sends `data` (tolerating the server closing early) and reads until the first response is
    complete or the connection closes. Returns the bytes received."""
    import socket
    import threading

    sock = socket.create_connection((host, port), timeout=timeout, source_address=source_address)
    errors = []

    def send():
        try:
            sock.sendall(data)
        except OSError as e:  # the server may answer and close before it has read everything
            errors.append(e)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            head, sep, body = bytes(received).partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
    finally:
        sock.close()
        sender.join(5)
    return bytes(received)
