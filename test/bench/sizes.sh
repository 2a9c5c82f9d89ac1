#!/bin/sh
# Re-measures docs/performance.md's "Load tests: three sizes per scenario"
# table: the real binary, a fresh server per run, the load tester on the
# same machine. Prints one Markdown row per run. DURATION sets the measured
# window (default 20s). Needs jq (Debian: apt-get install jq).
set -eu
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"; kill "$srv" 2>/dev/null || true' EXIT
srv=
go build -o "$bin/conclave" ./cmd/conclave
run() { # name scenario publishers subscribers
	data="$bin/data-$1" && mkdir -p "$data"
	CONCLAVE_PASSWORD=load-test-password-1 "$bin/conclave" user add --data "$data" --email admin@example.org --name Admin --role admin >/dev/null
	m=$("$bin/conclave" meeting create --data "$data" --title Load --json --no-waiting-room --join-before-host --screen-share everyone)
	id=$(echo "$m" | jq -r .id) pass=$(echo "$m" | jq -r .passcode)
	"$bin/conclave" serve --data "$data" --listen 127.0.0.1:18180 --media-port 0 --turn-port 0 \
		--metrics-listen 127.0.0.1:19190 --log-level warn --max-participants 500 >/dev/null 2>&1 &
	srv=$!
	until curl -sf http://127.0.0.1:18180/readyz >/dev/null 2>&1; do sleep 0.2; done
	"$bin/conclave" loadtest --url http://127.0.0.1:18180 --meeting "$id" --passcode "$pass" \
		--scenario "$2" --publishers "$3" --subscribers "$4" --duration "${DURATION:-20s}" --ramp 5s \
		--metrics-url http://127.0.0.1:19190/metrics --json "$bin/$1.json" >/dev/null
	kill "$srv" && wait "$srv" 2>/dev/null || true
	srv=
	jq -r --arg n "$1" '"| \($n) | \(.sent.packets_per_sec|round) | \(.received.packets_per_sec|round) | \((.received.bits_per_sec/1e6*100|round)/100) | \((.loss_ratio*100000|round)/1000) | \((.latency.p50_ms*100|round)/100) / \((.latency.p99_ms*100|round)/100) / \((.latency.max_ms*100|round)/100) | \(.join_to_first_media.p50_ms|round) / \(.join_to_first_media.p99_ms|round) | \((.server.cpu_cores*100|round)/100) | \((.server.peak_rss_bytes/1048576*10|round)/10) | \(.server.forwarded_packets_per_cpu_second|round) | \((.server.forward_latency.mean_ms*1000|round)/1000) / \((.server.forward_latency.p99_ms*1000|round)/1000) |"' "$bin/$1.json"
}
run "meeting 2" meeting 2 0
run "meeting 4" meeting 4 0
run "meeting 6" meeting 6 0
run "webinar 1→5" webinar 1 5
run "webinar 1→10" webinar 1 10
run "webinar 1→20" webinar 1 20
run "audio 2→10" audio 2 10
run "audio 2→20" audio 2 20
run "audio 2→40" audio 2 40
