"""Replays the seed's examples (transcripts/*.txt) against a fresh server."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from transcript import Transcript, mismatch, substitute

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(start_server, path):
    t = Transcript(path)
    server = start_server(t.settings)
    for args in t.admin:
        server.admin_ok(*args)
    clients = {"": server.client()}
    if any(kind.endswith("2") for kind, _ in t.steps):
        clients["2"] = server.client()
    last_challenge = None
    for n, (kind, xml) in enumerate(t.steps, 1):
        client = clients[kind[1:]]
        if kind.startswith("C"):
            client.send(substitute(xml, last_challenge))
            continue
        actual = client.read_message()
        if actual.tag == "challenge":
            last_challenge = actual.get("value")
        problem = mismatch(ET.fromstring(xml), actual)
        assert problem is None, (f"{path.name} step {n}: {problem}\n  expected: {xml}\n"
                                 f"  actual:   {ET.tostring(actual, encoding='unicode')}")
    # Nothing unexpected may follow: the next message must be the reply to a final noop.
    for client in clients.values():
        client.send('<noop id="transcript-end"/>')
        last = client.read_message()
        assert (last.tag, last.get("id")) == ("response", "transcript-end"), \
            f"unexpected extra message: {ET.tostring(last, encoding='unicode')}"


def test_comparison_rules():
    # The matcher itself (no server): wildcards, contains-mode, and real differences.
    def m(expected, actual):
        return mismatch(ET.fromstring(expected), ET.fromstring(actual))

    assert m('<r id="*" a="1"/>', '<r id="x" a="1"/>') is None
    assert m('<r id="*"/>', '<r/>') is not None             # a wildcard attribute must exist
    assert m('<r a="1"/>', '<r a="1" b="2"/>') is not None  # extra attributes differ
    assert m('<s __match="contains"><a/></s>', '<s><b/><a/></s>') is None
    assert m('<s><a/></s>', '<s><b/><a/></s>') is not None
    assert m('<s>*</s>', '<s>anything</s>') is None
    assert m('<s>x</s>', '<s>y</s>') is not None
