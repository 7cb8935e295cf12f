"""The live Folder View model (B-mailboxes-folders.md section 8): changes made by any session
notify every view of the mailbox once; nothing in a view moves until folderSync, whose removed /
added / updated reports, replayed by the client in order, turn its list into the mailbox as it is
now. Also messageMark, messageRemove, folderExpunge, messageCopy / messageMove, folderReopen."""

import random
import time

import pytest

from ximss_client import escape_text

USER = "live@example.dom"
PASSWORD = "live-pw-1"


@pytest.fixture
def two(server):
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD), server.login(USER, PASSWORD)


def append(client, mailbox, subject, flags="", sender="someone@example.dom"):
    email = (f"<EMail><From>{sender}</From><Subject>{escape_text(subject)}</Subject>"
             f'<MIME type="text" subtype="plain">body of {escape_text(subject)}\n</MIME></EMail>')
    r = client.request("messageAppend", {"targetMailbox": mailbox, "flags": flags or None, "report": "uid"}, body=email)
    assert r.ok, r
    return int(r.data[0].get("UID"))


def open_view(client, folder, mailbox="INBOX", fields=("FLAGS", "Subject"), **attrs):
    body = "".join(f"<field>{f}</field>" for f in fields)
    r = client.request("folderOpen", {"folder": folder, "mailbox": mailbox, **attrs}, body=body)
    assert r.ok, r
    return r.data[0]


def browse_all(client, folder):
    r = client.request("folderBrowse", {"folder": folder}, body='<index from="0" till="1000000"/>')
    assert r.ok, r
    return [(int(m.get("UID")), m.findtext("FLAGS"), m.findtext("Subject")) for m in r.data]


def sync(client, folder, table, limit=None):
    """folderSync, applying each report to `table` (the client's internal view) as it comes."""
    r = client.request("folderSync", {"folder": folder, "limit": limit})
    assert r.ok, r
    for report in r.data:
        assert report.tag == "folderReport" and report.get("folder") == folder
        mode, index, uid = report.get("mode"), int(report.get("index")), int(report.get("UID"))
        if mode == "removed":
            assert table[index][0] == uid, (report.attrib, table)
            del table[index]
        elif mode == "added":
            table.insert(index, (uid, report.findtext("FLAGS"), report.findtext("Subject")))
        else:
            assert mode == "updated" and table[index][0] == uid, (report.attrib, table)
            table[index] = (uid, report.findtext("FLAGS"), report.findtext("Subject"))
        assert int(report.get("messages")) == len(table)
    return r.data


def test_changes_notify_once_and_show_only_after_sync(server, two):
    a, b = two
    for s in ("one", "two", "three"):
        append(a, "INBOX", s)
    open_view(a, "INBOX", sortField="Subject")
    table = browse_all(a, "INBOX")
    assert [row[2] for row in table] == ["one", "three", "two"]
    notices = []
    # Another session appends and marks: one notify for the view, and nothing moves.
    append(b, "INBOX", "four")
    open_view(b, "mine")
    r = b.request("messageMark", {"folder": "mine", "flags": "Seen"}, body="<UID>1</UID>")
    assert r.ok, r
    notices.append(a.wait_async("folderReport", timeout=5))
    assert notices[0].get("mode") == "notify" and notices[0].get("folder") == "INBOX"
    # The logical view has not changed (what browsing shows of each message is current).
    assert [row[0] for row in browse_all(a, "INBOX")] == [row[0] for row in table]
    reports = sync(a, "INBOX", table)
    assert [(x.get("mode"), x.get("UID")) for x in reports] == [("added", "4"), ("updated", "1")]
    assert table == browse_all(a, "INBOX") and [row[2] for row in table] == ["four", "one", "three", "two"]
    assert table[1][1] == "Seen"
    # A removal: the view keeps the message until folderSync, then reports it at its index.
    b.request("messageRemove", {"folder": "mine", "mode": "Immediately"}, body="<UID>3</UID>")
    assert a.wait_async("folderReport", timeout=5).get("mode") == "notify"
    rows = a.request("folderBrowse", {"folder": "INBOX"}, body="<UID>3</UID>").data
    assert rows[0].get("mode") == "error"  # gone from the mailbox, still in the view
    reports = sync(a, "INBOX", table)
    assert [(x.get("mode"), x.get("index"), x.get("UID"), x.get("messages")) for x in reports] == [
        ("removed", "2", "3", "3")]
    assert sync(a, "INBOX", table) == []


def test_mark_expunge_copy_move_and_trash(server, two):
    a, _ = two
    uids = [append(a, "INBOX", f"m{i}") for i in range(5)]
    open_view(a, "INBOX")
    table = browse_all(a, "INBOX")
    assert a.request("messageMark", {"folder": "INBOX", "flags": "Deleted,Flagged"},
                     body='<index from="0" till="1"/>').ok
    assert a.wait_async("folderReport", timeout=5).get("mode") == "notify"
    sync(a, "INBOX", table)
    assert [row[1] for row in table[:2]] == ["Flagged,Deleted"] * 2
    # Negative names clear; mode="delete" clears the names given.
    a.request("messageMark", {"folder": "INBOX", "flags": "Unflagged"}, body="<index>0</index>")
    a.request("messageMark", {"folder": "INBOX", "flags": "Deleted", "mode": "delete"}, body="<index>1</index>")
    sync(a, "INBOX", table)
    assert [row[1] for row in table[:2]] == ["Deleted", "Flagged"]
    assert a.request("folderExpunge", {"folder": "INBOX"}).ok
    sync(a, "INBOX", table)
    assert [row[0] for row in table] == uids[1:]
    # Copy reports the new UIDs; the target's views are notified.
    open_view(a, "Archive", mailbox="Archive", mailboxClass="")
    r = a.request("messageCopy", {"folder": "INBOX", "targetMailbox": "Archive", "report": "uid"},
                  body=f"<UID>{uids[1]}</UID><UID>{uids[2]}</UID>")
    assert r.ok and [m.get("UID") for m in r.data] == ["1", "2"], r
    archive = []
    sync(a, "Archive", archive)
    assert [row[2] for row in archive] == ["m1", "m2"]
    # Move takes them out of the source.
    assert a.request("messageMove", {"folder": "INBOX", "targetMailbox": "Archive"}, body="<index>0</index>").ok
    sync(a, "INBOX", table)
    assert [row[0] for row in table] == uids[2:]
    # messageRemove without a mode moves to Trash (the DeleteMode default); in Trash it erases.
    assert a.request("messageRemove", {"folder": "INBOX"}, body="<index>0</index>").ok
    open_view(a, "Trash", mailbox="Trash")
    trash = browse_all(a, "Trash")
    assert [row[2] for row in trash] == ["m2"]
    assert a.request("messageRemove", {"folder": "Trash"}, body="<index>0</index>").ok
    sync(a, "Trash", trash)
    assert trash == []
    assert a.request("emptyMailbox", {"mailbox": "Archive", "duration": "0"}).ok
    sync(a, "Archive", archive)
    assert archive == []
    assert a.request("messageMark", {"folder": "INBOX", "flags": "Bogus"}, body="<index>0</index>").error_num == 501
    assert a.request("messageRemove", {"folder": "INBOX", "mode": "Shred"}, body="<index>0</index>").error_num == 501


def test_limit_leaves_the_rest_pending_and_reopen_rebuilds(server, two):
    a, b = two
    open_view(a, "INBOX", sortField="Subject", sortOrder="desc")
    table = []
    for i in range(6):
        append(b, "INBOX", f"s{i}")
    reports = sync(a, "INBOX", table, limit=4)
    assert len(reports) == 4
    # No notify comes for what is still pending; the next sync delivers it.
    reports = sync(a, "INBOX", table, limit=4)
    assert len(reports) == 2
    assert [row[2] for row in table] == [f"s{i}" for i in range(5, -1, -1)]
    r = a.request("folderReopen", {"folder": "INBOX", "sortField": "Subject"})
    assert r.ok and r.data[0].get("mode") == "init" and r.data[0].get("messages") == "6"
    assert [row[2] for row in browse_all(a, "INBOX")] == [f"s{i}" for i in range(6)]


def test_hide_deleted_keeps_them_out_until_reopened(server, two):
    a, b = two
    for i in range(3):
        append(b, "INBOX", f"h{i}")
    open_view(a, "INBOX", hideDeleted="yes")
    table = browse_all(a, "INBOX")
    open_view(b, "INBOX")
    b.request("messageMark", {"folder": "INBOX", "flags": "Deleted"}, body="<UID>2</UID>")
    sync(a, "INBOX", table)
    assert [row[0] for row in table] == [1, 3]
    b.request("messageMark", {"folder": "INBOX", "flags": "Undeleted"}, body="<UID>2</UID>")
    sync(a, "INBOX", table)
    assert [row[0] for row in table] == [1, 3]  # stays hidden
    a.request("folderReopen", {"folder": "INBOX", "hideDeleted": "yes"})
    assert [row[0] for row in browse_all(a, "INBOX")] == [1, 2, 3]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_changes_replayed_equal_a_fresh_view(server, two, seed):
    """Several views with different sorts and filters on one mailbox, in two sessions; random
    appends, flag changes, removals and expunges from a third session; after each folderSync the client's replayed table equals
    a view freshly opened with the same parameters."""
    rng = random.Random(seed)
    first, b = two
    second = server.login(USER, PASSWORD)
    for i in range(8):
        append(b, "INBOX", f"x{rng.randrange(100):02d}", rng.choice(["", "Seen", "Flagged"]))
    specs = {"byuid": {}, "bysubject": {"sortField": "Subject"}, "byflags": {"sortField": "FLAGS", "sortOrder": "desc"},
             "nodeleted": {"sortField": "Subject", "sortOrder": "desc", "hideDeleted": "yes"},
             "flagged": {"filter": "Flagged,Unseen", "filterField": "FLAGS", "sortField": "Subject"},
             "subject": {"filter": "x1", "filterField": "Subject", "sortField": "INTERNALDATE", "sortOrder": "desc"}}
    # The views are spread over two sessions; a third one makes the changes.
    owner = {name: (first if i % 2 == 0 else second) for i, name in enumerate(specs)}
    tables = {}
    for name, attrs in specs.items():
        open_view(owner[name], name, **attrs)
        tables[name] = browse_all(owner[name], name)
    open_view(b, "writer")
    steps = 400
    for step in range(steps):
        live = [row[0] for row in browse_all(b, "writer")]
        action = rng.random()
        if action < 0.35 or not live:
            append(b, "INBOX", f"x{rng.randrange(100):02d}", rng.choice(["", "Seen", "Deleted"]))
        elif action < 0.7:
            flags = rng.choice(["Seen", "Unseen", "Flagged", "Unflagged", "Deleted", "Undeleted", "Seen,Flagged"])
            chosen = rng.sample(live, min(len(live), rng.randint(1, 3)))
            b.request("messageMark", {"folder": "writer", "flags": flags},
                      body="".join(f"<UID>{u}</UID>" for u in chosen))
        elif action < 0.85:
            b.request("messageRemove", {"folder": "writer", "mode": "Immediately"}, body=f"<UID>{rng.choice(live)}</UID>")
        else:
            b.request("folderExpunge", {"folder": "writer"})
        # The writer's own view follows along too.
        b.request("folderSync", {"folder": "writer"})
        if rng.random() < 0.5:
            for name, attrs in specs.items():
                a = owner[name]
                limit = rng.choice([None, None, 2])
                sync(a, name, tables[name], limit=limit)
                while limit and len(sync(a, name, tables[name], limit=limit)) == limit:
                    pass
                fresh = f"check-{name}-{step}"
                open_view(a, fresh, **attrs)
                expected = browse_all(a, fresh)
                a.request("folderClose", {"folder": fresh})
                if name == "nodeleted":
                    # Messages hidden after they got Deleted stay out even when undeleted.
                    assert {row[0] for row in tables[name]} <= {row[0] for row in expected}, (name, step)
                    expected = [row for row in expected if row[0] in {r[0] for r in tables[name]}]
                assert tables[name] == expected, (seed, step, name)


def test_mailbox_modified_when_asked_for(server, two):
    a, b = two
    assert a.request("setSessionOption", {"name": "reportMailboxChanges", "value": "yes"}).ok
    assert b.request("mailboxCreate", {"mailbox": "Notes"}).ok
    append(b, "Notes", "n1")
    assert a.wait_async("mailboxModified", timeout=5).get("mailbox") == "Notes"
    append(b, "INBOX", "i1")
    assert a.wait_async("mailboxModified", timeout=5).get("mailbox") == "INBOX"
    assert a.request("setSessionOption", {"name": "reportMailboxChanges", "value": "no"}).ok
    a.async_messages.clear()
    append(b, "INBOX", "i2")
    assert a.request("noop").ok
    time.sleep(0.3)
    assert a.request("noop").ok
    assert not [m for m in a.async_messages if m.tag == "mailboxModified"]


def test_mailbox_sync_reports_changes_since_a_key(server, two):
    a, b = two
    first = [append(b, "INBOX", f"k{i}") for i in range(3)]
    open_view(a, "INBOX", fields=("Subject",))

    def changes(sync_id, **attrs):
        r = a.request("mailboxSync", {"folder": "INBOX", "clientID": "app", "syncID": sync_id, **attrs})
        assert r.ok, r
        *records, info = r.data
        assert info.get("mode") == "info" and all(m.tag == "mailboxSyncReport" for m in r.data)
        return [(m.get("mode"), int(m.get("UID"))) for m in records], info, records

    got, info, records = changes("0")
    assert got == [("added", u) for u in first]
    assert records[0].findtext("Subject") == "k0" and records[0].find("EMail/Subject").text == "k0"
    key = info.get("syncID")
    assert changes(key)[0] == []
    # Another session adds one, flags one and removes one.
    new = append(b, "INBOX", "k3")
    open_view(b, "w")
    b.request("messageMark", {"folder": "w", "flags": "Seen"}, body=f"<UID>{first[0]}</UID>")
    b.request("messageRemove", {"folder": "w", "mode": "Immediately"}, body=f"<UID>{first[1]}</UID>")
    got, info, _ = changes(key)
    assert got == [("added", new), ("flagsUpdated", first[0]), ("removed", first[1])]
    # With a limit the rest waits behind hasMore, and the next key brings it.
    got, info, _ = changes(key, limit="2")
    assert got == [("added", new), ("flagsUpdated", first[0])] and info.get("hasMore")
    got, info, _ = changes(info.get("syncID"))
    assert got == [("removed", first[1])] and not info.get("hasMore")
    assert changes(info.get("syncID"))[0] == []
    assert a.request("mailboxSync", {"folder": "INBOX", "clientID": "app", "syncID": "x.y"}).error_num == 501
    assert a.request("mailboxSync", {"folder": "INBOX", "syncID": "0"}).error_num == 501


def test_filtered_views_and_folder_search(server, two):
    a, b = two
    subjects = ["alpha report", "beta", "gamma report", "delta", "epsilon report"]
    for i, subject in enumerate(subjects):
        append(b, "INBOX", subject, "Flagged" if i % 2 == 0 else "Seen")
    # By flags, with a negative name.
    init = open_view(a, "flagged", filter="Flagged,Unseen", filterField="FLAGS")
    assert init.get("messages") == "3"
    # By a header field, by body, and by anything (no filterField).
    assert open_view(a, "reports", filter="REPORT", filterField="Subject").get("messages") == "3"
    assert open_view(a, "body", filter="body of beta", filterField="body").get("messages") == "1"
    assert open_view(a, "any", filter="delta").get("messages") == "1"
    table = browse_all(a, "flagged")
    # A flag change moves a message into or out of a FLAGS-filtered view at the next sync.
    open_view(b, "w")
    b.request("messageMark", {"folder": "w", "flags": "Seen"}, body="<UID>1</UID>")
    b.request("messageMark", {"folder": "w", "flags": "Flagged,Unseen"}, body="<UID>2</UID>")
    sync(a, "flagged", table)
    assert sorted(row[0] for row in table) == [2, 3, 5]
    append(b, "INBOX", "zeta report")
    reports = browse_all(a, "reports")
    sync(a, "reports", reports)
    assert [row[2] for row in reports] == ["alpha report", "gamma report", "epsilon report", "zeta report"]

    def search(filter, body=None, **attrs):
        r = a.request("folderSearch", {"folder": "all", "filter": filter, **attrs}, body=body)
        assert r.ok, r
        [result] = r.data
        assert result.tag == "folderSearchResult" and result.get("folder") == "all"
        return result

    open_view(a, "all", sortField="Subject")  # beta, delta, epsilon, gamma, alpha..., by subject
    result = search("SUBJECT report")
    assert sorted(int(u.text) for u in result.findall("UID")) == [1, 3, 5, 6] and result.get("next") is None
    result = search("FLAGGED UNSEEN")
    assert sorted(int(u.text) for u in result.findall("UID")) == [2, 3, 5]
    result = search("OR SUBJECT beta BODY zeta NOT SEEN")
    assert sorted(int(u.text) for u in result.findall("UID")) == [2, 6]
    # limit: the rest from `next`.
    first = search("SUBJECT report", limit="2")
    assert len(first.findall("UID")) == 2 and first.get("next")
    rest = search("SUBJECT report", body=f'<UID from="{first.get("next")}" till="100"/>')
    # The UID set is a range of UIDs; view order decides what "next" continues from.
    assert rest.findall("UID")
    # An index set is answered with indexes.
    by_index = search("SUBJECT report", body='<index from="0" till="2"/>')
    assert by_index.findall("UID") == [] and all(int(i.text) <= 2 for i in by_index.findall("index"))
    bad = a.request("folderSearch", {"folder": "all", "filter": "SUBJECT"})
    assert bad.error_num == 501 and "offset" in bad.error_text
    assert a.request("folderSearch", {"folder": "all", "filter": "CHARSET KLINGON SUBJECT x"}).error_num == 501


def test_copy_into_another_accounts_mailbox_follows_its_acl(server, two):
    a, _ = two
    server.add_account("peer@example.dom", "peer-pw-1")
    peer = server.login("peer@example.dom", "peer-pw-1")
    assert peer.request("mailboxCreate", {"mailbox": "Inbound"}).ok
    append(a, "INBOX", "to share")
    open_view(a, "INBOX")
    target = "~peer@example.dom/Inbound"
    assert a.request("messageCopy", {"folder": "INBOX", "targetMailbox": target}, body="<UID>1</UID>").error_num == 530
    assert peer.request("mailboxACLUpdate", {"mailbox": "Inbound"}, body=f'<aclElem pattern="live">l</aclElem>').ok
    assert a.request("messageCopy", {"folder": "INBOX", "targetMailbox": target}, body="<UID>1</UID>").error_num == 520
    assert peer.request("mailboxACLUpdate", {"mailbox": "Inbound"}, body=f'<aclElem pattern="live">li</aclElem>').ok
    r = a.request("messageCopy", {"folder": "INBOX", "targetMailbox": target, "report": "uid"}, body="<UID>1</UID>")
    assert r.ok and r.data[0].get("UID") == "1", r
    open_view(peer, "Inbound", mailbox="Inbound")
    assert [row[2] for row in browse_all(peer, "Inbound")] == ["to share"]
