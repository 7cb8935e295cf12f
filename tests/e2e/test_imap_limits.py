"""IMAP limits and robustness: imap.max_line, imap.max_literal (NO [TOOBIG], APPENDLIMIT RFC
7889), imap.max_bad_commands, garbage bytes, pipelining, a client that sends without reading,
nesting and number overflows, the login and idle timeouts."""

import os
import re
import socket
import threading
import time

import pytest

from imap_raw import ConnectionClosed, ImapRaw, Literal, imap, imap_fresh, message, quote  # noqa: F401


def bad_or_closed(c, tag=None):
    """Reads the answer to something invalid: a BAD (tagged or untagged)."""
    line = c.read_response()
    assert re.match(rf"^({re.escape(tag) if tag else '[^ ]+'}|\*) BAD\b", line), line
    return line


# --- imap.max_line ---------------------------------------------------------------------------

@pytest.mark.server_settings({"imap.max_line": 2048})
def test_a_line_longer_than_max_line_is_bad_and_the_connection_goes_on(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect()
    # Before login, with a tag that can be read.
    c.send("L1 NOOP " + "x" * 5000 + "\r\n")
    line = c.read_response()
    assert re.match(r"^(L1|\*) BAD\b", line), line
    assert c.command("NOOP").ok
    c.login(acct.user, acct.password)
    c.select("INBOX")
    # After login: a long SEARCH, then a line so long no tag can be read.
    c.send("L2 SEARCH " + " ".join(["ALL"] * 2000) + "\r\n")
    line = c.read_response()
    assert re.match(r"^(L2|\*) BAD\b", line), line
    assert c.command("NOOP").ok
    c.send("y" * 100000 + "\r\n")
    line = c.read_response()
    assert re.match(r"^\S+ BAD\b", line), line
    r = c.command("NOOP")
    assert r.ok, r
    # Literal bytes do not count towards the line: a 10 KB APPEND is fine.
    r = c.append("INBOX", message(body="z" * 10000 + "\r\n"))
    assert r.ok, r
    r = c.append("INBOX", message(body="z" * 10000 + "\r\n"), plus=True)
    assert r.ok, r


def test_the_default_max_line_is_64_kib(imap):
    acct = imap.account()
    c = imap.connect(acct)
    c.select("INBOX")
    # Just under the limit works (a long but valid command), just over it is BAD.
    seq = ",".join(["1"] * 30000)  # 60 KB
    r = c.command(f"SEARCH {seq}")
    assert r.status in ("OK", "NO", "BAD") and "line too long" not in (r.text or "").lower(), r
    c.send("L3 SEARCH " + ",".join(["1"] * 40000) + "\r\n")  # 80 KB
    line = c.read_response()
    assert re.match(r"^(L3|\*) BAD\b", line), line
    assert c.command("NOOP").ok


# --- imap.max_literal ------------------------------------------------------------------------

@pytest.mark.server_settings({"imap.max_literal": 1000})
def test_a_literal_above_max_literal_is_toobig(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    words = c.ok("CAPABILITY").data("CAPABILITY")[0].split()
    limit = [int(w.split("=")[1]) for w in words if w.upper().startswith("APPENDLIMIT=")]
    assert len(limit) == 1 and 0 < limit[0] <= 1000, words  # RFC 7889: nothing larger is accepted
    big = message(body="b" * 1500 + "\r\n")
    # A synchronizing literal is refused before the data is sent: no "+".
    tag = c.send_command(f"APPEND INBOX {{{len(big)}}}")
    line = c.read_response()
    assert re.match(rf"^{tag} NO \[TOOBIG\]", line), line
    assert c.command("NOOP").ok
    # The connection still works; a small literal is fine.
    small = message(body="s" * 200 + "\r\n")
    assert c.append("INBOX", small).ok
    # A literal that is not an APPEND message is limited too.
    r = c.command("SEARCH CHARSET UTF-8 TEXT ", Literal(b"x" * 1500))
    assert r.status == "NO" and r.code == "TOOBIG", r
    assert c.command("NOOP").ok
    assert "MESSAGES 1" in c.ok("STATUS INBOX (MESSAGES)").data("STATUS")[0]


@pytest.mark.server_settings({"imap.max_literal": 1000})
def test_a_non_synchronizing_literal_above_max_literal(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    big = message(body="b" * 1500 + "\r\n")
    tag = c.next_tag()
    c.send(f"{tag} APPEND INBOX {{{len(big)}+}}\r\n".encode() + big + b"\r\n")
    line = c.read_response()
    # RFC 7888 4: the server rejects it (with TOOBIG), and either reads past the data or closes.
    assert re.match(rf"^{tag} (NO|BAD) \[TOOBIG\]", line), line
    try:
        r = c.command("NOOP")
    except (ConnectionClosed, ConnectionResetError):
        pass
    else:
        assert r.ok and not any("BAD" in l for l in r.untagged), r
    # Either way nothing was stored and the server serves others.
    other = imap_fresh.connect(acct)
    assert "MESSAGES 0" in other.ok("STATUS INBOX (MESSAGES)").data("STATUS")[0]


@pytest.mark.server_settings({"imap.max_literal": 1000})
def test_a_large_login_literal_is_refused_before_login(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect()
    tag = c.send_command("LOGIN {5000}")
    line = c.read_response()
    assert re.match(rf"^{tag} (NO|BAD)\b", line), line
    c.login(acct.user, acct.password)


# --- imap.max_bad_commands -------------------------------------------------------------------

@pytest.mark.server_settings({"imap.max_bad_commands": 5})
def test_too_many_bad_commands_in_a_row_end_the_connection(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    # A good command in between starts the count again.
    for _ in range(2):
        for i in range(4):
            assert c.command(f"BOGUS{i}").status == "BAD"
        assert c.command("NOOP").ok
    for i in range(5):
        c.send_command(f"BOGUS{i}")
    lines = c.wait_closed(timeout=10)
    bads = [l for l in lines if re.match(r"^T\d+ BAD\b", l)]
    assert len(bads) in (4, 5), lines
    assert lines and lines[-1].startswith("* BYE"), lines
    # The server is fine.
    assert imap_fresh.connect(acct).command("NOOP").ok


@pytest.mark.server_settings({"imap.max_bad_commands": 3})
def test_bad_commands_before_login_count_too(imap_fresh):
    c = imap_fresh.connect()
    c.send("a FOO\r\nb BAR\r\nc BAZ\r\nd NOOP\r\n")
    lines = c.wait_closed(timeout=10)
    assert lines and lines[-1].startswith("* BYE"), lines
    assert not any(l.startswith("d ") for l in lines), lines


# --- garbage ---------------------------------------------------------------------------------

def test_empty_lines_between_commands_are_ignored(imap):
    # A stray CRLF is not a command: nothing is answered for it, and the next command works.
    acct = imap.account()
    c = imap.connect(acct)
    c.send(b"\r\n\r\n")
    r = c.command("NOOP")
    assert r.ok and not any("BAD" in l for l in r.untagged), r


@pytest.mark.parametrize("garbage", [
    b"\xff\xfe\x80\x81 garbage \x01\x02\x7f\r\n",
    b"    \r\n",
    b"* OK i am a server\r\n",
    b"+ continue\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"tag\r\n",
    b"tag LOGIN \"unterminated\r\n",
    b"tag LOGIN {abc}\r\n",
    b"tag LOGIN {99999999999999999999999999}\r\n",
    b"tag FETCH 99999999999999999999999 FLAGS\r\n",
    b"tag SEARCH " + b"(" * 5000 + b"\r\n",
], ids=lambda g: repr(g[:24]))
def test_garbage_gets_bad_and_the_connection_goes_on(imap, garbage):
    acct = imap.account()
    c = imap.connect()
    c.send(garbage)
    line = c.read_response()
    assert re.match(r"^\S+ (BAD|NO)\b", line), line
    # Whatever else it sends for the garbage, it then answers NOOP.
    r = c.command("NOOP")
    assert r.ok, r
    c.login(acct.user, acct.password)
    c.select("INBOX")
    c.send(garbage)
    line = c.read_response()
    assert re.match(r"^\S+ (BAD|NO)\b", line), line
    assert c.command("NOOP").ok


@pytest.mark.parametrize("garbage", [
    b"\x00\x00\x00\x00\r\n",
    b"tag NOOP\x00\r\n",
    bytes(range(256)) * 4 + b"\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS ClientHello's start
], ids=lambda g: repr(g[:16]))
def test_binary_garbage_does_not_harm_the_server(imap, garbage):
    acct = imap.account()
    c = imap.connect()
    c.send(garbage)
    try:
        line = c.read_response(timeout=5)
        assert re.match(r"^\S+ (BAD|NO)\b|^\* BYE\b", line), line
    except (ConnectionClosed, ConnectionResetError, socket.timeout):
        pass  # closing the connection (or waiting for the rest of a line) is fine
    # Other clients are served.
    other = imap.connect(acct)
    other.select("INBOX")
    assert other.command("NOOP").ok


# --- pipelining and clients that do not read -------------------------------------------------

def test_pipelined_commands_are_answered_in_order(imap):
    acct = imap.account()
    c = imap.connect(acct)
    for i in range(3):
        assert c.append("INBOX", message(subject=f"p{i}")).ok
    commands = ["SELECT INBOX"] + ["NOOP", "FETCH 1:3 FLAGS", "SEARCH ALL", "STORE 1 +FLAGS (\\Seen)",
                                   "STORE 1 -FLAGS (\\Seen)", "UID FETCH 1:* UID", "BOGUS"] * 30 + ["CHECK"]
    tags = [f"P{i:04d}" for i in range(len(commands))]
    c.send("".join(f"{t} {cmd}\r\n" for t, cmd in zip(tags, commands)))
    answered = []
    while len(answered) < len(tags):
        line = c.read_response()
        m = re.match(r"^(P\d{4}) (OK|NO|BAD)\b", line)
        if m:
            answered.append((m.group(1), m.group(2)))
    # Every command answered once (RFC 3501 5.5 lets a server run independent commands in any
    # order), each as it should be.
    assert sorted(t for t, _ in answered) == tags
    expected = dict(zip(tags, commands))
    for t, status in answered:
        assert status == ("BAD" if expected[t] == "BOGUS" else "OK"), (t, expected[t], status)
    assert c.command("NOOP").ok


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_a_client_that_never_reads_does_not_block_others(imap):
    acct = imap.account()
    setup = imap.connect(acct)
    big = message(subject="big", body=("0123456789" * 7 + "\r\n") * 3000)  # ~216 KB
    assert setup.append("INBOX", big).ok
    pid = imap.server.proc.pid if getattr(imap.server, "proc", None) else None
    before = vm_rss_kib(pid) if pid else 0
    flooder = imap.connect(acct)
    flooder.select("INBOX")
    commands = b"".join(b"F%05d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(4000))  # ~860 MB of answers
    sender = threading.Thread(target=lambda: _send_quietly(flooder.sock, commands), daemon=True)
    sender.start()
    # Meanwhile others are served, in full.
    for _ in range(3):
        other = imap.connect(acct)
        other.select("INBOX")
        f = other.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])").fetches()[1]
        assert f["BODY[]"].encode("latin-1") == big
        assert other.append("INBOX", message(subject="while flooding")).ok
        other.ok("LOGOUT")
    if pid:
        grown = vm_rss_kib(pid) - before
        # The answers wait for the client; they are not all queued in the server's memory.
        assert grown < 400 * 1024, f"server RSS grew by {grown} KiB"
    flooder.close()
    sender.join(10)
    fresh = imap.connect(acct)
    fresh.select("INBOX")
    assert fresh.command("NOOP").ok


def _send_quietly(sock, data):
    try:
        sock.settimeout(30)
        sock.sendall(data)
    except OSError:
        pass


# --- timeouts --------------------------------------------------------------------------------

@pytest.mark.server_settings({"imap.login_timeout": 2})
def test_login_timeout_says_bye(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect()
    lines = c.wait_closed(timeout=30)
    assert lines and lines[-1].startswith("* BYE"), lines
    # A client that logged in in time is not affected by the login timeout.
    d = imap_fresh.connect(acct)
    time.sleep(3)
    assert d.command("NOOP").ok


@pytest.mark.server_settings({"imap.idle_timeout": 2})
def test_idle_timeout_autologout(imap_fresh):
    acct = imap_fresh.account()
    c = imap_fresh.connect(acct)
    c.select("INBOX")
    lines = c.wait_closed(timeout=30)
    assert lines and re.match(r"^\* BYE\b", lines[-1]), lines
    assert "autologout" in lines[-1].lower(), lines
