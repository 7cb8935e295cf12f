"""recoverPassword (A-session.md): a one-time password-reset link mailed to the account's
recovery address through the queue (to a real SMTP relay, aiosmtpd), and the HTTP page behind
it. The reply is the same, and as slow, for accounts that do not exist."""

import http.client
import re
import time
import urllib.parse

import pytest

from smtp_sink import SmtpSink

USER = "mary@example.dom"
PASSWORD = "old-pw-1"
RECOVERY = "mary.private@remote.test"


@pytest.fixture
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture
def server(start_server, sink):
    s = start_server({"queue.relay_host": "127.0.0.1", "queue.relay_port": sink.port, "queue.first_retry": 1})
    s.admin_ok("account", "add", USER, "--password", PASSWORD, "--recovery-email", RECOVERY)
    s.add_account("norecovery@example.dom", "nr-pw-1")
    return s


def recover(server, user):
    c = server.client()
    started = time.monotonic()
    reply = c.request("recoverPassword", {"userName": user})
    return reply, time.monotonic() - started


def http_request(server, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read().decode(), dict(response.getheaders())


def test_the_link_sets_a_new_password_once(server, sink):
    reply, elapsed = recover(server, "mary")
    assert reply.ok, reply
    assert elapsed >= 0.9  # the answer is delayed
    [msg] = sink.wait_for(1)
    assert msg.rcpt_tos == [RECOVERY] and msg.mail_from == "<>"
    text = msg.content.decode()
    assert "Subject: Password reset for mary@example.dom" in text
    [link] = re.findall(r"http://\S+/PasswordReset\?token=\S+", text)
    url = urllib.parse.urlsplit(link)
    token = urllib.parse.parse_qs(url.query)["token"][0]

    status, page, headers = http_request(server, "GET", f"/PasswordReset?{url.query}")
    assert status == 200 and 'name="password"' in page and token in page
    assert headers.get("Cache-Control") == "no-store" and headers.get("Referrer-Policy") == "no-referrer"

    form = urllib.parse.urlencode({"token": token, "password": "new-pw-2", "confirm": "other"})
    status, page, _ = http_request(server, "POST", "/PasswordReset", form)
    assert status == 400 and "differ" in page
    form = urllib.parse.urlencode({"token": token, "password": "new-pw-2", "confirm": "new-pw-2"})
    status, page, _ = http_request(server, "POST", "/PasswordReset", form)
    assert status == 200 and "has been changed" in page, page

    assert not server.client().login_plain(USER, PASSWORD).ok
    assert server.client().login_plain(USER, "new-pw-2").ok
    # The token was used up.
    form = urllib.parse.urlencode({"token": token, "password": "third-pw-3", "confirm": "third-pw-3"})
    status, page, _ = http_request(server, "POST", "/PasswordReset", form)
    assert status == 404 and "invalid or has expired" in page
    assert server.client().login_plain(USER, "new-pw-2").ok


def test_a_forged_token_changes_nothing(server, sink):
    assert recover(server, "mary")[0].ok
    sink.wait_for(1)
    for token in ("1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage", "999.x", ""):
        form = urllib.parse.urlencode({"token": token, "password": "evil-pw-1", "confirm": "evil-pw-1"})
        status, _, _ = http_request(server, "POST", "/PasswordReset", form)
        assert status == 404
    assert server.client().login_plain(USER, PASSWORD).ok


def test_no_account_probing(server, sink):
    answers = []
    for user in ("mary", "nobody", "norecovery", "mary@nosuchdomain.test"):
        reply, elapsed = recover(server, user)
        answers.append((reply.ok, reply.error_num))
        assert elapsed >= 0.9
    assert len(set(answers)) == 1 and answers[0][0], answers
    # Only the account with a recovery address got mail; a second request within a minute adds none.
    assert recover(server, "mary")[0].ok
    messages = sink.quiet_for(3)
    assert [m.rcpt_tos for m in messages] == [[RECOVERY]]
