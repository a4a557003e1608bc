#!/usr/bin/env bash
# End-to-end throughput benchmark for netlake. See benches/README.md.
#
#   benches/throughput.sh [--bytes 1G] [--flows 500k] [--seed 1] [--span 3600]
#                         [--mix dns=72,tls=12,http=5,tcp=11] [--regen] [--no-build] [--no-peers]
#
# Builds release binaries, generates bench-out/capture-*.pcap with gen-capture if it is
# missing, then replays that one file with: the netlake read floor, netlake with 1 and 2
# workers (parquet sink), netlake with 1 worker and TLS decoding off, and tshark /
# ndpiReader when installed. Each run is measured
# with /usr/bin/time -v; a table of throughput, CPU efficiency and memory follows.
set -uo pipefail

BYTES=1G FLOWS=500k SEED=1 SPAN=3600 MIX="" REGEN=0 BUILD=1 PEERS=1
usage() { sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bytes) BYTES=${2:?--bytes needs a value}; shift 2 ;;
        --flows) FLOWS=${2:?--flows needs a value}; shift 2 ;;
        --seed) SEED=${2:?--seed needs a value}; shift 2 ;;
        --span) SPAN=${2:?--span needs a value}; shift 2 ;;
        --mix) MIX=${2:?--mix needs a value}; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --no-peers) PEERS=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "throughput.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
OUT=bench-out
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
NETLAKE="$BIN/netlake"
GEN="$BIN/gen-capture"
mkdir -p "$OUT"

note() { echo "throughput.sh: $*" >&2; }

# --- build -------------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
    if ! cargo build --release -p sensor -p netlake-benches; then
        note "building sensor failed; building the generator alone (netlake runs will be skipped)"
        cargo build --release -p netlake-benches || { note "cannot build gen-capture"; exit 2; }
        NETLAKE=""
    fi
fi
[[ -x $GEN ]] || { note "$GEN not found (run without --no-build)"; exit 2; }
[[ -n $NETLAKE && -x $NETLAKE ]] || NETLAKE=""

# --- capture -----------------------------------------------------------------------------
MIXARGS=() MIXNAME=""
if [[ -n $MIX ]]; then MIXARGS=(--mix "$MIX"); MIXNAME="-mix${MIX//[^a-z0-9]/_}"; fi
CAP="$OUT/capture-$BYTES-$FLOWS-s$SEED-span$SPAN$MIXNAME.pcap"
if [[ $REGEN == 1 || ! -f $CAP || ! -f $CAP.meta ]]; then
    "$GEN" --bytes "$BYTES" --flows "$FLOWS" --seed "$SEED" --span "$SPAN" "${MIXARGS[@]}" \
        --out "$CAP" testdata/bench/*.pcap || { note "gen-capture failed"; exit 2; }
fi
meta() { awk -F= -v k="$1" '$1 == k { print $2 }' "$CAP.meta"; }
PACKETS=$(meta packets) WIRE_BYTES=$(meta wire_bytes) GEN_FLOWS=$(meta flows)
if [[ -z $PACKETS || -z $WIRE_BYTES ]]; then note "$CAP.meta lacks packets/wire_bytes; rerun with --regen"; exit 2; fi

# --- timing tool -------------------------------------------------------------------------
TIMEV=""
if /usr/bin/time -v true >/dev/null 2>&1; then
    TIMEV=/usr/bin/time
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    note "installing GNU time (apt-get install -y time)"
    apt-get install -y time >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null 2>&1)
    /usr/bin/time -v true >/dev/null 2>&1 && TIMEV=/usr/bin/time
fi
[[ -n $TIMEV ]] || note "GNU time not available: only wall time is measured (CPU and RSS show '?')"

# --- runs --------------------------------------------------------------------------------
NAMES=() CMDS=()
declare -A WALL CPU RSS RC NFLOWS
NOTES=()

# Seconds from GNU time's "h:mm:ss" or "m:ss.cc".
to_secs() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s }' <<<"$1"; }

run_case() {
    local name=$1; shift
    rm -rf "$OUT/lake"
    echo ">> $name: $*" >&2
    if [[ -n $TIMEV ]]; then
        "$TIMEV" -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
        RC[$name]=$?
        local t="$OUT/$name.time"
        WALL[$name]=$(to_secs "$(sed -n 's/.*Elapsed (wall clock) time.*): //p' "$t")")
        CPU[$name]=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$t")
        RSS[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$t")
    else
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
        RC[$name]=$?
        t1=$(date +%s.%N)
        WALL[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        CPU[$name]="?" RSS[$name]="?"
    fi
    # netlake prints "flows N" in its summary; accept "flows: N" / "flows=N" too.
    NFLOWS[$name]=$(grep -aE '^[[:space:]]*flows[[:space:]]*[:=]?[[:space:]]*[0-9]+' "$OUT/$name.err" 2>/dev/null \
        | tail -n 1 | grep -oE '[0-9]+' | tail -n 1)
    [[ ${RC[$name]} == 0 ]] || note "$name exited with ${RC[$name]}; see $OUT/$name.err"
    NAMES+=("$name")
}

cat "$CAP" >/dev/null   # same warm page cache for every run

if [[ -z $NETLAKE ]]; then
    NOTES+=("netlake: binary not built; netlake runs skipped")
else
    if "$NETLAKE" replay --help 2>&1 | grep -q -- '--floor'; then
        run_case floor "$NETLAKE" replay --floor "$CAP"
    else
        NOTES+=("floor: 'netlake replay --floor' not implemented yet; skipped (ratios and bytes/flow show '?')")
    fi
    run_case netlake-w1 "$NETLAKE" replay --sink "parquet:$OUT/lake" --workers 1 "$CAP"
    run_case netlake-w2 "$NETLAKE" replay --sink "parquet:$OUT/lake" --workers 2 "$CAP"
    if "$NETLAKE" replay --help 2>&1 | grep -q -- '--decoders'; then
        # Every decoder but TLS: TLS flows are probed as unknown TCP, then bypassed.
        run_case netlake-notls "$NETLAKE" replay --sink "parquet:$OUT/lake" --workers 1 \
            --decoders dns,quic "$CAP"
    fi
fi
if [[ $PEERS == 1 ]]; then
    if command -v tshark >/dev/null; then
        run_case tshark tshark -r "$CAP" -q -z conv,tcp
    else
        NOTES+=("tshark: not installed; skipped")
    fi
    if command -v ndpiReader >/dev/null; then
        run_case ndpiReader ndpiReader -q -i "$CAP"
    else
        NOTES+=("ndpiReader: not installed; skipped")
    fi
fi

# --- report ------------------------------------------------------------------------------
FLOOR_WALL=${WALL[floor]:-} FLOOR_RSS=${RSS[floor]:-}
echo
echo "capture: $CAP"
echo "  $PACKETS packets, $WIRE_BYTES wire bytes, $GEN_FLOWS flows ($(grep -E '^flows_' "$CAP.meta" | tr '\n' ' '))"
echo "  host: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
echo
TSV="$OUT/results.tsv"
printf 'run\trc\twall_s\tcpu_s\tgbit_s\tmpps\tgbit_s_per_core\tpeak_rss_kib\tpct_of_floor\tflows\tbytes_per_flow\n' >"$TSV"
printf '%-12s %8s %8s %8s %7s %9s %10s %9s %9s %9s\n' \
    run "wall s" "cpu s" "Gbit/s" "Mpps" "Gb/s/core" "peak RSS" "of floor" flows "B/flow"
for n in "${NAMES[@]}"; do
    awk -v n="$n" -v rc="${RC[$n]}" -v wall="${WALL[$n]}" -v cpu="${CPU[$n]}" -v rss="${RSS[$n]}" \
        -v pk="$PACKETS" -v by="$WIRE_BYTES" -v fw="$FLOOR_WALL" -v frss="$FLOOR_RSS" \
        -v fl="${NFLOWS[$n]:-}" -v isnl="$([[ $n == netlake-* ]] && echo 1)" -v tsv="$TSV" '
    function num(x) { return x != "" && x != "?" && x + 0 > 0 }
    BEGIN {
        gbps = num(wall) ? sprintf("%.3f", by * 8 / wall / 1e9) : "?"
        mpps = num(wall) ? sprintf("%.3f", pk / wall / 1e6) : "?"
        core = num(cpu) ? sprintf("%.3f", by * 8 / cpu / 1e9) : "?"
        mib = num(rss) ? sprintf("%.0f MiB", rss / 1024) : "?"
        pct = (num(fw) && num(wall)) ? sprintf("%.0f%%", 100 * fw / wall) : "?"
        bpf = (isnl && num(rss) && num(frss) && num(fl)) ? sprintf("%.0f", (rss - frss) * 1024 / fl) : "?"
        if (fl == "") fl = "?"
        name = rc == 0 ? n : n "(rc" rc ")"
        printf "%-12s %8s %8s %8s %7s %9s %10s %9s %9s %9s\n", name, wall, cpu, gbps, mpps, core, mib, pct, fl, bpf
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, rc, wall, cpu, gbps, mpps, core, rss, pct, fl, bpf >> tsv
    }'
done
echo
if [[ -n ${WALL[netlake-w1]:-} && -n ${WALL[netlake-w2]:-} ]]; then
    awk -v a="${WALL[netlake-w1]}" -v b="${WALL[netlake-w2]}" 'BEGIN {
        if (a > 0 && b > 0) printf "scaling 1 -> 2 workers: %.2fx faster (%.0f%% parallel efficiency)\n", a / b, 50 * a / b }'
fi
if [[ -n ${WALL[netlake-w1]:-} && -n ${WALL[netlake-notls]:-} ]]; then
    awk -v on="${CPU[netlake-w1]}" -v off="${CPU[netlake-notls]}" -v bulk="$(meta bulk_bytes)" -v wire="$WIRE_BYTES" 'BEGIN {
        if (on > 0 && off > 0) printf "TLS decoding on vs off (1 worker): %.2fx the CPU time\n", on / off
        if (on > 0 && bulk > 0) printf "encrypted bulk payload in the capture: %d bytes (%.0f%% of wire bytes)\n", bulk, 100 * bulk / wire }'
fi
for n in "${NOTES[@]}"; do echo "note: $n"; done
echo "raw output: $OUT/<run>.{out,err,time}; table as TSV: $TSV"
