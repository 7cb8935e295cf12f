"""LMTP (RFC 2033) into local accounts: per-recipient replies after DATA, the stored copy (the
message as sent, after Return-Path, Delivered-To and Received), pipelining, the size limit, bad
commands, the TCP port and the Unix socket, and the live model: a delivered message shows in
XIMSS and IMAP and wakes an open Folder View (notify) and an IMAP IDLE session (EXISTS)."""

import re
import shutil
import smtplib
import tempfile
from pathlib import Path

import pytest

from imap_raw import ImapRaw, message, parse_fetch
from server_harness import DEFAULT_DOMAIN
from smtp_raw import SmtpRaw, dot_stuff

SENDER = "sender@remote.example"
WAIT = 10


def account(server, name):
    password = f"pw-{name}-1"
    server.add_account(name, password)
    return f"{name}@{DEFAULT_DOMAIN}", password


def imap_session(server, user, password):
    c = ImapRaw.connect(server.host, server.imap_port)
    c.login(user, password)
    return c


def fetch_all(server, user, password, mailbox="INBOX"):
    """The full text of every message in the mailbox, as bytes."""
    c = imap_session(server, user, password)
    try:
        r = c.select(mailbox)
        assert r.ok, r
        r = c.command("FETCH 1:* (BODY.PEEK[])")
        if not r.ok:
            return []
        fetched = r.fetches()
        return [fetched[n]["BODY[]"].encode("latin-1") for n in sorted(fetched)]
    finally:
        c.close()


def lmtp_send(c, sender, recipients, body):
    """One transaction without pipelining; returns (RCPT replies, DATA replies)."""
    code, lines = c.command(f"MAIL FROM:<{sender}>")
    assert code == 250, (code, lines)
    rcpt = [c.command(f"RCPT TO:<{r}>") for r in recipients]
    accepted = sum(1 for code, _ in rcpt if code == 250)
    code, lines = c.command("DATA")
    assert code == 354, (code, lines)
    c.send(dot_stuff(body))
    return rcpt, [c.reply() for _ in range(accepted)]


def split_trace(stored, recipient, sender=SENDER):
    """Checks the trace fields before the message and returns the rest."""
    text = stored.decode("latin-1")
    m = re.match(r"Return-Path: <([^>]*)>\r\nDelivered-To: ([^\r]*)\r\n"
                 r"Received: from ([^\r]*)\r\n\tby ([^\r]*) with (\S+)\r\n\tfor <([^>]*)>; ([^\r]*)\r\n", text)
    assert m, text[:600]
    assert m.group(1) == sender and m.group(2) == recipient and m.group(6) == recipient, m.groups()
    assert m.group(5) == "LMTP", m.groups()
    assert re.match(r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$", m.group(7)), m.group(7)
    return m.group(3), stored[m.end():]


@pytest.mark.server_settings({"imap.quota_kib": 64})
def test_per_recipient_replies_and_the_stored_copy(server):
    good, good_pw = account(server, "good")
    full, full_pw = account(server, "full")
    # The second account is near its quota: 60 KiB of 64 are used.
    c = imap_session(server, full, full_pw)
    assert c.append("INBOX", message(subject="big", body="x" * 60000 + "\r\n")).ok
    c.close()

    body = message(subject="over LMTP", body="Hello.\r\n.A line that starts with a dot\r\n..and two\r\n" +
                   "y" * 8000 + "\r\n")
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        assert c.greeting[0] == 220 and "LMTP" in c.greeting[1][0]
        code, caps = c.command("LHLO mta.test")
        assert code == 250 and {"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN"} <= set(caps), caps
        assert any(x.startswith("SIZE ") for x in caps) and "STARTTLS" not in caps, caps
        rcpt, data = lmtp_send(c, SENDER, [good, f"nobody@{DEFAULT_DOMAIN}", full], body)
        # RCPT: the unknown user is refused at once; the account near its quota is accepted (no
        # SIZE was given), and refused after DATA, when the size is known.
        assert [code for code, _ in rcpt] == [250, 550, 250], rcpt
        assert rcpt[1][1][0].startswith("5.1.1"), rcpt
        # One reply per accepted recipient, in RCPT order.
        assert len(data) == 2, data
        assert data[0][0] == 250 and good in data[0][1][0], data
        assert data[1][0] == 452 and data[1][1][0].startswith("4.2.2") and full in data[1][1][0], data
        c.ok("QUIT", 221)

    stored = fetch_all(server, good, good_pw)
    assert len(stored) == 1
    helo, rest = split_trace(stored[0], good)
    assert helo.startswith("mta.test ([127.0.0.1])"), helo
    assert rest == body  # byte for byte, the dots unstuffed
    assert len(fetch_all(server, full, full_pw)) == 1  # only the big message


def test_smtplib_lmtp_over_tcp_and_the_unix_socket(server):
    user, password = account(server, "lib")
    socket_path = Path(server.data_dir) / "lmtp.sock"
    assert socket_path.is_socket(), "the default socket DATA/lmtp.sock is missing"
    assert f"LMTP on 127.0.0.1:{server.lmtp_port} and {socket_path}" in server.stdout_text()

    body = message(subject="via smtplib", body="first\r\n")
    with smtplib.LMTP(server.host, server.lmtp_port) as s:
        assert s.sendmail(SENDER, [user], body) == {}
    with smtplib.LMTP(str(socket_path)) as s:  # a path: smtplib's LMTP connects to the Unix socket
        assert s.sendmail("", [user.upper()], message(subject="via socket", body="second\r\n")) == {}
    stored = fetch_all(server, user, password)
    assert len(stored) == 2
    helo, rest = split_trace(stored[0], user)
    assert rest == body
    helo, rest = split_trace(stored[1], user.upper(), sender="")
    assert "(local socket)" in helo and b"Subject: via socket" in rest


def test_a_configured_socket_path_and_none(start_server):
    directory = Path(tempfile.mkdtemp(prefix="lmtp", dir="/tmp"))
    try:
        path = directory / "x.sock"
        server = start_server({"lmtp.socket": str(path)})
        user, password = account(server, "sock")
        with SmtpRaw.unix(path) as c:
            c.ok("LHLO local")
            rcpt, data = lmtp_send(c, SENDER, [user], message(subject="s"))
            assert data[0][0] == 250, data
        assert len(fetch_all(server, user, password)) == 1
        none = start_server({"lmtp.socket": "none"})
        assert not (Path(none.data_dir) / "lmtp.sock").exists()
        # A path too long for a socket address: a warning, and the server serves the rest.
        long_path = directory / ("d" * 120) / "l.sock"
        long_path.parent.mkdir()
        server3 = start_server({"lmtp.socket": str(long_path)})
        assert "longer than a socket address allows" in server3.log_text()
        with SmtpRaw.tcp(server3.host, server3.lmtp_port) as c:
            c.ok("LHLO tcp")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_pipelined_transactions(server):
    a, a_pw = account(server, "pipea")
    b, b_pw = account(server, "pipeb")
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        # Everything up to DATA in one write, then both messages and a second transaction in one.
        c.send(f"LHLO pipe\r\nMAIL FROM:<{SENDER}>\r\nRCPT TO:<{a}>\r\nRCPT TO:<{b}>\r\nDATA\r\n")
        codes = [c.reply()[0] for _ in range(5)]
        assert codes == [250, 250, 250, 250, 354], codes
        first = message(subject="one")
        second = message(subject="two")
        c.send(dot_stuff(first) + f"MAIL FROM:<{SENDER}> BODY=8BITMIME\r\nRCPT TO:<{b}>\r\nDATA\r\n".encode())
        codes = [c.reply()[0] for _ in range(2 + 3)]
        assert codes == [250, 250, 250, 250, 354], codes
        c.send(dot_stuff(second) + b"RSET\r\nNOOP\r\n")
        assert [c.reply()[0] for _ in range(3)] == [250, 250, 250]
    assert [split_trace(m, a)[1] for m in fetch_all(server, a, a_pw)] == [first]
    assert [split_trace(m, b)[1] for m in fetch_all(server, b, b_pw)] == [first, second]


@pytest.mark.server_settings({"smtp.max_message_size": 10000, "smtp.max_recipients": 2})
def test_size_and_recipient_limits(server):
    user, password = account(server, "limits")
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        caps = c.ok("LHLO limits")
        assert "SIZE 10000" in caps, caps
        code, lines = c.command(f"MAIL FROM:<{SENDER}> SIZE=20000")
        assert code == 552 and lines[0].startswith("5.3.4"), (code, lines)
        # Without SIZE the message is read to its end and refused, for each recipient.
        c.ok(f"MAIL FROM:<{SENDER}>")
        c.ok(f"RCPT TO:<{user}>")
        c.ok(f"RCPT TO:<{user}>")
        code, lines = c.command(f"RCPT TO:<{user}>")
        assert code == 452 and lines[0].startswith("4.5.3"), (code, lines)
        c.ok("DATA", 354)
        c.send(dot_stuff(message(body="z" * 20000 + "\r\n")))
        for _ in range(2):
            code, lines = c.reply()
            assert code == 552 and lines[0].startswith("5.3.4"), (code, lines)
        # The connection goes on.
        c.ok("NOOP")
        rcpt, data = lmtp_send(c, SENDER, [user], message(subject="small"))
        assert data[0][0] == 250
    assert len(fetch_all(server, user, password)) == 1


@pytest.mark.server_settings({"smtp.max_bad_commands": 3})
def test_bad_commands_get_clear_errors_and_too_many_close(server):
    user, _ = account(server, "bad")
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        code, lines = c.command(f"MAIL FROM:<{SENDER}>")
        assert code == 503 and lines[0].startswith("5.5.1"), (code, lines)  # LHLO first
        code, lines = c.command("EHLO smtp.client")
        assert code == 500 and "LHLO" in lines[0], (code, lines)
        c.ok("LHLO x")  # a good command resets the count
        for text, want in [("MAIL FROM:bad", (501, "5.1.3")), (f"RCPT TO:<{user}>", (503, "5.5.1"))]:
            code, lines = c.command(text)
            assert (code, lines[0][:5]) == want, (text, code, lines)
        code, lines = c.command("HELLO")
        assert code == 500 and lines[0].startswith("5.5.2"), (code, lines)
        code, lines = c.reply()
        assert code == 421 and lines[0].startswith("4.7.0"), (code, lines)
        assert c.closed()
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        c.ok("LHLO again")
        c.send("A" * 5000 + "\r\n")
        code, lines = c.reply()
        assert code == 500 and lines[0].startswith("5.5.6"), (code, lines)
        c.ok("VRFY someone", 252)
        code, lines = c.command("HELP")
        assert code == 214 and "LHLO" in " ".join(lines)
        code, lines = c.command("STARTTLS")
        assert code == 502, (code, lines)
        c.ok("QUIT", 221)
        assert c.closed()


def test_delivery_shows_in_ximss_and_imap_and_wakes_both(server):
    user, password = account(server, "live")
    x = server.login(user, password)
    r = x.request("folderOpen", {"folder": "INBOX", "mailbox": "INBOX"}, body="<field>Subject</field>")
    assert r.ok, r
    i = imap_session(server, user, password)
    assert i.select("INBOX").ok
    tag = i.idle()

    with smtplib.LMTP(server.host, server.lmtp_port) as s:
        assert s.sendmail(SENDER, [user], message(subject="live delivery")) == {}

    assert x.wait_async("folderReport", timeout=WAIT).get("mode") == "notify"
    lines = i.read_until(lambda l: re.match(r"^\* 1 EXISTS$", l) is not None, timeout=WAIT)
    assert lines[-1] == "* 1 EXISTS"
    assert i.done(tag).ok
    f = i.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT RETURN-PATH)])").fetches()[1]
    assert f["BODY[HEADER.FIELDS (SUBJECT RETURN-PATH)]"] == f"Return-Path: <{SENDER}>\r\nSubject: live delivery\r\n\r\n"
    r = x.request("folderSync", {"folder": "INBOX"})
    assert r.ok and [d.get("mode") for d in r.data] == ["added"], r
    r = x.request("folderBrowse", {"folder": "INBOX"}, body='<index from="0" till="10"/>')
    assert r.ok and r.data[0].findtext("Subject") == "live delivery", r
    i.close()


@pytest.mark.server_settings({"smtp.timeout": 1})
def test_a_silent_client_is_disconnected(server):
    with SmtpRaw.tcp(server.host, server.lmtp_port) as c:
        c.ok("LHLO slow")
        c.ok(f"MAIL FROM:<{SENDER}>")
        code, lines = c.reply()  # nothing sent: the server speaks first, after smtp.timeout
        assert code == 421 and lines[0].startswith("4.4.2"), (code, lines)
        assert c.closed()
