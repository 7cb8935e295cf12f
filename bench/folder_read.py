#!/usr/bin/env python3
"""folderRead latency for a large message: writes a ~10 MB message with attachments as an mbox
(`gen`), or, against a running server where it was imported, times folderRead of it (`run`).

    folder_read.py gen OUT.mbox
    folder_read.py run --port P --user U --password W [--mailbox INBOX] [--count 30]

`run` opens the mailbox as a Folder View, then reads its last message COUNT times each way:
whole with totalSizeLimit=100000 (what a web client shows: text bodies, attachments listed),
whole without a limit, and one attachment by partID. It prints one JSON line with the median
and 95th-percentile latency in milliseconds and the size of each reply."""

import argparse
import base64
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from ximss_client import XimssClient  # noqa: E402

ATTACHMENTS = [("report.pdf", "application/pdf", 3_500_000), ("photo.jpg", "image/jpeg", 2_800_000),
               ("data.zip", "application/zip", 1_200_000)]


def wrapped_base64(data):
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def large_message():
    rng = random.Random(7)
    words = ["message", "server", "report", "quarterly", "figures", "attached", "please", "review"]
    plain = "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(200)) + "\n"
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in plain.splitlines()) + "</body></html>\n"
    parts = [
        'Content-Type: multipart/alternative; boundary="alt"\n\n--alt\nContent-Type: text/plain; charset=utf-8\n\n'
        + plain + "--alt\nContent-Type: text/html; charset=utf-8\n\n" + html + "--alt--\n"]
    for name, mime, size in ATTACHMENTS:
        parts.append(f'Content-Type: {mime}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
                     f"Content-Transfer-Encoding: base64\n\n{wrapped_base64(rng.randbytes(size))}\n")
    body = "".join(f"--mixed\n{p}" for p in parts) + "--mixed--\n"
    header = ("From: Sender <sender@example.dom>\nTo: bench@example.dom\nSubject: Quarterly figures\n"
              "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <large-1@example.dom>\nMIME-Version: 1.0\n"
              'Content-Type: multipart/mixed; boundary="mixed"\n\n')
    return header + body


def timed(client, attrs, count):
    latencies, size = [], 0
    for _ in range(count):
        start = time.perf_counter()
        reply = client.request("folderRead", attrs, timeout=120)
        latencies.append((time.perf_counter() - start) * 1000)
        if not reply.ok:
            sys.exit(f"folder_read: {reply}")
        size = len(ET_tostring(reply.data[0]))
    latencies.sort()
    return {"median_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 2), "reply_bytes": size}


def ET_tostring(element):
    import xml.etree.ElementTree as ET
    return ET.tostring(element)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["gen", "run"])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--mailbox", default="INBOX")
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    if args.mode == "gen":
        message = large_message()
        with open(args.out, "w") as f:
            f.write("From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + message + "\n")
        print(f"message_bytes {len(message)}")
        return
    client = XimssClient(args.host, args.port, timeout=120)
    client.connect()
    login = client.request("login", {"authData": args.user, "password": args.password})
    if not login.ok:
        sys.exit(f"folder_read: login failed: {login}")
    opened = client.request("folderOpen", {"folder": "bench", "mailbox": args.mailbox},
                            body="<field>UID</field><field>SIZE</field>")
    if not opened.ok or opened.data[0].get("messages") == "0":
        sys.exit(f"folder_read: {opened}")
    rows = client.request("folderBrowse", {"folder": "bench"}, body='<index from="0" till="1000000"/>').data
    last = rows[-1]
    uid, size = last.get("UID"), int(last.findtext("SIZE"))
    result = {"message_bytes": size}
    result["limited"] = timed(client, {"folder": "bench", "UID": uid, "totalSizeLimit": "100000"}, args.count)
    result["whole"] = timed(client, {"folder": "bench", "UID": uid}, max(3, args.count // 3))
    result["attachment"] = timed(client, {"folder": "bench", "UID": uid, "partID": "02"}, args.count)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
