"""Checks the test client itself against a tiny in-process fake server (no ximssd needed),
so that a failing end-to-end test points at the server, not at the harness."""

import base64
import hashlib
import hmac
import socket
import threading
import xml.etree.ElementTree as ET

import pytest

from ximss_client import XimssClient, build_xml, cram_md5_response, escape_attr

CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"


def test_cram_md5_matches_rfc2195_and_the_seed_example():
    # The seed's example (A-session.md, L53-L56) uses RFC 2195's values.
    assert (cram_md5_response("tim", "tanstaaftanstaaf", CHALLENGE)
            == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")


def test_attribute_escaping_round_trips():
    value = 'a&b<c>"d\'\ne\tf'
    elem = ET.fromstring(build_xml("x", {"v": value}))
    assert elem.get("v") == value
    assert "<" not in escape_attr("<")


class FakeServer:
    """Answers noop, unknown commands (500), `ping` (an async alert first) and CRAM-MD5 login."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.listener.accept()
        buf = b""
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\0" in buf:
                    frame, buf = buf.split(b"\0", 1)
                    conn.sendall(b"".join(m.encode() + b"\0" for m in self._answer(ET.fromstring(frame))))

    def _answer(self, req):
        rid = req.get("id")
        if req.tag == "noop":
            return [f'<response id="{rid}"/>']
        if req.tag == "ping":
            return ["<alert>hello</alert>", f'<response id="{rid}"/>']
        if req.tag == "login":
            return [f'<challenge value="{base64.b64encode(CHALLENGE).decode()}"/>']
        if req.tag == "auth":
            user, digest = base64.b64decode(req.get("value")).decode().split(" ")
            good = hmac.new(b"secret", CHALLENGE, hashlib.md5).hexdigest()
            if digest != good:
                return [f'<response id="{rid}" errorNum="515" errorText="bad"/>']
            return [f'<session id="{rid}" urlID="1-x" userName="{user}"/>', f'<response id="{rid}"/>']
        return [f'<response id="{rid}" errorNum="500" errorText="unknown command"/>']


@pytest.fixture
def fake():
    with XimssClient("127.0.0.1", FakeServer().port, timeout=5) as c:
        yield c.connect()


def test_request_pipeline_and_async(fake):
    r = fake.request("ping")
    assert r.ok and r.id == "A001" and r.data == []
    assert [m.tag for m in fake.async_messages] == ["alert"]
    assert fake.wait_async("alert", timeout=1).text == "hello"
    replies = fake.pipeline([("noop",), ("bogus", {"a": "<&>"}), ("noop", None, None)])
    assert [r.id for r in replies] == ["A002", "A003", "A004"]
    assert [r.error_num for r in replies] == [None, 500, None]
    assert replies[1].error_text == "unknown command"


def test_cram_md5_login(fake):
    r = fake.login_cram_md5("user1@example.dom", "secret")
    assert r.ok and len(r.challenges) == 1
    assert fake.url_id == "1-x"


def test_cram_md5_wrong_password(fake):
    assert fake.login_cram_md5("user1@example.dom", "wrong").error_num == 515
