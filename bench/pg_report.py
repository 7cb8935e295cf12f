#!/usr/bin/python3
"""Writes the "Storage backends: PostgreSQL vs SQLite" section of docs/PERFORMANCE.md (Markdown,
on stdout).

Run by bench/pg_vs_sqlite.sh, which passes what it measured: one JSON line per case and round
of bench/imap_load in $RESULTS/KEY.json (KEY: CONFIG_append_N_rR, CONFIG_mixed_N_rR,
CONFIG_import) and how it ended in $RESULTS/KEY.status, the commands in $RESULTS/commands.tsv,
notes in $RESULTS/notes.txt, the load average at the start of each round in $RESULTS/load.tsv,
with BENCH_PG_STATEMENTS=1 PostgreSQL's statements per case in $RESULTS/KEY.statements.tsv, and
the rest in environment variables. Each case is shown by its median round (by rate), all of
that round's figures together, with the range of the rates over the rounds.
"""

import json
import os

E = os.environ
RESULTS = E["RESULTS"]
CONFIGS = E["CONFIGS"].split()
NAMES = {"sqlite": "SQLite", "pg1": "PostgreSQL, 1 node", "pg2": "PostgreSQL, 2 nodes"}
SHORT = {"sqlite": "SQLite", "pg1": "PG 1 node", "pg2": "PG 2 nodes"}
APPEND_LEVELS = [int(c) for c in E["APPEND_LEVELS"].split()]
CLIENT_LEVELS = [int(c) for c in E["CLIENT_LEVELS"].split()]
ROUNDS = int(E.get("ROUNDS", "1"))
RATE = {"append": "messages_per_sec", "mixed": "commands_per_sec"}
KINDS = [
    ("fetch_page", "FETCH 50 headers"),
    ("fetch_body", "UID FETCH BODY[]"),
    ("store", "UID STORE"),
    ("append", "APPEND"),
    ("search_unseen", "UID SEARCH UNSEEN"),
    ("search_subject", "SEARCH SUBJECT"),
    ("expunge", "UID EXPUNGE"),
    ("noop", "NOOP"),
    ("idle", "IDLE + DONE"),
]


def load(key, raw=False):
    data, status, text = None, "not run", ""
    try:
        with open(f"{RESULTS}/{key}.status") as f:
            status = f.read().strip()
        with open(f"{RESULTS}/{key}.json") as f:
            text = f.read().strip()
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        pass
    return (data, status, text) if raw else (data, status)


def lines(name):
    try:
        with open(f"{RESULTS}/{name}") as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except OSError:
        return []


COMMANDS = dict(line.split("\t", 1) for line in lines("commands.tsv"))
LOAD = dict(line.split("\t", 1) for line in lines("load.tsv"))


def fint(v):
    return "—" if v is None else f"{round(v):,}"


def fnum(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def fms(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def ratio(a, b):
    if a is None or not b:
        return "—"
    return f"{a / b:.2f}×"


def outcome(data, status):
    if data is None:
        return status
    errors = data.get("errors", 0)
    return f"{errors} errors, {status}" if errors else status


def cores(data, cfg):
    """Server cores used, split between ximssd and PostgreSQL: "1.23 (0.80 + 0.43)"."""
    if not data or data.get("server_cores_used") is None:
        return "—"
    total = data["server_cores_used"]
    each = data.get("server_cpu_seconds_each")
    if cfg == "sqlite" or not each:
        return f"{total:.2f}"
    seconds = data["server_cpu_seconds"] / total if total else 0
    if not seconds:
        return f"{total:.2f}"
    ximssd = sum(each[:-1]) / seconds
    pg = each[-1] / seconds
    if len(each) > 2:
        nodes = " + ".join(f"{v / seconds:.2f}" for v in each[:-1])
        return f"{total:.2f} ({nodes} + {pg:.2f})"
    return f"{total:.2f} ({ximssd:.2f} + {pg:.2f})"


def get(data, field):
    return None if not data else data.get(field)


def case(cfg, kind, level):
    """The median round of a case: (data, status, rates of every round that gave one, key)."""
    runs = []
    statuses = []
    for r in range(1, ROUNDS + 1):
        key = f"{cfg}_{kind}_{level}_r{r}"
        d, st = load(key)
        statuses.append(st)
        if d and d.get(RATE[kind]) is not None:
            runs.append((d[RATE[kind]], d, st, key))
    if not runs:
        return None, "; ".join(sorted(set(statuses))), [], None
    runs.sort(key=lambda x: x[0])
    rate, d, st, key = runs[(len(runs) - 1) // 2]
    bad = [x for x in statuses if x != "ok"]
    if bad:
        st = f"{st}; other rounds: {'; '.join(bad)}"
    return d, st, [x[0] for x in runs], key


def spread(rates):
    if len(rates) < 2:
        return "—"
    return f"{fint(min(rates))}–{fint(max(rates))}"


def all_keys():
    keys = []
    for r in range(1, ROUNDS + 1):
        keys += [f"{cfg}_append_{c}_r{r}" for c in APPEND_LEVELS for cfg in CONFIGS]
        keys += [f"{cfg}_mixed_{c}_r{r}" for c in CLIENT_LEVELS for cfg in CONFIGS]
    return keys


out = []
w = out.append

w("## Storage backends: PostgreSQL vs SQLite")
w("")
w(f"Measured {E['STARTED']} ({E['ELAPSED']} s) by `scripts/bench pg` (`bench/pg_vs_sqlite.sh`): ximssd")
w(f"(`{E['BUILD_DIR']}/ximssd`, {E['BUILD_TYPE']}, built {E['BINARY_DATE']}; the repository was at {E['REVISION']}) with its")
w(f"SQLite store and with PostgreSQL {E['PG_VERSION'] or '—'} (a private cluster, `scripts/pg_cluster`), one node")
w(f"and two nodes on the same database, in one run: {ROUNDS} rounds, each running every case for the")
w("three configurations back to back (each round starting with the next configuration); a case")
w("is shown by its median round (all of that round's figures), with the range over the rounds. Machine:")
w(f"{E['NPROC']} CPUs ({E['CPU_MODEL']}), {E['MEM_TOTAL']} RAM, Linux {E['KERNEL']}; every data directory,")
w(f"the blob directory and the PostgreSQL cluster on the same {E['FS_TYPE']} filesystem. **ximssd, PostgreSQL")
w(f"and the load tool (`bench/imap_load`) all share these {E['NPROC']} cores**, over 127.0.0.1: PostgreSQL's CPU")
w("is taken from the same cores that serve IMAP, as it would not be with a database on its own machine.")
load_parts = [f"round {r}: {LOAD[r]}" for r in sorted(LOAD)]
w(f"The load average (1, 5, 15 min) was {E['LOAD_START']} at the start, {E['LOAD_END']} at the end, and at the")
w(f"start of each round: {'; '.join(load_parts)}. Each case also reports how busy the")
w("whole machine was (*machine cores busy*).")
# What else ran: the machine's busy cores minus the server trees' and the load tool's, per case.
others = []
for key in all_keys():
    d = load(key)[0]
    if d and d.get("machine_cores_used") is not None and d.get("server_cores_used") is not None:
        others.append((max(0.0, d["machine_cores_used"] - d["server_cores_used"] - d.get("client_cores_used", 0)), key))
if others:
    mean = sum(o for o, _ in others) / len(others)
    worst, worst_key = max(others)
    w("Outside the benchmark's processes (the server trees and the load tool), the machine was busy")
    w(f"{mean:.2f} cores on average over the measured runs (at most {worst:.2f}, in {worst_key}); kernel work")
    w("charged to no process (writeback, for one) counts there too.")
for note in lines("notes.txt"):
    w(f"- Note: {note}")
w("")

# --- summary ---------------------------------------------------------------------------------------
w("### Summary")
w("")
head = "| | " + " | ".join(SHORT[c] for c in CONFIGS)
sep = "|---|" + "---|" * len(CONFIGS)
if "pg1" in CONFIGS and "sqlite" in CONFIGS:
    head += " | PG 1 node ÷ SQLite"
    sep += "---|"
if "pg2" in CONFIGS:
    head += " | PG 2 nodes ÷ PG 1 node"
    sep += "---|"
if "pg2" in CONFIGS and "sqlite" in CONFIGS:
    head += " | PG 2 nodes ÷ SQLite"
    sep += "---|"
w(head + " |")
w(sep)


def summary_row(label, kind, level):
    values = {cfg: get(case(cfg, kind, level)[0], RATE[kind]) for cfg in CONFIGS}
    row = f"| {label} | " + " | ".join(f"**{fint(values[c])}**" if values[c] is not None else "—" for c in CONFIGS)
    if "pg1" in CONFIGS and "sqlite" in CONFIGS:
        row += f" | {ratio(values['pg1'], values['sqlite'])}"
    if "pg2" in CONFIGS:
        row += f" | {ratio(values['pg2'], values.get('pg1'))}"
    if "pg2" in CONFIGS and "sqlite" in CONFIGS:
        row += f" | {ratio(values['pg2'], values['sqlite'])}"
    w(row + " |")


for c in APPEND_LEVELS:
    summary_row(f"APPEND, messages/s, {c} connection{'s' if c > 1 else ''}", "append", c)
for c in CLIENT_LEVELS:
    summary_row(f"Mixed workload, commands/s, {c} clients", "mixed", c)
w("")
if "pg2" in CONFIGS and 1 in APPEND_LEVELS:
    w("With two nodes, the connections alternate between them; a single connection goes to node A")
    w("while node B is up (and receives node A's change notifications).")
    w("")

# --- append ------------------------------------------------------------------------------------------
w("### Append rate")
w("")
w(f"`imap_load append` APPENDs {int(E['APPEND_COUNT']):,} messages into the INBOX of a fresh account (one per case),")
w("one APPEND in flight per connection (LITERAL+); the messages are the IMAP comparison's (realistic headers,")
w("1–20 KB, 70% text/plain, 15% multipart/alternative, 15% multipart/mixed with an attachment). An APPEND")
w("is answered once the message is durable (SQLite: the group commit and `syncfs`; PostgreSQL: the")
w("blob's sync and the transaction's commit). Latency: from the command to its tagged OK. *Server cores*:")
w("the CPU time of the whole process trees over the run divided by its length, all of it, then in")
w("parentheses ximssd + PostgreSQL (the postmaster with its backends and workers, reaped ones")
w("included); with two nodes node A + node B + PostgreSQL.")
w("")
w("| Store | Connections | Messages | Avg size | Seconds | Messages/s | Rounds: messages/s | p50 ms | p99 ms | Server cores: all (ximssd + PG) | Server CPU ms / message | Machine cores busy | Outcome |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for c in APPEND_LEVELS:
    for cfg in CONFIGS:
        d, st, rates, _ = case(cfg, "append", c)
        if not d:
            w(f"| {NAMES[cfg]} | {c} | — | — | — | — | — | — | — | — | — | — | {st} |")
            continue
        size = d["bytes"] / d["messages"] / 1024 if d.get("messages") else None
        cpu_ms = d["server_cpu_seconds"] * 1000 / d["messages"] if d.get("server_cpu_seconds") and d.get("messages") else None
        w(f"| {NAMES[cfg]} | {c} | {fint(d.get('messages'))} | {fnum(size, 1)} KB | {fnum(d.get('seconds'), 1)} "
          f"| **{fint(d.get('messages_per_sec'))}** | {spread(rates)} | {fms(d.get('p50_ms'))} | {fms(d.get('p99_ms'))} "
          f"| {cores(d, cfg)} | {fnum(cpu_ms, 2)} | {fnum(d.get('machine_cores_used'))} | {outcome(d, st)} |")
w("")

fill = [(cfg, load(f"{cfg}_import")) for cfg in CONFIGS if cfg != "pg2"]
if fill:
    w(f"The mailbox for the mixed workload: {int(E['MAILBOX_COUNT']):,} messages APPENDed into `{E['USER_NAME']}`'s INBOX")
    w(f"over {E['IMPORT_CONNECTIONS']} connections (two nodes work on the mailbox one node filled):")
    w("")
    w("| Store | Messages | Seconds | Messages/s | Messages/s, first tenth | Messages/s, last tenth | p99 ms | Server cores: all (ximssd + PG) | Outcome |")
    w("|---|---|---|---|---|---|---|---|---|")
    for cfg, (d, st) in fill:
        if not d:
            w(f"| {NAMES[cfg]} | — | — | — | — | — | — | — | {st} |")
            continue
        w(f"| {NAMES[cfg]} | {fint(d.get('messages'))} | {fnum(d.get('seconds'), 1)} | **{fint(d.get('messages_per_sec'))}** "
          f"| {fint(d.get('first_tenth_per_sec'))} | {fint(d.get('last_tenth_per_sec'))} | {fms(d.get('p99_ms'))} "
          f"| {cores(d, cfg)} | {outcome(d, st)} |")
    w("")

# --- mixed ---------------------------------------------------------------------------------------------
w("### IMAP mixed workload")
w("")
w("`imap_load mixed`, as in the IMAP comparison with Dovecot: each client has its own connection with")
w("INBOX selected and one command in flight, and loops over a cycle of 15 commands (FETCH of 50 messages'")
w("flags, size and headers; UID FETCH BODY[] twice; UID STORE ±\\Seen twice; NOOP twice; APPEND;")
w("UID SEARCH UNSEEN; FETCH page + body; SEARCH SUBJECT; UID STORE \\Deleted + UID EXPUNGE of its own")
w("APPEND; IDLE and DONE), which keeps the mailbox at its size. "
  f"{E['SECONDS_EACH']} s measured after a {E['WARMUP']} s warm-up per case;")
w("with two nodes the clients alternate between them. *Server cores* over the measured window, as above.")
w("")
w("| Store | Clients | Commands/s | Rounds: commands/s | p50 ms | p99 ms | Server cores: all (ximssd + PG) | Commands per server CPU second | Load tool cores | Machine cores busy | Outcome |")
w("|---|---|---|---|---|---|---|---|---|---|---|")
for c in CLIENT_LEVELS:
    for cfg in CONFIGS:
        d, st, rates, _ = case(cfg, "mixed", c)
        if not d:
            w(f"| {NAMES[cfg]} | {c} | — | — | — | — | — | — | — | — | {st} |")
            continue
        w(f"| {NAMES[cfg]} | {c} | **{fint(d.get('commands_per_sec'))}** | {spread(rates)} | {fms(d.get('p50_ms'))} | {fms(d.get('p99_ms'))} "
          f"| {cores(d, cfg)} | {fint(d.get('commands_per_server_cpu_sec'))} | {fnum(d.get('client_cores_used'))} "
          f"| {fnum(d.get('machine_cores_used'))} | {outcome(d, st)} |")
w("")
top = CLIENT_LEVELS[-1] if CLIENT_LEVELS else None
if top is not None:
    w(f"Per command at {top} clients (the median rounds), p50 / p99 in ms:")
    w("")
    w("| Command | " + " | ".join(SHORT[c] for c in CONFIGS) + " |")
    w("|---|" + "---|" * len(CONFIGS))
    data = {cfg: case(cfg, "mixed", top)[0] for cfg in CONFIGS}
    for kind, label in KINDS:
        cells = []
        for cfg in CONFIGS:
            d = data[cfg]
            if not d or d.get(f"{kind}_count") is None:
                cells.append("—")
                continue
            cell = f"{fms(d.get(f'{kind}_p50_ms'))} / {fms(d.get(f'{kind}_p99_ms'))}"
            if d.get(f"{kind}_errors"):
                cell += f" ({d[f'{kind}_errors']} errors)"
            cells.append(cell)
        w(f"| {label} | " + " | ".join(cells) + " |")
    w("")
    errs = []
    for key in all_keys():
        if "_mixed_" not in key:
            continue
        d = load(key)[0]
        if not d:
            continue
        for kind, label in KINDS:
            if d.get(f"{kind}_errors") and d.get(f"{kind}_first_error"):
                errs.append(f"{key}, {label}: {d[f'{kind}_errors']} errors, the first: "
                            f"`{d[f'{kind}_first_error'][:200]}`")
    if errs:
        w("Errors:")
        w("")
        for e in errs:
            w(f"- {e}")
        w("")

# --- statements (BENCH_PG_STATEMENTS=1) ------------------------------------------------------------------------
def statements(key):
    rows = []
    for line in lines(f"{key}.statements.tsv"):
        parts = line.split("\t")
        if len(parts) == 5:
            rows.append((int(parts[0]), float(parts[1]), float(parts[2]), int(parts[3]), parts[4]))
    return rows


if E.get("STATEMENTS") == "1":
    w("### PostgreSQL's statements")
    w("")
    w("A diagnosis (`BENCH_PG_STATEMENTS=1`: the cluster ran with `pg_stat_statements`, which costs a")
    w("little, so the figures above are not the clean ones): per PostgreSQL case, from its start to its")
    w("end (warm-up and clean-up included; every round), all statements, then the five that took the most time.")
    w("Time is inside PostgreSQL, waits for row locks included; each call is a round trip from ximssd.")
    w("")
    w("| Case | Statements | Per IMAP command (≈) | Time in PG, ms | Top statements: calls, total ms, mean ms, statement |")
    w("|---|---|---|---|---|")
    keys = [k for k in all_keys() if not k.startswith("sqlite_")]
    for key in keys:
        rows = statements(key)
        if not rows:
            continue
        calls = sum(r[0] for r in rows)
        total = sum(r[1] for r in rows)
        d = load(key)[0] or {}
        if "commands_per_sec" in d:
            commands = d["commands_per_sec"] * (float(E["SECONDS_EACH"]) + float(E["WARMUP"]))
        else:
            commands = d.get("messages")
        per = f"{calls / commands:.1f}" if commands else "—"
        top = "<br>".join(f"{r[0]:,}, {r[1]:,.0f}, {r[2]:.3f}, `{r[4][:110].replace('|', '&#124;')}`" for r in rows[:5])
        w(f"| {key} | {calls:,} | {per} | {total:,.0f} | {top} |")
    w("")

# --- configuration, commands, raw ----------------------------------------------------------------------------
w("### Configuration")
w("")
w("ximssd runs with its defaults (network threads: one per CPU) and cheap password hashing")
w("(`auth.argon2_opslimit=1`, `auth.argon2_memlimit_kib=8`). On PostgreSQL each node has its own")
w("`--data` directory and ports, and the same `store.backend=postgres`, `store.postgres` and `store.blobs`.")
w(f"The database: `CREATE DATABASE {E['DBNAME']} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE")
w("template0`; the server creates its tables. PostgreSQL runs with `scripts/pg_cluster`'s settings")
w(f"and the defaults otherwise: `{E['PG_SETTINGS'] or '—'}`.")
sizes = []
if E.get("STORE_KIB_SQLITE"):
    sizes.append(f"SQLite's data directory {int(E['STORE_KIB_SQLITE']) / 1024:,.0f} MiB")
if E.get("STORE_KIB_PG"):
    db_kib, blob_kib = (int(v) for v in E["STORE_KIB_PG"].split())
    sizes.append(f"PostgreSQL's database {db_kib / 1024:,.0f} MiB and the shared blob directory {blob_kib / 1024:,.0f} MiB")
if sizes:
    w(f"At the end: {'; '.join(sizes)}.")
w("")
w("Commands (`$WORK` is the scratch directory, `$CONNINFO` the database's conninfo; ports are free")
w("ones picked at start-up):")
w("")
order = [f"node_{n}" for n in ("sqlite", "pg-a") if f"node_{n}" in COMMANDS]
order += [f"{cfg}_import" for cfg in CONFIGS if cfg != "pg2"]
order += [k for k in all_keys() if k.endswith("_r1")]
for key in order:
    if key in COMMANDS:
        w(f"    {COMMANDS[key]}{' &' if key.startswith('node_') else ''}")
if "node_pg-b" in COMMANDS:
    w("")
    w("and node B, started for the pg2 cases and stopped for the others:")
    w("")
    w(f"    {COMMANDS['node_pg-b']} &")
w("")
if ROUNDS > 1:
    later = "Round 2 is" if ROUNDS == 2 else f"Rounds 2 to {ROUNDS} are"
    w(f"{later} the same (appending as `append-CONFIG-N-rR@example.dom`).")
    w("")
w("Raw output (one JSON line per run):")
w("")
for key in [f"{cfg}_import" for cfg in CONFIGS if cfg != "pg2"] + all_keys():
    d, st, text = load(key, raw=True)
    w(f"    {key}: {text if text else st}")
w("")
print("\n".join(out))
