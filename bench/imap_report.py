#!/usr/bin/python3
"""Writes the "IMAP: ximssd vs Dovecot" section of docs/PERFORMANCE.md (Markdown, on stdout).

Run by bench/imap_vs_dovecot.sh, which passes what it measured: one JSON line per case of
bench/imap_load in $RESULTS/KEY.json and how the case ended in $RESULTS/KEY.status, the commands
in $RESULTS/commands.tsv, and the rest in environment variables.
"""

import json
import os

E = os.environ
RESULTS = E["RESULTS"]
SERVERS = [("dovecot", "Dovecot"), ("ximssd", "ximssd")]
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


def load(key):
    data, status = None, "not run"
    try:
        with open(f"{RESULTS}/{key}.status") as f:
            status = f.read().strip()
        with open(f"{RESULTS}/{key}.json") as f:
            text = f.read().strip()
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        pass
    return data, status


def fint(v):
    return "—" if v is None else f"{round(v):,}"


def fms(v):
    if v is None:
        return "—"
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms" if v < 100 else f"{v:,.0f} ms"


def fkib(kib):
    if kib is None:
        return "—"
    return f"{kib / 1024:,.1f} MiB" if kib < 10 * 1024 * 1024 else f"{kib / 1048576:,.2f} GiB"


def fbytes(b):
    if b is None:
        return "—"
    return f"{b / 1024:,.1f} KiB" if b < 1024 * 1024 else f"{b / 1048576:,.2f} MiB"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def fratio(r):
    return "—" if r is None else f"{r:.2f}×"


def get(d, k):
    return None if d is None else d.get(k)


def outcome(d, status):
    """The errors and how the case ended (the reason only when no output says more)."""
    if d is None:
        return status
    errs = d.get("errors")
    if errs is None:
        return status
    if status != "ok" and errs:
        status = status.split(" (")[0]  # the first error is listed elsewhere
    return f"{errs:,} errors, {status}"


commands = {}
try:
    with open(f"{RESULTS}/commands.tsv") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            commands[k] = v
except OSError:
    pass
notes = []
try:
    with open(f"{RESULTS}/notes.txt") as f:
        notes = [n.strip() for n in f if n.strip()]
except OSError:
    pass

levels = [int(x) for x in E["CLIENT_LEVELS"].split()]
idle_levels = [int(x) for x in E["IDLE_LEVELS"].split()]
count = int(E["COUNT"])
goal_t = float(E["GOAL_THROUGHPUT"])
goal_m = float(E["GOAL_MEMORY"])
out = []
p = out.append

p("## IMAP: ximssd vs Dovecot")
p("")
p(f"Measured {E['STARTED']} ({E['ELAPSED']} s) by `scripts/bench imap` (`bench/imap_vs_dovecot.sh`): ximssd")
p(f"(`{E['BUILD_DIR']}/ximssd`, {E['BUILD_TYPE']} build, revision {E['REVISION']}) side by side with Dovecot")
p(f"{E['DOVECOT_VERSION']} (Debian's `dovecot-imapd`), on {E['NPROC']} CPUs ({E['CPU_MODEL']}), {E['MEM_TOTAL']} RAM,")
p(f"Linux {E['KERNEL']}. Both servers and the load tool (`bench/imap_load`) share the machine and talk over")
p(f"127.0.0.1; `ulimit -n {E['NOFILE']}`. Both hold the same account `{E['USER_NAME']}` and, after the import,")
p(f"the same {count:,} messages in INBOX. The machine may be shared: its load average (1, 5, 15 min) was")
p(f"{E.get('LOAD_START', '?')} at the start and {E.get('LOAD_END', '?')} at the end, and each case reports the cores the whole")
p("machine was busy.")
for n in notes:
    p(f"- Note: {n}")
p("")

# --- Goals ---------------------------------------------------------------------------------------
mixed = {(s, c): load(f"{s}_mixed_{c}") for s, _ in SERVERS for c in levels}
idle = {(s, n): load(f"{s}_idle_{n}") for s, _ in SERVERS for n in idle_levels}
imp = {s: load(f"{s}_import") for s, _ in SERVERS}

t_ratios = []
for c in levels:
    d, _ = mixed[("dovecot", c)]
    x, _ = mixed[("ximssd", c)]
    t_ratios.append((c, ratio(get(x, "commands_per_sec"), get(d, "commands_per_sec"))))
clean = all(load(f"{s}_mixed_{c}")[1] == "ok" for s, _ in SERVERS for c in levels)
t_measured = ", ".join(f"{c:,} clients {fratio(r)}" for c, r in t_ratios)
if any(r is None for _, r in t_ratios):
    t_status = "not measured" if all(r is None for _, r in t_ratios) else "**not met** (not every level measured)"
elif all(r >= goal_t for _, r in t_ratios):
    t_status = "**met**" if clean else "**met**, but with errors (see below)"
else:
    t_status = "**not met**"

top = max(idle_levels) if idle_levels else None


def per_conn(server, n, field):
    d, _ = idle[(server, n)]
    return get(d, field)


m_line, m_status, pss_line = "not measured", "not measured", ""
if top is not None:
    dr, xr = per_conn("dovecot", top, "rss_per_conn_bytes"), per_conn("ximssd", top, "rss_per_conn_bytes")
    dp, xp = per_conn("dovecot", top, "pss_per_conn_bytes"), per_conn("ximssd", top, "pss_per_conn_bytes")
    r_rss, r_pss = ratio(dr, xr), ratio(dp, xp)
    dreach, xreach = per_conn("dovecot", top, "reached"), per_conn("ximssd", top, "reached")
    if r_rss is not None:
        m_line = (f"Dovecot {fbytes(dr)}, ximssd {fbytes(xr)} per connection (sum of RSS; "
                  f"{fint(dreach)} and {fint(xreach)} connections): Dovecot ÷ ximssd = {fratio(r_rss)}")
        m_status = "**met**" if r_rss >= goal_m else "**not met**"
    if r_pss is not None:
        pss_line = (f"Counting shared pages once (sum of Pss): Dovecot {fbytes(dp)}, ximssd {fbytes(xp)} per "
                    f"connection, Dovecot ÷ ximssd = {fratio(r_pss)}; by that measure the goal is "
                    f"{'met' if r_pss >= goal_m else 'not met'}.")

p("### Goals")
p("")
p("| Goal | Measured | Status |")
p("|---|---|---|")
p(f"| ximssd ≥ {goal_t:g}× Dovecot's throughput (mixed workload, commands/s) | ximssd ÷ Dovecot: {t_measured} | {t_status} |")
p(f"| ximssd ≤ 1/{goal_m:g} of Dovecot's memory per idle connection ({fint(top)} in IDLE) | {m_line} | {m_status} |")
p("")
if pss_line:
    p(pss_line)
    p("")

# --- Setup ----------------------------------------------------------------------------------------
p("### Dovecot's configuration")
p("")
p("A private instance (`dovecot -F -c CONF` as root, its own `base_dir`, `state_dir` and log files in the")
p("scratch directory, so the system's Dovecot is never touched): IMAP only on 127.0.0.1 without TLS")
p("(`ssl = no`, `disable_plaintext_auth = no`), a `passwd-file` passdb and userdb with a `{PLAIN}` password,")
p("`mail_location = maildir:~/Maildir` owned by the `mail` user. Beyond that:")
p("")
p(f"- `service imap {{ client_limit = 1; process_limit = {E['DV_PROCESS_LIMIT']} }}`: one mail process per connection,")
p("  Dovecot's default and the only value its documentation recommends for mail processes (a process")
p("  blocked on disk or a lock then holds up no other client); the process limit lets every connection")
p("  of the largest case have its own.")
p("- `service imap-login { service_count = 0; process_min_avail = <CPUs>; process_limit = 2 × <CPUs> }`:")
p("  the high-performance login mode (long-lived login processes instead of one per connection).")
p(f"- `default_client_limit = {E['DV_CLIENT_LIMIT']}`, `default_process_limit = {E['DV_PROCESS_LIMIT']}`: every mail")
p("  process holds a connection to anvil, stats, log and auth (one process each), which must accept them")
p("  all; the client limit stays under the descriptor limit. `mail_max_userip_connections` is raised")
p("  above it (every connection is the same user from the same address). `default_vsz_limit = 1G`.")
p("- `mail_cache_fields = flags hdr.from hdr.to hdr.subject hdr.date`: the listed header fields are")
p("  cached from the APPEND on, as ximssd keeps them in its own columns; `maildir_very_dirty_syncs = yes`:")
p("  only Dovecot touches the maildir. Everything else is Dovecot's default (`mail_fsync = optimized`:")
p("  an APPEND is on disk before its OK, as in ximssd).")
p("")
p("ximssd runs with its defaults (network threads: one per CPU) and cheap password hashing")
p("(`auth.argon2_opslimit=1`, `auth.argon2_memlimit_kib=8`), so that logins cost about what Dovecot's")
p("plain-text passwords do.")
p("")

# --- Import ---------------------------------------------------------------------------------------
p("### Import over IMAP APPEND")
p("")
p(f"`imap_load append` generates {count:,} messages, the same for both servers (each depends only on its")
p("index): realistic headers (Received, From, To, Cc, Subject, Date, Message-ID, replies with")
p("In-Reply-To/References, some RFC 2047 subjects), 1–20 KB, 70% text/plain, 15% multipart/alternative,")
p("15% multipart/mixed with a base64 attachment; 95% are APPENDed with \\Seen, some \\Answered or")
p(f"\\Flagged, each with its Date as INTERNALDATE. {E['IMPORT_CONNECTIONS']} connection(s) with one APPEND")
p("in flight each (LITERAL+); the clock runs from the first connection to the last OK.")
p("")
p("| Server | Messages | Seconds | Messages/s | MB/s | Messages/s, first tenth | Messages/s, last tenth | INBOX afterwards (STATUS) | On disk afterwards | Outcome |")
p("|---|---|---|---|---|---|---|---|---|---|")
for s, name in SERVERS:
    d, st = imp[s]
    kib = E.get("DV_STORE_KIB" if s == "dovecot" else "XS_STORE_KIB", "")
    disk = fkib(float(kib)) if kib and d else "—"
    p(f"| {name} | {fint(get(d, 'messages'))} | {get(d, 'seconds') if d else '—'} | **{fint(get(d, 'messages_per_sec'))}** "
      f"| {get(d, 'mb_per_sec') if d else '—'} | {fint(get(d, 'first_tenth_per_sec'))} | {fint(get(d, 'last_tenth_per_sec'))} "
      f"| {fint(get(d, 'mailbox_messages'))} | {disk} | {outcome(d, st)} |")
di, xi = imp["dovecot"][0], imp["ximssd"][0]
r = ratio(get(xi, "messages_per_sec"), get(di, "messages_per_sec"))
if r is not None:
    p("")
    p(f"ximssd ÷ Dovecot: **{fratio(r)}** the import rate.")
p("")
p("The first and last tenths show whether appending slows down as the mailbox grows. Dovecot's maildir")
p("keeps the UIDs in `dovecot-uidlist`, which each APPEND updates under a lock file (`dovecot-uidlist.lock`),")
p("so appends to one mailbox take turns whatever the number of connections.")
p("")

# --- Mixed ------------------------------------------------------------------------------------------
p("### Mixed workload")
p("")
p("`imap_load mixed`: each client is its own connection, logged in with INBOX selected, with one")
p("command in flight at a time (no think time), looping over a cycle of 15 commands:")
p("`FETCH n:n+49 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])` (a random page),")
p("`UID FETCH u BODY.PEEK[]` of a message of the page, `UID STORE u ±FLAGS (\\Seen)` (flipping it), `NOOP`,")
p("another body, `APPEND` of a small message, `UID SEARCH UNSEEN`, the STORE that puts the flag back, another")
p("page and body, `SEARCH SUBJECT \"word\"` (one of 8 common subject words), `UID STORE a +FLAGS.SILENT")
p("(\\Deleted)` and `UID EXPUNGE a` of the message it appended, `IDLE` (ended with DONE as soon as the")
p("server's `+` arrives) and `NOOP`; so the mailbox keeps its size and its flags. Responses are checked")
p("(every message of a page with its fields, a body of its RFC822.SIZE, a STORE's new FLAGS, APPENDUID,")
p("the SEARCH response, the EXPUNGE); a NO, a BAD, a failed check or a lost connection is an error.")
p(f"Measured for {E['SECONDS_EACH']} s after a {E['WARMUP']} s warm-up, Dovecot first, then ximssd, at each level.")
p("Only commands that succeeded count in commands/s and latencies; errors are listed below the tables.")
p("Latency is from writing a command to reading its tagged response. *Server cores* is the CPU time of")
p("the server's process tree over the window divided by its length (for Dovecot the master and all its")
p("processes); *load tool* and *machine* cores likewise for `imap_load` and for the whole machine.")
p("")
p("| Clients | Dovecot commands/s | ximssd commands/s | ximssd ÷ Dovecot | Dovecot p50 / p99 | ximssd p50 / p99 "
  "| Server cores (Dovecot / ximssd) | Load tool cores (D / x) | Machine cores (D / x) | Dovecot outcome | ximssd outcome |")
p("|---|---|---|---|---|---|---|---|---|---|---|")
for c in levels:
    d, ds = mixed[("dovecot", c)]
    x, xs = mixed[("ximssd", c)]
    r = ratio(get(x, "commands_per_sec"), get(d, "commands_per_sec"))
    p(f"| {c:,} | **{fint(get(d, 'commands_per_sec'))}** | **{fint(get(x, 'commands_per_sec'))}** | **{fratio(r)}** "
      f"| {fms(get(d, 'p50_ms'))} / {fms(get(d, 'p99_ms'))} | {fms(get(x, 'p50_ms'))} / {fms(get(x, 'p99_ms'))} "
      f"| {get(d, 'server_cores_used') or '—'} / {get(x, 'server_cores_used') or '—'} "
      f"| {get(d, 'client_cores_used') or '—'} / {get(x, 'client_cores_used') or '—'} "
      f"| {get(d, 'machine_cores_used') or '—'} / {get(x, 'machine_cores_used') or '—'} "
      f"| {outcome(d, ds)} | {outcome(x, xs)} |")
p("")
p("Per command, commands/s and latency p50 / p99:")
p("")
head = "| Command | " + " | ".join(f"{c:,} clients: Dovecot | ximssd" for c in levels) + " |"
p(head)
p("|---|" + "---|---|" * len(levels))
for k, label in KINDS:
    cells = []
    for c in levels:
        for s, _ in SERVERS:
            d, _ = mixed[(s, c)]
            if d is None or d.get(f"{k}_count") is None:
                cells.append("—")
            else:
                cells.append(f"{fint(d.get(f'{k}_per_sec'))}/s, {fms(d.get(f'{k}_p50_ms'))} / {fms(d.get(f'{k}_p99_ms'))}")
    p(f"| {label} | " + " | ".join(cells) + " |")
p("")
errs = []
for c in levels:
    for s, name in SERVERS:
        d = mixed[(s, c)][0]
        if not d:
            continue
        listed = False
        for k, label in KINDS:
            if d.get(f"{k}_errors"):
                errs.append(f"- {name}, {c:,} clients, {label}: {d[f'{k}_errors']:,} errors; first: `{d.get(f'{k}_first_error', '')}`")
                listed = True
        if d.get("first_error") and not listed:
            errs.append(f"- {name}, {c:,} clients: {d.get('errors')} errors; first: `{d['first_error']}`")
if errs:
    p("Errors seen (commands answered NO or BAD, or failing a check; they are not counted in the commands/s")
    p("and latencies above):")
    p("")
    for e in errs:
        p(e)
    p("")

# --- Idle -------------------------------------------------------------------------------------------
p("### Idle connections")
p("")
p("`imap_load idle` against a freshly started server: the memory of the server's process tree is read")
p("before anything, after a first connection has logged in, selected INBOX and entered IDLE (the")
p("baseline: the mailbox opened once), and 2 s after the others are idling too (at most 64 logging in")
p("at a time). *Per connection* is the growth from the baseline divided by the connections added. The")
p("RSS sum counts a page shared by several processes (program, libraries, Dovecot's mapped index files)")
p("once per process, which is what the goal is stated in; the Pss sum shares such a page out among the")
p("processes that map it, so it adds up to the memory actually used. For a single process (ximssd) the")
p("two agree. *Machine* is the drop of the machine's MemAvailable over the same span per connection:")
p("it adds what the kernel holds for each process and socket, but also counts the load tool and")
p("anything else that ran meanwhile, so it is only indicative on a shared machine. Opening stops early")
p(f"if MemAvailable falls below {int(E['MIN_AVAILABLE_MIB']):,} MiB. At the end every connection must answer DONE with OK.")
p("")
p("| Connections | Server | Reached IDLE | Processes | Sum of RSS | Sum of Pss | Per connection (RSS) | Per connection (Pss) | Machine, per connection | Outcome |")
p("|---|---|---|---|---|---|---|---|---|---|")
for n in idle_levels:
    for s, name in SERVERS:
        d, st = idle[(s, n)]
        p(f"| {n:,} | {name} | {fint(get(d, 'reached'))} | {fint(get(d, 'processes_after'))} "
          f"| {fkib(get(d, 'rss_after_kib'))} | {fkib(get(d, 'pss_after_kib'))} "
          f"| **{fbytes(get(d, 'rss_per_conn_bytes'))}** | **{fbytes(get(d, 'pss_per_conn_bytes'))}** "
          f"| {fbytes(get(d, 'mem_available_drop_per_conn_bytes'))} | {outcome(d, st)} |")
hib_key = f"dovecot_hib_idle_{E.get('HIB_COUNT', '')}"
hib, hib_st = load(hib_key)
if hib_st != "not run":
    p(f"| {int(E['HIB_COUNT']):,} | Dovecot, IDLE hibernated | {fint(get(hib, 'reached'))} | {fint(get(hib, 'processes_after'))} "
      f"| {fkib(get(hib, 'rss_after_kib'))} | {fkib(get(hib, 'pss_after_kib'))} "
      f"| **{fbytes(get(hib, 'rss_per_conn_bytes'))}** | **{fbytes(get(hib, 'pss_per_conn_bytes'))}** "
      f"| {fbytes(get(hib, 'mem_available_drop_per_conn_bytes'))} | {outcome(hib, hib_st)} |")
p("")
for n in idle_levels:
    rr = ratio(per_conn("dovecot", n, "rss_per_conn_bytes"), per_conn("ximssd", n, "rss_per_conn_bytes"))
    rp = ratio(per_conn("dovecot", n, "pss_per_conn_bytes"), per_conn("ximssd", n, "pss_per_conn_bytes"))
    p(f"- {n:,} connections: Dovecot ÷ ximssd per connection = **{fratio(rr)}** by RSS, **{fratio(rp)}** by Pss.")
p("")
if hib_st != "not run":
    p("*IDLE hibernated*: Dovecot's own remedy for idle connections, not in its default configuration:")
    p("with `imap_hibernate_timeout = 1s` (and the `imap-hibernate` and `imap-master` sockets opened to the")
    p("mail and internal users), a mail process that has been in IDLE for a second hands its connection")
    p("to the single `imap-hibernate` process, which watches the mailbox with inotify, and exits; the")
    p("figures are read 5 s after the last connection entered IDLE. Hibernation needs an inotify")
    p(f"instance per connection, and this machine allows {int(E['INOTIFY_INSTANCES']):,} per user")
    p("(`fs.inotify.max_user_instances`, left as it is), so this case has as many connections as fit under")
    p("that limit; a connection that cannot get one stays in its mail process.")
    top_x = per_conn("ximssd", top, "rss_per_conn_bytes") if top is not None else None
    rh = ratio(get(hib, "rss_per_conn_bytes"), top_x)
    if rh is not None:
        p(f"Against it, Dovecot ÷ ximssd ({fint(top)} connections) per connection = **{fratio(rh)}** by RSS.")
    p("")

# --- Commands ---------------------------------------------------------------------------------------
p("To run this comparison alone: `scripts/bench imap` (as root; `BENCH_IMAP_COUNT`, `BENCH_IMAP_SECONDS`,")
p("`BENCH_IMAP_CLIENTS`, `BENCH_IMAP_IDLE` change its size), which replaces only this section. By hand,")
p("with `$WORK` a scratch directory, Dovecot's configuration as written by the script in")
p("`$WORK/dovecot/dovecot.conf`, and ximssd's account created with")
p(f"`{E['SERVER_BIN']} account add {E['USER_NAME']} --password {E['PASSWORD']} --data $WORK/ximssd` (same cheap hashing settings):")
p("")
p("```sh")
p(f"{E['DOVECOT_CMD']} &")
p(f"{E['SERVER_BIN']} {E['XS_ARGS']} &")
order = ["dovecot_import", "ximssd_import"] + [f"{s}_mixed_{c}" for c in levels for s, _ in SERVERS] + \
        [f"{s}_idle_{n}" for n in idle_levels for s, _ in SERVERS]
for k in order:
    if k in commands:
        p(commands[k])
p("```")
p("")
p("Raw output:")
p("")
p("```json")
for k in order:
    d, _ = load(k)
    if d is not None:
        p(json.dumps(d, separators=(",", ":"), ensure_ascii=False))
p("```")
p("")
print("\n".join(out))
