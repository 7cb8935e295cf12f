"""The durability contract (DESIGN.md "Storage"): an acknowledged append survives SIGKILL.

`append_stress` (tests/tools) runs many concurrent appenders through the store's real append path
(rights check, body staging, group commit) and prints a line for each append once it is
acknowledged as durable. Each cycle kills it with SIGKILL at a random moment, starts the real
server on the same store, and checks, independently of the server's code (the store read through
Python's sqlite3 or psql, and BLAKE2b):
  - every acknowledged append is present, with its UID, and its body is byte-identical;
  - UIDs only grow across cycles and are never reused;
  - nothing half-written is visible: every message row has a complete body file.

On both backends: on PostgreSQL append_stress opens the server's database and body directory
(XIMSSD_STORE_POSTGRES, XIMSSD_STORE_BLOBS), like another node would.
"""

import hashlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from server_harness import server_binary

CYCLES = 20
CLIENTS = 24
OWNER = "owner@example.dom"
PASSWORD = "dur-pw-1"


def stress_binary():
    return Path(server_binary()).parent / "tests" / "tools" / "append_stress"


def read_acks(path):
    acks = {}
    text = path.read_text()
    lines = text.split("\n")
    for line in lines[:-1]:  # the last piece may be cut by the kill (or be empty)
        kind, client, seq, uid, blob, size = line.split(" ")
        assert kind == "ACK", line
        acks[(int(client), int(seq))] = (int(uid), blob, int(size))
    return acks


def stored_rows(server):
    boxes = server.store_query("SELECT m.id, m.uid_next FROM mailboxes m JOIN accounts a ON a.id = m.account_id "
                               "WHERE a.name = 'owner' AND m.name = 'Stress'")
    assert len(boxes) == 1, boxes
    box_id, uid_next = boxes[0]
    rows = server.store_query("SELECT uid, blob_id, size FROM messages WHERE mailbox_id = ?", (box_id,))
    return uid_next, {uid: (blob, size) for uid, blob, size in rows}


def stress_environment(server):
    """append_stress opens the server's store: SQLite in the data directory, or (PostgreSQL) the
    server's database and body directory, given in its environment."""
    env = dict(os.environ)
    env.pop("XIMSSD_STORE_POSTGRES", None)
    env.pop("XIMSSD_STORE_BLOBS", None)
    if server.pg_conninfo:
        env["XIMSSD_STORE_POSTGRES"] = server.pg_conninfo
        env["XIMSSD_STORE_BLOBS"] = str(server.blob_dir)
    return env


def test_acknowledged_appends_survive_sigkill(tmp_path, start_server):
    server = start_server()  # stopped (and its database dropped) at teardown
    server.add_account(OWNER, PASSWORD)
    c = server.login(OWNER, PASSWORD)
    assert c.request("mailboxCreate", {"mailbox": "Stress"}).ok
    assert not server.stop()
    data = server.data_dir
    env = stress_environment(server)
    rng = random.Random(int(os.environ.get("XIMSSD_DURABILITY_SEED", "4242")))

    all_acks = {}
    previous_max_uid = 0
    seen_uids = set()
    for cycle in range(CYCLES):
        out = tmp_path / f"acks{cycle}.txt"
        with open(out, "wb") as f:
            proc = subprocess.Popen([str(stress_binary()), str(data), OWNER, "Stress", str(CLIENTS), str(cycle)],
                                    stdout=f, stderr=subprocess.PIPE, env=env)
            # Kill at a random moment once appends are flowing (start-up time varies by build).
            deadline = time.monotonic() + 30
            while b"\n" not in out.read_bytes() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.2))
            assert proc.poll() is None, proc.stderr.read().decode()
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
        acks = read_acks(out)
        assert acks, f"cycle {cycle}: nothing was acknowledged"

        # Restart the real server on the data directory: it must come up and serve the messages.
        server.restart()
        uid_next, rows = stored_rows(server)
        r = server.login(OWNER, PASSWORD).request("mailboxList", {"filter": "Stress"})
        assert r.ok and r.data[0].get("MESSAGES") == str(len(rows)), r
        assert r.data[0].get("UIDNEXT") == str(uid_next), r
        assert not server.stop()

        for key, (uid, blob, size) in acks.items():
            assert uid in rows, f"cycle {cycle}: acknowledged append {key} (UID {uid}) is missing"
            assert rows[uid] == (blob, size), f"cycle {cycle}: UID {uid} changed: {rows[uid]} != {(blob, size)}"
            assert uid > previous_max_uid, f"cycle {cycle}: UID {uid} is not above the earlier {previous_max_uid}"
        new_uids = set(rows) - seen_uids
        assert all(u > previous_max_uid for u in new_uids), f"cycle {cycle}: a UID was reused"
        assert uid_next > max(rows), f"cycle {cycle}: UIDNEXT {uid_next} does not exceed UID {max(rows)}"
        for uid in new_uids:  # every visible row is whole: its body exists and matches its hash
            blob, size = rows[uid]
            body = server.blob_path(blob).read_bytes()
            assert len(body) == size, f"cycle {cycle}: UID {uid} body has {len(body)} bytes, not {size}"
            assert hashlib.blake2b(body, digest_size=32).hexdigest() == blob, f"cycle {cycle}: UID {uid} body differs"
        seen_uids |= new_uids
        previous_max_uid = max(rows)
        all_acks.update({(cycle, *k): v for k, v in acks.items()})

    assert len(all_acks) >= CYCLES * 10, f"only {len(all_acks)} appends were acknowledged in {CYCLES} cycles"
