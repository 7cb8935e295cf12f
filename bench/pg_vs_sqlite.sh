#!/usr/bin/env bash
# bench/pg_vs_sqlite.sh — ximssd's two store backends side by side on the same machine, in one
# run: SQLite (DATA/ximssd.db), PostgreSQL with one node, and PostgreSQL with two nodes sharing
# the database and the blob directory. Run as `scripts/bench pg`.
#
#   1. starts a private PostgreSQL cluster (scripts/pg_cluster, in the scratch directory; stopped
#      at the end) and creates the database the way the server needs it (SQL_ASCII, C collation);
#   2. three configurations — sqlite: one ximssd on a scratch data directory; pg1: node A on the
#      database; pg2: node A plus node B (its own data directory and ports, the same
#      store.postgres and store.blobs); with two nodes the connections alternate between them
#      (imap_load --port A,B). The SQLite server and node A run throughout, node B only for the
#      pg2 cases (started before one, stopped after);
#   3. the mailbox for the mixed load: BENCH_PG_MAILBOX (10,000) messages APPENDed into
#      bench@example.dom's INBOX over BENCH_PG_IMPORT_CONNECTIONS (4) connections, on SQLite and
#      on PostgreSQL (pg1 and pg2 share it; the mixed load keeps it at its size);
#   4. BENCH_PG_ROUNDS (3) rounds of every case, each case run for the three configurations back
#      to back (each round starting with the next configuration), so that a change in what else
#      runs on the machine touches all three alike; the page gives each case's median round and
#      the range:
#      a. append rate: BENCH_PG_APPEND_COUNT (3,000) messages over IMAP APPEND into the INBOX of a
#         fresh account, with each of BENCH_PG_APPEND_CONNECTIONS ("1 20") concurrent connections
#         (imap_load append: 1–20 KB, ~5 KB on average; an APPEND is answered once durable);
#      b. the IMAP mixed workload (imap_load mixed, the cycle of bench/imap_vs_dovecot.sh) at each of
#         BENCH_PG_CLIENTS ("10 50") clients, BENCH_PG_SECONDS (15) each after a 3 s warm-up;
#   5. the CPU of the server side is the whole process trees: ximssd's nodes and the PostgreSQL
#      postmaster with every backend and worker (imap_load --pid, reaped children included);
#   6. replaces the section "Storage backends: PostgreSQL vs SQLite" of docs/PERFORMANCE.md
#      (BENCH_OUT); bench/pg_report.py writes it.
#
# A diagnosis, not for the figures: with BENCH_PG_STATEMENTS=1 the cluster loads pg_stat_statements
# (which costs a little) and the section lists, for each PostgreSQL case, the statements that took
# the most time (lock waits included), from the case's start to its end (warm-up and clean-up too).
#
# Runs as root or not (as root, PostgreSQL runs as the postgres user, which must reach the
# scratch directory). About 8 minutes with the defaults on a 2-CPU machine.
#
# Environment: BENCH_PG_APPEND_COUNT (3000), BENCH_PG_APPEND_CONNECTIONS ("1 20"), BENCH_PG_MAILBOX
# (10000), BENCH_PG_IMPORT_CONNECTIONS (4), BENCH_PG_CLIENTS ("10 50"), BENCH_PG_SECONDS (15),
# BENCH_PG_ROUNDS (3), BENCH_PG_CONFIGS ("sqlite pg1 pg2"; pg2 needs pg1), BENCH_PG_STATEMENTS (0),
# BENCH_PG_NOTE (a sentence for the page about the run's conditions), BENCH_OUT (docs/PERFORMANCE.md), BENCH_BUILD_DIR (unset: build the release
# tree with scripts/build and use build/; set: use the binaries already built there, copied at the
# start so that a rebuild during the run changes nothing), BENCH_PG_RESULTS (a directory to keep
# the raw results and logs in; `. DIR/report.env; RESULTS=DIR bench/pg_report.py` rewrites the
# section from them), TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

append_count=${BENCH_PG_APPEND_COUNT:-3000}
read -ra append_levels <<<"${BENCH_PG_APPEND_CONNECTIONS:-1 20}"
mailbox_count=${BENCH_PG_MAILBOX:-10000}
import_connections=${BENCH_PG_IMPORT_CONNECTIONS:-4}
read -ra client_levels <<<"${BENCH_PG_CLIENTS:-10 50}"
seconds=${BENCH_PG_SECONDS:-15}
warmup=3
read -ra configs <<<"${BENCH_PG_CONFIGS:-sqlite pg1 pg2}"
statements=${BENCH_PG_STATEMENTS:-0}
rounds=${BENCH_PG_ROUNDS:-3}
out_doc=${BENCH_OUT:-docs/PERFORMANCE.md}
user=bench@example.dom
password=bench-Passw0rd-7q
domain=example.dom
dbname=ximssd_bench

has_config() { local c; for c in "${configs[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
for c in "${configs[@]}"; do
  case "$c" in
    sqlite | pg1 | pg2) ;;
    *) echo "pg bench: BENCH_PG_CONFIGS: unknown configuration '$c' (sqlite, pg1, pg2)" >&2; exit 2 ;;
  esac
done
if has_config pg2 && ! has_config pg1; then
  echo "pg bench: pg2 runs its mixed load on the mailbox pg1 fills: BENCH_PG_CONFIGS needs pg1 too" >&2
  exit 2
fi

build_dir=${BENCH_BUILD_DIR:-}
if [ -z "$build_dir" ]; then
  scripts/build release
  build_dir=build
fi
for b in "$build_dir/ximssd" "$build_dir/bench/imap_load"; do
  [ -x "$b" ] || { echo "pg bench: $b was not built" >&2; exit 1; }
done
pg_bin=${PG_BIN:-$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n1)}
[ -x "$pg_bin/psql" ] || { echo "pg bench: PostgreSQL not found (scripts/bootstrap installs it)" >&2; exit 1; }

# --- file descriptors ---------------------------------------------------------------------------
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then ulimit -n 65536; else ulimit -n "$hard"; fi

# --- scratch directory, binaries --------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/pg-bench.XXXXXX")
chmod 755 "$work"  # as root, PostgreSQL runs as the postgres user and keeps its cluster in here
mkdir -p "$work/results" "$work/bin"
pg_dir=$work/pg
pg_started=0

# Copies, so that another build into $build_dir during the run changes nothing.
cp "$build_dir/ximssd" "$work/bin/ximssd"
cp "$build_dir/bench/imap_load" "$work/bin/imap_load"
server_bin=$work/bin/ximssd
load_bin=$work/bin/imap_load
binary_date=$(date -u -r "$build_dir/ximssd" '+%Y-%m-%d %H:%M UTC')
revision=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")
if [ -n "$(git status --porcelain -- src 2>/dev/null | head -n 1)" ]; then revision="$revision (with local changes in src/)"; fi

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait (a minute), then SIGKILL
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 600); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pg bench: $name ($pid) did not stop on SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked by cleanup
keep_results() {
  [ -n "${BENCH_PG_RESULTS:-}" ] || return 0
  mkdir -p "$BENCH_PG_RESULTS"
  cp "$work"/results/* "$BENCH_PG_RESULTS"/ 2>/dev/null || true
  cp "$work"/*.stderr "$work"/*.log "$BENCH_PG_RESULTS"/ 2>/dev/null || true
  [ ! -f "$pg_dir/postgresql.log" ] || cp "$pg_dir/postgresql.log" "$BENCH_PG_RESULTS"/
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_nodes
  if [ "$pg_started" -eq 1 ]; then scripts/pg_cluster stop "$pg_dir" >/dev/null 2>&1 || true; fi
  keep_results
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_imap PORT PID LOG: waits until the server greets on PORT (60 s)
wait_imap() {
  local port=$1 pid=$2 log=$3 greeting
  for _ in $(seq 600); do
    if greeting=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null) &&
       [ "$greeting" = "* OK" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "pg bench: ximssd exited during start-up; its output:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "pg bench: ximssd does not greet on port $port after 60 s; its output:" >&2
  cat "$log" >&2
  return 1
}

# --- PostgreSQL ----------------------------------------------------------------------------------------
pg_version=""
pg_conninfo=""
postmaster_pid=""
if has_config pg1; then
  pg_started=1
  base_conninfo=$(scripts/pg_cluster start "$pg_dir")
  pg_conninfo="$base_conninfo dbname=$dbname"
  psql() { "$pg_bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
  psql -d "$base_conninfo dbname=postgres" \
    -c "CREATE DATABASE $dbname ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
  if [ "$statements" = 1 ]; then
    psql -d "$base_conninfo dbname=postgres" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    scripts/pg_cluster restart "$pg_dir" >/dev/null
    psql -d "$pg_conninfo" -c "CREATE EXTENSION pg_stat_statements"
  fi
  pg_version=$(psql -d "$pg_conninfo" -c "SHOW server_version" | awk '{ print $1 }')
  # The settings that matter here, as the cluster runs them (scripts/pg_cluster's and the defaults).
  pg_settings=$(psql -d "$pg_conninfo" -F '=' -c "SELECT name, current_setting(name) FROM pg_settings
    WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'wal_level', 'max_wal_size', 'checkpoint_timeout',
                   'autovacuum', 'max_connections', 'wal_sync_method', 'full_page_writes') ORDER BY name" | paste -sd ' ')
  postmaster_pid=$(head -n 1 "$pg_dir/data/postmaster.pid")  # after any restart
fi

# --- the stores and their accounts -------------------------------------------------------------------
# Cheap password hashing for the server and its accounts (a hash carries its own cost): logins
# measure sessions, not hashing.
cheap_hash=(--set auth.argon2_opslimit=1 --set auth.argon2_memlimit_kib=8)
sqlite_data=$work/sqlite
node_a_data=$work/pg-node-a
node_b_data=$work/pg-node-b
blobs=$work/pg-blobs
pg_store=(--set store.backend=postgres --set "store.postgres=$pg_conninfo" --set "store.blobs=$blobs")
mkdir -p "$sqlite_data" "$node_a_data" "$node_b_data" "$blobs"
# make_accounts DATA STORE-SETTINGS... -- CONFIG...: the domain, bench@ and one account per
# append case of each CONFIG (a fresh INBOX each)
make_accounts() {
  local data=$1
  shift
  local store=()
  while [ "$1" != "--" ]; do store+=("$1"); shift; done
  shift
  local accounts=("$user") cfg c r
  for cfg in "$@"; do
    for c in "${append_levels[@]}"; do
      for r in $(seq "$rounds"); do accounts+=("append-$cfg-$c-r$r@$domain"); done
    done
  done
  "$server_bin" domain add "$domain" --data "$data" "${store[@]}" >>"$work/accounts.log" 2>&1
  for a in "${accounts[@]}"; do
    "$server_bin" account add "$a" --password "$password" --data "$data" "${store[@]}" "${cheap_hash[@]}" \
      >>"$work/accounts.log" 2>&1
  done
}
if ! { { ! has_config sqlite || make_accounts "$sqlite_data" -- sqlite; } &&
       { ! has_config pg1 || make_accounts "$node_a_data" "${pg_store[@]}" -- pg1 pg2; }; }; then
  echo "pg bench: could not create the accounts:" >&2
  cat "$work/accounts.log" >&2
  exit 1
fi

# --- the nodes ------------------------------------------------------------------------------------------
# Named sqlite, pg-a and pg-b: node_pid[NAME], node_port[NAME] (IMAP) while it runs.
declare -A node_args=() node_pid=() node_port=()
free() { "$load_bin" free-port --host 127.0.0.1; }
# start_node NAME DATA STORE-SETTINGS...: starts a ximssd on DATA with its own free ports
start_node() {
  local name=$1 data=$2
  shift 2
  local port log=$work/ximssd-$name.log
  port=$(free)
  local args=(serve --data "$data" --set server.default_domain="$domain" --set imap.port="$port"
              --set imap.listen=127.0.0.1 --set imap.tls_port=0 --set ximss.port="$(free)" --set ximss.listen=127.0.0.1
              --set http.port="$(free)" --set http.listen=127.0.0.1 --set http.tls_port=0 --set lmtp.port=0
              --set lmtp.socket=none --set smtp.port=0 "${cheap_hash[@]}" "$@")
  [ -n "${node_args[$name]:-}" ] || node_args[$name]="$server_bin ${args[*]}"
  echo "== starting $name" >>"$log"
  "$server_bin" "${args[@]}" >>"$log" 2>&1 &
  node_pid[$name]=$!
  node_port[$name]=$port
  wait_imap "$port" "${node_pid[$name]}" "$log"
}
stop_node() {
  [ -n "${node_pid[$1]:-}" ] || return 0
  stop_pid "${node_pid[$1]}" "ximssd $1"
  unset "node_pid[$1]" "node_port[$1]"
}
stop_nodes() {
  local name
  for name in "${!node_pid[@]}"; do stop_node "$name"; done
}
# topology CONFIG: node B runs for pg2 only (node A and the SQLite server stay up throughout)
topology() {
  if [ "$1" = pg2 ]; then
    [ -n "${node_pid[pg-b]:-}" ] || start_node pg-b "$node_b_data" "${pg_store[@]}"
  else
    stop_node pg-b
  fi
}
server_pids() {  # server_pids CONFIG: the process trees whose CPU counts (ximssd's, PostgreSQL's)
  case "$1" in
    sqlite) echo "${node_pid[sqlite]}" ;;
    pg1) echo "${node_pid[pg-a]},$postmaster_pid" ;;
    pg2) echo "${node_pid[pg-a]},${node_pid[pg-b]},$postmaster_pid" ;;
  esac
}
ports() {  # ports CONFIG: the IMAP ports the clients alternate between
  case "$1" in
    sqlite) echo "${node_port[sqlite]}" ;;
    pg1) echo "${node_port[pg-a]}" ;;
    pg2) echo "${node_port[pg-a]},${node_port[pg-b]}" ;;
  esac
}
# With BENCH_PG_STATEMENTS=1: statements_reset before a PostgreSQL case, statements_keep KEY after
statements_reset() {
  [ "$statements" = 1 ] || return 0
  psql -d "$pg_conninfo" -c "SELECT pg_stat_statements_reset()" >/dev/null
}
statements_keep() {
  [ "$statements" = 1 ] || return 0
  psql -d "$pg_conninfo" -F $'\t' -c "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), rows,
    left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
    ORDER BY total_exec_time DESC" >"$work/results/$1.statements.tsv"
}

# --- running the load tool -----------------------------------------------------------------------------
declare -A commands=()
failed=0
# run_load KEY TIMEOUT ARGS... : runs imap_load; its JSON line goes to results/KEY.json, how it
# ended to results/KEY.status
run_load() {
  local key=$1 limit=$2
  shift 2
  local cmd=("$load_bin" "$@")
  commands[$key]="${cmd[*]}"
  echo "== $key: ${cmd[*]}" >&2
  local output rc=0 errf=$work/$key.stderr
  output=$(timeout "$limit" "${cmd[@]}" 2>"$errf") || rc=$?
  output=$(tail -n 1 <<<"$output")
  cat "$errf" >&2
  [ -z "$output" ] || echo "$output" >&2
  printf '%s\n' "$output" >"$work/results/$key.json"
  if [ $rc -eq 0 ]; then
    echo ok >"$work/results/$key.status"
  else
    local why
    why=$(tail -n 1 "$errf")
    [ $rc -ne 124 ] || why="timed out after $limit s"
    why=${why#imap_load: }
    echo "failed (exit $rc${why:+: ${why//|/\\|}})" >"$work/results/$key.status"
    failed=1
  fi
}
common=(--host 127.0.0.1 --password "$password")

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS
declare -A load_during=()

# The SQLite server and node A run throughout; node B only for the pg2 cases. First the mailboxes
# for the mixed load, then the rounds.
has_config sqlite && start_node sqlite "$sqlite_data"
has_config pg1 && start_node pg-a "$node_a_data" "${pg_store[@]}"
for cfg in "${configs[@]}"; do
  [ "$cfg" != pg2 ] || continue
  run_load "${cfg}_import" $((600 + mailbox_count / 5)) append "${common[@]}" --port "$(ports "$cfg")" --user "$user" \
    --count "$mailbox_count" --connections "$import_connections" --pid "$(server_pids "$cfg")"
done
# run_case CONFIG KEY ARGS...: the load (and the statements with BENCH_PG_STATEMENTS=1), once
# topology CONFIG has set the nodes up
run_case() {
  local cfg=$1 key=$2
  shift 2
  [ "$cfg" = sqlite ] || statements_reset
  run_load "$key" "$@"
  [ "$cfg" = sqlite ] || statements_keep "$key"
}
for r in $(seq "$rounds"); do
  load_during[$r]=$(cut -d' ' -f1-3 /proc/loadavg)
  # Each round starts with the next configuration: every one is first, second and third once.
  order=()
  for i in "${!configs[@]}"; do order+=("${configs[$(( (i + r - 1) % ${#configs[@]} ))]}"); done
  for c in "${append_levels[@]}"; do
    for cfg in "${order[@]}"; do
      topology "$cfg"
      run_case "$cfg" "${cfg}_append_${c}_r$r" $((600 + append_count / 5)) append "${common[@]}" --port "$(ports "$cfg")" \
        --user "append-$cfg-$c-r$r@$domain" --count "$append_count" --connections "$c" --pid "$(server_pids "$cfg")"
    done
  done
  for c in "${client_levels[@]}"; do
    for cfg in "${order[@]}"; do
      topology "$cfg"
      run_case "$cfg" "${cfg}_mixed_${c}_r$r" $((seconds + warmup + 120 + c / 5)) mixed "${common[@]}" --port "$(ports "$cfg")" \
        --user "$user" --clients "$c" --seconds "$seconds" --warmup $warmup --pid "$(server_pids "$cfg")"
    done
  done
done
stop_nodes
elapsed=$((SECONDS - t_start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Errors the nodes logged.
notes=()
for log in "$work"/ximssd-*.log; do
  [ -f "$log" ] || continue
  n=$(grep -ciE '\b(error|critical)\b' "$log" || true)
  if [ "${n:-0}" -gt 0 ]; then
    notes+=("$(basename "$log" .log) logged $n error lines; the first: \`$(grep -m1 -iE '\b(error|critical)\b' "$log" | cut -c1-200)\`")
  fi
done
[ -z "${BENCH_PG_NOTE:-}" ] || notes+=("$BENCH_PG_NOTE")
store_kib_sqlite=""
store_kib_pg=""
has_config sqlite && store_kib_sqlite=$(du -sk "$sqlite_data" | awk '{ print $1 }')
if has_config pg1; then
  db_bytes=$(psql -d "$pg_conninfo" -c "SELECT pg_database_size(current_database())")
  blob_kib=$(du -sk "$blobs" | awk '{ print $1 }')
  store_kib_pg="$((db_bytes / 1024)) $blob_kib"
fi

# --- the section ----------------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
[ -n "$cpu_model" ] || cpu_model=unknown
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
fs_type=$(df --output=fstype "$work" | tail -n 1)
# The commands as they would be typed: the binaries where they were built, $WORK for the scratch
# directory, $CONNINFO for the database's conninfo (its port is picked at start-up).
# shellcheck disable=SC2016  # the names stand for the values
shown() {
  local text=$1 as_conninfo='$CONNINFO' as_work='$WORK'
  text=${text//"$work/bin/ximssd"/"$build_dir/ximssd"}
  text=${text//"$work/bin/imap_load"/"$build_dir/bench/imap_load"}
  [ -z "$pg_conninfo" ] || text=${text//"$pg_conninfo"/"$as_conninfo"}
  printf '%s\n' "${text//"$work"/"$as_work"}"
}
{
  for k in "${!commands[@]}"; do printf '%s\t%s\n' "$k" "$(shown "${commands[$k]}")"; done
  for k in "${!node_args[@]}"; do printf 'node_%s\t%s\n' "$k" "$(shown "${node_args[$k]}")"; done
} >"$work/results/commands.tsv"
printf '%s\n' "${notes[@]}" >"$work/results/notes.txt"
for r in $(seq "$rounds"); do printf '%s\t%s\n' "$r" "${load_during[$r]}"; done >"$work/results/load.tsv"
report_env=(STARTED="$started" ELAPSED="$elapsed" NPROC="$(nproc)" CPU_MODEL="$cpu_model" MEM_TOTAL="$mem_total"
  KERNEL="$(uname -r)" REVISION="$revision" BUILD_DIR="$build_dir" BUILD_TYPE="${build_type:-?}"
  BINARY_DATE="$binary_date" LOAD_START="$load_start" LOAD_END="$load_end" CONFIGS="${configs[*]}"
  APPEND_COUNT="$append_count" APPEND_LEVELS="${append_levels[*]}" MAILBOX_COUNT="$mailbox_count"
  IMPORT_CONNECTIONS="$import_connections" CLIENT_LEVELS="${client_levels[*]}" SECONDS_EACH="$seconds"
  WARMUP="$warmup" PG_VERSION="$pg_version" PG_SETTINGS="${pg_settings:-}" FS_TYPE="$fs_type"
  STORE_KIB_SQLITE="$store_kib_sqlite" STORE_KIB_PG="$store_kib_pg" USER_NAME="$user" DBNAME="$dbname"
  STATEMENTS="$statements" ROUNDS="$rounds")
for v in "${report_env[@]}"; do printf 'export %q\n' "$v"; done >"$work/results/report.env"
section=$work/pg-section.md
env "${report_env[@]}" RESULTS="$work/results" /usr/bin/python3 bench/pg_report.py >"$section"

# Replace the section in the page (or add it at the end).
title='## Storage backends: PostgreSQL vs SQLite'
if [ -f "$out_doc" ] && grep -qxF "$title" "$out_doc"; then
  awk -v f="$section" -v t="$title" '
    $0 == t { while ((getline l < f) > 0) print l; skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }' "$out_doc" >"$work/page.md"
else
  { [ ! -f "$out_doc" ] || { cat "$out_doc"; echo; }; cat "$section"; } >"$work/page.md"
fi
mkdir -p "$(dirname "$out_doc")"
cp "$work/page.md" "$out_doc"
echo "pg bench: wrote the section \"${title#\#\# }\" of $out_doc"
sed -n '/^### Summary/,/^### /p' "$section" | grep '^|' || true
exit $failed
