#!/usr/bin/env bash
# anchord integration lab: a private, DNSSEC-signed DNS hierarchy served by
# real authoritative servers (NSD and Knot) inside a network namespace, plus
# a reference validating resolver (Unbound from Debian).
#
# Usage: tests/lab/lab.sh up|down|status|dig ARGS...|exec CMD...|anchord-config [ADDR]
#
# Environment:
#   LAB_NS   network namespace name        (default: anchord-lab)
#   LAB_DIR  work directory (keys, zones)  (default: /tmp/$LAB_NS)
#
# Addresses inside the namespace (all on its own `lo`):
#   127.53.0.1   NSD:  .  nsec8  ed25519  rsasha1  optout  unsigned.optout  bogus
#   127.53.0.2   Knot: test.  nsec3-13  p384  insecure  expired  dsmismatch
#   127.53.0.53  Unbound (reference resolver)
#   10.53.0.9    spare source address outside 127/8 (for REFUSED tests)
#
# Everything (keys, signatures) is generated fresh at `up` because signatures
# are time-dependent; only the templates in zones/ are committed.
set -euo pipefail

LAB_NS="${LAB_NS:-anchord-lab}"
LAB_DIR="${LAB_DIR:-/tmp/${LAB_NS}}"
export PATH="$PATH:/usr/sbin:/sbin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATES="$HERE/zones"

NSD_IP=127.53.0.1
KNOT_IP=127.53.0.2
UNBOUND_IP=127.53.0.53
OUTSIDE_IP=10.53.0.9

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }
ns_exists() { ip netns list 2>/dev/null | awk -v n="$LAB_NS" '$1 == n { f = 1 } END { exit !f }'; }

# quiet CMD...: run CMD, show its stderr only if it fails (the signers warn
# about deprecated algorithms and expired signatures, which the lab wants).
quiet() {
    local err rc=0
    err=$("$@" 2>&1 >/dev/null) || rc=$?
    ((rc == 0)) || { printf '%s\n' "$err" >&2; die "failed ($rc): $*"; }
}

require_tools() {
    local missing=() t
    for t in ip nsd knotd unbound dig kdig dnssec-keygen dnssec-signzone \
        dnssec-dsfromkey ldns-keygen ldns-signzone; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
    [[ $(id -u) == 0 ]] || die "must run as root (ip netns)"
}

# --- signing ---------------------------------------------------------------

# Validity window of good signatures: from an hour ago to 30 days ahead.
SIG_START_OFFSET=3600
SIG_END_OFFSET=$((30 * 86400))

# keys_bind ZONE ALG: a KSK and a ZSK made by dnssec-keygen.
keys_bind() {
    local zone=$1 alg=$2 kd="$LAB_DIR/keys/$1" size=()
    mkdir -p "$kd"
    case $alg in RSA* | NSEC3RSA*) size=(-b 2048) ;; esac
    quiet dnssec-keygen -q -K "$kd" -a "$alg" "${size[@]}" -n ZONE -f KSK "$zone"
    quiet dnssec-keygen -q -K "$kd" -a "$alg" "${size[@]}" -n ZONE "$zone"
}

# sign_bind ZONE MODE [extra dnssec-signzone args]: smart signing (-S).
sign_bind() {
    local zone=$1 mode=$2
    shift 2
    local nsec3=()
    case $mode in
    nsec) ;;
    nsec3) nsec3=(-3 - -H 0) ;;
    optout) nsec3=(-3 - -H 0 -A) ;;
    *) die "bad mode $mode" ;;
    esac
    local now
    now=$(date +%s)
    quiet dnssec-signzone -q -S -K "$LAB_DIR/keys/$zone" -d "$LAB_DIR/keys/$zone" \
        -o "$zone" -O full \
        -s "$((now - SIG_START_OFFSET))" -e "$((now + SIG_END_OFFSET))" \
        "${nsec3[@]}" "$@" -f "$LAB_DIR/signed/$zone.signed" \
        "$LAB_DIR/zones/$zone.zone"
}

# keys_ldns ZONE ALG: a KSK and a ZSK made by ldns-keygen.
keys_ldns() {
    local zone=$1 alg=$2 kd="$LAB_DIR/keys/$1" size=()
    mkdir -p "$kd"
    case $alg in RSA*) size=(-b 2048) ;; esac
    (cd "$kd" && ldns-keygen -a "$alg" "${size[@]}" -k "$zone" >ksk.name &&
        ldns-keygen -a "$alg" "${size[@]}" "$zone" >zsk.name)
}

# sign_ldns ZONE MODE [inception expiration]
sign_ldns() {
    local zone=$1 mode=$2 kd="$LAB_DIR/keys/$1" nsec3=()
    local now
    now=$(date +%s)
    local inc=${3:-$((now - SIG_START_OFFSET))} exp=${4:-$((now + SIG_END_OFFSET))}
    case $mode in
    nsec) ;;
    nsec3) nsec3=(-n -a 1 -t 0) ;;
    *) die "bad mode $mode" ;;
    esac
    ldns-signzone "${nsec3[@]}" -i "$inc" -e "$exp" -o "$zone" \
        -f "$LAB_DIR/signed/$zone.signed" "$LAB_DIR/zones/$zone.zone" \
        "$kd/$(cat "$kd/ksk.name")" "$kd/$(cat "$kd/zsk.name")"
}

# ds_of ZONE: the SHA-256 DS of the zone's KSK(s), from the signed zone.
ds_of() {
    dnssec-dsfromkey -2 -f "$LAB_DIR/signed/$1.signed" "$1" 2>/dev/null
}

# prepare ZONE: copy the template into the work dir.
prepare() {
    cp "$TEMPLATES/$1.zone" "$LAB_DIR/zones/$1.zone"
}

# unsigned ZONE: served as-is.
unsigned() {
    prepare "$1"
    cp "$LAB_DIR/zones/$1.zone" "$LAB_DIR/signed/$1.signed"
}

# corrupt_rrsig ZONE OWNER TYPE: flip one base64 character in the middle of
# the signature of OWNER/TYPE, so that it is well-formed but does not verify.
corrupt_rrsig() {
    local f="$LAB_DIR/signed/$1.signed"
    awk -v owner="$2" -v type="$3" '
        !done && $1 == owner && $4 == "RRSIG" && $5 == type {
            sig = $NF
            i = int(length(sig) / 2)
            c = substr(sig, i, 1)
            r = (c == "A") ? "B" : "A"
            $NF = substr(sig, 1, i - 1) r substr(sig, i + 1)
            done = 1
        }
        { print }
        END { if (!done) exit 3 }' "$f" >"$f.tmp" || die "no RRSIG $2/$3 in $1"
    mv "$f.tmp" "$f"
}

build_zones() {
    rm -rf "$LAB_DIR/keys" "$LAB_DIR/zones" "$LAB_DIR/signed"
    mkdir -p "$LAB_DIR/keys" "$LAB_DIR/zones" "$LAB_DIR/signed"
    local z

    # Insecure zones: no DS in the parent.
    unsigned insecure.test
    unsigned unsigned.optout.test

    # Secure second-level zones, one algorithm / denial flavour each.
    prepare nsec8.test
    keys_bind nsec8.test RSASHA256
    sign_bind nsec8.test nsec

    prepare nsec3-13.test
    keys_ldns nsec3-13.test ECDSAP256SHA256
    sign_ldns nsec3-13.test nsec3

    prepare ed25519.test
    keys_bind ed25519.test ED25519
    sign_bind ed25519.test nsec

    prepare p384.test
    keys_ldns p384.test ECDSAP384SHA384
    sign_ldns p384.test nsec

    prepare rsasha1.test
    keys_bind rsasha1.test NSEC3RSASHA1
    sign_bind rsasha1.test nsec3

    prepare optout.test
    keys_bind optout.test ECDSAP256SHA256
    sign_bind optout.test optout

    # Bogus: www.bogus.test/A has a signature that does not verify.
    prepare bogus.test
    keys_ldns bogus.test RSASHA256
    sign_ldns bogus.test nsec
    corrupt_rrsig bogus.test www.bogus.test. A

    # Expired: every signature expired in 2020.
    prepare expired.test
    keys_ldns expired.test ECDSAP256SHA256
    sign_ldns expired.test nsec 20200101000000 20200201000000

    # DS mismatch: the parent publishes the DS of a key the child never uses.
    prepare dsmismatch.test
    keys_ldns dsmismatch.test ECDSAP256SHA256
    sign_ldns dsmismatch.test nsec3
    mkdir -p "$LAB_DIR/keys/stray"
    dnssec-keygen -q -K "$LAB_DIR/keys/stray" -a ECDSAP256SHA256 -n ZONE -f KSK \
        dsmismatch.test >"$LAB_DIR/keys/stray/name"

    # TLD test.: DS records of the secure children.
    prepare test
    {
        echo "; DS records generated at lab up"
        for z in nsec8 nsec3-13 ed25519 p384 rsasha1 optout bogus expired; do
            ds_of "$z.test"
        done
        dnssec-dsfromkey -2 "$LAB_DIR/keys/stray/$(cat "$LAB_DIR/keys/stray/name").key"
    } >>"$LAB_DIR/zones/test.zone"
    mv "$LAB_DIR/zones/test.zone" "$LAB_DIR/zones/test..zone"
    keys_ldns test. ECDSAP256SHA256
    sign_ldns test. nsec3
    mv "$LAB_DIR/signed/test..signed" "$LAB_DIR/signed/test.signed"

    # Root: DS of test.
    cp "$TEMPLATES/root.zone" "$LAB_DIR/zones/..zone"
    dnssec-dsfromkey -2 -f "$LAB_DIR/signed/test.signed" test. >>"$LAB_DIR/zones/..zone"
    keys_bind . RSASHA256
    sign_bind . nsec
    mv "$LAB_DIR/signed/..signed" "$LAB_DIR/signed/root.signed"

    # Trust anchor for resolvers (Unbound trust-anchor-file format) and hints.
    dnssec-dsfromkey -2 -f "$LAB_DIR/signed/root.signed" . >"$LAB_DIR/lab-anchor.ds"
    cat >"$LAB_DIR/lab.hints" <<EOF
; Root hints of the anchord lab (named.root format).
.                        3600000      NS    a.root-servers.
a.root-servers.          3600000      A     $NSD_IP
EOF
}

# --- servers ---------------------------------------------------------------

write_configs() {
    local run="$LAB_DIR/run" logd="$LAB_DIR/log"
    mkdir -p "$run/knot/db" "$logd"

    {
        cat <<EOF
server:
    ip-address: $NSD_IP
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$LAB_DIR/signed"
    database: ""
    pidfile: "$run/nsd.pid"
    xfrdfile: "$run/xfrd.state"
    zonelistfile: "$run/zone.list"
    xfrdir: "$run"
    logfile: "$logd/nsd.log"
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: no
EOF
        local z
        for z in root nsec8.test ed25519.test rsasha1.test optout.test \
            unsigned.optout.test bogus.test; do
            local name=$z
            [[ $z == root ]] && name=.
            printf 'zone:\n    name: "%s"\n    zonefile: "%s.signed"\n' "$name" "$z"
        done
    } >"$LAB_DIR/nsd.conf"

    {
        cat <<EOF
server:
    rundir: "$run/knot"
    pidfile: "$run/knot.pid"
    listen: $KNOT_IP@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$run/knot/knot.sock"
log:
  - target: "$logd/knot.log"
    any: info
database:
    storage: "$run/knot/db"
template:
  - id: default
    storage: "$LAB_DIR/signed"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
EOF
        local z
        for z in test nsec3-13.test p384.test insecure.test expired.test dsmismatch.test; do
            printf '  - domain: %s.\n    file: %s.signed\n' "$z" "$z"
        done
    } >"$LAB_DIR/knot.conf"

    cat >"$LAB_DIR/unbound.conf" <<EOF
server:
    interface: $UNBOUND_IP
    port: 53
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    access-control: 0.0.0.0/0 refuse
    root-hints: "$LAB_DIR/lab.hints"
    trust-anchor-file: "$LAB_DIR/lab-anchor.ds"
    chroot: ""
    username: ""
    directory: "$LAB_DIR"
    pidfile: "$run/unbound.pid"
    logfile: "$logd/unbound.log"
    use-syslog: no
    module-config: "validator iterator"
    val-log-level: 2
    verbosity: 1
    num-threads: 1
    so-reuseport: no
    # Unbound answers test. locally by default (RFC 6761 list); the lab needs it resolved.
    local-zone: "test." nodefault
remote-control:
    control-enable: no
EOF
}

# wait_answering IP NAME: poll with dig until the server answers (max ~10 s).
wait_answering() {
    local ip=$1 name=$2 i
    for ((i = 0; i < 50; i++)); do
        if in_ns dig +norecurse +tries=1 +time=1 +short "@$ip" "$name" SOA >/dev/null 2>&1 &&
            [[ -n $(in_ns dig +norecurse +tries=1 +time=1 +short "@$ip" "$name" SOA) ]]; then
            return 0
        fi
        sleep 0.2
    done
    die "$ip does not answer for $name (logs in $LAB_DIR/log)"
}

start_servers() {
    in_ns nsd -c "$LAB_DIR/nsd.conf"
    in_ns knotd -d -c "$LAB_DIR/knot.conf"
    wait_answering "$NSD_IP" .
    wait_answering "$KNOT_IP" test.
    in_ns unbound -c "$LAB_DIR/unbound.conf"
    local i
    for ((i = 0; i < 50; i++)); do
        in_ns dig +tries=1 +time=1 "@$UNBOUND_IP" . SOA >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "unbound does not answer (log: $LAB_DIR/log/unbound.log)"
}

# --- commands --------------------------------------------------------------

cmd_down() {
    local pidf pid i
    if [[ -d $LAB_DIR/run ]]; then
        for pidf in "$LAB_DIR"/run/*.pid; do
            [[ -f $pidf ]] || continue
            pid=$(cat "$pidf" 2>/dev/null || true)
            [[ $pid =~ ^[0-9]+$ ]] && kill "$pid" 2>/dev/null || true
        done
    fi
    if ns_exists; then
        # Anything still running in our namespace was started by this lab.
        for ((i = 0; i < 25; i++)); do
            [[ -z $(ip netns pids "$LAB_NS" 2>/dev/null) ]] && break
            sleep 0.2
        done
        for pid in $(ip netns pids "$LAB_NS" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
        ip netns del "$LAB_NS"
    fi
    # Only ever delete a directory this script created.
    if [[ -f $LAB_DIR/.anchord-lab ]]; then
        rm -rf "$LAB_DIR"
    fi
}

cmd_up() {
    require_tools
    cmd_down
    [[ ! -e $LAB_DIR ]] || die "$LAB_DIR exists and is not a lab work dir"
    mkdir -p "$LAB_DIR"
    touch "$LAB_DIR/.anchord-lab"
    ip netns add "$LAB_NS"
    in_ns ip link set lo up
    in_ns ip addr add "$OUTSIDE_IP/32" dev lo
    build_zones
    write_configs
    start_servers
    log "up: namespace $LAB_NS, work dir $LAB_DIR"
    log "try: $0 dig www.nsec8.test A"
}

cmd_status() {
    local pidf
    ns_exists || { echo "namespace $LAB_NS: absent"; return 1; }
    echo "namespace $LAB_NS: present (work dir $LAB_DIR)"
    for pidf in "$LAB_DIR"/run/*.pid; do
        [[ -f $pidf ]] || continue
        if kill -0 "$(cat "$pidf")" 2>/dev/null; then
            echo "$(basename "$pidf" .pid): running"
        else
            echo "$(basename "$pidf" .pid): dead"
        fi
    done
}

# An anchord configuration for the lab on ADDR (default 127.53.0.100).
cmd_anchord_config() {
    local addr=${1:-127.53.0.100}
    cat <<EOF
[server]
listen = ["$addr:53"]
allow = ["127.0.0.0/8"]

[upstream]
allow_localhost_targets = true
ipv6 = false

[iterator]
root_hints = "$LAB_DIR/lab.hints"

[dnssec]
builtin_root_anchor = false
trust_anchor_files = ["$LAB_DIR/lab-anchor.ds"]
EOF
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
dig)
    shift
    in_ns dig +dnssec "@$UNBOUND_IP" "$@"
    ;;
exec)
    shift
    in_ns "$@"
    ;;
anchord-config)
    shift
    cmd_anchord_config "$@"
    ;;
*)
    echo "usage: $0 up|down|status|dig ARGS...|exec CMD...|anchord-config [ADDR]" >&2
    exit 2
    ;;
esac
