#!/usr/bin/env bash
# benches/compare.sh: anchord against Unbound (and Knot Resolver, PowerDNS
# Recursor when installed), same lab, same settings.
#
# Usage (root; needs the lab's tools plus dnsperf):
#   cargo build --release
#   sudo benches/compare.sh                 # full run: 25 s load phases, 3 repetitions
#   sudo QUICK=1 benches/compare.sh         # 5 s load phases, 1 repetition
#
# What it does, in one run:
#   1. `tests/lab/lab.sh up` in its own namespace (LAB_NS, default anchord-perf),
#      then adds the benchmark zones, served by an extra NSD on 127.53.0.3:
#        perf.test.    10,000 names (A, AAAA, MX, TXT, TLSA), *.wild wildcard,
#                      ldns-signzone alg 13 NSEC           (benches/compare/perf.test.zone)
#        mem.test.     100,000 names with an A RRset, alg 13 NSEC (memory test)
#        cold8.test.   alg 8 NSEC, cold13.test. alg 13 NSEC3, cold15.test. alg 15 NSEC,
#                      250 names each                        (benches/compare/cold.zone)
#      and delegates them from test. (test. is re-signed with its lab keys and
#      Knot reloads it; the root and its trust anchor are untouched).
#   2. For each repetition, each thread count (THREADS, default "1 2") and each
#      resolver (anchord on 127.53.0.100, Unbound on 127.53.0.54, kresd on
#      127.53.0.55, pdns_recursor on 127.53.0.56, each freshly started with that
#      many threads, validation on with the lab trust anchor):
#        cold  (first thread count only): 1,000 distinct names under the four
#              signed zones, A and MX, 20 outstanding queries
#              (dnsperf -q 20 -n 1 -v): total time, p50/p99 latency; then
#              sanity checks with dig +dnssec: AD on 7 signed lab answers,
#              SERVFAIL on 3 bogus lab names (bad RRSIG, expired, DS mismatch).
#        hits: warm with the 10,000-question set (A, AAAA, MX, TLSA, NXDOMAIN,
#              2,000 each; two passes), then `dnsperf -c 16 -l DUR`: QPS, and
#              resolver CPU seconds (utime+stime from /proc/PID/stat) -> queries
#              per CPU-second; then `dnsperf -Q RATE -l LATDUR -v`: latency
#              average/stddev and p50/p99/p99.9 computed from dnsperf's
#              per-query lines.
#        mem   (first thread count only, fresh process): VmRSS before and after
#              caching 100,000 distinct answers: m000000..m099999.mem.test A
#              (100,000 signed names, MEM_SET=names, the default) or
#              w000000..w099999.wild.perf.test A (a signed wildcard, MEM_SET=wild).
#   3. Prints a table: figure, anchord, then each peer and the ratio anchord/peer
#      (a/u Unbound, a/k kresd, a/p PowerDNS; medians over repetitions), and
#      writes raw figures to OUT/raw.tsv.
#   Optionally (REF=1, default on) the authoritative NSD is measured with the
#   same hit set as a "trivial responder" ceiling.
#
# Environment (all optional):
#   QUICK=1          DUR=5 LATDUR=3 REPEAT=1 (otherwise DUR=25 LATDUR=10 REPEAT=3)
#   DUR, LATDUR      seconds of the max-QPS and fixed-rate phases
#   REPEAT           repetitions (medians are reported)
#   THREADS          resolver thread counts, default "1 2"
#   RATE             fixed query rate of the latency phase, default 20000
#   ANCHORD_BIN      default target/release/anchord
#   LAB_NS, LAB_DIR  default anchord-perf, /tmp/anchord-perf
#   OUT              results directory, default /tmp/anchord-perf-results
#   KEEP_LAB=1       leave the lab up afterwards (tests/lab/lab.sh down to remove)
#   REF=0            skip the NSD reference
#   MEM_SET          names (default) or wild: which 100,000 answers fill the cache
#   SKIP_MEM=1       same as leaving mem out of PHASES
#   KRESD=0          leave Knot Resolver out (it joins when `kresd` is installed,
#                    Debian's knot-resolver: one process, so 1-thread rows only;
#                    256 MB LMDB cache, same trust anchor and root hints)
#   PDNS=0           leave PowerDNS Recursor out (it joins when `pdns_recursor` is
#                    installed, Debian's pdns-recursor: `threads` = the row's
#                    thread count, 200,000 packet- and record-cache entries,
#                    dnssec=validate, same trust anchor and root hints)
#   MEM_DO=1         fill the memory phase with DO=1 queries (answers then carry
#                    their RRSIGs, as a DANE-validating mail host's do)
#   HITS_DO=1        send the hit-set queries with EDNS DO=1 (dnsperf -D), as a
#                    DANE-validating stub would: answers then carry RRSIGs
#   PHASES           which phases to run, default "cold hits mem" (all); e.g.
#                    PHASES=mem for the memory figure alone
#
# Caveats: dnsperf runs on the same machine and competes for the same cores
# as the resolver (on a 2-core host the 2-thread figures are load-generator
# bound); loopback only; every load phase is bounded in time and count.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
LAB="$REPO/tests/lab/lab.sh"
export LAB_NS="${LAB_NS:-anchord-perf}"
export LAB_DIR="${LAB_DIR:-/tmp/$LAB_NS}"
export PATH="$PATH:/usr/sbin:/sbin"

if [[ ${QUICK:-0} == 1 ]]; then
    DUR=${DUR:-5} LATDUR=${LATDUR:-3} REPEAT=${REPEAT:-1}
else
    DUR=${DUR:-25} LATDUR=${LATDUR:-10} REPEAT=${REPEAT:-3}
fi
THREADS=${THREADS:-"1 2"}
RATE=${RATE:-20000}
ANCHORD_BIN=${ANCHORD_BIN:-$REPO/target/release/anchord}
OUT=${OUT:-/tmp/anchord-perf-results}
REF=${REF:-1}
MEM_SET=${MEM_SET:-names}
# Knot Resolver joins when kresd is installed (KRESD=0 leaves it out).
WITH_KRESD=0
if [[ ${KRESD:-1} != 0 ]] && command -v kresd >/dev/null 2>&1; then WITH_KRESD=1; fi
# PowerDNS Recursor joins when pdns_recursor is installed (PDNS=0 leaves it out).
WITH_PDNS=0
if [[ ${PDNS:-1} != 0 ]] && command -v pdns_recursor >/dev/null 2>&1; then WITH_PDNS=1; fi
PEERS=(anchord unbound)
[[ $WITH_KRESD == 1 ]] && PEERS+=(kresd)
[[ $WITH_PDNS == 1 ]] && PEERS+=(pdns)
DO_FLAG=()
[[ ${HITS_DO:-0} == 1 ]] && DO_FLAG=(-D)
MEM_DO_FLAG=()
[[ ${MEM_DO:-0} == 1 ]] && MEM_DO_FLAG=(-D)
PHASES=${PHASES:-"cold hits mem"}
[[ ${SKIP_MEM:-0} == 1 ]] && PHASES=${PHASES//mem/}

# phase NAME: whether NAME is one of the selected PHASES.
phase() { [[ " $PHASES " == *" $1 "* ]]; }

PERF_NSD_IP=127.53.0.3
ANCHORD_IP=127.53.0.100
UNBOUND_IP=127.53.0.54
KRESD_IP=127.53.0.55
PDNS_IP=127.53.0.56
PD="$LAB_DIR/perf"
CLK_TCK=$(getconf CLK_TCK)
RAW="$OUT/raw.tsv"

log() { printf 'compare: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }

# --- setup -------------------------------------------------------------------

require() {
    [[ $(id -u) == 0 ]] || die "must run as root (network namespace)"
    local t missing=()
    for t in ip nsd knotc dnsperf unbound dig ldns-keygen ldns-signzone dnssec-dsfromkey; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
    [[ -x $ANCHORD_BIN ]] || die "no $ANCHORD_BIN (cargo build --release)"
}

# gen_perf FILE: the perf.test. template plus 10,000 generated names.
gen_perf() {
    {
        cat "$HERE/compare/perf.test.zone"
        awk 'BEGIN {
            for (i = 0; i < 10000; i++) {
                n = sprintf("h%05d", i)
                printf "%s IN A 127.54.%d.%d\n", n, int(i / 250), i % 250 + 1
                printf "%s IN AAAA fd54::%x\n", n, i + 1
                printf "%s IN MX 10 mx.perf.test.\n", n
                printf "%s IN TXT \"perf name %d\"\n", n, i
                printf "_25._tcp.%s IN TLSA 3 1 1 %064x\n", n, i
            }
        }'
    } >"$1"
}

# gen_cold ZONE FILE
gen_cold() {
    {
        printf '$ORIGIN %s.\n' "$1"
        cat "$HERE/compare/cold.zone"
        awk 'BEGIN {
            for (i = 0; i < 250; i++) {
                n = sprintf("c%03d", i)
                printf "%s IN A 127.55.%d.%d\n", n, int(i / 250), i % 250 + 1
                printf "%s IN MX 10 mx\n", n
            }
        }'
    } >"$2"
}

# sign ZONE ALG MODE: ldns keys + signature, 1 h back to 30 days ahead.
sign() {
    local zone=$1 alg=$2 mode=$3 kd="$PD/keys/$1" nsec3=() size=() now ksk zsk
    mkdir -p "$kd"
    [[ $alg == RSA* ]] && size=(-b 2048)
    ksk=$(cd "$kd" && ldns-keygen -a "$alg" "${size[@]}" -k "$zone")
    zsk=$(cd "$kd" && ldns-keygen -a "$alg" "${size[@]}" "$zone")
    [[ $mode == nsec3 ]] && nsec3=(-n -a 1 -t 0)
    now=$(date +%s)
    ldns-signzone "${nsec3[@]}" -i $((now - 3600)) -e $((now + 30 * 86400)) -o "$zone" \
        -f "$PD/$zone.signed" "$PD/$zone.zone" "$kd/$ksk" "$kd/$zsk"
}

add_perf_zones() {
    rm -rf "$PD"
    mkdir -p "$PD"
    log "generating and signing the benchmark zones"
    gen_perf "$PD/perf.test.zone"
    sign perf.test ECDSAP256SHA256 nsec
    {
        printf '$ORIGIN mem.test.\n'
        cat "$HERE/compare/cold.zone"
        awk 'BEGIN { for (i = 0; i < 100000; i++) printf "m%06d IN A 127.56.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1 }'
    } >"$PD/mem.test.zone"
    sign mem.test ECDSAP256SHA256 nsec
    gen_cold cold8.test "$PD/cold8.test.zone"
    sign cold8.test RSASHA256 nsec
    gen_cold cold13.test "$PD/cold13.test.zone"
    sign cold13.test ECDSAP256SHA256 nsec3
    gen_cold cold15.test "$PD/cold15.test.zone"
    sign cold15.test ED25519 nsec

    local run="$LAB_DIR/run" z
    {
        cat <<EOF
server:
    ip-address: $PERF_NSD_IP
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$PD"
    database: ""
    pidfile: "$run/nsd-perf.pid"
    xfrdfile: "$PD/xfrd.state"
    zonelistfile: "$PD/zone.list"
    xfrdir: "$PD"
    logfile: "$LAB_DIR/log/nsd-perf.log"
    server-count: 1
    verbosity: 1
    # NSD's response rate limiting (200/s per source) would throttle the
    # resolvers' cold wildcard resolutions, which all come from one address.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
EOF
        for z in perf.test mem.test cold8.test cold13.test cold15.test; do
            printf 'zone:\n    name: "%s"\n    zonefile: "%s.signed"\n' "$z" "$z"
        done
    } >"$PD/nsd.conf"
    # The pid file lives in the lab's run/ so `lab.sh down` stops it too.
    in_ns nsd -c "$PD/nsd.conf"

    # Delegate from test.: bump the serial, add NS + glue + DS, re-sign with
    # the lab's own test. keys (the root's DS for test. stays valid).
    local tz="$LAB_DIR/zones/test..zone" kd="$LAB_DIR/keys/test." now
    [[ -f $tz ]] || die "no $tz: has lab.sh changed its layout?"
    sed -i 's/\(hostmaster\.nic\.test\.\) 1 /\1 2 /' "$tz"
    {
        echo "; benchmark delegations (benches/compare.sh)"
        for z in perf mem cold8 cold13 cold15; do
            printf '%s IN NS ns.%s.test.\nns.%s IN A %s\n' "$z" "$z" "$z" "$PERF_NSD_IP"
            dnssec-dsfromkey -2 -f "$PD/$z.test.signed" "$z.test" 2>/dev/null
        done
    } >>"$tz"
    now=$(date +%s)
    ldns-signzone -n -a 1 -t 0 -i $((now - 3600)) -e $((now + 30 * 86400)) -o test. \
        -f "$LAB_DIR/signed/test.signed" "$tz" \
        "$kd/$(cat "$kd/ksk.name")" "$kd/$(cat "$kd/zsk.name")"
    knotc -c "$LAB_DIR/knot.conf" zone-reload test. >/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
        if [[ -n $(in_ns dig +norecurse +tries=1 +time=1 +short @127.53.0.2 perf.test DS) ]] &&
            [[ -n $(in_ns dig +norecurse +tries=1 +time=1 +short @$PERF_NSD_IP perf.test SOA) ]]; then
            return 0
        fi
        sleep 0.2
    done
    die "perf.test delegation not served (logs in $LAB_DIR/log)"
}

gen_queries() {
    mkdir -p "$OUT"
    # Cache-hit set: 10,000 questions, 2,000 each of A, AAAA, MX, TLSA, NXDOMAIN.
    awk 'BEGIN {
        for (i = 0; i < 10000; i++) {
            n = sprintf("h%05d.perf.test", i)
            t = i % 5
            if (t == 0) print n, "A"
            else if (t == 1) print n, "AAAA"
            else if (t == 2) print n, "MX"
            else if (t == 3) print "_25._tcp." n, "TLSA"
            else printf "nx%05d.perf.test A\n", i
        }
    }' >"$OUT/hits.txt"
    # Cold set: 1,000 distinct names, 250 under each of the four signed zones.
    awk 'BEGIN {
        split("cold8 cold13 cold15", z, " ")
        for (i = 0; i < 250; i++) {
            for (k = 1; k <= 3; k++)
                printf "c%03d.%s.test %s\n", i, z[k], (i % 2 ? "MX" : "A")
            printf "h%05d.perf.test TXT\n", 9999 - i
        }
    }' >"$OUT/cold.txt"
    # Memory set: 100,000 distinct names (signed names, or under the wildcard).
    if [[ $MEM_SET == wild ]]; then
        awk 'BEGIN { for (i = 0; i < 100000; i++) printf "w%06d.wild.perf.test A\n", i }' >"$OUT/mem.txt"
    else
        awk 'BEGIN { for (i = 0; i < 100000; i++) printf "m%06d.mem.test A\n", i }' >"$OUT/mem.txt"
    fi
}

# --- resolvers -----------------------------------------------------------------

PID=""

start_anchord() {
    local threads=$1 cfg="$OUT/anchord.toml"
    "$LAB" anchord-config "$ANCHORD_IP" |
        sed "s/^\[server\]\$/[server]\nthreads = $threads\nlog_level = \"warn\"/" >"$cfg"
    printf '\n[cache]\nsize = 200000\n' >>"$cfg"
    ip netns exec "$LAB_NS" "$ANCHORD_BIN" run --config "$cfg" >>"$OUT/anchord.log" 2>&1 &
    PID=$! # ip netns exec execs: this is the resolver itself
    wait_up "$ANCHORD_IP" anchord
}

start_unbound() {
    local threads=$1 cfg="$OUT/unbound.conf"
    cat >"$cfg" <<EOF
server:
    interface: $UNBOUND_IP
    port: 53
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    root-hints: "$LAB_DIR/lab.hints"
    trust-anchor-file: "$LAB_DIR/lab-anchor.ds"
    chroot: ""
    username: ""
    directory: "$LAB_DIR"
    pidfile: ""
    logfile: "$OUT/unbound.log"
    use-syslog: no
    module-config: "validator iterator"
    verbosity: 0
    num-threads: $threads
    so-reuseport: yes
    msg-cache-size: 128m
    rrset-cache-size: 256m
    minimal-responses: yes
    qname-minimisation: yes
    local-zone: "test." nodefault
remote-control:
    control-enable: no
EOF
    ip netns exec "$LAB_NS" unbound -d -c "$cfg" >>"$OUT/unbound.log" 2>&1 &
    PID=$! # ip netns exec execs: this is the resolver itself
    wait_up "$UNBOUND_IP" unbound
}

# Knot Resolver (kresd, Debian's knot-resolver), when installed and KRESD != 0.
# kresd is one single-threaded process: it runs at 1 "thread" only (the
# 2-thread rows would need several processes, summed; not done).
start_kresd() {
    local dir="$OUT/kresd-run"
    rm -rf "$dir" && mkdir -p "$dir"
    cat >"$dir/config.lua" <<EOF
net.ipv6 = false
net.listen('$KRESD_IP', 53, { kind = 'dns' })
-- the lab's servers are on 127.53.0.x
option('ALLOW_LOCAL', true)
-- RFC 6761 special-use names (test.) are refused by default; the lab lives there
policy.special_names = {}
modules.load('hints > iterate')
hints.root_file('$LAB_DIR/lab.hints')
trust_anchors.remove('.')
trust_anchors.add_file('$LAB_DIR/lab-anchor.ds', true)
cache.open(256 * MB, 'lmdb://$dir/cache')
log_level('warning')
EOF
    ip netns exec "$LAB_NS" kresd -n -q -c "$dir/config.lua" "$dir" >>"$OUT/kresd.log" 2>&1 &
    PID=$! # ip netns exec execs: this is the resolver itself
    wait_up "$KRESD_IP" kresd
}

# PowerDNS Recursor (pdns_recursor, Debian's pdns-recursor 4.8), when installed
# and PDNS != 0. Its own config dir under OUT, so /etc/powerdns is not read.
start_pdns() {
    local threads=$1 dir="$OUT/pdns-run"
    rm -rf "$dir" && mkdir -p "$dir"
    # The lab's root DS (Unbound trust-anchor-file format, ". IN DS ...") as
    # addTA() calls; clearTA() first drops the built-in IANA root anchors.
    {
        echo 'clearTA()'
        awk '{ for (i = 1; i <= NF; i++) if ($i == "DS") {
                 s = $(i + 1); for (j = i + 2; j <= NF; j++) s = s " " $j
                 printf "addTA(\"%s\", \"%s\")\n", $1, s; break } }' "$LAB_DIR/lab-anchor.ds"
    } >"$dir/recursor.lua"
    grep -q '^addTA' "$dir/recursor.lua" || die "no DS in $LAB_DIR/lab-anchor.ds"
    # Threads: 4.8 defaults to pdns-distributes-queries=yes, where one more
    # "distributor" thread reads every query and hands it to a worker (by
    # qname hash): `threads` + 1 busy threads, two against the others' one at
    # THREADS=1. So the distributor is off and each of the `threads` workers
    # reads its own SO_REUSEPORT socket, as Unbound (num-threads, so-reuseport)
    # and anchord (threads) do; PowerDNS made these the defaults in 4.9. (At
    # threads=1 the main thread is the worker.) The cost to it: 4.8's packet
    # cache is per worker, so at 2 threads a name can miss one worker's packet
    # cache (answered from the shared record cache) until that worker has seen
    # it. The idle control ("web+stat") and task threads are not counted.
    # Cache: like anchord's [cache] size = 200000 (answers and RRsets, each):
    # 200,000 packet-cache (whole answers; the total over the workers) and
    # 200,000 record-cache entries. dont-query= empty: the lab's servers are on
    # 127.53.0.x, which the default refuses to query. security-poll-suffix=
    # empty: no version check query (the lab is offline).
    cat >"$dir/recursor.conf" <<EOF
local-address=$PDNS_IP
local-port=53
allow-from=127.0.0.0/8
dont-query=
hint-file=$LAB_DIR/lab.hints
lua-config-file=$dir/recursor.lua
dnssec=validate
threads=$threads
pdns-distributes-queries=no
reuseport=yes
max-cache-entries=200000
max-packetcache-entries=200000
socket-dir=$dir
daemon=no
write-pid=no
disable-syslog=yes
quiet=yes
loglevel=4
security-poll-suffix=
EOF
    ip netns exec "$LAB_NS" pdns_recursor --config-dir="$dir" >>"$OUT/pdns.log" 2>&1 &
    PID=$! # ip netns exec execs: this is the resolver itself
    wait_up "$PDNS_IP" pdns_recursor
}

wait_up() {
    local ip=$1 what=$2 i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$PID" 2>/dev/null || die "$what exited at start (log in $OUT)"
        in_ns dig +tries=1 +time=1 "@$ip" . SOA >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "$what does not answer on $ip"
}

stop_resolver() {
    [[ -n $PID ]] || return 0
    if ! kill -0 "$PID" 2>/dev/null; then
        log "WARNING: resolver pid $PID had already exited (crash?)"
        echo "crash	$1" >>"$RAW"
    fi
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
}

cpu_secs() { awk -v t="$CLK_TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$PID/stat"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }

# --- measurements ----------------------------------------------------------------

# field FILE LABEL: the first number after "LABEL:" in a dnsperf report.
field() {
    awk -v l="$2:" '(p = index($0, l)) { split(substr($0, p + length(l)), a, " "); print a[1] + 0; exit }' "$1"
}

# percentiles FILE: "p50 p99 p99.9" in ms from dnsperf -v per-query lines.
percentiles() {
    awk '/^> / && $NF ~ /^[0-9.]+$/ { print $NF * 1000 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "nan nan nan"; exit }
            i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
            i999 = int(NR * 0.999); if (i999 < 1) i999 = 1
            printf "%.3f %.3f %.3f\n", v[i50], v[i99], v[i999] }'
}

# record REP RESOLVER METRIC VALUE
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"; }

# errors FILE: queries that were lost or not NOERROR/NXDOMAIN.
errors() {
    awk '/Queries lost:/ { l = $3 } /Response codes:/ {
            for (i = 3; i <= NF; i += 3) if ($i != "NOERROR" && $i != "NXDOMAIN") o += $(i + 1)
        } END { print l + o }' "$1"
}

bench_cold() {
    local rep=$1 who=$2 ip=$3 f="$OUT/cold-$who-$rep.out"
    in_ns dnsperf -s "$ip" -d "$OUT/cold.txt" -n 1 -c 20 -q 20 -t 5 -v >"$f" 2>&1 || true
    local p
    read -r -a p <<<"$(percentiles "$f")"
    record "$rep" "$who" "cold: total time for 1,000 names (s)" "$(field "$f" "Run time (s)")"
    record "$rep" "$who" "cold: p50 latency (ms)" "${p[0]}"
    record "$rep" "$who" "cold: p99 latency (ms)" "${p[1]}"
    record "$rep" "$who" "cold: failed (lost or SERVFAIL)" "$(errors "$f")"
}

bench_hits() {
    local rep=$1 who=$2 ip=$3 thr=$4 f
    # Warm: two bounded passes (the second finds anything the first lost).
    in_ns dnsperf -s "$ip" -d "$OUT/hits.txt" "${DO_FLAG[@]}" -n 1 -c 8 -q 100 -t 5 -l 120 >"$OUT/warm-$who.out" 2>&1 || true
    in_ns dnsperf -s "$ip" -d "$OUT/hits.txt" "${DO_FLAG[@]}" -n 1 -c 8 -q 100 -t 5 -l 120 >"$OUT/warm2-$who.out" 2>&1 || true
    f="$OUT/hits-$who-t$thr-$rep.out"
    local c0 c1 qps done
    c0=$(cpu_secs)
    in_ns dnsperf -s "$ip" -d "$OUT/hits.txt" "${DO_FLAG[@]}" -c 16 -q 500 -l "$DUR" >"$f" 2>&1 || true
    c1=$(cpu_secs)
    qps=$(field "$f" "Queries per second")
    done=$(awk '/Queries completed:/ { print $3; exit }' "$f")
    record "$rep" "$who" "hits ${thr}t: QPS (max)" "$qps"
    record "$rep" "$who" "hits ${thr}t: resolver CPU s" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
    record "$rep" "$who" "hits ${thr}t: queries per CPU-second" \
        "$(awk -v n="$done" -v a="$c0" -v b="$c1" 'BEGIN { if (b > a) printf "%.0f", n / (b - a); else print "nan" }')"
    record "$rep" "$who" "hits ${thr}t: errors (lost/other rcode)" "$(errors "$f")"
    f="$OUT/lat-$who-t$thr-$rep.out"
    in_ns dnsperf -s "$ip" -d "$OUT/hits.txt" "${DO_FLAG[@]}" -c 16 -Q "$RATE" -l "$LATDUR" -v >"$f" 2>&1 || true
    local p
    read -r -a p <<<"$(percentiles "$f")"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: avg latency (ms)" "$(awk -v v="$(field "$f" "Average Latency (s)")" 'BEGIN { printf "%.3f", v * 1000 }')"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: stddev (ms)" "$(awk -v v="$(field "$f" "Latency StdDev (s)")" 'BEGIN { printf "%.3f", v * 1000 }')"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: p50 (ms)" "${p[0]}"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: p99 (ms)" "${p[1]}"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: p99.9 (ms)" "${p[2]}"
    record "$rep" "$who" "hits ${thr}t @${RATE}/s: achieved QPS" "$(field "$f" "Queries per second")"
    rm -f "$f" # per-query lines are large; the percentiles are recorded
}

bench_mem() {
    local rep=$1 who=$2 ip=$3 f="$OUT/mem-$who-$rep.out" r0
    r0=$(rss_mib)
    in_ns dnsperf -s "$ip" -d "$OUT/mem.txt" "${MEM_DO_FLAG[@]}" -n 1 -c 8 -q 100 -t 5 -l 180 >"$f" 2>&1 || true
    record "$rep" "$who" "mem: VmRSS at start (MiB)" "$r0"
    record "$rep" "$who" "mem: VmRSS after 100k answers (MiB)" "$(rss_mib)"
    record "$rep" "$who" "mem: answers cached (NOERROR)" "$(awk '/Response codes:/ { print $4; exit }' "$f")"
    record "$rep" "$who" "mem: fill QPS (cold, validated)" "$(field "$f" "Queries per second")"
    record "$rep" "$who" "mem: fill errors (lost/other rcode)" "$(errors "$f")"
}

# check_ad REP WHO IP: the lab answers must be validated (AD) by both resolvers.
check_ad() {
    local q bad=0
    for q in "h00001.perf.test AAAA" "_25._tcp.h00003.perf.test TLSA" "c001.cold13.test MX" \
        "c002.cold8.test A" "c003.cold15.test A" "x1.wild.perf.test A" "nx1.perf.test A"; do
        # shellcheck disable=SC2086
        if ! in_ns dig +dnssec +tries=1 +time=3 "@$3" $q | grep -q 'flags:[^;]* ad[ ;]'; then
            log "WARNING: $2 did not set AD for $q"
            bad=$((bad + 1))
        fi
    done
    record "$1" "$2" "sanity: lab answers without AD (of 7)" "$bad"
    # and bogus lab names must fail: bad RRSIG, expired signatures, DS mismatch.
    bad=0
    for q in www.bogus.test www.expired.test www.dsmismatch.test; do
        if ! in_ns dig +dnssec +tries=1 +time=3 "@$3" "$q" A | grep -q 'status: SERVFAIL'; then
            log "WARNING: $2 did not answer SERVFAIL for bogus $q A"
            bad=$((bad + 1))
        fi
    done
    record "$1" "$2" "sanity: bogus lab names not SERVFAIL (of 3)" "$bad"
}

run_one() {
    local rep=$1 who=$2 thr=$3 first=$4 ip
    case $who in
    anchord) ip=$ANCHORD_IP ;;
    unbound) ip=$UNBOUND_IP ;;
    kresd) ip=$KRESD_IP ;;
    pdns) ip=$PDNS_IP ;;
    esac
    log "rep $rep: $who, $thr thread(s)"
    if phase cold || phase hits; then
        "start_$who" "$thr"
        if [[ $first == 1 ]] && phase cold; then
            bench_cold "$rep" "$who" "$ip"
            check_ad "$rep" "$who" "$ip"
        fi
        phase hits && bench_hits "$rep" "$who" "$ip" "$thr"
        stop_resolver "$who"
    fi
    if [[ $first == 1 ]] && phase mem; then
        "start_$who" "$thr"
        bench_mem "$rep" "$who" "$ip"
        stop_resolver "$who"
    fi
}

bench_reference() {
    local f="$OUT/ref-nsd.out"
    log "reference: NSD (authoritative, 1 server process) with the hit set"
    in_ns dnsperf -s "$PERF_NSD_IP" -d "$OUT/hits.txt" "${DO_FLAG[@]}" -c 16 -q 500 -l "$DUR" >"$f" 2>&1 || true
    REF_QPS=$(field "$f" "Queries per second")
}

# --- report ------------------------------------------------------------------------

ratio() { awk -v a="$1" -v u="$2" 'BEGIN { if (u + 0 != 0 && a != "nan" && u != "nan" && a != "-") printf "%.2f", a / u; else print "-" }'; }

# ratio_head PEER: the heading of the anchord/PEER column.
ratio_head() {
    case $1 in
    unbound) echo a/u ;;
    kresd) echo a/k ;;
    pdns) echo a/p ;;
    *) echo "a/$1" ;;
    esac
}

# One column of figures and one of ratios anchord/peer for each peer.
report() {
    local m a v p head dash row
    head=$(printf '%-48s %12s' "figure (median of $REPEAT)" anchord)
    dash=$(printf '%-48s %12s' "------" "-------")
    for p in "${PEERS[@]:1}"; do
        head+=$(printf ' %12s %9s' "$p" "$(ratio_head "$p")")
        dash+=$(printf ' %12s %9s' "-------" "---")
    done
    printf '\n%s\n%s\n' "$head" "$dash"
    # Metrics in first-seen order.
    awk -F'\t' '$1 != "crash" && !seen[$3]++ { print $3 }' "$RAW" | while IFS= read -r m; do
        a=$(median "$m" anchord)
        row=$(printf '%-48s %12s' "$m" "$a")
        for p in "${PEERS[@]:1}"; do
            v=$(median "$m" "$p")
            # A ratio of error counts says nothing (0 lost vs 1,535 is not
            # "0.00 times as good"): print the counts only.
            if [[ $m == *errors* ]]; then
                row+=$(printf ' %12s %9s' "$v" "-")
            else
                row+=$(printf ' %12s %9s' "$v" "$(ratio "$a" "$v")")
            fi
        done
        printf '%s\n' "$row"
    done
    [[ -n ${REF_QPS:-} ]] && printf '%-48s %12s\n' "reference: NSD authoritative QPS (hit set)" "$REF_QPS"
    if grep -q '^crash' "$RAW"; then
        printf '\nCRASHES: %s\n' "$(awk -F'\t' '$1 == "crash" { print $2 }' "$RAW" | sort | uniq -c | tr '\n' ' ')"
    fi
}

median() {
    awk -F'\t' -v m="$1" -v w="$2" '$2 == w && $3 == m { print $4 }' "$RAW" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
             else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cleanup() {
    [[ -n $PID ]] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
    [[ ${KEEP_LAB:-0} == 1 ]] || "$LAB" down || true
}

main() {
    require
    rm -rf "$OUT"
    mkdir -p "$OUT"
    : >"$RAW"
    trap cleanup EXIT
    log "lab up (namespace $LAB_NS)"
    "$LAB" up
    add_perf_zones
    gen_queries
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "host: $(nproc) CPUs, $(uname -r), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
        echo "anchord: $ANCHORD_BIN ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
        echo "unbound: $(unbound -V 2>/dev/null | awk 'NR == 1 { print $2 }'), dnsperf: $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }')"
        if [[ $WITH_KRESD == 1 ]]; then
            echo "kresd: $(kresd --version 2>/dev/null | awk '{ print $NF }') (1 process: 1-thread rows only)"
        fi
        if [[ $WITH_PDNS == 1 ]]; then
            echo "pdns_recursor: $( (pdns_recursor --version 2>&1 || true) | awk '/PowerDNS Recursor/ { for (i = 1; i < NF; i++) if ($i == "Recursor") { print $(i + 1); exit } }')"
        fi
        echo "settings: DUR=$DUR LATDUR=$LATDUR REPEAT=$REPEAT THREADS=\"$THREADS\" RATE=$RATE MEM_SET=$MEM_SET HITS_DO=${HITS_DO:-0} MEM_DO=${MEM_DO:-0} PHASES=\"$PHASES\""
    } | tee "$OUT/about.txt" >&2
    local rep thr first who
    for ((rep = 1; rep <= REPEAT; rep++)); do
        first=1
        for thr in $THREADS; do
            for who in "${PEERS[@]}"; do
                # kresd is single-threaded: its rows are the 1-thread ones.
                [[ $who == kresd && $thr != 1 ]] && continue
                run_one "$rep" "$who" "$thr" "$first"
            done
            first=0
        done
    done
    [[ $REF == 1 ]] && bench_reference
    report | tee "$OUT/table.txt"
    log "raw figures: $RAW; dnsperf outputs and logs: $OUT"
}

main "$@"
