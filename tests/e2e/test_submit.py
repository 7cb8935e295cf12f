"""messageSubmit (C-messages.md section 2): the message is composed, queued durably and handed
to the relay (a real SMTP server, aiosmtpd); a copy goes to targetMailbox. Failures come back to
the sender as delivery-status notifications; local recipients get the message in their INBOX."""

import email
import email.policy

import pytest

from smtp_sink import SmtpSink

USER = "mary@example.dom"
PASSWORD = "submit-pw-1"


@pytest.fixture
def sink():
    s = SmtpSink(refuse={"refused@remote.test"}).start()
    yield s
    s.stop()


def relay_settings(port, **more):
    return {"queue.relay_host": "127.0.0.1", "queue.relay_port": port, "queue.first_retry": 1,
            "queue.max_retry": 2, "queue.smtp_timeout": 10, **more}


@pytest.fixture
def server(start_server, sink):
    s = start_server(relay_settings(sink.port))
    s.add_account(USER, PASSWORD)
    return s


def email_xml(to=("susan@remote.test",), cc=(), bcc=(), subject="I'll be there!", text="Dear Susan,\n\nYes.\n", extra=""):
    parts = ['<EMail><From realName="Mary Sender">mary@example.dom</From>', f"<Subject>{subject}</Subject>"]
    parts += [f'<To realName="Recipient">{a}</To>' for a in to]
    parts += [f"<Cc>{a}</Cc>" for a in cc]
    parts += [f"<Bcc>{a}</Bcc>" for a in bcc]
    parts.append(extra)
    parts.append(f'<MIME type="text" subtype="plain">{text}</MIME></EMail>')
    return "".join(parts)


def submit(client, body, **attrs):
    reply = client.request("messageSubmit", attrs, body)
    assert reply.ok, reply
    return reply


def fetch_all(server, mailbox, user=USER, password=PASSWORD):
    imap = server.imap(user, password)
    typ, _ = imap.select(f'"{mailbox}"', readonly=True)
    assert typ == "OK", f"no mailbox {mailbox}"
    typ, data = imap.fetch("1:*", "(BODY.PEEK[])")
    assert typ == "OK"
    return [item[1] for item in data if isinstance(item, tuple)]


def test_the_relay_gets_the_message_without_bcc_and_the_sent_copy_keeps_it(server, sink):
    mary = server.login(USER, PASSWORD)
    body = email_xml(to=("susan@remote.test",), cc=("carl@remote.test",), bcc=("hidden@remote.test",))
    submit(mary, body, targetMailbox="Sent", flags="Seen", mailboxClass="")
    [msg] = sink.wait_for(1)
    assert msg.mail_from == USER
    assert sorted(msg.rcpt_tos) == ["carl@remote.test", "hidden@remote.test", "susan@remote.test"]
    lines = msg.header_lines()
    assert not any(l.lower().startswith(b"bcc:") for l in lines), msg.header
    assert any(l.startswith(b"Date: ") for l in lines)
    assert any(l.startswith(b"Message-ID: <") for l in lines)
    assert b"MIME-Version: 1.0" in lines
    parsed = email.message_from_bytes(msg.content, policy=email.policy.default)
    assert parsed["Subject"] == "I'll be there!"
    assert "susan@remote.test" in parsed["To"] and "carl@remote.test" in parsed["Cc"]
    assert parsed.get_content().replace("\r\n", "\n") == "Dear Susan,\n\nYes.\n"
    # The Sent copy: the same message with its Bcc.
    [stored] = fetch_all(server, "Sent")
    assert b"Bcc: hidden@remote.test" in stored
    without_bcc = b"\r\n".join(l for l in stored.split(b"\r\n") if not l.startswith(b"Bcc:"))
    assert without_bcc == msg.content
    # Nothing stays in the queue once the relay took it.
    assert sink.quiet_for(1.5) == [msg]
    assert not list((server.data_dir / "queue").glob("*.env"))


def test_envelope_to_overrides_the_header_recipients(server, sink):
    mary = server.login(USER, PASSWORD)
    body = ("<Envelope-To>a1@remote.test address</Envelope-To><Envelope-To>a2@remote.test</Envelope-To>"
            + email_xml(to=("susan@remote.test",), cc=("carl@remote.test",)))
    submit(mary, body)
    [msg] = sink.wait_for(1)
    assert sorted(msg.rcpt_tos) == ["a1@remote.test", "a2@remote.test"]
    assert b"susan@remote.test" in msg.header  # the header is unchanged


def test_a_message_without_recipients_or_with_a_bad_address_is_refused(server, sink):
    mary = server.login(USER, PASSWORD)
    reply = mary.request("messageSubmit", {}, '<EMail><Subject>x</Subject><MIME type="text" subtype="plain">x</MIME></EMail>')
    assert not reply.ok and "recipient" in reply.error_text
    reply = mary.request("messageSubmit", {}, "<Envelope-To>not-an-address</Envelope-To>" + email_xml())
    assert not reply.ok and "not an e-mail address" in reply.error_text
    reply = mary.request("messageSubmit", {"targetMailbox": "No Such Box"}, email_xml())
    assert not reply.ok and reply.error_num == 530, reply
    # None of them sent anything.
    assert sink.quiet_for(1) == []


def test_a_refused_recipient_comes_back_as_a_delivery_status_notification(server, sink):
    mary = server.login(USER, PASSWORD)
    submit(mary, email_xml(to=("susan@remote.test", "refused@remote.test"), subject="Refusal test"))
    [msg] = sink.wait_for(1)
    assert msg.rcpt_tos == ["susan@remote.test"]
    # The DSN goes to Mary (a local account) with the null sender.
    dsns = wait_inbox(server, 1)
    report = email.message_from_bytes(dsns[0], policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_string()
    assert "Final-Recipient: rfc822; refused@remote.test" in text
    assert "Action: failed" in text and "Status: 5.1.1" in text
    assert "susan@remote.test" not in text  # delivered, and no NOTIFY=SUCCESS asked
    assert any(p.get_content_type() == "text/rfc822-headers" for p in report.walk())


def wait_inbox(server, count, user=USER, password=PASSWORD, timeout=20):
    import time
    deadline = time.monotonic() + timeout
    while True:
        messages = fetch_all(server, "INBOX", user, password) if inbox_count(server, user, password) else []
        if len(messages) >= count or time.monotonic() > deadline:
            assert len(messages) >= count, f"INBOX has {len(messages)} messages, expected {count}"
            return messages
        time.sleep(0.2)


def inbox_count(server, user, password):
    imap = server.imap(user, password)
    typ, data = imap.status("INBOX", "(MESSAGES)")
    imap.logout()
    return int(data[0].split(b"MESSAGES ")[1].rstrip(b")"))


def test_a_relay_that_is_down_is_retried_until_it_takes_the_message(start_server):
    down = SmtpSink()  # a port nobody listens on yet
    s = start_server(relay_settings(down.port))
    s.add_account(USER, PASSWORD)
    mary = s.login(USER, PASSWORD)
    submit(mary, email_xml(subject="Retried"))
    import time
    time.sleep(2.5)  # a couple of failed attempts
    assert "cannot connect" in s.log_text()
    down.start()
    try:
        [msg] = down.wait_for(1, timeout=20)
        assert b"Subject: Retried" in msg.header
    finally:
        down.stop()


def test_local_recipients_get_the_message_in_their_inbox_and_a_success_notice_when_asked(server, sink):
    server.add_account("bob@example.dom", "bob-pw-1")
    mary = server.login(USER, PASSWORD)
    submit(mary, email_xml(to=("bob@example.dom", "susan@remote.test"), subject="Local and remote"), useDSN="yes")
    [msg] = sink.wait_for(1)
    assert msg.rcpt_tos == ["susan@remote.test"]
    [stored] = wait_inbox(server, 1, "bob@example.dom", "bob-pw-1")
    assert b"Subject: Local and remote" in stored
    # useDSN="yes": Mary hears of both deliveries (the local one at local delivery).
    [dsn] = wait_inbox(server, 1)
    report = email.message_from_bytes(dsn, policy=email.policy.default)
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status").as_string()
    assert "Final-Recipient: rfc822; bob@example.dom" in status
    assert "Final-Recipient: rfc822; susan@remote.test" in status
    assert status.count("Action: delivered") == 2 and "Action: failed" not in status
    assert "Success" in report["Subject"]
