#!/bin/sh
# Measures forwarded packets per server CPU-second and peak RSS against
# participants (BenchmarkScaling) and draws docs/scaling.svg from them.
# WINDOW sets the measured window per run (default 15s); the whole sweep
# takes about 11 runs of WINDOW + 10 s.
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run XXX -bench Scaling -benchtime 1x -timeout 60m ./test/bench -args -window "${WINDOW:-15s}" -scaling-out "$out"
go run ./test/bench/plot < "$out" > docs/scaling.svg
cp "$out" docs/scaling.jsonl
echo "wrote docs/scaling.svg and docs/scaling.jsonl"
