#!/usr/bin/env bash
# The media core's comparison topologies (docs/performance.md, "Pinned to
# two cores") on a machine with spare cores: the server pinned to two
# cores, the load tester to the others, so that the server's figures are
# not shared with the client's work. Each run gets a fresh data directory
# and server; results are the load tester's JSON files in $OUT.
#
#   BIN=./conclave OUT=/tmp/bench RUNS=3 test/bench/pinned.sh
#
# SERVER_CPUS and LOAD_CPUS are taskset lists (default 0,1 and 2-15);
# WINDOW is the measured window (default 30s; 5 s ramp, 3 s settle).
# PROFILE=1 also takes a 20 s CPU profile of the server during the first
# run of each topology.
set -euo pipefail

BIN=${BIN:-./conclave}
OUT=${OUT:-./bench-out}
RUNS=${RUNS:-3}
WINDOW=${WINDOW:-30s}
SERVER_CPUS=${SERVER_CPUS:-0,1}
LOAD_CPUS=${LOAD_CPUS:-2-15}
PROFILE=${PROFILE:-0}
PORT=18080
METRICS=19090

mkdir -p "$OUT"
export CONCLAVE_PASSWORD=pinned-bench-password-1

wait_port() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "port $1 never opened" >&2
	return 1
}

run_one() { # publishers subscribers run
	local pubs=$1 subs=$2 run=$3 data meeting id pass pid name prof=""
	name="webinar-$pubs-$subs-$run"
	data=$(mktemp -d)
	"$BIN" user add --data "$data" --email bench@example.org --name Bench --role admin >/dev/null
	meeting=$("$BIN" meeting create --data "$data" --title Bench --json --no-waiting-room --join-before-host --screen-share everyone)
	id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' <<<"$meeting")
	pass=$(sed -n 's/.*"passcode": *"\([^"]*\)".*/\1/p' <<<"$meeting")
	taskset -c "$SERVER_CPUS" "$BIN" serve --data "$data" --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS" \
		--media-addr 127.0.0.1 --media-port 0 --turn-port 0 --log-level warn --max-participants 500 --mfa-roles none \
		2>"$OUT/$name.server.log" >/dev/null &
	pid=$!
	wait_port "$PORT"
	wait_port "$METRICS"
	if [ "$PROFILE" = 1 ] && [ "$run" = 1 ]; then
		(sleep 10; curl -s -o "$OUT/webinar-$pubs-$subs.cpu.pprof" "http://127.0.0.1:$METRICS/debug/pprof/profile?seconds=20") &
		prof=$!
	fi
	taskset -c "$LOAD_CPUS" "$BIN" loadtest --url "http://127.0.0.1:$PORT" --meeting "$id" --passcode "$pass" \
		--scenario webinar --publishers "$pubs" --subscribers "$subs" --duration "$WINDOW" --ramp 5s --settle 3s \
		--metrics-url "http://127.0.0.1:$METRICS/metrics" --json "$OUT/$name.json" >"$OUT/$name.txt"
	if [ -n "$prof" ]; then wait "$prof"; fi
	# The batching achieved: datagrams sent per sendmmsg call.
	curl -s "http://127.0.0.1:$METRICS/metrics" | grep -E '^conclave_(udp_|forwarded_packets_total)' >"$OUT/$name.metrics" || true
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -rf "$data"
}

for topo in "4 12" "2 30"; do
	for run in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		run_one $topo "$run"
	done
done
