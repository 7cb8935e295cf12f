"""A small raw-socket IMAP client for the IMAP end-to-end tests (what imaplib cannot express:
literals of either kind, pipelining, continuation requests, IDLE, COMPRESS=DEFLATE, STARTTLS on
an existing connection, bytes the protocol forbids).

Every response is kept as one logical line: a `str` decoded as Latin-1 (so every byte maps to one
character and `.encode("latin-1")` gives the exact bytes back), without its final CRLF, with each
literal inlined as `{n}\\r\\n<n bytes>`.

    c = ImapRaw.connect(host, port)            # reads the greeting into c.greeting
    r = c.command("LOGIN alice pw")             # -> Reply: r.untagged, r.tagged, r.status, r.code
    untagged, tagged = c.command("NOOP")        # a Reply unpacks as (untagged lines, tagged line)
    c.command("APPEND INBOX ", Literal(msg))     # synchronizing literal: waits for "+"
    c.command("APPEND INBOX ", Literal(msg, plus=True))   # LITERAL+: no wait
    parse_fetch(line) -> (sequence number, {"UID": 3, "FLAGS": [...], "BODY[]": "..."})

XIMSS_TRACE=1 prints the traffic.
"""

import base64
import hashlib
import hmac
import itertools
import os
import re
import socket
import ssl
import sys
import time
import zlib

TIMEOUT = 10


class ConnectionClosed(ConnectionError):
    """The server closed the connection."""


class Literal:
    """An IMAP literal argument: `{n}` (synchronizing) or `{n+}` (LITERAL+), or with binary=True
    the RFC 3516 `~{n}` form."""

    def __init__(self, data, plus=False):
        self.data = data.encode() if isinstance(data, str) else bytes(data)
        self.plus = plus

    def header(self):
        return f"{{{len(self.data)}{'+' if self.plus else ''}}}\r\n".encode()


class Reply:
    """The responses to one tagged command: untagged lines in arrival order and the tagged line."""

    STATUS = re.compile(r"^(\S+) (OK|NO|BAD)(?: \[([^\]]*)\])? ?(.*)$", re.S | re.I)

    def __init__(self, tag, untagged, tagged):
        self.tag = tag
        self.untagged = untagged
        self.tagged = tagged
        m = self.STATUS.match(tagged or "")
        self.status = m.group(2).upper() if m else None
        self.code = m.group(3) if m else None
        self.text = m.group(4) if m else None

    def __iter__(self):
        return iter((self.untagged, self.tagged))

    @property
    def ok(self):
        return self.status == "OK"

    def data(self, keyword):
        """Untagged lines of one kind: `* KEYWORD ...` or `* n KEYWORD ...` (case-insensitive),
        each without its `* `."""
        keyword = keyword.upper()
        out = []
        for line in self.untagged:
            words = line.split(" ", 3)
            if len(words) >= 2 and words[0] == "*":
                if words[1].upper() == keyword or (len(words) >= 3 and words[1].isdigit() and words[2].upper() == keyword):
                    out.append(line[2:])
        return out

    def numbers(self, keyword):
        """The numbers n of every `* n KEYWORD` line (EXISTS, RECENT, EXPUNGE, FETCH)."""
        out = []
        for line in self.data(keyword):
            head = line.split(" ", 1)[0]
            if head.isdigit():
                out.append(int(head))
        return out

    def fetches(self):
        """{sequence number: items} of every untagged FETCH (later ones update earlier ones)."""
        out = {}
        for line in self.data("FETCH"):
            n, items = parse_fetch("* " + line)
            out.setdefault(n, {}).update(items)
        return out

    def __repr__(self):
        return f"Reply({self.untagged!r}, {self.tagged!r})"


class ImapRaw:
    def __init__(self, sock, timeout=TIMEOUT, trace=None):
        self.sock = sock
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self.trace = trace if trace is not None else bool(os.environ.get("XIMSS_TRACE"))
        self._buf = bytearray()
        self._tags = (f"T{n:03d}" for n in itertools.count(1))
        self._compress = None
        self._decompress = None
        self.greeting = None
        self.closed = False

    # --- connecting ------------------------------------------------------------------------
    @classmethod
    def connect(cls, host, port, timeout=TIMEOUT, tls=False, context=None, greeting=True):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            sock = (context or insecure_tls_context()).wrap_socket(sock, server_hostname=host)
        c = cls(sock, timeout=timeout)
        if greeting:
            c.greeting = c.read_response()
        return c

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def next_tag(self):
        return next(self._tags)

    # --- bytes -----------------------------------------------------------------------------
    def _log(self, direction, data):
        if self.trace:
            text = data.decode("latin-1")
            if len(text) > 2000:
                text = text[:2000] + f"... ({len(data)} bytes)"
            print(f"IMAP {direction} {text!r}", file=sys.stderr)

    def send(self, data):
        """Sends raw bytes (str is UTF-8 encoded); compressed once COMPRESS is active."""
        if isinstance(data, str):
            data = data.encode()
        self._log("C:", data)
        if self._compress is not None:
            data = self._compress.compress(data) + self._compress.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _fill(self, deadline):
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise socket.timeout("timed out waiting for the server")
            self.sock.settimeout(remaining if remaining is not None else self.timeout)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionClosed("the server closed the connection")
            if self._decompress is not None:
                chunk = self._decompress.decompress(chunk)
                if not chunk:
                    continue
            self._log("S:", chunk)
            self._buf += chunk
            return

    def _read_line(self, deadline):
        while True:
            i = self._buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[:i + 2]
                return line
            self._fill(deadline)

    def _read_exact(self, n, deadline):
        while len(self._buf) < n:
            self._fill(deadline)
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    LITERAL_AT_END = re.compile(rb"\{(\d+)\}$")

    def read_response(self, timeout=None):
        """One logical response line (literals inlined), as Latin-1 text without the CRLF.
        Raises socket.timeout when nothing complete arrives in time, ConnectionClosed at EOF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out = bytearray()
        while True:
            line = self._read_line(deadline)
            out += line
            m = self.LITERAL_AT_END.search(line)
            if not m:
                return out.decode("latin-1")
            out += b"\r\n" + self._read_exact(int(m.group(1)), deadline)

    def has_buffered(self):
        return bool(self._buf)

    # --- commands --------------------------------------------------------------------------
    def command(self, *parts, tag=None, timeout=None):
        """Sends one command made of text parts and Literal objects, waiting for "+" before the
        data of each synchronizing literal, and reads up to its tagged response.

        When the server answers a synchronizing literal with a tagged response instead of "+",
        the rest of the command is not sent and that response is returned."""
        tag = tag or self.next_tag()
        untagged = []
        pending = f"{tag} ".encode()
        for part in parts:
            if isinstance(part, Literal):
                pending += part.header()
                if part.plus:
                    pending += part.data
                    continue
                self.send(pending)
                pending = b""
                while True:
                    line = self.read_response(timeout)
                    if line.startswith("+"):
                        break
                    if line.startswith(tag + " "):
                        return Reply(tag, untagged, line)
                    untagged.append(line)
                pending = part.data
            else:
                pending += part.encode() if isinstance(part, str) else bytes(part)
        self.send(pending + b"\r\n")
        return self.read_tagged(tag, untagged, timeout)

    def read_tagged(self, tag, untagged=None, timeout=None):
        """Reads until the tagged response of `tag`; untagged (and "+") lines are collected."""
        untagged = [] if untagged is None else untagged
        while True:
            line = self.read_response(timeout)
            if line.startswith(tag + " "):
                return Reply(tag, untagged, line)
            untagged.append(line)

    def send_command(self, text, tag=None):
        """Sends `tag text` CRLF without reading; returns the tag (for pipelining)."""
        tag = tag or self.next_tag()
        self.send(f"{tag} {text}\r\n")
        return tag

    def ok(self, *parts, **kw):
        """command() that must answer OK."""
        r = self.command(*parts, **kw)
        assert r.ok, r
        return r

    def read_until(self, predicate, timeout=None):
        """Reads responses until predicate(line) is true; returns every line read (the last one
        matched). Raises socket.timeout when none matches in time."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        lines = []
        while True:
            line = self.read_response(max(0.0, deadline - time.monotonic()))
            lines.append(line)
            if predicate(line):
                return lines

    def wait_closed(self, timeout=None):
        """Reads until EOF; returns every line read before it."""
        lines = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while True:
                lines.append(self.read_response(max(0.0, deadline - time.monotonic())))
        except (ConnectionClosed, ConnectionResetError):
            return lines

    # --- session helpers -------------------------------------------------------------------
    def login(self, user, password):
        return self.ok(f"LOGIN {quote(user)} {quote(password)}")

    def select(self, mailbox="INBOX", extra=""):
        return self.ok(f"SELECT {quote(mailbox)}{extra}")

    def append(self, mailbox, message, flags=None, date=None, plus=False):
        """APPEND with a literal; returns the Reply (not asserted)."""
        args = f"APPEND {quote(mailbox)}"
        if flags is not None:
            args += f" ({' '.join(flags)})"
        if date is not None:
            args += f' "{date}"'
        return self.command(args + " ", Literal(message, plus=plus))

    def idle(self):
        """Sends IDLE and waits for the continuation request; returns the tag."""
        tag = self.send_command("IDLE")
        self.read_until(lambda l: l.startswith("+"))
        return tag

    def done(self, tag, timeout=None):
        """Ends IDLE; returns the Reply (untagged lines that came before the tagged OK)."""
        self.send("DONE\r\n")
        return self.read_tagged(tag, timeout=timeout)

    def starttls(self, context=None, host="127.0.0.1"):
        r = self.ok("STARTTLS")
        assert not self._buf, "bytes after the STARTTLS OK before the handshake"
        self.sock = (context or insecure_tls_context()).wrap_socket(self.sock, server_hostname=host)
        return r

    def compress(self):
        """COMPRESS DEFLATE (RFC 4978): raw deflate both ways from the byte after the OK."""
        r = self.ok("COMPRESS DEFLATE")
        self.start_deflate()
        return r

    def start_deflate(self):
        """Deflate both ways from here on (after a COMPRESS DEFLATE answered OK)."""
        self._compress = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self._decompress = zlib.decompressobj(-15)
        if self._buf:  # anything after the OK is already compressed
            rest = bytes(self._buf)
            self._buf.clear()
            self._buf += self._decompress.decompress(rest)


# --- helpers ---------------------------------------------------------------------------------

def insecure_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def quote(s):
    """An IMAP quoted string (no CR/LF/8-bit allowed: use a Literal for those)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cram_md5(user, password, challenge_b64):
    """RFC 2195 response to a base64 challenge, base64 encoded."""
    challenge = base64.b64decode(challenge_b64)
    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    return base64.b64encode(f"{user} {digest}".encode()).decode()


def sasl_plain(user, password, authzid=""):
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


# --- parsing response data -------------------------------------------------------------------

class ParseError(AssertionError):
    pass


_SPECIAL = set(' ()"{\r\n')


def parse(text):
    """Parses IMAP response data into Python values: lists for parenthesized lists, None for NIL,
    int for numeric atoms, str for other atoms and for strings (quoted or literal). An atom that
    opens a `[` runs to the matching `]` (so `BODY[HEADER.FIELDS (A B)]<0>` is one atom)."""
    pos = 0
    n = len(text)
    stack = [[]]
    while pos < n:
        ch = text[pos]
        if ch == " ":
            pos += 1
        elif ch == "(":
            stack.append([])
            pos += 1
        elif ch == ")":
            if len(stack) < 2:
                raise ParseError(f"unbalanced ) at {pos} in {text!r}")
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif ch == '"':
            pos += 1
            out = []
            while True:
                if pos >= n:
                    raise ParseError(f"unterminated string in {text!r}")
                c = text[pos]
                if c == "\\":
                    out.append(text[pos + 1])
                    pos += 2
                elif c == '"':
                    pos += 1
                    break
                else:
                    out.append(c)
                    pos += 1
            stack[-1].append("".join(out))
        elif ch == "{" or (ch == "~" and text.startswith("~{", pos)):
            if ch == "~":
                pos += 1
            end = text.index("}", pos)
            size = int(text[pos + 1:end].rstrip("+"))
            if text[end + 1:end + 3] != "\r\n":
                raise ParseError(f"literal without CRLF at {pos} in {text[:200]!r}")
            start = end + 3
            stack[-1].append(text[start:start + size])
            pos = start + size
        else:
            start = pos
            depth = 0
            while pos < n:
                c = text[pos]
                if c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                elif depth == 0 and (c in " ()" or c == '"'):
                    break
                pos += 1
            atom = text[start:pos]
            if atom.upper() == "NIL":
                stack[-1].append(None)
            elif atom.isdigit():
                stack[-1].append(int(atom))
            else:
                stack[-1].append(atom)
    if len(stack) != 1:
        raise ParseError(f"unbalanced ( in {text!r}")
    return stack[0]


def parse_fetch(line):
    """`* n FETCH (...)` -> (n, {ITEM: value}); item names upper-cased as sent otherwise."""
    values = parse(line)
    if len(values) != 4 or values[0] != "*" or not isinstance(values[1], int) or str(values[2]).upper() != "FETCH" \
            or not isinstance(values[3], list) or len(values[3]) % 2:
        raise ParseError(f"not a FETCH response: {line[:300]!r}")
    items = values[3]
    out = {}
    for i in range(0, len(items), 2):
        name = items[i]
        if not isinstance(name, str):
            raise ParseError(f"FETCH item name {name!r} in {line[:300]!r}")
        out[item_key(name)] = items[i + 1]
    return values[1], out


def item_key(name):
    """Upper-cases a FETCH item name outside quoted parts (BODY[header.fields (from)] ->
    BODY[HEADER.FIELDS (FROM)])."""
    return name.upper()


def status_items(line):
    """`* STATUS name (K v K v)` -> (name, {K: v})."""
    values = parse(line)
    assert values[:2] == ["*", "STATUS"] and isinstance(values[3], list), line
    items = values[3]
    return values[2], {items[i].upper(): items[i + 1] for i in range(0, len(items), 2)}


def list_entries(reply, kind="LIST"):
    """{mailbox name: (attributes as a set with original case, delimiter)} of `* LIST` lines."""
    out = {}
    for line in reply.data(kind):
        values = parse(line)
        assert values[0].upper() == kind and isinstance(values[1], list), line
        out[values[3] if isinstance(values[3], str) else str(values[3])] = (set(values[1]), values[2])
    return out


def search_numbers(reply):
    """The numbers of the `* SEARCH` responses, in order (one response expected)."""
    lines = reply.data("SEARCH")
    assert len(lines) == 1, reply
    words = lines[0].split()[1:]
    nums = []
    for w in words:
        if w.startswith("("):  # CONDSTORE (MODSEQ n)
            break
        nums.append(int(w))
    return nums


def parse_sequence_set(text):
    """`1:3,5` -> [1, 2, 3, 5] (ascending ranges only, as servers send them; a:b with a>b
    is expanded too)."""
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            lo, hi = min(a, b), max(a, b)
            out.extend(range(lo, hi + 1))
        elif part:
            out.append(int(part))
    return out


def parse_threads(text):
    """`(1 (2 4)(5))(3 6)` (the data of a `* THREAD` response) -> a forest of (n, [children])
    tuples, with None for a dummy parent (RFC 5256 section 4)."""

    def chain(items):
        numbers = []
        i = 0
        while i < len(items) and isinstance(items[i], int):
            numbers.append(items[i])
            i += 1
        nested = [chain(sub) for sub in items[i:]]
        assert all(isinstance(sub, list) for sub in items[i:]), text
        if not numbers:  # a dummy parent of the nested threads
            return (None, nested)
        node = (numbers[-1], nested)
        for n in reversed(numbers[:-1]):
            node = (n, [node])
        return node

    values = parse(text)
    assert all(isinstance(v, list) for v in values), text
    return [chain(v) for v in values]


def thread_forest(reply):
    lines = reply.data("THREAD")
    assert len(lines) == 1, reply
    return parse_threads(lines[0][len("THREAD"):])


# --- messages --------------------------------------------------------------------------------

def message(subject="Test message", frm="Alice Example <alice@example.dom>", to="Bob <bob@example.dom>",
            date="Mon, 7 Feb 1994 21:52:25 -0800", body="Hello, world.\r\n", message_id=None,
            headers=(), cc=None):
    """A simple RFC 5322 message with CRLF line ends (bytes)."""
    lines = []
    if date is not None:
        lines.append(f"Date: {date}")
    if frm is not None:
        lines.append(f"From: {frm}")
    if subject is not None:
        lines.append(f"Subject: {subject}")
    if to is not None:
        lines.append(f"To: {to}")
    if cc is not None:
        lines.append(f"Cc: {cc}")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines.extend(headers)
    text = "\r\n".join(lines) + "\r\n\r\n" + body
    return text.encode()


# --- fixtures --------------------------------------------------------------------------------

import pytest  # noqa: E402  (the fixtures below; the client above has no pytest dependency)

_account_numbers = itertools.count(1)


class Account:
    def __init__(self, name, domain, password):
        self.name = name
        self.user = f"{name}@{domain}"
        self.password = password

    def __repr__(self):
        return f"Account({self.user})"


class ImapHarness:
    """Accounts and raw IMAP connections on one server; every connection is closed at teardown."""

    def __init__(self, server):
        self.server = server
        self.connections = []

    def account(self, prefix="user"):
        """A fresh account with only INBOX."""
        name = f"{prefix}{os.getpid() % 10000}n{next(_account_numbers)}"
        password = f"pw-{name}-{os.urandom(3).hex()}"
        self.server.add_account(name, password)
        return Account(name, self.server_domain(), password)

    def server_domain(self):
        from server_harness import DEFAULT_DOMAIN
        return DEFAULT_DOMAIN

    def connect(self, account=None, tls=False, port=None, timeout=TIMEOUT):
        """A raw connection (greeting read); logged in when an account is given."""
        if port is None:
            port = self.server.imaps_port if tls else self.server.imap_port
        c = ImapRaw.connect(self.server.host, port, timeout=timeout, tls=tls)
        self.connections.append(c)
        assert c.greeting.startswith("* OK"), c.greeting
        if account is not None:
            c.login(account.user, account.password)
        return c

    def session(self, account, select=None):
        c = self.connect(account)
        if select is not None:
            c.select(select)
        return c

    def imaplib(self, account=None, ssl_port=False):
        """An imaplib client (IMAP4, or IMAP4_SSL on the IMAPS port), logged in when an account
        is given."""
        import imaplib
        if ssl_port:
            c = imaplib.IMAP4_SSL(self.server.host, self.server.imaps_port, ssl_context=insecure_tls_context(),
                                  timeout=TIMEOUT)
        else:
            c = imaplib.IMAP4(self.server.host, self.server.imap_port, timeout=TIMEOUT)
        self.connections.append(c)
        if account is not None:
            typ, _ = c.login(account.user, account.password)
            assert typ == "OK"
        return c

    def close(self):
        for c in self.connections:
            try:
                if isinstance(c, ImapRaw):
                    c.close()
                else:
                    c.shutdown()
            except Exception:
                pass
        self.connections = []


@pytest.fixture
def imap(module_server):
    """ImapHarness on the module's shared server (use fresh accounts)."""
    h = ImapHarness(module_server)
    yield h
    h.close()


@pytest.fixture
def imap_fresh(server):
    """ImapHarness on a fresh server (settings from @pytest.mark.server_settings)."""
    h = ImapHarness(server)
    yield h
    h.close()


def select_info(reply):
    """The data of a SELECT/EXAMINE reply: FLAGS and PERMANENTFLAGS (lists), EXISTS, RECENT, and
    each `* OK [CODE value]` (UIDVALIDITY, UIDNEXT, UNSEEN, HIGHESTMODSEQ as ints, NOMODSEQ,
    CLOSED as True), plus ACCESS: the tagged response code (READ-WRITE / READ-ONLY)."""
    info = {}
    for line in reply.untagged:
        m = re.match(r"^\* (\d+) (EXISTS|RECENT)$", line, re.I)
        if m:
            assert m.group(2).upper() not in info, f"two {m.group(2)} responses: {reply}"
            info[m.group(2).upper()] = int(m.group(1))
            continue
        if re.match(r"^\* FLAGS ", line, re.I):
            assert "FLAGS" not in info, reply
            info["FLAGS"] = parse(line[2:])[1]
            continue
        m = re.match(r"^\* OK \[([A-Z-]+)(?: ([^\]]*))?\]", line, re.I)
        if m:
            code, value = m.group(1).upper(), m.group(2)
            if code == "PERMANENTFLAGS":
                info[code] = parse(value)[0]
            elif value is not None and value.isdigit():
                info[code] = int(value)
            else:
                info[code] = value if value is not None else True
    info["ACCESS"] = (reply.code or "").upper()
    return info
