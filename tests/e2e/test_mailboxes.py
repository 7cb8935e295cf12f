"""Mailbox operations (B-mailboxes-folders.md sections 1-2, PROTOCOL.md "Mailboxes")."""

import re

import pytest

ALICE = "alice@example.dom"
BOB = "bob@example.dom"
PASSWORD = "mbox-pw-1"
STAMP = re.compile(r"^\d{8}T\d{6}$")


@pytest.fixture
def alice(server):
    server.add_account(ALICE, PASSWORD)
    return server.login(ALICE, PASSWORD)


@pytest.fixture
def pair(server):
    """(alice, bob): two logged-in accounts of one domain."""
    server.add_account(ALICE, PASSWORD)
    server.add_account(BOB, PASSWORD)
    return server.login(ALICE, PASSWORD), server.login(BOB, PASSWORD)


def ok(reply):
    assert reply.ok, reply
    return reply


def err(reply, number):
    assert reply.error_num == number, reply
    return reply


def listing(client, **attrs):
    """{name: attributes} of the mailbox data messages of a mailboxList."""
    r = ok(client.request("mailboxList", attrs))
    assert all(m.tag == "mailbox" and m.get("id") == r.id for m in r.data), r
    return {m.get("mailbox"): dict(m.attrib) for m in r.data}


def create(client, name, **attrs):
    return ok(client.request("mailboxCreate", {"mailbox": name, **attrs}))


# --- create, rename, remove ------------------------------------------------------------------

def test_new_account_has_an_empty_inbox(alice):
    boxes = listing(alice)
    assert list(boxes) == ["INBOX"]
    inbox = boxes["INBOX"]
    assert inbox["MESSAGES"] == "0" and inbox["UNSEEN"] == "0" and inbox["SIZE"] == "0"
    assert inbox["UIDNEXT"] == "1" and int(inbox["UIDVALIDITY"]) > 0
    assert "rights" not in inbox and "pureFolder" not in inbox and "OLDEST" not in inbox


def test_create_with_class_and_duplicates(alice):
    create(alice, "MyNotes", mailboxClass="IPF.StickyNote")
    assert listing(alice)["MyNotes"]["CLASS"] == "IPF.StickyNote"
    err(alice.request("mailboxCreate", {"mailbox": "MyNotes"}), 531)
    err(alice.request("mailboxCreate", {"mailbox": "inbox"}), 531)  # INBOX is case-insensitive
    err(alice.request("mailboxCreate", {}), 501)


@pytest.mark.parametrize("name", ["a//b", "/a", "a/", "a/../b", ".", "a/./b", "bad\x01name", "x" * 600,
                                  "~", "a/" + "y" * 300])
def test_invalid_names_are_refused_with_a_reason(alice, name):
    r = alice.request("mailboxCreate", {"mailbox": name})
    if name == "a/":  # a trailing '/' asks for a pure folder: valid
        assert r.ok, r
        return
    assert r.error_num in (501, 530), r
    assert r.error_text, r


def test_uidvalidity_changes_when_a_name_is_reused(alice):
    create(alice, "Again")
    first = listing(alice)["Again"]["UIDVALIDITY"]
    ok(alice.request("mailboxRemove", {"mailbox": "Again"}))
    create(alice, "Again")
    assert int(listing(alice)["Again"]["UIDVALIDITY"]) > int(first)


def test_rename_with_children_moves_the_subtree(alice):
    for name in ["Projects", "Projects/2025", "Projects/2025/Q1", "ProjectsOther"]:
        create(alice, name)
    ok(alice.request("mailboxRename", {"mailbox": "Projects", "newName": "Archive", "children": "yes"}))
    names = set(listing(alice))
    assert {"Archive", "Archive/2025", "Archive/2025/Q1", "ProjectsOther"} <= names
    assert not {n for n in names if n.startswith("Projects/") or n == "Projects"}


def test_rename_without_children_leaves_them(alice):
    create(alice, "P")
    create(alice, "P/kid")
    ok(alice.request("mailboxRename", {"mailbox": "P", "newName": "Q"}))
    boxes = listing(alice, pureFolder="yes")
    assert "Q" in boxes and "P/kid" in boxes
    assert boxes["P"].get("pureFolder") == "yes"  # only a parent now


def test_rename_errors(alice):
    create(alice, "A")
    create(alice, "B")
    err(alice.request("mailboxRename", {"mailbox": "A", "newName": "B"}), 531)
    err(alice.request("mailboxRename", {"mailbox": "Nope", "newName": "C"}), 530)
    err(alice.request("mailboxRename", {"mailbox": "A", "newName": "A/inside", "children": ""}), 501)


def test_remove_with_and_without_children(alice):
    for name in ["T", "T/a", "T/a/b", "U", "U/x"]:
        create(alice, name)
    ok(alice.request("mailboxRemove", {"mailbox": "T", "children": "yes"}))
    assert not [n for n in listing(alice, pureFolder="yes") if n == "T" or n.startswith("T/")]
    # Without children: the sub-mailboxes stay, the mailbox becomes a pure folder.
    ok(alice.request("mailboxRemove", {"mailbox": "U"}))
    boxes = listing(alice, pureFolder="yes")
    assert boxes["U"].get("pureFolder") == "yes" and "U/x" in boxes
    err(alice.request("mailboxRemove", {"mailbox": "INBOX"}), 520)
    err(alice.request("mailboxRemove", {"mailbox": "Missing"}), 530)


# --- mailboxList ----------------------------------------------------------------------------

def test_list_filters_star_and_percent(alice):
    for name in ["Work", "Work/Reports", "Work/Reports/2024", "Home"]:
        create(alice, name)
    assert set(listing(alice, filter="%")) == {"INBOX", "Work", "Home"}
    assert set(listing(alice, filter="Work/%")) == {"Work/Reports"}
    assert set(listing(alice, filter="Work/*")) == {"Work/Reports", "Work/Reports/2024"}
    assert set(listing(alice, filter="*Rep*")) == {"Work/Reports", "Work/Reports/2024"}
    assert set(listing(alice, filter="nothing")) == set()
    assert listing(alice)["Work"]["isFolder"] == "yes"
    assert "isFolder" not in listing(alice)["Home"]


def test_list_pure_folders_and_classes(alice):
    create(alice, "Folder/")  # explicitly a pure folder
    create(alice, "Deep/Child")  # "Deep" exists only as a parent
    create(alice, "Notes", mailboxClass="IPF.StickyNote")
    plain = listing(alice)
    assert "Folder" not in plain and "Deep" not in plain and "Deep/Child" in plain
    full = listing(alice, pureFolder="yes")
    assert full["Folder"] == {"id": full["Folder"]["id"], "mailbox": "Folder", "pureFolder": "yes"}
    assert full["Deep"]["pureFolder"] == "yes"
    # A class filter: other classes only show as pure folders (and only when asked for).
    assert set(listing(alice, mailboxClass="IPF.StickyNote")) == {"Notes"}
    mail_only = listing(alice, mailboxClass="", pureFolder="yes")
    assert mail_only["Notes"]["pureFolder"] == "yes"
    assert "pureFolder" not in mail_only["INBOX"]
    err(alice.request("mailboxCreate", {"mailbox": "X", "mailboxClass": "bad\x02"}), 501)


def test_list_counts_imported_messages(server, alice, tmp_path):
    mbox = tmp_path / "in.mbox"
    mbox.write_bytes(
        b"From a@b Thu Jan  1 00:00:00 2015\nSubject: one\n\nbody 1\n\n"
        b"From a@b Fri Jan  2 00:00:00 2015\nSubject: two\n\n>From quoted\n\n")
    server.admin_ok("import", "mbox", mbox, "--account", ALICE, "--mailbox", "Imported")
    box = listing(alice)["Imported"]
    assert box["MESSAGES"] == "2" and box["UNSEEN"] == "2" and box["UIDNEXT"] == "3"
    assert box["SIZE"] == str(len(b"Subject: one\n\nbody 1\n") + len(b"Subject: two\n\nFrom quoted\n"))
    assert box["OLDEST"] == "20150101T000000"


# --- subscriptions and aliases ---------------------------------------------------------------

def test_subscriptions(alice):
    body = ('<mailboxSubscription mailbox="INBOX" mode="add"/>'
            '<mailboxSubscription mailbox="Lists/ietf" mode="add"/>'
            '<mailboxSubscription mailbox="Lists/ietf" mode="add"/>'
            '<mailboxSubscription mailbox="Gone" mode="add"/>')
    ok(alice.request("mailboxSubUpdate", body=body))
    r = ok(alice.request("mailboxSubList"))
    assert sorted(m.get("mailbox") for m in r.data) == ["Gone", "INBOX", "Lists/ietf"]  # may not exist
    assert all(m.tag == "mailboxSubscription" for m in r.data)
    r = ok(alice.request("mailboxSubList", {"filter": "Lists/%"}))
    assert [m.get("mailbox") for m in r.data] == ["Lists/ietf"]
    ok(alice.request("mailboxSubUpdate", body='<mailboxSubscription mailbox="Gone" mode="remove"/>'))
    r = ok(alice.request("mailboxSubList"))
    assert sorted(m.get("mailbox") for m in r.data) == ["INBOX", "Lists/ietf"]
    err(alice.request("mailboxSubUpdate", body='<mailboxSubscription mailbox="a//b" mode="add"/>'), 501)


def test_aliases(alice):
    create(alice, "Real/Target")
    ok(alice.request("mailboxAliasUpdate", body='<mailboxAlias name="Short" mode="add">Real/Target</mailboxAlias>'))
    r = ok(alice.request("mailboxAliasList"))
    assert [(m.tag, m.get("name"), m.text) for m in r.data] == [("mailboxAlias", "Short", "Real/Target")]
    # The alias name works where a mailbox name does, and is listed.
    assert "Short" in listing(alice)
    ok(alice.request("mailboxRightsGet", {"mailbox": "Short"}))
    ok(alice.request("mailboxAliasUpdate", body='<mailboxAlias name="Short" mode="add">INBOX</mailboxAlias>'))
    r = ok(alice.request("mailboxAliasList"))
    assert [m.text for m in r.data] == ["INBOX"]  # replaced
    ok(alice.request("mailboxAliasUpdate", body='<mailboxAlias name="Short"/>'))
    assert ok(alice.request("mailboxAliasList")).data == []


# --- rights and ACLs --------------------------------------------------------------------------

def rights_of(client, name):
    r = ok(client.request("mailboxRightsGet", {"mailbox": name}))
    assert [m.tag for m in r.data] == ["mailboxRights"] and r.data[0].get("mailbox") == name
    return r.data[0].text or ""


def acl_update(client, name, *entries):
    body = "".join(f'<aclElem pattern="{p}"{f" mode={chr(34)}{m}{chr(34)}" if m else ""}>{r}</aclElem>'
                   for p, r, m in entries)
    return client.request("mailboxACLUpdate", {"mailbox": name}, body=body)


def test_owner_has_every_right(alice):
    assert rights_of(alice, "INBOX") == "lrswipkxteacd"


def test_acl_modes_and_validation(alice):
    create(alice, "S")
    ok(acl_update(alice, "S", ("bob", "lr", None), ("carol@other.dom", "lrs", None)))
    ok(acl_update(alice, "S", ("bob", "wi", "add"), ("carol@other.dom", "s", "sub"), ("anyone", "l", None)))
    r = ok(alice.request("mailboxACLList", {"mailbox": "S"}))
    entries = [(e.get("pattern"), e.text) for e in r.data[0]]
    assert entries == [("bob", "lrwi"), ("carol@other.dom", "lr"), ("anyone", "l")]
    ok(acl_update(alice, "S", ("anyone", "", "clear")))
    r = ok(alice.request("mailboxACLList", {"mailbox": "S"}))
    assert [e.get("pattern") for e in r.data[0]] == ["bob", "carol@other.dom"]
    err(acl_update(alice, "S", ("bob", "lz", None)), 501)  # no such right
    err(acl_update(alice, "S", ("bad name!", "l", None)), 501)
    err(alice.request("mailboxACLUpdate", {"mailbox": "S"}), 501)  # no aclElem


SHARED = "~alice@example.dom/Shared"


def grant(alice, rights, pattern="bob"):
    ok(acl_update(alice, "Shared", (pattern, rights, None)))


@pytest.fixture
def shared(pair):
    alice, bob = pair
    create(alice, "Shared")
    create(alice, "Shared/Inner")
    return alice, bob


def every_operation(bob):
    """What bob may try on alice's Shared mailbox: {operation: reply}."""
    return {
        "list": bob.request("mailboxList", {"filter": "~*"}),
        "rights": bob.request("mailboxRightsGet", {"mailbox": SHARED}),
        "acl_list": bob.request("mailboxACLList", {"mailbox": SHARED}),
        "acl_update": bob.request("mailboxACLUpdate", {"mailbox": SHARED},
                                  body='<aclElem pattern="bob">lrswipkxtea</aclElem>'),
        "create": bob.request("mailboxCreate", {"mailbox": SHARED + "/New"}),
        "rename": bob.request("mailboxRename", {"mailbox": SHARED + "/Inner", "newName": SHARED + "/Moved"}),
        "remove": bob.request("mailboxRemove", {"mailbox": SHARED + "/Inner"}),
    }


def test_no_acl_entry_means_the_mailbox_is_invisible(shared):
    alice, bob = shared
    ops = every_operation(bob)
    assert ops["list"].ok and ops["list"].data == []
    for name in ["rights", "acl_list", "acl_update", "create", "rename", "remove"]:
        assert ops[name].error_num == 530, (name, ops[name])
    # Nothing changed for alice.
    assert {"Shared", "Shared/Inner"} <= set(listing(alice))
    assert ok(alice.request("mailboxACLList", {"mailbox": "Shared"})).data[0].findall("aclElem") == []


def test_lookup_only_shows_but_allows_nothing_else(shared):
    alice, bob = shared
    grant(alice, "l")
    ops = every_operation(bob)
    names = {m.get("mailbox"): m.get("rights") for m in ops["list"].data}
    assert names == {SHARED: "l"}
    assert ops["rights"].ok and ops["rights"].data[0].text == "l"
    for name in ["acl_list", "acl_update"]:
        assert ops[name].error_num == 520, (name, ops[name])
    # The sub-mailbox itself grants bob nothing: it stays invisible.
    for name in ["rename", "remove"]:
        assert ops[name].error_num == 530, (name, ops[name])
    assert ops["create"].error_num == 520, ops["create"]  # needs "k" on Shared
    assert {"Shared", "Shared/Inner"} <= set(listing(alice)) and "Shared/New" not in listing(alice)


def test_granted_rights_allow_exactly_their_operations(shared):
    alice, bob = shared
    grant(alice, "lk")
    ok(bob.request("mailboxCreate", {"mailbox": SHARED + "/ByBob"}))
    assert "Shared/ByBob" in listing(alice)
    err(bob.request("mailboxRemove", {"mailbox": SHARED + "/ByBob"}), 530)  # no rights there yet
    ok(acl_update(alice, "Shared/ByBob", ("bob", "lx", None)))
    ok(bob.request("mailboxRemove", {"mailbox": SHARED + "/ByBob"}))
    assert "Shared/ByBob" not in listing(alice)
    err(bob.request("mailboxACLList", {"mailbox": SHARED}), 520)
    grant(alice, "la")
    r = ok(bob.request("mailboxACLList", {"mailbox": SHARED}))
    assert [(e.get("pattern"), e.text) for e in r.data[0]] == [("bob", "la")]
    # Top-level mailboxes of another account cannot be created, whatever the rights.
    err(bob.request("mailboxCreate", {"mailbox": "~alice@example.dom/Top"}), 520)
    # Renaming across accounts is refused.
    err(bob.request("mailboxRename", {"mailbox": SHARED, "newName": "Mine"}), 520)


def test_negative_rights_and_anyone(shared):
    alice, bob = shared
    ok(acl_update(alice, "Shared", ("anyone", "lr", None)))
    assert rights_of(bob, SHARED) == "lr"
    ok(acl_update(alice, "Shared", ("-bob", "r", None)))
    assert rights_of(bob, SHARED) == "l"
    ok(acl_update(alice, "Shared", ("-bob", "l", "add")))
    err(bob.request("mailboxRightsGet", {"mailbox": SHARED}), 530)


def test_foreign_names_in_the_same_domain_and_unknown_accounts(shared):
    alice, bob = shared
    grant(alice, "lr")
    assert rights_of(bob, "~alice/Shared") == "lr"
    assert set(listing(bob, filter="~alice/*")) == {SHARED}
    err(bob.request("mailboxRightsGet", {"mailbox": "~nobody@example.dom/INBOX"}), 530)
    # An own name spelled as a foreign one is the own mailbox.
    assert rights_of(alice, "~alice@example.dom/Shared") == "lrswipkxteacd"


def test_an_alias_grants_nothing_the_acl_does_not(shared):
    alice, bob = shared
    ok(bob.request("mailboxAliasUpdate", body=f'<mailboxAlias name="Peek" mode="add">{SHARED}</mailboxAlias>'))
    assert "Peek" not in listing(bob)
    err(bob.request("mailboxRightsGet", {"mailbox": "Peek"}), 530)
    err(bob.request("mailboxACLList", {"mailbox": "Peek"}), 530)
    grant(alice, "lr")
    boxes = listing(bob)
    assert boxes["Peek"]["rights"] == "lr"  # another account's mailbox, seen through the alias
    assert rights_of(bob, "Peek") == "lr"
    err(bob.request("mailboxRemove", {"mailbox": "Peek"}), 520)


def test_mailbox_operations_need_a_session(server):
    c = server.client()
    for op in ["mailboxList", "mailboxCreate", "mailboxACLList"]:
        assert c.request(op, {"mailbox": "INBOX"}).error_num == 510


def test_oversized_filters_are_refused_and_the_session_goes_on(alice):
    err(alice.request("mailboxList", {"filter": "*" * 2000}), 501)
    err(alice.request("mailboxSubList", {"filter": "%" * 2000}), 501)
    assert "INBOX" in listing(alice, filter="*" * 1000)
