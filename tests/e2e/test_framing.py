"""XIMSS over TCP: framing, pipelining, and what the server does with bad or hostile input.

Each bad-input test then checks that the same connection (when it stays open) and a new one
still work: one peer's garbage must never hurt the server.
"""

import socket
import struct
import time

import pytest

from ximss_client import BackgroundSender, ConnectionClosed


def assert_healthy(server, client=None):
    """A noop works on `client` (if given) and on a brand-new connection."""
    for c in ([client] if client else []) + [server.client()]:
        r = c.request("noop")
        assert r.ok, r


def send_and_read(client, raw):
    client.send_raw(raw)
    return client.read_message()


def test_noop_round_trip(server):
    c = server.client()
    r = c.request("noop")
    assert r.ok and r.data == []
    assert r.response.tag == "response" and r.response.get("id") == "A001"


def test_pipelined_requests_answered_in_order(server):
    c = server.client()
    # Alternate a good and an unknown command so that a reply matched to the wrong request shows.
    requests = [("noop",) if i % 2 == 0 else ("myCommand", {"n": str(i)}) for i in range(50)]
    replies = c.pipeline(requests)  # one write, then read (the client fails on out-of-order ids)
    assert [r.error_num for r in replies] == [None if i % 2 == 0 else 500 for i in range(50)]


def test_unknown_command_with_exetime(server):
    # Seed A-session.md L7-L10.
    c = server.client()
    assert c.request("noop", id="A001").ok
    r = c.request("myCommand", {"myParam": "user1@example.dom", "exeTime": "1"}, id="A002")
    assert r.response.get("id") == "A002"
    assert (r.error_num, r.error_text) == (500, "unknown command")
    assert int(r.response.get("exeTime")) >= 0


def test_unknown_command_without_exetime(server):
    # Seed L11-L14; exeTime is echoed only for a non-zero exeTime in the request.
    c = server.client()
    r = c.request("myCommand", {"myParam": "user1@example.dom"})
    assert (r.error_num, r.error_text) == (500, "unknown command")
    assert r.response.get("exeTime") is None
    r = c.request("noop", {"exeTime": "0"})
    assert r.ok and r.response.get("exeTime") is None, r


def test_malformed_xml_with_readable_id(server):
    c = server.client()
    msg = send_and_read(c, b'<noop id="X1"><bad></noop>\0')
    assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", "X1", "502")
    assert_healthy(server, c)


@pytest.mark.parametrize("raw", [b"<<<not xml at all", b"", b"plain text", b"<a></b>"])
def test_malformed_xml_without_id(server, raw):
    c = server.client()
    c.send_raw(raw + b"\0")
    if not raw:  # an empty frame is just whitespace between messages: nothing to answer
        assert_healthy(server, c)
        return
    msg = c.read_message()
    assert (msg.tag, msg.get("errorNum"), msg.get("id")) == ("response", "502", None)
    assert_healthy(server, c)


def test_request_without_id(server):
    c = server.client()
    msg = send_and_read(c, b"<noop/>\0")
    assert msg.tag == "response" and msg.get("id") is None
    assert (msg.get("errorNum"), msg.get("errorText")) == ("501", "request has no id")
    assert_healthy(server, c)


def test_message_over_size_limit(start_server):
    server = start_server({"ximss.max_message_size": 4096})
    c = server.client()
    msg = send_and_read(c, b'<noop id="big1" x="' + b"a" * 10000 + b'"/>\0')
    assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", "big1", "503")
    assert_healthy(server, c)


def test_deep_nesting(server):
    c = server.client()
    msg = send_and_read(c, b'<noop id="deep1">' + b"<a>" * 1000 + b"</a>" * 1000 + b"</noop>\0")
    assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", "deep1", "502")
    assert_healthy(server, c)


@pytest.mark.parametrize("bad", [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"],
                         ids=["ff-fe", "overlong", "surrogate", "truncated"])
def test_invalid_utf8(server, bad):
    c = server.client()
    msg = send_and_read(c, b'<noop id="u1" x="' + bad + b'"/>\0')
    assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", "u1", "502")
    assert_healthy(server, c)


def test_message_split_into_single_bytes(server):
    c = server.client()
    for b in b'<noop id="s1"/>\0':
        c.send_raw(bytes([b]))
    assert c.collect("s1").ok


def test_partial_message_does_not_block_others(server):
    slow = server.client()
    slow.send_raw(b'<noop id="p1"')  # no terminator yet
    assert_healthy(server)
    slow.send_raw(b"/>\0")  # the rest arrives later and is answered
    assert slow.collect("p1").ok


def test_unterminated_flood_gets_503_and_connection_survives(start_server):
    server = start_server({"ximss.max_message_size": 4096})
    c = server.client()
    c.send_raw(b'<noop id="flood1" x="' + b"a" * 100_000)  # never terminated (yet)
    msg = c.read_message()
    assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", "flood1", "503")
    c.send_raw(b"a" * 50_000 + b'"/>\0')  # the rest of the oversized message is discarded
    assert c.request("noop", id="after").ok
    assert_healthy(server)


@pytest.mark.server_settings({"ximss.login_timeout": 2})
def test_silent_peer_gets_bye_at_login_timeout(server):
    c = server.client()
    started = time.monotonic()
    c.wait_async("bye", timeout=15)
    assert c.wait_closed(timeout=5)
    assert time.monotonic() - started >= 1.5  # not before the timeout
    assert_healthy(server)


def test_repeated_malformed_messages_end_the_connection(server):
    c = server.client()
    c.send_raw(b"<bad\0" * 15)  # more than ximss.max_errors (10) in a row
    errors = []
    try:
        while True:
            msg = c.read_message()
            if msg.get("id") is None and msg.tag == "bye":
                break
            errors.append(msg)
    except ConnectionClosed:
        pytest.fail(f"connection closed without an asynchronous <bye/> after {len(errors)} errors")
    assert all(m.tag == "response" and m.get("errorNum") == "502" for m in errors)
    assert 9 <= len(errors) <= 10, f"bye after {len(errors)} errors, max_errors is 10"
    assert c.wait_closed(timeout=5)
    assert_healthy(server)


def test_error_count_resets_after_a_good_request(server):
    c = server.client()
    c.send_raw(b"<bad\0" * 9 + b'<noop id="ok1"/>\0' + b"<bad\0" * 9)
    msgs = [c.read_message() for _ in range(19)]
    assert [m.get("errorNum") for m in msgs] == ["502"] * 9 + [None] + ["502"] * 9
    assert msgs[9].get("id") == "ok1"
    assert c.request("noop").ok  # still open: never more than 9 errors in a row


def test_flood_of_pipelined_requests(server):
    c = server.client(timeout=60)
    count = 20_000
    data = b"".join(b'<noop id="F%d"/>\0' % i for i in range(count))
    # Send everything without reading. The sender runs in a thread: a server that stops reading
    # while its replies are unread (back-pressure) is correct and must not deadlock the test.
    sender = BackgroundSender(c, data)
    deadline = time.monotonic() + 5
    while not sender.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    for i in range(count):
        msg = c.read_message()
        assert (msg.tag, msg.get("id"), msg.get("errorNum")) == ("response", f"F{i}", None)
    sender.join()
    assert_healthy(server, c)


def test_many_concurrent_connections(server):
    clients = [server.client(timeout=30) for _ in range(200)]
    for i, c in enumerate(clients):
        c.send_request("noop", id=f"C{i}")
    for i, c in enumerate(clients):
        assert c.collect(f"C{i}").ok
    for c in clients:
        c.close()
    assert_healthy(server)


def test_peer_disconnecting_mid_message(server):
    # An abrupt close (RST) in the middle of a frame must not disturb the server.
    c = server.client()
    c.send_raw(b'<noop id="gone"')
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    assert_healthy(server)
