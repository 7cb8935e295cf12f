#!/usr/bin/env bash
# bench/imap_vs_dovecot.sh — ximssd's IMAP server side by side with Debian's Dovecot, on the same
# machine, the same mailbox and the same load (bench/imap_load). Run as `scripts/bench imap`.
#
#   1. starts both servers on 127.0.0.1 (Dovecot from a private configuration in a scratch
#      directory, never the system's; ximssd from a scratch data directory), each with the
#      account bench@example.dom;
#   2. imports the same generated messages (BENCH_IMAP_COUNT, 100,000) into each INBOX over IMAP
#      APPEND and times it;
#   3. runs the mixed client workload (imap_load mixed) against Dovecot, then ximssd, at 10, 100
#      and 1,000 concurrent clients, BENCH_IMAP_SECONDS (20) each after a warm-up;
#   4. for 1,000 and 10,000 connections idling in IDLE with INBOX selected, each server started
#      afresh: the resident memory of the server's process tree (sum of VmRSS; Dovecot runs a
#      process per connection, so the sum of Pss, which counts shared pages once, is given too);
#      then Dovecot once more with IDLE connections hibernated (imap_hibernate_timeout), as many
#      as the per-user inotify instance limit allows (hibernation needs one per connection; the
#      limit is left as it is);
#   5. replaces the section "IMAP: ximssd vs Dovecot" of docs/PERFORMANCE.md (BENCH_OUT).
#
# Dovecot must be started as root (it switches to the mail user itself), so this script must run
# as root; it installs dovecot-imapd with apt-get when it is missing. It takes about half an hour
# with the defaults, most of it Dovecot's import.
#
# Environment: BENCH_IMAP_SERVERS ("dovecot ximssd": either alone measures just that one),
# BENCH_IMAP_COUNT (100000), BENCH_IMAP_SECONDS (20), BENCH_IMAP_CLIENTS
# ("10 100 1000"), BENCH_IMAP_IDLE ("1000 10000"), BENCH_IMAP_IMPORT_CONNECTIONS (1), BENCH_OUT
# (docs/PERFORMANCE.md), BENCH_BUILD_DIR (unset: build the release tree with scripts/build and use
# build/; set: use the binaries already built there), BENCH_IMAP_RESULTS (a directory to keep the
# raw results in; `. DIR/report.env; RESULTS=DIR bench/imap_report.py` rewrites the section from them).
set -euo pipefail
cd "$(dirname "$0")/.."

read -ra servers <<<"${BENCH_IMAP_SERVERS:-dovecot ximssd}"
count=${BENCH_IMAP_COUNT:-100000}
seconds=${BENCH_IMAP_SECONDS:-20}
warmup=3
read -ra client_levels <<<"${BENCH_IMAP_CLIENTS:-10 100 1000}"
read -ra idle_levels <<<"${BENCH_IMAP_IDLE:-1000 10000}"
# One importing connection: Dovecot's maildir appends take the mailbox's uidlist lock in turn, so
# more connections make its import slower (3,000 messages on an idle 2-CPU machine: 468/s over one
# connection, 264/s over four); ximssd gains about a fifth from four.
import_connections=${BENCH_IMAP_IMPORT_CONNECTIONS:-1}
out_doc=${BENCH_OUT:-docs/PERFORMANCE.md}
goal_throughput=2   # ximssd ≥ 2× Dovecot's commands/s
goal_memory=10      # ximssd ≤ 1/10 of Dovecot's memory per idle connection
user=bench@example.dom
password=bench-Passw0rd-7q
domain=example.dom
# The idle case stops opening connections when the machine's available memory falls below a
# fifth of it (at least 4 GiB): the machine may be shared.
min_available_mib=$(awk '/^MemTotal:/ { m = int($2 / 1024 / 5); print (m > 4096 ? m : 4096) }' /proc/meminfo)

if [ "$(id -u)" -ne 0 ]; then
  echo "imap bench: must run as root (Dovecot is started as root and drops to the mail user)" >&2
  exit 2
fi
if ! dpkg-query -W -f='${Status}' dovecot-imapd 2>/dev/null | grep -q 'install ok installed'; then
  echo "imap bench: installing dovecot-imapd" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
fi
dovecot_bin=$(command -v dovecot || echo /usr/sbin/dovecot)
dovecot_version=$("$dovecot_bin" --version | awk '{ print $1 }')

build_dir=${BENCH_BUILD_DIR:-}
if [ -z "$build_dir" ]; then
  scripts/build release
  build_dir=build
fi
server_bin=$build_dir/ximssd
load_bin=$build_dir/bench/imap_load
for s in "${servers[@]}"; do
  case "$s" in
    dovecot | ximssd) ;;
    *) echo "imap bench: BENCH_IMAP_SERVERS: unknown server '$s'" >&2; exit 2 ;;
  esac
done
for b in "$server_bin" "$load_bin"; do
  [ -x "$b" ] || { echo "imap bench: $b was not built" >&2; exit 1; }
done

# --- file descriptors: each server and the load tool hold one socket per connection -------------
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then ulimit -n 65536; else ulimit -n "$hard"; fi
nofile=$(ulimit -n)
notes=()
max_idle=$((nofile - 512))
for i in "${!idle_levels[@]}"; do
  if [ "${idle_levels[$i]}" -gt "$max_idle" ]; then
    notes+=("The hard file-descriptor limit ($nofile) allowed only $max_idle idle connections instead of ${idle_levels[$i]}.")
    idle_levels[i]=$max_idle
  fi
done
# Dovecot's services that every mail process talks to (anvil, stats, log, auth) accept this many
# clients each; it must stay under the descriptor limit.
dovecot_client_limit=$((nofile - 256))
max_level=0
for n in "${idle_levels[@]}" "${client_levels[@]}"; do [ "$n" -gt "$max_level" ] && max_level=$n; done
dovecot_process_limit=$((max_level + 100))

# --- scratch directory ----------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/imap-bench.XXXXXX")
chmod 755 "$work"  # Dovecot's mail processes run as the mail user and must reach their maildir
mkdir -p "$work/results"
dv_dir=$work/dovecot
xs_data=$work/ximssd
dv_pid=""
xs_pid=""

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait (a minute), then SIGKILL to its process group
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 600); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "imap bench: $name ($pid) did not stop on SIGTERM; killing its process group" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}
stop_dovecot() {
  stop_pid "$dv_pid" dovecot
  dv_pid=""
  # Its mail processes leave when the master does; wait for the last ones.
  for _ in $(seq 300); do
    pgrep -f "^dovecot-bench-$$/" >/dev/null 2>&1 || break
    sleep 0.1
  done
}
stop_ximssd() {
  stop_pid "$xs_pid" ximssd
  xs_pid=""
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_dovecot
  stop_ximssd
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_imap PORT PID LOG NAME: waits until the server greets on PORT (60 s)
wait_imap() {
  local port=$1 pid=$2 log=$3 name=$4 greeting
  for _ in $(seq 600); do
    if greeting=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null) &&
       [ "$greeting" = "* OK" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "imap bench: $name exited during start-up; its output:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "imap bench: $name does not greet on port $port after 60 s; its output:" >&2
  cat "$log" >&2
  return 1
}

# --- Dovecot: a private instance --------------------------------------------------------------------
dv_port=$("$load_bin" free-port --host 127.0.0.1)
mkdir -p "$dv_dir/home/bench" "$dv_dir/run" "$dv_dir/state"
chown -R mail:mail "$dv_dir/home"
mail_uid=$(id -u mail)
mail_gid=$(id -g mail)
printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$user" "$password" "$mail_uid" "$mail_gid" "$dv_dir/home/bench" >"$dv_dir/passwd"
cat >"$dv_dir/dovecot.conf" <<EOF
# A private Dovecot for bench/imap_vs_dovecot.sh: its own base_dir, state_dir and logs, so the
# system's Dovecot (if any) is never touched.
instance_name = dovecot-bench-$$
base_dir = $dv_dir/run
state_dir = $dv_dir/state
log_path = $dv_dir/dovecot.log
info_log_path = $dv_dir/dovecot-info.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dv_dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dv_dir/passwd
}
first_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_location = maildir:~/Maildir
# Only Dovecot touches this maildir: no need to stat it for outside changes on every command.
maildir_very_dirty_syncs = yes
# The header fields the clients list (like ximssd's cached columns), cached from the APPEND on.
mail_cache_fields = flags hdr.from hdr.to hdr.subject hdr.date
# Every connection comes from one user at one address.
mail_max_userip_connections = $((dovecot_process_limit + 100))
# Every mail process keeps a connection to anvil, stats, log and auth: these services (one
# process each) must accept as many clients as there are mail processes.
default_client_limit = $dovecot_client_limit
default_process_limit = $dovecot_process_limit
default_vsz_limit = 1G
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $dv_port
  }
  inet_listener imaps {
    port = 0
  }
  # High-performance login mode: a few long-lived login processes (one per CPU) instead of one
  # process per connection; they hand each connection to a mail process after LOGIN.
  service_count = 0
  process_min_avail = $(nproc)
  process_limit = $(( $(nproc) * 2 ))
}
service imap {
  # One mail process per connection, Dovecot's default and the only setting its documentation
  # recommends for mail processes (a process serves one client, so one blocked on disk or a lock
  # never holds up others).
  client_limit = 1
  process_limit = $dovecot_process_limit
}
EOF
# The same with IDLE connections hibernated: after a second in IDLE, the mail process hands the
# connection to the imap-hibernate process (which watches the mailbox with inotify) and exits.
{
  sed "s/^instance_name = .*/instance_name = dovecot-bench-$$-hib/" "$dv_dir/dovecot.conf"
  cat <<EOF
imap_hibernate_timeout = 1s
service imap-hibernate {
  # The mail processes (the mail user) hand their connections over through this socket.
  unix_listener imap-hibernate {
    mode = 0666
  }
}
service imap {
  # imap-hibernate (the internal user) gives a connection back to a new mail process through it.
  unix_listener imap-master {
    user = dovecot
  }
}
EOF
} >"$dv_dir/dovecot-hib.conf"
inotify_instances=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 128)
hib_count=$((inotify_instances - 28))
[ "$hib_count" -le 1000 ] || hib_count=1000
dovecot_cmd="dovecot -F -c \$WORK/dovecot/dovecot.conf"
start_dovecot() {  # start_dovecot LABEL [CONF]
  local log=$work/dovecot-$1.out
  setsid "$dovecot_bin" -F -c "${2:-$dv_dir/dovecot.conf}" >"$log" 2>&1 &
  dv_pid=$!
  wait_imap "$dv_port" "$dv_pid" "$log" Dovecot
}

# --- ximssd ----------------------------------------------------------------------------------------------
# The server and its account use the same cheap argon2 settings (a hash carries its own cost), so
# that logins measure sessions, not hashing; Dovecot's passwords are in plain text.
cheap_hash=(--set auth.argon2_opslimit=1 --set auth.argon2_memlimit_kib=8)
xs_port=$("$load_bin" free-port --host 127.0.0.1)
xs_ximss_port=$("$load_bin" free-port --host 127.0.0.1)
xs_http_port=$("$load_bin" free-port --host 127.0.0.1)
xs_args=(serve --data "$xs_data" --set imap.port="$xs_port" --set imap.listen=127.0.0.1 --set imap.tls_port=0
         --set ximss.port="$xs_ximss_port" --set ximss.listen=127.0.0.1 --set http.port="$xs_http_port"
         --set http.listen=127.0.0.1 --set http.tls_port=0 --set server.default_domain="$domain" "${cheap_hash[@]}")
mkdir -p "$xs_data"
{ "$server_bin" domain add "$domain" --data "$xs_data" &&
  "$server_bin" account add "$user" --password "$password" --data "$xs_data" "${cheap_hash[@]}"; } >"$work/account.log" 2>&1 || {
  echo "imap bench: could not create $user in ximssd:" >&2
  cat "$work/account.log" >&2
  exit 1
}
start_ximssd() {  # start_ximssd LABEL
  local log=$work/ximssd-$1.log
  "$server_bin" "${xs_args[@]}" >"$log" 2>&1 &
  xs_pid=$!
  wait_imap "$xs_port" "$xs_pid" "$log" ximssd
}

# --- running the load tool --------------------------------------------------------------------------
declare -A commands=()
failed=0
# run_load KEY TIMEOUT ARGS... : runs imap_load, keeps its JSON line in results/KEY.json and how
# it ended in results/KEY.status
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
common=(--host 127.0.0.1 --user "$user" --password "$password")

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS

# --- import and mixed load: both servers up, loaded one at a time ------------------------------------
# start SERVER LABEL / stop SERVER / port_of SERVER / pid_of SERVER
start() { if [ "$1" = dovecot ]; then start_dovecot "$2"; else start_ximssd "$2"; fi; }
stop() { if [ "$1" = dovecot ]; then stop_dovecot; else stop_ximssd; fi; }
port_of() { if [ "$1" = dovecot ]; then echo "$dv_port"; else echo "$xs_port"; fi; }
pid_of() { if [ "$1" = dovecot ]; then echo "$dv_pid"; else echo "$xs_pid"; fi; }
for s in "${servers[@]}"; do
  start "$s" main
done
# Dovecot's maildir appends slow down as the mailbox grows (about 10 messages/s at 100,000 on a
# busy 2-CPU machine): up to a fifth of a second per message.
import_limit=$((1200 + count / 5))
for s in "${servers[@]}"; do
  run_load "${s}_import" "$import_limit" append "${common[@]}" --port "$(port_of "$s")" --count "$count" \
    --connections "$import_connections"
done
dv_store_kib=""
xs_store_kib=""
[ -z "$dv_pid" ] || dv_store_kib=$(du -sk "$dv_dir/home" | awk '{ print $1 }')
[ -z "$xs_pid" ] || xs_store_kib=$(du -sk "$xs_data" | awk '{ print $1 }')
for c in "${client_levels[@]}"; do
  mixed_limit=$(awk -v s="$seconds" -v w=$warmup -v c="$c" 'BEGIN { printf "%d", s + w + 120 + c / 5 }')
  for s in "${servers[@]}"; do
    run_load "${s}_mixed_$c" "$mixed_limit" mixed "${common[@]}" --port "$(port_of "$s")" --clients "$c" \
      --seconds "$seconds" --warmup $warmup --pid "$(pid_of "$s")"
  done
done
for s in "${servers[@]}"; do
  stop "$s"
done

# --- idle connections, each server started afresh ------------------------------------------------------
for n in "${idle_levels[@]}"; do
  idle_limit=$((900 + n / 10))
  for s in "${servers[@]}"; do
    start "$s" "idle$n"
    run_load "${s}_idle_$n" "$idle_limit" idle "${common[@]}" --port "$(port_of "$s")" --count "$n" \
      --pid "$(pid_of "$s")" --timeout 600 --min-available-mib "$min_available_mib"
    stop "$s"
  done
done
if [[ " ${servers[*]} " == *" dovecot "* ]] && [ "$hib_count" -ge 10 ]; then
  start_dovecot idle_hib "$dv_dir/dovecot-hib.conf"
  run_load "dovecot_hib_idle_$hib_count" 300 idle "${common[@]}" --port "$dv_port" --count "$hib_count" \
    --pid "$dv_pid" --settle 5 --timeout 120 --min-available-mib "$min_available_mib"
  stop_dovecot
fi
elapsed=$((SECONDS - t_start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# What the servers logged that bears on the figures.
if [ -f "$dv_dir/dovecot.log" ]; then
  n=$(grep -c 'Inotify instance limit' "$dv_dir/dovecot.log" || true)
  if [ "${n:-0}" -gt 0 ]; then
    notes+=("Dovecot logged $n times that the per-user inotify instance limit ($(cat /proc/sys/fs/inotify/max_user_instances)) was exceeded; those mail processes watch the mailbox by polling instead (every \`mailbox_idle_check_interval\`, 30 s), which changes when IDLE notices changes, not what the measured commands cost. The limit was left as it is.")
  fi
  n=$(grep -cE ': (Error|Fatal|Panic):' "$dv_dir/dovecot.log" || true)
  if [ "${n:-0}" -gt 0 ]; then
    notes+=("Dovecot logged $n errors; the first: \`$(grep -m1 -E ': (Error|Fatal|Panic):' "$dv_dir/dovecot.log" | cut -c1-200)\`")
  fi
fi
for log in "$work"/ximssd-*.log; do
  [ -f "$log" ] || continue
  n=$(grep -cE '^[0-9-]+ [0-9:.]+ (error|critical) ' "$log" || true)
  if [ "${n:-0}" -gt 0 ]; then
    notes+=("ximssd logged $n errors ($(basename "$log")); the first: \`$(grep -m1 -E '^[0-9-]+ [0-9:.]+ (error|critical) ' "$log" | cut -c1-200)\`")
  fi
done

# --- the section ------------------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
[ -n "$cpu_model" ] || cpu_model=unknown
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
revision=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit yet")
if [ -n "$(git status --porcelain -- src 2>/dev/null | head -n 1)" ]; then revision="$revision (with local changes in src/)"; fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
{
  for k in "${!commands[@]}"; do printf '%s\t%s\n' "$k" "${commands[$k]//$work/\$WORK}"; done
} >"$work/results/commands.tsv"
printf '%s\n' "${notes[@]}" >"$work/results/notes.txt"
# What the report needs besides the results, kept with them (report.env) so that it can be rewritten.
report_env=(STARTED="$started" ELAPSED="$elapsed" NPROC="$(nproc)" CPU_MODEL="$cpu_model"
  MEM_TOTAL="$mem_total" KERNEL="$(uname -r)" REVISION="$revision" BUILD_DIR="$build_dir" BUILD_TYPE="${build_type:-?}"
  DOVECOT_VERSION="$dovecot_version" LOAD_START="$load_start" LOAD_END="$load_end" HIB_COUNT="$hib_count"
  INOTIFY_INSTANCES="$inotify_instances" COUNT="$count" SECONDS_EACH="$seconds" WARMUP="$warmup"
  CLIENT_LEVELS="${client_levels[*]}" IDLE_LEVELS="${idle_levels[*]}" IMPORT_CONNECTIONS="$import_connections"
  NOFILE="$nofile" GOAL_THROUGHPUT="$goal_throughput" GOAL_MEMORY="$goal_memory" USER_NAME="$user" PASSWORD="$password"
  DOMAIN="$domain" DV_CLIENT_LIMIT="$dovecot_client_limit" DV_PROCESS_LIMIT="$dovecot_process_limit"
  DV_STORE_KIB="$dv_store_kib" XS_STORE_KIB="$xs_store_kib" MIN_AVAILABLE_MIB="$min_available_mib"
  SERVER_BIN="$server_bin" XS_ARGS="${xs_args[*]//$work/\$WORK}" DOVECOT_CMD="$dovecot_cmd")
for v in "${report_env[@]}"; do printf 'export %q\n' "$v"; done >"$work/results/report.env"
if [ -n "${BENCH_IMAP_RESULTS:-}" ]; then
  mkdir -p "$BENCH_IMAP_RESULTS"
  cp "$work"/results/* "$BENCH_IMAP_RESULTS"/
  cp "$work"/*.stderr "$work"/*.log "$work"/*.out "$BENCH_IMAP_RESULTS"/ 2>/dev/null || true
  [ ! -f "$dv_dir/dovecot.log" ] || cp "$dv_dir/dovecot.log" "$BENCH_IMAP_RESULTS"/
fi
section=$work/imap-section.md
env "${report_env[@]}" RESULTS="$work/results" /usr/bin/python3 bench/imap_report.py >"$section"

# Replace the section in the page (or add it before Commands, or at the end).
title='## IMAP: ximssd vs Dovecot'
if [ -f "$out_doc" ] && grep -qF "$title" "$out_doc"; then
  awk -v f="$section" -v t="$title" '
    $0 == t { while ((getline l < f) > 0) print l; skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }' "$out_doc" >"$work/page.md"
elif [ -f "$out_doc" ] && grep -q '^## Commands$' "$out_doc"; then
  awk -v f="$section" '
    /^## Commands$/ { while ((getline l < f) > 0) print l }
    { print }' "$out_doc" >"$work/page.md"
else
  { [ ! -f "$out_doc" ] || { cat "$out_doc"; echo; }; cat "$section"; } >"$work/page.md"
fi
mkdir -p "$(dirname "$out_doc")"
cp "$work/page.md" "$out_doc"
echo "imap bench: wrote the IMAP section of $out_doc"
sed -n '/^### Goals/,/^### Dovecot/p' "$section" | grep '^|' || true
exit $failed
