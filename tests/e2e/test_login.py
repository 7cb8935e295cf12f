"""Login: cleartext and CRAM-MD5, the session message, failures, throttling, password changes
by the admin CLI, and application passwords."""

import base64
import re
import time

import pytest

from server_harness import POSTMASTER

USER = "user1@example.dom"
PASSWORD = "123rtu"
URL_ID = re.compile(r"^\d+-[A-Za-z0-9]{24}$")  # PROTOCOL.md: a number, a dash, 24 alphanumerics


@pytest.fixture
def user_server(server):
    server.add_account(USER, PASSWORD, real_name="User J. Smith")
    return server


def test_plain_login_as_postmaster(server):
    c = server.client()
    r = c.login_plain(POSTMASTER, server.postmaster_password, id="L1")
    assert r.ok, r
    assert [m.tag for m in r.data] == ["session"]
    s = r.data[0]
    assert s.get("id") == "L1"
    assert s.get("userName") == POSTMASTER
    assert s.get("version") == "6.1"
    url_id = s.get("urlID")
    assert len(url_id) >= 24 and URL_ID.match(url_id), url_id
    # A second session gets a different urlID.
    other = server.login(POSTMASTER, server.postmaster_password)
    assert other.url_id != url_id


def test_login_without_domain_uses_default(server):
    r = server.client().login_plain("postmaster", server.postmaster_password)
    assert r.ok, r
    assert r.first("session").get("userName") == POSTMASTER


def test_login_carries_real_name(user_server):
    r = user_server.client().login_plain(USER, PASSWORD)
    assert r.ok, r
    assert r.first("session").get("realName") == "User J. Smith"
    # No real name set: no realName attribute.
    user_server.add_account("plain@example.dom", "pl41n-pw")
    r = user_server.client().login_plain("plain@example.dom", "pl41n-pw")
    assert r.ok and r.first("session").get("realName") is None, r


def test_wrong_password(server):
    c = server.client()
    r = c.login_plain(POSTMASTER, server.postmaster_password + "x")
    assert r.error_num == 515 and r.data == [], r
    assert c.request("readTime").error_num == 510  # no session was created
    assert c.login_plain(POSTMASTER, server.postmaster_password).ok  # may retry on the same connection


def test_unknown_user(server):
    r = server.client().login_plain("nobody@example.dom", "whatever")
    assert r.error_num == 515 and r.data == [], r


def test_login_in_unknown_domain(server):
    assert server.client().login_plain("postmaster@no-such.dom", "x").error_num == 515


def test_cram_md5_login(user_server):
    c = user_server.client()
    r = c.login_cram_md5(USER, PASSWORD, id="A001")
    assert r.ok, r
    assert len(r.challenges) == 1
    challenge = base64.b64decode(r.challenges[0].get("value"))
    assert challenge.startswith(b"<") and challenge.endswith(b">")  # RFC 2195 msg-id form
    s = r.first("session")
    assert (s.get("id"), s.get("userName"), s.get("realName")) == ("A001", USER, "User J. Smith")
    assert c.request("readTime").ok
    # Challenges are random: another login gets another one.
    r2 = user_server.client().login_cram_md5(USER, PASSWORD)
    assert r2.ok and r2.challenges[0].get("value") != r.challenges[0].get("value")


def test_cram_md5_wrong_password(user_server):
    c = user_server.client()
    r = c.login_cram_md5(USER, PASSWORD + "x")
    assert r.error_num == 515 and r.first("session") is None, r
    assert c.request("readTime").error_num == 510


def test_cram_md5_garbage_response(user_server):
    c = user_server.client()
    rid = c.send_request("login", {"method": "CRAM-MD5"})
    c.wait_async("challenge")
    c.send(f'<auth id="{rid}" value="!!!not base64"/>')
    assert c.collect(rid).error_num in (501, 515)
    assert c.request("noop").ok


@pytest.mark.server_settings({"auth.loopback_is_secure": False})
def test_cleartext_refused_on_insecure_connection(server):
    c = server.client()
    r = c.login_plain(POSTMASTER, server.postmaster_password)
    assert r.error_num == 516, r
    assert c.starttls().ok
    assert c.login_plain(POSTMASTER, server.postmaster_password).ok  # fine over TLS
    # CRAM-MD5 never sends the password, so it works without TLS.
    server.add_account(USER, PASSWORD)
    assert server.client().login_cram_md5(USER, PASSWORD).ok


def test_login_twice(server):
    c = server.login(POSTMASTER, server.postmaster_password)
    assert c.login_plain(POSTMASTER, server.postmaster_password).error_num == 511
    assert c.request("readTime").ok  # the first session is intact


def test_failed_logins_are_throttled_and_logged(user_server):
    c = user_server.client(timeout=30)
    for _ in range(4):  # delays 50, 100, 200, 400 ms with throttle_base_ms=50
        assert c.login_plain(USER, "wrong").error_num == 515
    started = time.monotonic()
    assert c.login_plain(USER, "wrong").error_num == 515
    assert time.monotonic() - started >= 0.2
    log = user_server.log_text()
    assert any("user1" in line and "fail" in line.lower() for line in log.splitlines()), log[-3000:]
    assert c.login_plain(USER, PASSWORD).ok  # the right password still works after the delay


def test_admin_passwd_changes_password(user_server):
    user_server.admin_ok("account", "passwd", USER, "--password", "n3w-pw")
    assert user_server.client().login_plain(USER, "n3w-pw").ok
    assert user_server.client().login_plain(USER, PASSWORD).error_num == 515


def test_app_password_logs_in(user_server):
    c = user_server.login(USER, PASSWORD)
    r = c.request("passwordModify", {"oldPassword": PASSWORD, "name": "phone",
                                     "newPassword": "app-secret-1"})
    assert r.ok, r
    assert user_server.client().login_plain(USER, "app-secret-1").ok
    assert user_server.client().login_plain(USER, PASSWORD).ok  # the main password is unchanged
