#!/usr/bin/env bash
# Runs every Conclave test: formatting and vet, the web client's type check
# and bundle freshness, unit, integration, fuzz-seed and browser tests.
# Installs what it needs (Chromium, Firefox ESR, clamd, ffmpeg, PocketSphinx
# and Flite from Debian, TypeScript from npm) when missing.
set -euo pipefail
cd "$(dirname "$0")"

need_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || missing+=(firefox-esr)
# clamd for the virus-scanner tests (internal/clamav, internal/files); in
# /usr/sbin, which is not on every PATH.
command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
# ffmpeg for the recordings' composite export (internal/recordings).
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
# PocketSphinx and its English model, the default speech engine, and Flite,
# which speaks the sentences the transcription tests recognise
# (internal/transcribe).
command -v pocketsphinx_continuous >/dev/null 2>&1 || missing+=(pocketsphinx)
[ -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ] || missing+=(pocketsphinx-en-us)
command -v flite >/dev/null 2>&1 || missing+=(flite)
# Xvfb, the virtual X server of the remote-control agent's tests
# (internal/remotecontrol/x11).
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
# PostgreSQL's server binaries for the PostgreSQL store's tests
# (internal/pgtest runs its own server in a temporary directory).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The postgresql package starts its default cluster (port 5432) unless a
# policy-rc.d forbids starting services: the tests want none of it, so
# stop any cluster that installation started.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header | awk '$4 == "online" { print $1, $2 }' | while read -r v c; do
    need_root pg_ctlcluster "$v" "$c" stop
  done
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go mod tidy"
go mod tidy -diff

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== web client: type check, generated protocol code and bundle freshness"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npx tsc --noEmit)
go run ./cmd/protogen -check
go run ./cmd/buildweb -check

echo "== go test"
go test -race -count=1 -timeout 30m ./...
# Allocation counts, which the race detector distorts (it makes sync.Pool
# drop items), are checked in a build without it.
go test -count=1 -run 'AllocatesNothing|AllocateNothing' ./internal/udpbatch ./internal/bwe ./internal/rtphdr
