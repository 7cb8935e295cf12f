"""Sending stored messages on (C-messages.md section 2b): messageRedirect (with Resent-* fields,
or mirrored byte for byte), messageForward (attached to a new message), messageConfirm (an
RFC 8098 disposition notification); each reaches a real SMTP relay (aiosmtpd), and the original
gets its Redirected / MDNSent flag."""

import email
import email.policy

import pytest

from smtp_sink import SmtpSink

USER = "mary@example.dom"
PASSWORD = "stored-pw-1"
REDIRECTED, MDN_SENT = 1 << 6, 1 << 7

ORIGINAL = (b"From: Barbara Smith <barbara@remote.test>\r\n"
            b"To: Mary <mary@example.dom>\r\n"
            b"Cc: carl@remote.test\r\n"
            b"Subject: Sorry, I cannot make it\r\n"
            b"Date: Wed, 21 Jun 2006 21:51:24 -0800\r\n"
            b"Message-ID: <zzzz@other.server.dom>\r\n"
            b"Disposition-Notification-To: Barbara <barbara@remote.test>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"\r\n"
            b"Mary,\r\n.Sorry, I will be out of town tomorrow.\r\n")

WITH_ENCLOSED = (b"From: list@remote.test\r\nTo: mary@example.dom\r\nSubject: digest\r\n"
                 b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                 b"--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                 b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
                 b"From: inner@remote.test\r\nTo: someone@remote.test\r\nSubject: The inner one\r\n\r\nInner body.\r\n"
                 b"--b1--\r\n")


@pytest.fixture
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture
def server(start_server, sink):
    s = start_server({"queue.relay_host": "127.0.0.1", "queue.relay_port": sink.port, "queue.first_retry": 1,
                      "queue.smtp_timeout": 10})
    s.add_account(USER, PASSWORD, real_name="Mary Sender")
    imap = s.imap(USER, PASSWORD)
    for message in (ORIGINAL, WITH_ENCLOSED, b"From: x@remote.test\r\nSubject: plain\r\n\r\nno receipt asked\r\n"):
        typ, _ = imap.append("INBOX", None, None, message)
        assert typ == "OK"
    imap.logout()
    return s


@pytest.fixture
def mary(server):
    c = server.login(USER, PASSWORD)
    r = c.request("folderOpen", {"folder": "in", "mailbox": "INBOX"}, body="<field>Subject</field>")
    assert r.ok, r
    return c


def flags(server, uid):
    [(value,)] = server.store_query(
        "SELECT msg.flags FROM messages msg JOIN mailboxes m ON m.id = msg.mailbox_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = 'mary' AND m.name = 'INBOX' AND msg.uid = ?",
        (uid,))
    return value


def to_elements(*addresses):
    return "".join(f'<To realName="R{i}">{a}</To>' for i, a in enumerate(addresses))


def test_redirect_adds_resent_fields_and_marks_the_original(server, sink, mary):
    r = mary.request("messageRedirect", {"folder": "in", "UID": 1}, to_elements("a1@remote.test", "a2@remote.test"))
    assert r.ok, r
    [msg] = sink.wait_for(1)
    assert msg.mail_from == USER and msg.rcpt_tos == ["a1@remote.test", "a2@remote.test"]
    header, body = msg.content.split(b"\r\n\r\n", 1)
    lines = header.split(b"\r\n")
    resent_from = next(l for l in lines if l.startswith(b"Resent-From:"))
    assert b"mary@example.dom" in resent_from
    resent_to = email.message_from_bytes(msg.content, policy=email.policy.default)["Resent-To"]
    assert "a1@remote.test" in resent_to and "a2@remote.test" in resent_to
    assert any(l.startswith(b"Resent-Message-ID:") for l in lines)
    # The original's header and body follow unchanged (To and Cc are still Barbara's).
    assert msg.content.endswith(ORIGINAL), msg.content
    assert flags(server, 1) & REDIRECTED


def test_mirror_sends_the_stored_bytes_unchanged(server, sink, mary):
    r = mary.request("messageRedirect", {"folder": "in", "UID": 1, "mirror": "yes", "markRedirected": "no"},
                     to_elements("a1@remote.test"))
    assert r.ok, r
    [msg] = sink.wait_for(1)
    assert msg.content == ORIGINAL
    assert msg.rcpt_tos == ["a1@remote.test"]
    assert not flags(server, 1) & REDIRECTED


def test_redirect_of_an_enclosed_message_by_part_id(server, sink, mary):
    r = mary.request("messageRedirect", {"folder": "in", "UID": 2, "partID": "02", "mirror": "yes"},
                     to_elements("a1@remote.test"))
    assert r.ok, r
    [msg] = sink.wait_for(1)
    assert b"Subject: The inner one" in msg.header and b"Inner body." in msg.content
    assert b"See attached" not in msg.content
    assert not flags(server, 2) & REDIRECTED  # a part: not marked unless asked
    bad = mary.request("messageRedirect", {"folder": "in", "UID": 2, "partID": "01"}, to_elements("a1@remote.test"))
    assert bad.error_num == 530 and "not a message" in bad.error_text


def test_forward_attaches_the_original(server, sink, mary):
    r = mary.request("messageForward", {"folder": "in", "UID": 1}, to_elements("a1@remote.test"))
    assert r.ok, r
    [msg] = sink.wait_for(1)
    assert msg.rcpt_tos == ["a1@remote.test"]
    parsed = email.message_from_bytes(msg.content, policy=email.policy.default)
    assert parsed["Subject"] == "Fwd: Sorry, I cannot make it"
    assert "mary@example.dom" in parsed["From"]
    attached = [p for p in parsed.walk() if p.get_content_type() == "message/rfc822"]
    assert len(attached) == 1
    assert attached[0].get_payload()[0]["Message-ID"] == "<zzzz@other.server.dom>"
    assert flags(server, 1) & REDIRECTED
    assert mary.request("messageForward", {"folder": "in", "UID": 1, "mirror": "yes"},
                        to_elements("a1@remote.test")).error_num == 501
    assert mary.request("messageForward", {"folder": "in", "UID": 1}).error_num == 501  # no To


def test_confirm_sends_an_mdn_once(server, sink, mary):
    r = mary.request("messageConfirm", {"folder": "in", "UID": 1, "type": "manual"})
    assert r.ok, r
    [msg] = sink.wait_for(1)
    assert msg.mail_from == "<>" and msg.rcpt_tos == ["barbara@remote.test"]
    parsed = email.message_from_bytes(msg.content, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "disposition-notification"
    report = next(p for p in parsed.walk() if p.get_content_type() == "message/disposition-notification")
    text = report.as_string()
    assert "Final-Recipient: rfc822; mary@example.dom" in text
    assert "Original-Message-ID: <zzzz@other.server.dom>" in text
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in text
    assert flags(server, 1) & MDN_SENT
    again = mary.request("messageConfirm", {"folder": "in", "UID": 1, "type": "auto"})
    assert again.error_num == 531 and "already" in again.error_text
    none = mary.request("messageConfirm", {"folder": "in", "UID": 3, "type": "auto"})
    assert none.error_num == 530 and "Disposition-Notification-To" in none.error_text
    assert mary.request("messageConfirm", {"folder": "in", "UID": 3, "type": "sometimes"}).error_num == 501
    assert sink.quiet_for(1) == [msg]
