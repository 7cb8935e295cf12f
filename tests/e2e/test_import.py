"""`ximssd import mbox|maildir`: real-world messages from Debian packages (mail_corpus.py) are
stored byte for byte, in order, with their flags; the checks read the store directly
(XimssServer.store_query: Python's sqlite3 or psql, and the blob files), independently of the
server's own reading code."""

import hashlib

import pytest

import mail_corpus

USER = "importer@example.dom"
PASSWORD = "imp-pw-1"


def stored_messages(server, mailbox):
    rows = server.store_query(
        "SELECT msg.uid, msg.blob_id, msg.size, msg.flags, msg.subject FROM messages msg "
        "JOIN mailboxes m ON m.id = msg.mailbox_id JOIN accounts a ON a.id = m.account_id "
        "WHERE a.name = 'importer' AND m.name = ? ORDER BY msg.uid", (mailbox,))
    out = []
    for uid, blob, size, flags, subject in rows:
        body = server.blob_path(blob).read_bytes()
        assert len(body) == size and hashlib.blake2b(body, digest_size=32).hexdigest() == blob
        out.append((uid, body, flags, subject))
    return out


@pytest.fixture(scope="module")
def corpus():
    messages = mail_corpus.corpus_messages()
    assert len(messages) >= 100, f"only {len(messages)} corpus messages: is {mail_corpus.PACKAGES} installed?"
    return messages


def test_mbox_import_stores_every_message_byte_for_byte(server, corpus, tmp_path):
    server.add_account(USER, PASSWORD)
    mbox = tmp_path / "corpus.mbox"
    mail_corpus.write_mbox(mbox, [m for _, m in corpus])
    cp = server.admin_ok("import", "mbox", mbox, "--account", USER, "--mailbox", "Corpus")
    assert f"imported {len(corpus)} messages" in cp.stdout, cp.stdout
    stored = stored_messages(server, "Corpus")
    assert [uid for uid, *_ in stored] == list(range(1, len(corpus) + 1))
    for (name, original), (uid, body, flags, _) in zip(corpus, stored):
        assert body == mail_corpus.expected_stored(original), f"{name} (UID {uid}) differs after import"
        assert flags == 0
    # The cached Subject is decoded text for the plain cases.
    subjects = {s for *_, s in stored}
    assert any(s for s in subjects)
    # The server lists what was imported.
    r = server.login(USER, PASSWORD).request("mailboxList", {"filter": "Corpus"})
    assert r.ok and r.data[0].get("MESSAGES") == str(len(corpus)), r


def test_maildir_import_keeps_bytes_and_flags(server, corpus, tmp_path):
    server.add_account(USER, PASSWORD)
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    files = [(f"{i:06d}.host", data) for i, (_, data) in enumerate(corpus[:40])]
    suffixes = [":2,S", ":2,RS", ":2,F", ":2,", ":2,T", ":2,D"]
    expected = []
    for i, (name, data) in enumerate(files):
        if i % 7 == 6:
            (maildir / "new" / name).write_bytes(data)
        else:
            (maildir / "cur" / (name + suffixes[i % len(suffixes)])).write_bytes(data)
    # Expected order: cur/ then new/, each by file name.
    for sub in ("cur", "new"):
        for path in sorted((maildir / sub).iterdir()):
            expected.append(path)
    server.admin_ok("import", "maildir", maildir, "--account", USER, "--mailbox", "FromMaildir")
    stored = stored_messages(server, "FromMaildir")
    assert len(stored) == len(expected)
    flag_bits = {"S": 1, "R": 2, "F": 4, "T": 8, "D": 16}
    for path, (uid, body, flags, _) in zip(expected, stored):
        assert body == path.read_bytes(), f"{path.name} (UID {uid}) differs"  # Maildir files are stored as they are
        letters = path.name.split(":2,")[1] if ":2," in path.name else ""
        assert flags == sum(flag_bits[c] for c in letters), path.name
    seen = sum(1 for *_, f, _ in stored if f & 1)
    r = server.login(USER, PASSWORD).request("mailboxList", {"filter": "FromMaildir"})
    assert r.data[0].get("UNSEEN") == str(len(stored) - seen), r


def test_import_errors_are_clear(server, tmp_path):
    server.add_account(USER, PASSWORD)
    cp = server.admin("import", "mbox", tmp_path / "missing.mbox", "--account", USER)
    assert cp.returncode != 0 and "cannot open" in cp.stderr + cp.stdout
    not_mbox = tmp_path / "x.txt"
    not_mbox.write_text("hello\nworld\n")
    cp = server.admin("import", "mbox", not_mbox, "--account", USER)
    assert cp.returncode != 0 and "not an mbox" in cp.stderr + cp.stdout
    cp = server.admin("import", "maildir", tmp_path, "--account", USER)
    assert cp.returncode != 0 and "not a Maildir" in cp.stderr + cp.stdout
    cp = server.admin("import", "mbox", not_mbox, "--account", "ghost@example.dom")
    assert cp.returncode != 0 and "unknown account" in cp.stderr + cp.stdout
    cp = server.admin("import", "mbox", not_mbox, "--account", USER, "--mailbox", "a//b")
    assert cp.returncode != 0 and "invalid mailbox name" in cp.stderr + cp.stdout
