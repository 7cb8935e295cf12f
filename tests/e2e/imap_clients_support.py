"""Helpers for the tests in which real IMAP clients (mbsync, offlineimap, interimap, fetchmail,
mutt, curl) drive ximssd: test messages, the server's view of a mailbox through imaplib, Maildir
reading, the clients' environment (HOME and the XDG directories inside the test's tmp_path), a
runner that fails with the client's output, and a raw IMAP connection for unsolicited responses.
"""

import email.parser
import getpass
import hashlib
import os
import re
import shlex
import socket
import ssl
import subprocess
import time
from pathlib import Path

CLIENT_TIMEOUT = 180  # a guard against a client hanging on a prompt, not a timing assertion


# --- messages ------------------------------------------------------------------------------

def message(subject, body="Hello.\n", sender="Ann Example <ann@example.org>", to="user@example.dom",
            extra_headers=(), line_end=b"\r\n", date="Mon, 01 Jan 2024 10:00:00 +0000"):
    """An RFC 5322 message as bytes, with `line_end` line ends throughout."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}",
             f"Message-ID: <{re.sub(r'[^A-Za-z0-9]', '.', subject)}.{os.getpid()}@clients.example>",
             *extra_headers]
    head = line_end.join(line.encode() for line in lines)
    text = line_end.join(line.encode() for line in body.split("\n"))
    return head + line_end + line_end + text


def utf8_message(subject, body="Grüße aus Köln — ünïcödé body\nsecond line\n"):
    """A message with an 8-bit UTF-8 body (the bytes must survive unchanged)."""
    return message(subject, body, extra_headers=["MIME-Version: 1.0",
                                                 "Content-Type: text/plain; charset=utf-8",
                                                 "Content-Transfer-Encoding: 8bit"])


def lf(data):
    """The message with LF line ends (what Maildir and mbox clients keep locally)."""
    return data.replace(b"\r\n", b"\n")


def header(data, name):
    return email.parser.BytesHeaderParser().parsebytes(data).get(name)


def subject_of(data):
    return header(data, "Subject")


# --- the server side through imaplib --------------------------------------------------------

def quote(mailbox):
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def append(conn, mailbox, data, flags=(), date=None):
    """APPENDs `data` exactly as given (imaplib's append() would turn bare LFs into CRLF) with
    `flags` and an optional INTERNALDATE ("01-Feb-2024 12:34:56 +0100"); returns the new UID
    (from APPENDUID)."""
    conn.literal = data  # imaplib sends a pending literal after the command's arguments
    typ, resp = conn._simple_command("APPEND", quote(mailbox),  # noqa: SLF001
                                     "(" + " ".join(flags) + ")" if flags else None,
                                     f'"{date}"' if date else None)
    assert typ == "OK", (typ, resp)
    m = re.search(rb"\[APPENDUID \d+ (\d+)\]", resp[0] or b"")
    assert m, f"APPEND answered without APPENDUID: {resp}"
    return int(m.group(1))


def create(conn, mailbox):
    typ, resp = conn.create(quote(mailbox))
    assert typ == "OK", (mailbox, typ, resp)


def parse_flags(fetch_line):
    m = re.search(rb"FLAGS \(([^)]*)\)", fetch_line)
    assert m, fetch_line
    return frozenset(f.decode() for f in m.group(1).split())


def mailbox_state(server, user, password, mailbox="INBOX"):
    """{uid: (flags, bytes)} of the mailbox as a fresh read-only IMAP session sees it.

    \\Recent is left out (it depends on who selected first)."""
    conn = server.imap(user, password)
    try:
        typ, data = conn.select(quote(mailbox), readonly=True)
        assert typ == "OK", (mailbox, typ, data)
        if int(data[0]) == 0:
            return {}
        typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        assert typ == "OK", data
        uids = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            m = re.search(rb"UID (\d+)", line)
            assert m, line
            uids[int(m.group(1))] = parse_flags(line) - {"\\Recent"}
        state = {}
        for uid, flags in sorted(uids.items()):
            state[uid] = (flags, fetch_body(conn, uid))
        return state
    finally:
        conn.logout()


def fetch_body(conn, uid, section="BODY.PEEK[]"):
    typ, data = conn.uid("FETCH", str(uid), f"({section})")
    assert typ == "OK", data
    literals = [item[1] for item in data if isinstance(item, tuple)]
    assert len(literals) == 1, f"UID FETCH {uid} {section}: {data}"
    return literals[0]


def by_subject(state):
    """{subject: (flags, bytes)} from mailbox_state() (subjects are unique in these tests)."""
    out = {}
    for flags, data in state.values():
        subject = subject_of(data)
        assert subject not in out, f"two messages with subject {subject!r}"
        out[subject] = (flags, data)
    return out


def mailbox_names(server, user, password):
    conn = server.imap(user, password)
    try:
        typ, data = conn.list('""', "*")
        assert typ == "OK", data
        names = set()
        for line in data:
            m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (.+)$', line)
            assert m, line
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if "\\Noselect" not in m.group(1).decode() and "\\NonExistent" not in m.group(1).decode():
                names.add(name)
        return names
    finally:
        conn.logout()


# --- Maildir ----------------------------------------------------------------------------------

def maildir_flags(name):
    """The info flags of a Maildir file name ("...:2,FS" -> "FS")."""
    return name.split(":2,", 1)[1] if ":2," in name else ""


def maildir(path):
    """{subject: (flags, bytes, file path)} of the messages in the Maildir folder at `path`."""
    out = {}
    for sub in ("new", "cur"):
        d = Path(path) / sub
        if not d.is_dir():
            continue
        for f in sorted(d.iterdir()):
            data = f.read_bytes()
            subject = subject_of(data)
            assert subject not in out, f"two messages with subject {subject!r} in {path}"
            out[subject] = ("".join(sorted(maildir_flags(f.name))), data, f)
    return out


def maildir_deliver(path, data, unique, flags=None):
    """Puts a message into a Maildir folder the way a local MUA would (new/, or cur/ with flags)."""
    path = Path(path)
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    name = f"1700000000.{unique}.localhost"
    tmp = path / "tmp" / name
    tmp.write_bytes(data)
    target = path / "new" / name if flags is None else path / "cur" / f"{name}:2,{flags}"
    tmp.rename(target)
    return target


def maildir_set_flags(file_path, flags):
    """Renames a Maildir file to carry `flags` (moving it to cur/ as a MUA does)."""
    file_path = Path(file_path)
    base = file_path.name.split(":2,", 1)[0]
    target = file_path.parent.parent / "cur" / f"{base}:2,{''.join(sorted(flags))}"
    file_path.rename(target)
    return target


# --- running clients ----------------------------------------------------------------------------

def client_env(tmp_path, **extra):
    """A minimal environment whose HOME and XDG directories live under tmp_path."""
    home = Path(tmp_path) / "home"
    for d in (home, home / ".config", home / ".local" / "share", home / ".cache", home / "tmp"):
        d.mkdir(parents=True, exist_ok=True)
    user = getpass.getuser()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "USER": user,
        "LOGNAME": user,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
    }
    env.update(extra)
    return env


def run(args, env, expect=(0,), timeout=CLIENT_TIMEOUT, cwd=None):
    """Runs a client; asserts its exit code is in `expect`. Returns the CompletedProcess (bytes)."""
    args = [str(a) for a in args]
    cp = subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    assert cp.returncode in expect, (
        f"{shlex.join(args)} exited with {cp.returncode} (expected {expect})\n"
        f"--- stdout:\n{cp.stdout.decode(errors='replace')[-8000:]}\n"
        f"--- stderr:\n{cp.stderr.decode(errors='replace')[-8000:]}")
    return cp


def output(cp):
    return (cp.stdout + cp.stderr).decode(errors="replace")


def write_private(path, text):
    """Writes a client's configuration file readable by its owner only (fetchmail insists)."""
    path = Path(path)
    path.write_text(text)
    path.chmod(0o600)
    return path


# --- TLS ------------------------------------------------------------------------------------------

def server_certificate(server):
    """The server's generated self-signed certificate (DATA/tls/cert.pem)."""
    path = Path(server.data_dir) / "tls" / "cert.pem"
    assert path.exists(), f"no generated certificate at {path}"
    return path


def certificate_subject_cn(cert_path):
    """The certificate's subject CN (the name the generated certificate is made out to)."""
    decoded = ssl._ssl._test_decode_cert(str(cert_path))  # noqa: SLF001 - stdlib's PEM decoder
    for rdn in decoded["subject"]:
        for key, value in rdn:
            if key == "commonName":
                return value
    raise AssertionError(f"no CN in {cert_path}: {decoded}")


def openssl_fingerprint(cert_path, *, spki=False, digest="sha256"):
    """The certificate's fingerprint (or its public key's, with spki) as lowercase hex."""
    if spki:
        pub = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-noout", "-pubkey"],
                             capture_output=True, check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                             capture_output=True, check=True).stdout
    else:
        der = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-outform", "DER"],
                             capture_output=True, check=True).stdout
    return hashlib.new(digest, der).hexdigest()


# --- a raw IMAP connection (unsolicited responses, IDLE) -----------------------------------------

class RawImap:
    """A line-level IMAP client: sends commands as written, returns every response line.

    Literals are read into the line that announced them (the line then holds the literal's bytes
    and what follows), so a caller can search the lines for FETCH data.
    """

    def __init__(self, host, port, timeout=10, tls=False):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.counter = 0
        self.greeting = self.read_response_line()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the IMAP server")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the IMAP server closed the connection")
        self.buf += chunk

    def read_response_line(self, timeout=None):
        """One response line (CRLF removed), with any literals it announces inlined."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill(deadline)
            line, self.buf = self.buf.split(b"\r\n", 1)
            out += line
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if not m:
                return out
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill(deadline)
            out += b"\r\n" + self.buf[:size]
            self.buf = self.buf[size:]

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n" if isinstance(line, str) else line + b"\r\n")

    def command(self, text, timeout=None):
        """Sends `<tag> text`; returns (untagged lines, tagged line). Asserts the reply is OK."""
        untagged, tagged = self.command_any(text, timeout)
        assert tagged.split(b" ", 2)[1] == b"OK", (text, untagged, tagged)
        return untagged, tagged

    def command_any(self, text, timeout=None):
        self.counter += 1
        tag = f"R{self.counter:03d}".encode()
        self.send(tag + b" " + (text.encode() if isinstance(text, str) else text))
        untagged = []
        while True:
            line = self.read_response_line(timeout)
            if line.startswith(tag + b" "):
                return untagged, line
            untagged.append(line)

    def login(self, user, password):
        return self.command(f"LOGIN {quote(user)} {quote(password)}")


def fetch_lines(lines, seq=None):
    """The untagged FETCH responses among `lines` (for message `seq` when given)."""
    pattern = rb"^\* (\d+) FETCH \("
    return [l for l in lines if re.match(pattern, l) and (seq is None or int(re.match(pattern, l).group(1)) == seq)]
