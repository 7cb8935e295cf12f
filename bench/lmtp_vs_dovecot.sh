#!/usr/bin/env bash
# bench/lmtp_vs_dovecot.sh — ximssd's LMTP delivery side by side with Debian's Dovecot LMTP
# (dovecot-lmtpd), on the same machine, the same account and the same load (bench/lmtp_load).
# Run as `scripts/bench lmtp`.
#
#   1. starts both servers on 127.0.0.1: Dovecot from a private configuration in a scratch
#      directory (protocols = lmtp, an LMTP inet listener on a free port, maildir; never the
#      system's configuration), ximssd from a scratch data directory; each has bench@example.dom;
#   2. for 1 and 20 concurrent LMTP connections (BENCH_LMTP_CLIENTS), delivers BENCH_LMTP_COUNT
#      messages (10,000) of BENCH_LMTP_SIZE bytes (4,096) to each server, one transaction with one
#      recipient per message: deliveries/s and latency percentiles (a reply comes once the
#      message is stored: both servers fsync it);
#   3. replaces the section "LMTP: ximssd vs Dovecot" of docs/PERFORMANCE.md (BENCH_OUT).
#
# Dovecot is started as root (it switches to the mail user itself), so this script runs as root;
# it installs dovecot-lmtpd with apt-get when it is missing.
#
# Environment: BENCH_LMTP_COUNT (10000), BENCH_LMTP_SIZE (4096), BENCH_LMTP_CLIENTS ("1 20"),
# BENCH_OUT (docs/PERFORMANCE.md), BENCH_BUILD_DIR (unset: build the release tree with
# scripts/build and use build/; set: use the binaries already built there).
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_LMTP_COUNT:-10000}
size=${BENCH_LMTP_SIZE:-4096}
read -ra client_levels <<<"${BENCH_LMTP_CLIENTS:-1 20}"
out_doc=${BENCH_OUT:-docs/PERFORMANCE.md}
goal_ratio=2  # ximssd ≥ 2× Dovecot's deliveries/s
user=bench@example.dom
domain=example.dom

if [ "$(id -u)" -ne 0 ]; then
  echo "lmtp bench: must run as root (Dovecot is started as root and drops to the mail user)" >&2
  exit 2
fi
if ! dpkg-query -W -f='${Status}' dovecot-lmtpd 2>/dev/null | grep -q 'install ok installed'; then
  echo "lmtp bench: installing dovecot-lmtpd" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-lmtpd >/dev/null
fi
dovecot_bin=$(command -v dovecot || echo /usr/sbin/dovecot)
dovecot_version=$("$dovecot_bin" --version | awk '{ print $1 }')

build_dir=${BENCH_BUILD_DIR:-}
if [ -z "$build_dir" ]; then
  scripts/build release
  build_dir=build
fi
server_bin=$build_dir/ximssd
load_bin=$build_dir/bench/lmtp_load
for b in "$server_bin" "$load_bin"; do
  [ -x "$b" ] || { echo "lmtp bench: $b was not built" >&2; exit 1; }
done
build_type=$(grep -m1 '^CMAKE_BUILD_TYPE:' "$build_dir/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || true)
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d "${TMPDIR:-/tmp}/lmtp-bench.XXXXXX")
chmod 755 "$work"  # Dovecot's lmtp process runs as the mail user and must reach the maildir
dv_dir=$work/dovecot
xs_data=$work/ximssd
dv_pid=""
xs_pid=""

stop_pid() {  # stop_pid PID: SIGTERM, wait up to a minute, then SIGKILL its process group
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 600); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  fi
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_pid "$dv_pid"
  for _ in $(seq 300); do
    pgrep -f "^dovecot-lmtp-bench-$$/" >/dev/null 2>&1 || break
    sleep 0.1
  done
  stop_pid "$xs_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_lmtp PORT PID LOG NAME: waits until the server greets with 220 on PORT (60 s)
wait_lmtp() {
  local port=$1 pid=$2 log=$3 name=$4 greeting
  for _ in $(seq 600); do
    if greeting=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 3 <&3" 2>/dev/null) &&
       [ "$greeting" = "220" ]; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "lmtp bench: $name exited during start-up:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "lmtp bench: $name does not greet on port $port after 60 s:" >&2
  cat "$log" >&2
  return 1
}

# --- Dovecot: a private LMTP instance --------------------------------------------------------------
dv_port=$("$load_bin" free-port --host 127.0.0.1)
mkdir -p "$dv_dir/home/bench" "$dv_dir/run" "$dv_dir/state"
chown -R mail:mail "$dv_dir/home"
mail_uid=$(id -u mail)
mail_gid=$(id -g mail)
printf '%s:{PLAIN}unused-password:%s:%s::%s::\n' "$user" "$mail_uid" "$mail_gid" "$dv_dir/home/bench" >"$dv_dir/passwd"
cat >"$dv_dir/dovecot.conf" <<CONF
# A private Dovecot for bench/lmtp_vs_dovecot.sh: its own base_dir, state_dir and logs.
instance_name = dovecot-lmtp-bench-$$
base_dir = $dv_dir/run
state_dir = $dv_dir/state
log_path = $dv_dir/dovecot.log
info_log_path = $dv_dir/dovecot-info.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
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
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $dv_port
  }
  unix_listener lmtp {
    mode = 0600
  }
}
CONF
setsid "$dovecot_bin" -F -c "$dv_dir/dovecot.conf" >"$work/dovecot.out" 2>&1 &
dv_pid=$!
wait_lmtp "$dv_port" "$dv_pid" "$work/dovecot.out" Dovecot

# --- ximssd ----------------------------------------------------------------------------------------------
xs_port=$("$load_bin" free-port --host 127.0.0.1)
mkdir -p "$xs_data"
{ "$server_bin" domain add "$domain" --data "$xs_data" &&
  "$server_bin" account add "$user" --password bench-Passw0rd-7q --data "$xs_data" \
    --set auth.argon2_opslimit=1 --set auth.argon2_memlimit_kib=8; } >"$work/account.log" 2>&1 || {
  echo "lmtp bench: could not create $user in ximssd:" >&2
  cat "$work/account.log" >&2
  exit 1
}
free() { "$load_bin" free-port --host 127.0.0.1; }
"$server_bin" serve --data "$xs_data" --set server.default_domain="$domain" --set lmtp.port="$xs_port" \
  --set lmtp.socket=none --set smtp.port=0 --set imap.port="$(free)" --set imap.tls_port=0 --set imap.listen=127.0.0.1 \
  --set ximss.port="$(free)" --set ximss.listen=127.0.0.1 --set http.port="$(free)" --set http.tls_port=0 \
  --set http.listen=127.0.0.1 >"$work/ximssd.log" 2>&1 &
xs_pid=$!
wait_lmtp "$xs_port" "$xs_pid" "$work/ximssd.log" ximssd

# --- the load --------------------------------------------------------------------------------------------
declare -A results=()
declare -A commands=()
failed=0
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS
for c in "${client_levels[@]}"; do
  for s in dovecot ximssd; do
    if [ "$s" = dovecot ]; then port=$dv_port pid=$dv_pid; else port=$xs_port pid=$xs_pid; fi
    cmd=("$load_bin" deliver --host 127.0.0.1 --port "$port" --user "$user" --messages "$count" --connections "$c"
         --size "$size" --server-pid "$pid")
    commands[${s}_$c]="${cmd[*]}"
    echo "== ${s}, $c connections: ${cmd[*]}" >&2
    out=$(timeout 1200 "${cmd[@]}") || failed=1
    out=$(tail -n 1 <<<"$out")
    echo "$out" >&2
    results[${s}_$c]=$out
  done
done
elapsed=$((SECONDS - t_start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
dv_stored=$(find "$dv_dir/home/bench/Maildir" -type f -path '*/new/*' -o -type f -path '*/cur/*' 2>/dev/null | wc -l)

# --- the section -------------------------------------------------------------------------------------------
field() {  # field JSON NAME
  sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"
}
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
section=$work/section.md
{
  echo "## LMTP: ximssd vs Dovecot"
  echo
  echo "Measured $started (${elapsed} s) by \`scripts/bench lmtp\` (\`bench/lmtp_vs_dovecot.sh\`): ximssd"
  echo "(${build_type:-unknown} build, revision $revision) side by side with Dovecot $dovecot_version's LMTP"
  echo "(Debian's \`dovecot-lmtpd\`), on $(nproc) CPUs ($cpu_model), $mem_gib GiB RAM, Linux $(uname -r). Both"
  echo "servers and the load tool (\`bench/lmtp_load\`) share the machine and talk over 127.0.0.1; the"
  echo "load average (1, 5, 15 min) was $load_start at the start and $load_end at the end."
  echo
  echo "Each run delivers $count messages of $size bytes to \`$user\`, one LMTP transaction with one"
  echo "recipient per message (MAIL, RCPT and DATA pipelined, then the message), over N connections"
  echo "at once. A delivery counts when its 250 arrives; both servers send it only once the message"
  echo "is on disk (ximssd: the group commit; Dovecot: its maildir file fsynced)."
  echo
  echo "| connections | server | deliveries/s | p50 ms | p99 ms | server cores used | ximssd ÷ Dovecot |"
  echo "|---|---|---|---|---|---|---|"
  goal_rows=()
  for c in "${client_levels[@]}"; do
    dv=${results[dovecot_$c]:-}
    xs=${results[ximssd_$c]:-}
    dv_rate=$(field "$dv" deliveries_per_second)
    xs_rate=$(field "$xs" deliveries_per_second)
    ratio=$(awk -v a="${xs_rate:-0}" -v b="${dv_rate:-0}" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }')
    echo "| $c | Dovecot | ${dv_rate:-failed} | $(field "$dv" p50_ms) | $(field "$dv" p99_ms) | $(field "$dv" server_cores_used) | |"
    echo "| $c | ximssd | ${xs_rate:-failed} | $(field "$xs" p50_ms) | $(field "$xs" p99_ms) | $(field "$xs" server_cores_used) | $ratio |"
    goal_rows+=("$c connections: $ratio")
  done
  echo
  met=$(for c in "${client_levels[@]}"; do
    awk -v a="$(field "${results[ximssd_$c]:-}" deliveries_per_second)" \
        -v b="$(field "${results[dovecot_$c]:-}" deliveries_per_second)" -v g=$goal_ratio \
        'BEGIN { print ((b > 0 && a / b >= g) ? "met" : "not met") }'
  done | sort -u | tr '\n' ' ')
  echo "Goal: ximssd ≥ ${goal_ratio}× Dovecot's deliveries/s. Measured: $(IFS=';'; echo "${goal_rows[*]}" | sed 's/;/; /g'). Status: **${met% }**."
  echo
  echo "Dovecot stored $dv_stored messages in its maildir (every run's deliveries). Dovecot's configuration:"
  echo "a private instance (\`dovecot -F -c CONF\` as root, its own \`base_dir\`, \`state_dir\` and logs),"
  echo "\`protocols = lmtp\`, an \`inet_listener lmtp\` on 127.0.0.1, a \`passwd-file\` userdb, \`mail_location ="
  echo "maildir:~/Maildir\` owned by the \`mail\` user, everything else Debian's defaults (\`mail_fsync ="
  echo "optimized\`: the delivered file is fsynced before the reply). ximssd: a scratch data directory,"
  echo "default settings."
  echo
  echo "Commands:"
  echo
  for c in "${client_levels[@]}"; do
    for s in dovecot ximssd; do echo "    ${commands[${s}_$c]//$work/\$WORK}"; done
  done
  echo
  echo "Raw output (one JSON line per run):"
  echo
  for c in "${client_levels[@]}"; do
    for s in dovecot ximssd; do echo "    $s $c: ${results[${s}_$c]:-}"; done
  done
  echo
} >"$section"

# Replace the section in the page (or add it before Commands, or at the end).
title='## LMTP: ximssd vs Dovecot'
if [ -f "$out_doc" ] && grep -qF "$title" "$out_doc"; then
  awk -v f="$section" -v t="$title" '
    $0 == t { while ((getline l < f) > 0) print l; skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }' "$out_doc" >"$work/page.md"
else
  { [ ! -f "$out_doc" ] || { cat "$out_doc"; echo; }; cat "$section"; } >"$work/page.md"
fi
mkdir -p "$(dirname "$out_doc")"
cp "$work/page.md" "$out_doc"
echo "lmtp bench: wrote the LMTP section of $out_doc"
grep '^|' "$section" || true
exit $failed
