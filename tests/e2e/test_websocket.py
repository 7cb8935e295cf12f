"""XIMSS over WebSocket (GET /ximss with Upgrade: websocket): one XIMSS message per text frame
in both directions, the same session code as the TCP binding."""

import time
import xml.etree.ElementTree as ET

import pytest
import websocket

from http_client import XimssHttpClient
from test_http_binding import account, stored_blob, text_email
from ximss_client import build_xml, to_text


class WsXimss:
    """A minimal XIMSS-over-WebSocket client: requests with ids, replies collected per id,
    id-less messages kept apart."""

    def __init__(self, srv, timeout=5):
        self.ws = websocket.create_connection(f"ws://{srv.host}:{srv.http_port}/ximss", timeout=timeout)
        self.async_messages = []
        self.frames = []
        self._counter = 0

    def close(self):
        self.ws.close()

    def recv(self, timeout=5):
        self.ws.settimeout(timeout)
        opcode, data = self.ws.recv_data()
        assert opcode == websocket.ABNF.OPCODE_TEXT, (opcode, data)
        text = data.decode()
        self.frames.append(text)
        root = ET.fromstring(text)  # exactly one XML document per frame
        return root

    def request(self, name, attrs=None, body=None):
        """(data messages, response) for one request."""
        self._counter += 1
        request_id = f"W{self._counter:03d}"
        self.ws.send(build_xml(name, {"id": request_id, **(attrs or {})}, body))
        data = []
        while True:
            msg = self.recv()
            if msg.get("id") is None:
                self.async_messages.append(msg)
                continue
            assert msg.get("id") == request_id, to_text(msg)
            if msg.tag == "response":
                return data, msg
            data.append(msg)

    def wait_async(self, tag, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.async_messages:
                if msg.tag == tag:
                    self.async_messages.remove(msg)
                    return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no <{tag}> over the WebSocket within {timeout} s")
            msg = self.recv(remaining)
            assert msg.get("id") is None, to_text(msg)
            self.async_messages.append(msg)

    def wait_closed(self, timeout=5):
        """True once the server has closed the WebSocket (close frame or TCP close)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.ws.settimeout(max(deadline - time.monotonic(), 0.01))
                opcode, _ = self.ws.recv_data(control_frame=True)
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                return True
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
        return False


@pytest.fixture
def ws_clients():
    made = []

    def make(srv):
        c = WsXimss(srv)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass


def test_websocket_session(server, ws_clients):
    user, password = account(server, "wsuser")
    ws = ws_clients(server)
    # Before login: pre-login requests work, session requests do not.
    _, response = ws.request("noop")
    assert response.get("errorNum") is None, to_text(response)
    _, response = ws.request("folderOpen", {"folder": "INBOX"})
    assert response.get("errorNum") == "510", to_text(response)
    data, response = ws.request("login", {"authData": user, "password": "wrong"})
    assert response.get("errorNum") == "515" and data == [], to_text(response)

    data, response = ws.request("login", {"authData": user, "password": password})
    assert response.get("errorNum") is None, to_text(response)
    [session] = data
    assert session.tag == "session" and session.get("userName") == user and session.get("urlID"), to_text(session)
    _, response = ws.request("noop")
    assert response.get("errorNum") is None

    data, response = ws.request("folderOpen", {"folder": "INBOX"}, "<field>Subject</field><field>E-From</field>")
    assert response.get("errorNum") is None and data[0].get("mode") == "init" and data[0].get("messages") == "0", data

    # Another session (XIMSS over TCP) appends: the notify arrives in its own frame.
    tcp = server.login(user, password)
    r = tcp.request("messageAppend", {"targetMailbox": "INBOX", "report": "uid"}, body=text_email("over ws"))
    assert r.ok, r
    uid = int(r.first("messageAdded").get("UID"))
    notify = ws.wait_async("folderReport", timeout=5)
    assert notify.get("folder") == "INBOX" and notify.get("mode") == "notify", to_text(notify)
    data, response = ws.request("folderSync", {"folder": "INBOX", "limit": "300"})
    assert [(m.get("mode"), m.get("UID"), m.findtext("Subject")) for m in data] == [("added", str(uid), "over ws")]

    # The session's urlID serves the HTTP session URLs.
    h = XimssHttpClient(server.host, server.http_port)
    h.url_id = session.get("urlID")
    reply = h.mime("INBOX", uid, suffix="P.txt")
    assert reply.status == 200 and reply.body == stored_blob(server, user, "INBOX", uid), reply

    # bye: its response, then the WebSocket closes and the session is gone.
    _, response = ws.request("bye")
    assert response.get("errorNum") is None, to_text(response)
    assert ws.wait_closed(5), "the WebSocket stayed open after bye"
    # As over TCP, bye ends the session (not only the connection closing later).
    deadline = time.monotonic() + 1
    while h.mime("INBOX", uid, suffix="P.txt").status != 550 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert h.mime("INBOX", uid, suffix="P.txt").status == 550, "the session outlived its bye"
    h.close()


def test_websocket_frames_carry_one_message_each(server, ws_clients):
    user, password = account(server, "wsframes")
    ws = ws_clients(server)
    _, response = ws.request("login", {"authData": user, "password": password})
    assert response.get("errorNum") is None, to_text(response)
    for i in range(3):
        ws.request("messageAppend", {"targetMailbox": "INBOX"}, text_email(f"m{i}"))
    data, response = ws.request("mailboxList", {"filter": "INBOX"})
    assert data[0].get("MESSAGES") == "3", data
    # Malformed XML in a frame: a 502 error in a frame of its own, and the session goes on.
    ws.ws.send("<noop id='bad'>")
    msg = ws.recv()
    assert msg.tag == "response" and msg.get("errorNum") == "502", to_text(msg)
    _, response = ws.request("noop")
    assert response.get("errorNum") is None
    assert all(frame.count("<?xml") <= 1 for frame in ws.frames)


def test_websocket_login_timeout_closes_a_silent_socket(start_server):
    srv = start_server({"ximss.login_timeout": 1})
    ws = websocket.create_connection(f"ws://{srv.host}:{srv.http_port}/ximss", timeout=5)
    try:
        started = time.monotonic()
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
            ws.settimeout(6)
            ws.recv_data()
            ws.recv_data()  # a close frame first, then nothing
        assert time.monotonic() - started < 5
    finally:
        ws.close()
