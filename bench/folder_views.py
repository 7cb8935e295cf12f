#!/usr/bin/env python3
"""Folder View figures on a large mailbox, against a running server (issue M4):
  - folderOpen sorted by INTERNALDATE, From and Subject, then folderBrowse of 50 rows: the first
    open of each order (the server sorts) and a second one (the order is shared);
  - folderSync after 1,000 flag changes made by another session;
  - folderSearch for a Subject substring and for a flag combination;
  - the server's memory for 100 sessions each holding a view of the mailbox.

    folder_views.py timing --port P --user U --password W --mailbox Archive
    folder_views.py memory --port P --user U --password W --mailbox Archive --pid SERVER_PID

`memory` belongs on a freshly started server (memory freed by earlier work would hide growth).
Prints one JSON line. Times are wall-clock milliseconds measured by this client over loopback.
"first" opens find no other view of the mailbox (the server loads and sorts it); "shared" opens
happen while another session's view of it is open (the loaded mailbox and its order are shared)."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from ximss_client import XimssClient  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def login(args):
    client = XimssClient(args.host, args.port, timeout=300)
    client.connect()
    r = client.request("login", {"authData": args.user, "password": args.password})
    if not r.ok:
        sys.exit(f"folder_views: login failed: {r}")
    return client


def timed(client, name, attrs, body=None):
    start = time.perf_counter()
    r = client.request(name, attrs, body=body, timeout=300)
    elapsed = (time.perf_counter() - start) * 1000
    if not r.ok:
        sys.exit(f"folder_views: {name} failed: {r}")
    return r, round(elapsed, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["timing", "memory"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--mailbox", default="Archive")
    parser.add_argument("--pid", type=int)
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args()
    result = {}
    if args.phase == "memory":
        memory(args, result)
        print(json.dumps(result))
        return
    client = login(args)
    holder = login(args)
    fields = "<field>FLAGS</field><field>From</field><field>Subject</field><field>Date</field>"
    for sort in ("INTERNALDATE", "From", "Subject"):
        for attempt in ("first", "shared"):
            if attempt == "shared":
                holder.request("folderOpen", {"folder": sort, "mailbox": args.mailbox, "sortField": sort},
                               body=fields, timeout=300)
            name = f"{sort}-{attempt}"
            r, open_ms = timed(client, "folderOpen", {"folder": name, "mailbox": args.mailbox, "sortField": sort},
                               fields)
            result["messages"] = int(r.data[0].get("messages"))
            _, browse_ms = timed(client, "folderBrowse", {"folder": name}, '<index from="0" till="49"/>')
            result[f"open_{sort}_{attempt}_ms"] = open_ms
            result[f"browse50_{sort}_{attempt}_ms"] = browse_ms
            client.request("folderClose", {"folder": name})
            holder.request("folderClose", {"folder": sort})
    holder.close()

    # 1,000 changes by another session, then this session's folderSync.
    client.request("folderOpen", {"folder": "watch", "mailbox": args.mailbox, "sortField": "INTERNALDATE"}, body=fields)
    other = login(args)
    other.request("folderOpen", {"folder": "w", "mailbox": args.mailbox}, body="<field>UID</field>")
    start = time.perf_counter()
    for batch in range(10):
        body = f'<index from="{batch * 100}" till="{batch * 100 + 99}"/>'
        r = other.request("messageMark", {"folder": "w", "flags": "Flagged"}, body=body, timeout=300)
        if not r.ok:
            sys.exit(f"folder_views: messageMark failed: {r}")
    result["mark_1000_ms"] = round((time.perf_counter() - start) * 1000, 1)
    r, sync_ms = timed(client, "folderSync", {"folder": "watch"})
    result["sync_after_1000_changes_ms"] = sync_ms
    result["sync_reports"] = len(r.data)
    # folderSearch over the whole view: a Subject substring, and a flag combination (the 1,000
    # flagged messages that are still unseen).
    for key, query in (("subject", "SUBJECT invoice"), ("flags", "FLAGGED UNSEEN")):
        r, ms = timed(client, "folderSearch", {"folder": "watch", "filter": query})
        found = r.data[0]
        result[f"search_{key}_ms"] = ms
        result[f"search_{key}_matches"] = len(found.findall("UID"))
        result[f"search_{key}_complete"] = found.get("next") is None
    other.request("messageMark", {"folder": "w", "flags": "Unflagged"}, body='<index from="0" till="999"/>')
    other.close()
    client.close()

    print(json.dumps(result))


def memory(args, result):
    """Sessions each holding a view of the mailbox, on a fresh server."""
    fields = "<field>FLAGS</field><field>From</field><field>Subject</field><field>Date</field>"
    first = login(args)
    before_view = rss_kib(args.pid)
    r = first.request("folderOpen", {"folder": "v", "mailbox": args.mailbox, "sortField": "INTERNALDATE"}, body=fields,
                      timeout=300)
    if not r.ok:
        sys.exit(f"folder_views: folderOpen failed: {r}")
    time.sleep(1)
    before = rss_kib(args.pid)
    sessions = [first]
    for _ in range(args.sessions - 1):
        c = login(args)
        r = c.request("folderOpen", {"folder": "v", "mailbox": args.mailbox, "sortField": "INTERNALDATE"}, body=fields,
                      timeout=300)
        if not r.ok:
            sys.exit(f"folder_views: folderOpen failed: {r}")
        sessions.append(c)
    time.sleep(1)
    after = rss_kib(args.pid)
    result["messages"] = int(r.data[0].get("messages"))
    result["sessions"] = args.sessions
    result["shared_mailbox_kib"] = before - before_view
    result["rss_first_view_kib"] = before
    result["rss_all_views_kib"] = after
    result["per_extra_session_bytes"] = round((after - before) * 1024 / max(1, args.sessions - 1))
    for c in sessions:
        c.close()


if __name__ == "__main__":
    main()
