"""Session operations (A-session.md section 4, PROTOCOL.md "Session operations")."""

import datetime
import re
import time

import pytest

USER = "user2@example.dom"
PASSWORD = "s3ss-pw"
STAMP = re.compile(r"^\d{8}T\d{6}$")


@pytest.fixture
def session(server):
    """A logged-in client for a fresh account."""
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD)


def only(reply, tag):
    """The reply succeeded and carried exactly one data message, `tag`, with the request id."""
    assert reply.ok, reply
    assert [m.tag for m in reply.data] == [tag], reply
    assert reply.data[0].get("id") == reply.id
    return reply.data[0]


def test_noop(session):
    assert session.request("noop").ok


def test_bye_closes_connection(server, session):
    r = session.request("bye")
    assert r.ok, r
    assert session.wait_closed(timeout=5)
    assert server.login(USER, PASSWORD).request("noop").ok


# --- passwordModify -------------------------------------------------------------------------

def test_password_modify_wrong_old_password(server, session):
    r = session.request("passwordModify", {"oldPassword": "wrong", "newPassword": "n3w-pw"})
    assert r.error_num == 515, r
    assert server.client().login_plain(USER, PASSWORD).ok  # unchanged


def test_password_modify(server, session):
    r = session.request("passwordModify", {"oldPassword": PASSWORD, "newPassword": "n3w-pw"})
    assert r.ok, r
    assert server.client().login_plain(USER, "n3w-pw").ok
    assert server.client().login_plain(USER, PASSWORD).error_num == 515


def test_password_modify_recovery_email(session):
    r = session.request("passwordModify", {"oldPassword": PASSWORD,
                                           "recoveryEMail": "me@example.net"})
    assert r.ok, r


# --- setSessionOption -----------------------------------------------------------------------

def status_idle(session):
    status = only(session.request("readStatus"), "currentStatus")
    return status.find("timeout").get("idle")


def test_idle_timeout_option(session):
    r = session.request("setSessionOption", {"name": "idleTimeout", "value": "3600"})
    assert r.ok, r
    assert status_idle(session) == "3600"
    r = session.request("setSessionOption", {"name": "idleTimeout", "value": "1"})
    assert r.ok, r
    assert status_idle(session) == "30"  # raised to the minimum, as the seed allows


@pytest.mark.parametrize("attrs", [{"name": "noSuchOption", "value": "1"},
                                   {"name": "idleTimeout", "value": "soon"},
                                   {"name": "idleTimeout"},
                                   {"value": "1"}])
def test_bad_session_option(session, attrs):
    assert session.request("setSessionOption", attrs).error_num == 501


@pytest.mark.parametrize("value", ["yes", "no"])
def test_report_mailbox_changes_option(session, value):
    r = session.request("setSessionOption", {"name": "reportMailboxChanges", "value": value})
    assert r.ok, r


@pytest.mark.server_settings({"ximss.idle_timeout": 2})
def test_idle_session_gets_bye(server, session):
    started = time.monotonic()
    session.wait_async("bye", timeout=15)
    assert session.wait_closed(timeout=5)
    assert time.monotonic() - started >= 1.5  # lower bound only


@pytest.mark.server_settings({"ximss.idle_timeout": 3})
def test_activity_keeps_session_alive(server, session):
    for _ in range(10):  # 5 s of activity, longer than the 3 s idle timeout
        assert session.request("noop").ok
        time.sleep(0.5)
    assert not any(m.tag == "bye" for m in session.async_messages)


# --- time, status, session ------------------------------------------------------------------

def test_read_time(session):
    t = only(session.request("readTime"), "currentTime")
    gmt = t.get("gmtTime")
    assert STAMP.match(gmt), gmt
    assert STAMP.match(t.get("localTime") or ""), t.get("localTime")
    server_now = datetime.datetime.strptime(gmt, "%Y%m%dT%H%M%S")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((server_now - now).total_seconds()) < 60


def test_read_status(server, session):
    status = only(session.request("readStatus"), "currentStatus")
    assert int(status.find("messageStore").get("used")) >= 0
    assert status.find("PWDAllowed") is not None
    assert status.find("timeout").get("idle") == "600"
    assert status.find("PrevLogin") is None  # this account never logged in before
    assert status.find("LastFailedLogin") is None


def test_read_status_prev_and_failed_login(server, session):
    assert server.client().login_plain(USER, "wrong").error_num == 515
    second = server.login(USER, PASSWORD)
    status = only(second.request("readStatus"), "currentStatus")
    prev = status.find("PrevLogin")
    assert prev is not None and prev.get("ip") == "127.0.0.1", status
    assert STAMP.match(prev.get("gmtTime") or ""), prev.attrib
    failed = status.find("LastFailedLogin")
    assert failed is not None and failed.get("ip") == "127.0.0.1", status
    assert STAMP.match(failed.get("gmtTime") or ""), failed.attrib


def test_read_session(session):
    s = only(session.request("readSession", id="RS1"), "session")
    assert s.get("urlID") == session.url_id
    assert s.get("userName") == USER


# --- session data ---------------------------------------------------------------------------

def session_data(client, name=None):
    return only(client.request("getSessionData", {"name": name} if name else None), "sessionData")


def entries(elem):
    return {e.get("key"): e.text for e in elem.findall("subKey")}


def test_session_data(server, session):
    body = '<subKey key="color">blue</subKey><subKey key="size">10</subKey>'
    assert session.request("setSessionData", body=body).ok
    assert entries(session_data(session)) == {"color": "blue", "size": "10"}
    one = session_data(session, "color")
    assert one.get("name") == "color" and one.text == "blue"
    # Replace one key by name.
    assert session.request("setSessionData", {"name": "size"}, body="12").ok
    assert entries(session_data(session)) == {"color": "blue", "size": "12"}
    # Delete one key.
    assert session.request("setSessionData", {"name": "color", "delete": "yes"}).ok
    assert entries(session_data(session)) == {"size": "12"}
    # Data belongs to the session: another session of the same account starts empty.
    other = server.login(USER, PASSWORD)
    assert entries(session_data(other)) == {}


def test_session_data_delete_all(session):
    assert session.request("setSessionData", body='<subKey key="a">1</subKey>').ok
    assert session.request("setSessionData", {"delete": "yes"}).ok
    assert entries(session_data(session)) == {}


def test_session_data_bad_body(session):
    # Mixed dictionary and array children are not an XML value (xml_value.hpp).
    body = '<subKey key="a">1</subKey><subValue>2</subValue>'
    assert session.request("setSessionData", body=body).error_num == 501


# --- language, known values -----------------------------------------------------------------

def test_language(session):
    assert only(session.request("getLanguage"), "language").text == "English"
    assert session.request("setLanguage", {"language": "English"}).ok
    assert only(session.request("getLanguage"), "language").text == "English"
    assert session.request("setLanguage").error_num == 501


def test_list_known_values(session):
    kv = only(session.request("listKnownValues"), "knownValues")
    zones = {e.get("name") for e in kv.findall("tzid")}
    assert {"Europe/Berlin", "America/New_York"} <= zones
    charsets = {(e.get("name") or "").lower() for e in kv.findall("charset")}
    assert {"utf-8", "iso-8859-1"} <= charsets
