"""The outbound queue: durable across kill -9, STARTTLS and AUTH to the relay, and delivery to a
domain's MX hosts found over DNS (a DNS responder written here, answering for the test domains)."""

import time

import pytest

from dns_responder import DnsResponder
from smtp_sink import SmtpSink, make_tls_context

USER = "mary@example.dom"
PASSWORD = "queue-pw-1"


def relay_settings(port, **more):
    return {"queue.relay_host": "127.0.0.1", "queue.relay_port": port, "queue.first_retry": 1,
            "queue.max_retry": 2, "queue.smtp_timeout": 10, **more}


def email_xml(subject, to="susan@remote.test"):
    return (f'<EMail><From>{USER}</From><Subject>{subject}</Subject><To>{to}</To>'
            f'<MIME type="text" subtype="plain">Body of {subject}\n</MIME></EMail>')


def submit(client, subject, to="susan@remote.test"):
    reply = client.request("messageSubmit", {}, email_xml(subject, to))
    assert reply.ok, reply


def subjects(messages):
    out = []
    for m in messages:
        for line in m.header_lines():
            if line.startswith(b"Subject: "):
                out.append(line[9:].decode())
    return out


def test_queued_messages_survive_kill_9_and_are_all_delivered(start_server):
    sink = SmtpSink()  # not listening yet: the relay is down
    server = start_server(relay_settings(sink.port))
    server.add_account(USER, PASSWORD)
    mary = server.login(USER, PASSWORD)
    count = 32
    for i in range(count):
        submit(mary, f"Durable {i}")
    # Every acknowledged message is on disk: kill at once, without a chance to flush anything.
    server.proc.kill()
    server.proc.wait()
    mary.close()
    assert len(list((server.data_dir / "queue").glob("*.env"))) == count
    server.restart()
    sink.start()
    try:
        messages = sink.wait_for(count, timeout=60)
        got = subjects(messages)
        # At least once: none lost (a duplicate would be allowed, none is expected here).
        assert set(got) == {f"Durable {i}" for i in range(count)}
        deadline = time.monotonic() + 20
        while list((server.data_dir / "queue").glob("*.env")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not list((server.data_dir / "queue").glob("*.env")), "entries left in the queue"
    finally:
        sink.stop()


def test_starttls_and_auth_plain_to_the_relay(start_server, tmp_path):
    sink = SmtpSink(tls_context=make_tls_context(tmp_path), require_starttls=True,
                    users={"relayuser": "relay secret"}).start()
    try:
        server = start_server(relay_settings(sink.port, **{"queue.relay_user": "relayuser",
                                                           "queue.relay_password": "relay secret"}))
        server.add_account(USER, PASSWORD)
        submit(server.login(USER, PASSWORD), "Over TLS")
        [msg] = sink.wait_for(1)
        assert msg.tls, "the message did not travel over TLS"
        assert ("PLAIN", True) in sink.auth_attempts
        assert subjects([msg]) == ["Over TLS"]
    finally:
        sink.stop()


def test_a_wrong_relay_password_keeps_the_message_queued(start_server, tmp_path):
    sink = SmtpSink(tls_context=make_tls_context(tmp_path), require_starttls=True,
                    users={"relayuser": "relay secret"}).start()
    try:
        server = start_server(relay_settings(sink.port, **{"queue.relay_user": "relayuser",
                                                           "queue.relay_password": "wrong"}))
        server.add_account(USER, PASSWORD)
        submit(server.login(USER, PASSWORD), "Not yet")
        deadline = time.monotonic() + 15
        while len(sink.auth_attempts) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sink.auth_attempts) >= 2 and not any(ok for _, ok in sink.auth_attempts), sink.auth_attempts
        assert sink.messages == []
        assert "authentication to the relay failed" in server.log_text()
        assert len(list((server.data_dir / "queue").glob("*.env"))) == 1  # still waiting, not bounced
    finally:
        sink.stop()


@pytest.fixture
def mx_world():
    sink = SmtpSink().start()
    dns = DnsResponder({
        "remote.test": {"MX": [(20, "backup.remote.test"), (10, "mx.remote.test")]},
        "mx.remote.test": {"A": ["127.0.0.1"]},
        "backup.remote.test": {"A": ["127.0.0.2"]},
        "plain.test": {"A": ["127.0.0.1"]},  # no MX: the domain is its own mail host
    }).start()
    yield sink, dns
    sink.stop()
    dns.stop()


def test_without_a_relay_mail_goes_to_the_domains_mx(start_server, mx_world):
    sink, dns = mx_world
    server = start_server({"queue.dns_server": f"127.0.0.1:{dns.port}", "queue.mx_port": sink.port,
                           "queue.first_retry": 1, "queue.smtp_timeout": 10})
    server.add_account(USER, PASSWORD)
    mary = server.login(USER, PASSWORD)
    submit(mary, "By MX", to="susan@remote.test")
    submit(mary, "By A", to="paul@plain.test")
    messages = sink.wait_for(2)
    by_subject = {subjects([m])[0]: m for m in messages}
    assert by_subject["By MX"].rcpt_tos == ["susan@remote.test"]
    assert by_subject["By A"].rcpt_tos == ["paul@plain.test"]
    assert ("remote.test", "MX") in dns.queries and ("mx.remote.test", "A") in dns.queries
    assert ("plain.test", "MX") in dns.queries and ("plain.test", "A") in dns.queries
    # The preferred host (10) took it; the backup (20, at 127.0.0.2) was not needed.
    assert "smtp client: cannot connect" not in server.log_text()


def test_a_message_still_undelivered_after_max_age_comes_back(start_server):
    down = SmtpSink()  # never started: the relay stays down
    server = start_server(relay_settings(down.port, **{"queue.max_age": 3}))
    server.add_account(USER, PASSWORD)
    submit(server.login(USER, PASSWORD), "Too late")
    imap = server.imap(USER, PASSWORD)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        typ, data = imap.status("INBOX", "(MESSAGES)")
        if b"MESSAGES 1" in data[0]:
            break
        time.sleep(0.3)
    imap.select("INBOX", readonly=True)
    typ, data = imap.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and isinstance(data[0], tuple), "no delivery status notification arrived"
    report = data[0][1].decode()
    assert "Final-Recipient: rfc822; susan@remote.test" in report
    assert "Action: failed" in report and "Status: 5.4.7" in report
    assert "delivery time expired" in report
    assert not list((server.data_dir / "queue").glob("*.env"))
