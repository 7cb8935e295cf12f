"""Inbound SMTP (RFC 5321) for local accounts: Python's smtplib in clear and after STARTTLS, the
advertised extensions, relaying refused, DSN parameters accepted, HELO without enhanced codes,
and the one reply per transaction (451 for all when a recipient fails temporarily)."""

import re
import smtplib
import ssl

import pytest

from imap_raw import ImapRaw, message
from server_harness import DEFAULT_DOMAIN
from smtp_raw import SmtpRaw, dot_stuff

SENDER = "someone@remote.example"


def account(server, name):
    password = f"pw-{name}-1"
    server.add_account(name, password)
    return f"{name}@{DEFAULT_DOMAIN}", password


def stored_messages(server, user, password):
    c = ImapRaw.connect(server.host, server.imap_port)
    try:
        c.login(user, password)
        assert c.select("INBOX").ok
        r = c.command("FETCH 1:* (BODY.PEEK[])")
        if not r.ok:
            return []
        f = r.fetches()
        return [f[n]["BODY[]"].encode("latin-1") for n in sorted(f)]
    finally:
        c.close()


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def received_with(stored):
    m = re.search(rb"\r\n\tby \S+ \(ximssd\) with (\S+)\r\n", stored)
    assert m, stored[:400]
    return m.group(1).decode()


def test_plain_and_starttls_delivery(server):
    user, password = account(server, "smtpuser")
    first = message(subject="plain SMTP", body="line\r\n.leading dot\r\n")
    with smtplib.SMTP(server.host, server.smtp_port) as s:
        code, _ = s.ehlo("client.test")
        assert code == 250
        for ext in ("pipelining", "enhancedstatuscodes", "8bitmime", "size", "dsn", "starttls"):
            assert s.has_extn(ext), (ext, s.esmtp_features)
        assert s.sendmail(SENDER, [user], first) == {}
    second = message(subject="over TLS")
    with smtplib.SMTP(server.host, server.smtp_port) as s:
        s.ehlo("client.test")
        s.starttls(context=insecure())
        s.ehlo("client.test")
        assert not s.has_extn("starttls")  # offered once, and not inside TLS
        assert s.sendmail(SENDER, [user.upper()], second) == {}
        code, text = s.docmd("STARTTLS")
        assert code == 503 and text.startswith(b"5.5.1"), (code, text)
    stored = stored_messages(server, user, password)
    assert len(stored) == 2
    assert received_with(stored[0]) == "ESMTP" and stored[0].endswith(first)
    assert received_with(stored[1]) == "ESMTPS" and stored[1].endswith(second)
    assert stored[0].startswith(f"Return-Path: <{SENDER}>\r\nDelivered-To: {user}\r\n".encode())


def test_relaying_is_refused_and_unknown_users_too(server):
    user, password = account(server, "relay")
    with smtplib.SMTP(server.host, server.smtp_port) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            s.sendmail(SENDER, ["victim@elsewhere.example"], message())
        code, text = refused.value.recipients["victim@elsewhere.example"]
        assert code == 550 and text.startswith(b"5.7.1") and b"relaying denied" in text
        # One local and one remote recipient: the remote one is refused, the local one served.
        refused = s.sendmail(SENDER, [user, "x@elsewhere.example", f"ghost@{DEFAULT_DOMAIN}"], message(subject="mixed"))
        assert refused["x@elsewhere.example"][0] == 550
        assert refused[f"ghost@{DEFAULT_DOMAIN}"][0] == 550
        assert refused[f"ghost@{DEFAULT_DOMAIN}"][1].startswith(b"5.1.1")
    assert len(stored_messages(server, user, password)) == 1


def test_dsn_parameters_are_accepted(server):
    user, password = account(server, "dsn")
    with smtplib.SMTP(server.host, server.smtp_port) as s:
        refused = s.sendmail(SENDER, [user], message(subject="with DSN"),
                             mail_options=["RET=HDRS", "ENVID=QQ+2B314", "BODY=8BITMIME"],
                             rcpt_options=["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{user}"])
        assert refused == {}
        code, text = s.docmd("MAIL FROM:<a@b.example> RET=MAYBE")
        assert code == 501 and text.startswith(b"5.5.4"), (code, text)
        code, text = s.docmd("MAIL FROM:<a@b.example> AUTH=<>")
        assert code == 555, (code, text)
    assert len(stored_messages(server, user, password)) == 1


def test_helo_dialect_and_wrong_greetings(server):
    user, password = account(server, "helo")
    with SmtpRaw.tcp(server.host, server.smtp_port) as c:
        assert c.greeting[0] == 220 and "ESMTP" in c.greeting[1][0]
        code, lines = c.command("LHLO x")
        assert code == 500 and lines[0].startswith("5.5.1"), (code, lines)
        code, lines = c.command("HELO old.client")
        assert code == 250 and len(lines) == 1, (code, lines)
        # After HELO: no enhanced codes, and no ESMTP parameters.
        code, lines = c.command(f"MAIL FROM:<{SENDER}> SIZE=10")
        assert code == 501 and not re.match(r"\d\.\d", lines[0]), (code, lines)
        code, lines = c.command(f"MAIL FROM:<{SENDER}>")
        assert code == 250 and not lines[0].startswith("2."), (code, lines)
        c.ok(f"RCPT TO:<{user}>")
        c.ok("DATA", 354)
        c.send(dot_stuff(message(subject="helo")))
        code, lines = c.reply()
        assert code == 250, (code, lines)
    assert received_with(stored_messages(server, user, password)[0]) == "SMTP"


@pytest.mark.server_settings({"imap.quota_kib": 64})
def test_one_reply_451_when_a_recipient_fails_temporarily(server):
    good, good_pw = account(server, "fine")
    full, full_pw = account(server, "nearfull")
    c = ImapRaw.connect(server.host, server.imap_port)
    c.login(full, full_pw)
    assert c.append("INBOX", message(subject="big", body="x" * 60000 + "\r\n")).ok
    c.close()
    with SmtpRaw.tcp(server.host, server.smtp_port) as c:
        c.ok("EHLO client")
        c.ok(f"MAIL FROM:<{SENDER}>")
        c.ok(f"RCPT TO:<{good}>")
        c.ok(f"RCPT TO:<{full}>")  # no SIZE: the quota can only be checked with the message
        c.ok("DATA", 354)
        c.send(dot_stuff(message(body="y" * 8000 + "\r\n")))
        code, lines = c.reply()
        # The whole message is refused for now, so that the sender retries.
        assert code == 451 and lines[0].startswith("4.2.2"), (code, lines)
        c.ok("QUIT", 221)
