#!/usr/bin/env bash
# Starts the release app under Xvfb twice on one fresh data folder — the first start (which indexes the shipped
# knowledge base) and a later start — waits each time until it is idle, and prints the proportional set size (PSS)
# of the app and every process it started (WebKit web and network processes).
# Needs: a release build (scripts/run.sh or `cargo build --release -p compilar` after scripts/ui-build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
app=target/release/compilar
[ -x "$app" ] || { echo "build the release app first: $app is missing" >&2; exit 1; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for run in "first start" "later start"; do
echo "== $run"
XDG_DATA_HOME="$data" xvfb-run -a -s "-screen 0 1280x860x24" bash -c '
  "$0" >/dev/null 2>&1 &
  pid=$!
  sleep "${IDLE_WAIT:-8}"
  total=0
  tree=$pid; frontier=$pid
  while [ -n "$frontier" ]; do
    frontier=$(pgrep -P "$(echo $frontier | tr " " ",")" || true)
    tree="$tree $frontier"
  done
  for p in $tree; do
    [ -r /proc/$p/smaps_rollup ] || continue
    kb=$(awk "/^Pss:/ {print \$2}" /proc/$p/smaps_rollup)
    printf "%-28s %8.1f MB PSS\n" "$(tr -d "\0" < /proc/$p/comm)($p)" "$(echo "$kb/1024" | bc -l)"
    total=$((total + kb))
  done
  printf "%-28s %8.1f MB PSS\n" "total" "$(echo "$total/1024" | bc -l)"
  kill $pid
' "$app"
done
