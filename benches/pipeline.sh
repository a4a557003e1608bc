#!/usr/bin/env bash
# Streaming pipeline benchmark: sensor -> Kafka -> lake writer -> S3, Arrow vs JSON.
#
#   benches/pipeline.sh [--bytes 256M] [--flows 100k] [--no-build]
#
# Starts the test services (scripts/services.sh up: tansu + Garage on loopback),
# generates (or reuses) a capture with gen-capture, then for each message format
# (arrow, json): replays the capture into Kafka, runs `netlake lake-writer` into S3
# until idle, and reports records/s and MB/s of both halves, the lake writer's peak
# RSS, and the Parquet bytes per record against the JSON-lines bytes per record of
# the same records. Services are left running (scripts/services.sh down stops them).
set -uo pipefail

BYTES=256M FLOWS=100k BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bytes) BYTES=${2:?}; shift 2 ;;
        --flows) FLOWS=${2:?}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "pipeline.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
OUT=bench-out/pipeline
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
NETLAKE="$BIN/netlake"
mkdir -p "$OUT"
note() { echo "pipeline.sh: $*" >&2; }

if [[ $BUILD == 1 ]]; then
    cargo build --release -p sensor -p netlake-benches || exit 2
fi
[[ -x $NETLAKE && -x $BIN/gen-capture ]] || { note "build first (no --no-build)"; exit 2; }
/usr/bin/time -v true >/dev/null 2>&1 || { note "GNU time is needed (apt-get install time)"; exit 2; }

CAP="bench-out/capture-$BYTES-$FLOWS-s1-span3600.pcap"
if [[ ! -f $CAP ]]; then
    "$BIN/gen-capture" --bytes "$BYTES" --flows "$FLOWS" --seed 1 --span 3600 \
        --out "$CAP" testdata/bench/*.pcap || exit 2
fi

eval "$(scripts/services.sh up)" || { note "services did not start"; exit 2; }

# The JSON-lines size of the records: the baseline Parquet is compared with.
"$NETLAKE" replay --quiet --uid-seed 1 --sink "jsonl:$OUT/records.jsonl" "$CAP" || exit 2
RECORDS=$(wc -l <"$OUT/records.jsonl")
JSONL_BYTES=$(stat -c %s "$OUT/records.jsonl")
rm -f "$OUT/records.jsonl"

secs() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

printf '%-6s %9s %11s %9s %11s %9s %10s %12s %10s\n' format records "replay r/s" "MB/s" "writer r/s" "MB/s" "writer RSS" "parquet B/r" "json B/r"
for fmt in arrow json; do
    prefix="bench-$fmt-$$"
    NETLAKE_LOG=info /usr/bin/time -v -o "$OUT/$fmt-replay.time" "$NETLAKE" replay --quiet --uid-seed 1 \
        --sink "kafka:$NETLAKE_KAFKA" --kafka-topic-prefix "$prefix" --kafka-format "$fmt" "$CAP" \
        2>"$OUT/$fmt-replay.err" || { note "replay ($fmt) failed: $OUT/$fmt-replay.err"; continue; }
    sent=$(grep -o 'payload_bytes=[0-9]*' "$OUT/$fmt-replay.err" | tail -1 | cut -d= -f2)
    idle=5
    /usr/bin/time -v -o "$OUT/$fmt-writer.time" "$NETLAKE" lake-writer --brokers "$NETLAKE_KAFKA" \
        --topic-prefix "$prefix" --group "$prefix" --dest "$NETLAKE_S3_URL/$prefix" --until-idle "$idle" \
        2>"$OUT/$fmt-writer.err" || { note "lake-writer ($fmt) failed: $OUT/$fmt-writer.err"; continue; }
    line=$(grep '^lake-writer:' "$OUT/$fmt-writer.err" | tail -1)
    rows=$(sed -n 's/.* rows \([0-9]*\) .*/\1/p' <<<"$line")
    obytes=$(sed -n 's/.* bytes \([0-9]*\) .*/\1/p' <<<"$line")
    rsecs=$(secs "$OUT/$fmt-replay.time")
    # The writer's wall time less the idle wait that ends it.
    wsecs=$(awk -v s="$(secs "$OUT/$fmt-writer.time")" -v i="$idle" 'BEGIN { print (s - i > 0.001 ? s - i : 0.001) }')
    awk -v f="$fmt" -v n="$RECORDS" -v rs="$rsecs" -v sent="${sent:-0}" -v rows="${rows:-0}" -v ws="$wsecs" \
        -v rss="$(rss_mib "$OUT/$fmt-writer.time")" -v ob="${obytes:-0}" -v jb="$JSONL_BYTES" 'BEGIN {
        printf "%-6s %9d %11.0f %9.1f %11.0f %9.1f %7s MiB %12.1f %10.1f\n", f, rows, n / rs, sent / rs / 1e6,
            rows / ws, sent / ws / 1e6, rss, (rows > 0 ? ob / rows : 0), jb / n }'
    [[ ${rows:-0} == "$RECORDS" ]] || note "$fmt: the lake holds ${rows:-0} rows, the replay made $RECORDS"
done
echo "MB/s = Kafka message payload bytes per second; parquet B/r = object bytes in S3 per record;"
echo "json B/r = JSON-lines bytes per record of the same replay. Raw output: $OUT/"
