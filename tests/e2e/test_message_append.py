"""messageAppend with targetMailbox: the message is composed from its XML (C-messages.md
sections 2 and 7) and stored durably; the stored text is read back from the store directly."""


import pytest

USER = "mary@example.dom"
PASSWORD = "append-pw-1"

SEED_EXAMPLE = (
    '<messageAppend id="A001" targetMailbox="Sent" flags="Seen,Answered" mailboxClass="">'
    '<EMail><From realName="Sender Name">fromName@domain</From><Subject>I\'ll be there!</Subject>'
    '<To realName="Recipient Name">toName@domain</To><X-Mailer>SuperClient v7.77</X-Mailer>'
    '<Date localTime="20060621T215124" timeShift="-25200">20070830T045124Z</Date>'
    '<Message-ID>web-40721383@domain.dom</Message-ID>'
    '<MIME type="text" subtype="plain">Dear Susan,\n\nI will come to your place tomorrow, thank you for the '
    'invitation!\nMary.\n</MIME></EMail></messageAppend>')


@pytest.fixture
def mary(server):
    server.add_account(USER, PASSWORD)
    return server.login(USER, PASSWORD)


def stored(server, mailbox):
    rows = server.store_query(
        "SELECT msg.blob_id, msg.flags, msg.internal_date FROM messages msg JOIN mailboxes m ON m.id = msg.mailbox_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = 'mary' AND m.name = ? ORDER BY msg.uid",
        (mailbox,))
    return [(server.blob_path(b).read_bytes(), f, d) for b, f, d in rows]


def box(client, name):
    r = client.request("mailboxList", {"filter": name})
    assert r.ok and len(r.data) == 1, r
    return r.data[0]


def test_seed_example_creates_the_mailbox_and_stores_the_message(server, mary):
    mary.send(SEED_EXAMPLE)
    reply = mary.collect("A001")
    assert reply.ok, reply
    sent = box(mary, "Sent")
    assert sent.get("MESSAGES") == "1" and sent.get("UNSEEN") == "0"
    [(text, flags, _)] = stored(server, "Sent")
    assert flags == 1 | 2  # Seen, Answered
    header, _, body = text.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    # The display name may be written as atoms or as a quoted string: both mean the same.
    assert {b'From: "Sender Name" <fromName@domain>', b"From: Sender Name <fromName@domain>"} & set(lines)
    assert {b'To: "Recipient Name" <toName@domain>', b"To: Recipient Name <toName@domain>"} & set(lines)
    assert b"Subject: I'll be there!" in lines
    assert b"X-Mailer: SuperClient v7.77" in lines
    # The element's UTC time at its timeShift (PROTOCOL.md): the reference's example prints its
    # localTime instead, which disagrees with its own UTC text.
    assert b"Date: Wed, 29 Aug 2007 21:51:24 -0700" in lines
    assert b"Message-ID: <web-40721383@domain.dom>" in lines
    assert any(l.startswith(b"Content-Type: text/plain") and b"utf-8" in l for l in lines)
    assert body == b"Dear Susan,\r\n\r\nI will come to your place tomorrow, thank you for the invitation!\r\nMary.\r\n"


def test_append_flags_internal_date_and_errors(server, mary):
    email = '<EMail><Subject>x</Subject><MIME type="text" subtype="plain">hi</MIME></EMail>'
    r = mary.request("messageAppend", {"targetMailbox": "INBOX", "internalDate": "20200102T030405"}, body=email)
    assert r.ok, r
    [(_, flags, when)] = stored(server, "INBOX")
    assert flags == 0 and when == 1577934245
    assert box(mary, "INBOX").get("UNSEEN") == "1"
    cases = [
        ({"targetMailbox": "Nowhere"}, email, 530),                        # no such mailbox, no mailboxClass
        ({"targetMailbox": "INBOX", "flags": "Seen,Bogus"}, email, 501),
        ({"targetMailbox": "INBOX", "internalDate": "yesterday"}, email, 501),
        ({"targetMailbox": "INBOX"}, None, 501),                           # no EMail
        ({"targetMailbox": "INBOX"}, '<EMail><MIME type="image" subtype="gif"/></EMail>', 501),
        ({"folder": "INBOX"}, email, 530),                                 # no such folder view open
        ({}, email, 501),
    ]
    for attrs, body, number in cases:
        r = mary.request("messageAppend", attrs, body=body)
        assert r.error_num == number, (attrs, r)
    assert box(mary, "INBOX").get("MESSAGES") == "1"  # nothing else was stored


def test_append_to_another_accounts_mailbox_needs_the_insert_right(server, mary):
    server.add_account("owner@example.dom", PASSWORD)
    owner = server.login("owner@example.dom", PASSWORD)
    assert owner.request("mailboxCreate", {"mailbox": "Drop"}).ok
    email = '<EMail><Subject>for you</Subject><MIME type="text" subtype="plain">hi</MIME></EMail>'
    target = {"targetMailbox": "~owner@example.dom/Drop"}
    assert mary.request("messageAppend", target, body=email).error_num == 530
    assert owner.request("mailboxACLUpdate", {"mailbox": "Drop"}, body='<aclElem pattern="mary">l</aclElem>').ok
    assert mary.request("messageAppend", target, body=email).error_num == 520
    assert owner.request("mailboxACLUpdate", {"mailbox": "Drop"}, body='<aclElem pattern="mary">li</aclElem>').ok
    assert mary.request("messageAppend", target, body=email).ok
    assert box(owner, "Drop").get("MESSAGES") == "1"


def test_inline_attachment_and_the_uploaded_file_set(server, mary):
    email = ('<EMail><Subject>photo</Subject><MIME type="multipart" subtype="mixed">'
             '<MIME type="text" subtype="plain">see the photo</MIME>'
             '<MIME type="image" subtype="gif" disposition-filename="dot.gif">R0lGODlhAQABAAAAACw=</MIME>'
             '</MIME></EMail>')
    assert mary.request("messageAppend", {"targetMailbox": "INBOX"}, body=email).ok
    [(text, _, _)] = stored(server, "INBOX")
    assert b"Content-Type: image/gif" in text
    assert b"Content-Disposition: attachment; filename=dot.gif" in text
    assert b"R0lGODlhAQABAAAAACw=" in text
    # The uploaded-file set starts empty (files arrive over HTTP).
    r = mary.request("listUploaded")
    assert r.ok and r.data == [], r
    assert mary.request("listUploaded", {"uploadID": "att01"}).error_num == 530
    assert mary.request("clearUploaded", {"uploadID": "att01"}).error_num == 530
    assert mary.request("clearUploaded").ok
    r = mary.request("messageAppend", {"targetMailbox": "INBOX"},
                     body='<EMail><MIME uploadID="att01"/></EMail>')
    assert r.error_num == 501 and "att01" in r.error_text, r
