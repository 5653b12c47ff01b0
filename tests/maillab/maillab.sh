#!/usr/bin/env bash
# anchord mail lab: DANE for SMTP (RFC 7672) end to end with real Postfix.
#
# Builds on tests/lab/lab.sh (which it runs, unchanged): the DNS lab comes up
# in the namespace, then this script adds, inside the same namespace,
#   - two mail zones (zones/dane.test.zone signed, zones/nodane.test.zone
#     unsigned) served by a second NSD on 127.53.0.3, delegated from the lab's
#     test. zone (re-signed with the lab's own test. keys, reloaded in Knot),
#   - anchord on 127.0.0.1:53 and /etc/netns/$LAB_NS/resolv.conf pointing at it
#     (`ip netns exec` bind-mounts it over /etc/resolv.conf), with trust-ad,
#   - Postfix instances (own config/queue/data directories, chroot off):
#       sender  127.54.0.2  smtp_tls_security_level = dane, DNSSEC lookups
#       rx1     127.54.0.11 self-signed certificate   (TLSA 3 1 1)
#       rx2     127.54.0.12 certificate of a private CA (TLSA 2 1 1)
#     each logging to its own file via postlogd ($LAB_DIR/mail/NAME/maillog),
#     receivers delivering every recipient to Maildir $LAB_DIR/mail/NAME/mail/inbox.
#
# Usage: tests/maillab/maillab.sh up|down|exec CMD...|send TO SUBJECT|flush|queue
# Environment: LAB_NS (default anchord-mail), LAB_DIR (default /tmp/$LAB_NS),
#              ANCHORD_BIN (default target/debug/anchord of this checkout).
set -euo pipefail
umask 022 # receivers deliver as nobody: directories must be traversable

LAB_NS="${LAB_NS:-anchord-mail}"
LAB_DIR="${LAB_DIR:-/tmp/${LAB_NS}}"
export LAB_NS LAB_DIR
export PATH="$PATH:/usr/sbin:/sbin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="$HERE/../lab/lab.sh"
ANCHORD_BIN="${ANCHORD_BIN:-$HERE/../../target/debug/anchord}"

MAIL_NSD_IP=127.53.0.3
SENDER_IP=127.54.0.2
RX1_IP=127.54.0.11
RX2_IP=127.54.0.12
M="$LAB_DIR/mail"
MAIL_DOMAINS="s1.dane.test s2.dane.test wrong.dane.test offsite.dane.test twomx.dane.test bogusmx.dane.test nodane.test"

log() { printf 'maillab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }
quiet() {
    local err rc=0
    err=$("$@" 2>&1 >/dev/null) || rc=$?
    ((rc == 0)) || { printf '%s\n' "$err" >&2; die "failed ($rc): $*"; }
}

require_tools() {
    local missing=() t
    for t in postfix postqueue postconf swaks openssl knotc; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
    [[ -x $ANCHORD_BIN ]] || die "no anchord binary at $ANCHORD_BIN (cargo build)"
}

# --- certificates ------------------------------------------------------------

make_certs() {
    local c="$M/certs"
    mkdir -p "$c"
    # rx1: self-signed, the usual "DANE-EE 3 1 1" setup.
    quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$c/rx1.key" -out "$c/rx1.crt" -days 30 -subj /CN=mx1.dane.test \
        -addext subjectAltName=DNS:mx1.dane.test
    # A private CA and rx2's certificate issued by it (DANE-TA 2 1 1). The
    # server sends the chain, so that the CA key can be matched (RFC 7671 §5.2.2).
    quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$c/ca.key" -out "$c/ca.crt" -days 30 -subj "/CN=maillab private CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$c/rx2.key" -out "$c/rx2.csr" -subj /CN=mx2.dane.test
    printf 'subjectAltName=DNS:mx2.dane.test\nbasicConstraints=CA:FALSE\n' >"$c/rx2.ext"
    quiet openssl x509 -req -in "$c/rx2.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" \
        -CAcreateserial -days 30 -extfile "$c/rx2.ext" -out "$c/rx2.crt"
    cat "$c/rx1.crt" >"$c/rx1.chain"
    cat "$c/rx2.crt" "$c/ca.crt" >"$c/rx2.chain"
}

# tlsa_rdata CERT HOST USAGE: the rdata part of `anchord tlsa`'s record.
tlsa_rdata() {
    "$ANCHORD_BIN" tlsa "$1" "$2" --port 25 --usage "$3" --selector 1 --matching 1 |
        awk '$3 == "TLSA" { print $4, $5, $6, $7; exit }'
}

# --- zones -------------------------------------------------------------------

corrupt_rrsig() { # ZONEFILE OWNER TYPE (same trick as lab.sh)
    local f=$1
    awk -v owner="$2" -v type="$3" '
        !done && $1 == owner && $4 == "RRSIG" && $5 == type {
            sig = $NF; i = int(length(sig) / 2); c = substr(sig, i, 1)
            $NF = substr(sig, 1, i - 1) ((c == "A") ? "B" : "A") substr(sig, i + 1)
            done = 1
        }
        { print }
        END { if (!done) exit 3 }' "$f" >"$f.tmp" || die "no RRSIG $2/$3 in $f"
    mv "$f.tmp" "$f"
}

build_mail_zones() {
    local z="$M/zones" k="$M/keys" now
    mkdir -p "$z" "$k"
    local rx1 ca wrong
    rx1=$(tlsa_rdata "$M/certs/rx1.crt" mx1.dane.test 3)
    ca=$(tlsa_rdata "$M/certs/ca.crt" mx2.dane.test 2)
    [[ -n $rx1 && -n $ca ]] || die "anchord tlsa gave no record"
    # One hex digit of the hash changed: a well-formed record that matches nothing.
    wrong=$(awk '{ h = $4; c = substr(h, 10, 1); r = (c == "0") ? "1" : "0";
        print $1, $2, $3, substr(h, 1, 9) r substr(h, 11) }' <<<"$rx1")
    local f
    for f in dane.test nodane.test; do
        sed -e "s/@TLSA_RX1@/$rx1/" -e "s/@TLSA_CA@/$ca/" -e "s/@TLSA_WRONG@/$wrong/" \
            "$HERE/zones/$f.zone" >"$z/$f.zone"
    done
    printf '%s\n' "$rx1" >"$M/tlsa-rx1.txt"
    printf '%s\n' "$ca" >"$M/tlsa-ca.txt"

    # dane.test: dnssec-signzone, algorithm 13, NSEC.
    quiet dnssec-keygen -q -K "$k" -a ECDSAP256SHA256 -n ZONE -f KSK dane.test
    quiet dnssec-keygen -q -K "$k" -a ECDSAP256SHA256 -n ZONE dane.test
    now=$(date +%s)
    quiet dnssec-signzone -q -S -K "$k" -d "$k" -o dane.test -O full \
        -s "$((now - 3600))" -e "$((now + 30 * 86400))" \
        -f "$z/dane.test.signed" "$z/dane.test.zone"
    corrupt_rrsig "$z/dane.test.signed" _25._tcp.mxbad.dane.test. TLSA
    corrupt_rrsig "$z/dane.test.signed" bogusmx.dane.test. MX
    cp "$z/nodane.test.zone" "$z/nodane.test.signed"

    # Delegate both from the lab's test. zone (DS only for dane.test), re-sign
    # it with the lab's keys and let Knot reload it.
    local tz="$LAB_DIR/zones/test..zone" tk="$LAB_DIR/keys/test."
    [[ -f $tz && -f $tk/ksk.name ]] || die "lab test. zone or keys not found in $LAB_DIR"
    {
        echo "; mail lab delegations (tests/maillab/maillab.sh)"
        echo "dane.test.      IN NS ns.dane.test."
        echo "ns.dane.test.   IN A  $MAIL_NSD_IP"
        echo "nodane.test.    IN NS ns.nodane.test."
        echo "ns.nodane.test. IN A  $MAIL_NSD_IP"
        dnssec-dsfromkey -2 -f "$z/dane.test.signed" dane.test 2>/dev/null
    } >>"$tz"
    # A higher SOA serial, so that Knot takes the new file as a new version.
    sed -i -E '0,/IN SOA/{s/(IN SOA [^ ]+ [^ ]+ )1 /\12 /}' "$tz"
    quiet ldns-signzone -n -a 1 -t 0 -i "$((now - 3600))" -e "$((now + 30 * 86400))" \
        -o test. -f "$LAB_DIR/signed/test.signed" "$tz" \
        "$tk/$(cat "$tk/ksk.name")" "$tk/$(cat "$tk/zsk.name")"
    quiet knotc -s "$LAB_DIR/run/knot/knot.sock" zone-reload test.
}

start_mail_nsd() {
    cat >"$M/nsd.conf" <<EOF
server:
    ip-address: $MAIL_NSD_IP
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$M/zones"
    database: ""
    pidfile: "$LAB_DIR/run/nsd-mail.pid"
    xfrdfile: "$M/xfrd.state"
    zonelistfile: "$M/zone.list"
    xfrdir: "$M"
    logfile: "$LAB_DIR/log/nsd-mail.log"
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "dane.test"
    zonefile: "dane.test.signed"
zone:
    name: "nodane.test"
    zonefile: "nodane.test.signed"
EOF
    in_ns nsd -c "$M/nsd.conf"
}

# --- anchord -----------------------------------------------------------------

start_anchord() {
    "$LAB" anchord-config 127.0.0.1 >"$M/anchord.toml"
    in_ns "$ANCHORD_BIN" run --config "$M/anchord.toml" \
        </dev/null >"$LAB_DIR/log/anchord-mail.log" 2>&1 &
    echo $! >"$LAB_DIR/run/anchord-mail.pid"
    mkdir -p "/etc/netns/$LAB_NS"
    printf 'nameserver 127.0.0.1\noptions trust-ad\n' >"/etc/netns/$LAB_NS/resolv.conf"
    local i
    for ((i = 0; i < 50; i++)); do
        # The delegation to the mail zones goes through the re-signed test.
        # zone: wait until the whole chain validates (flags: ... ad).
        if in_ns dig +tries=1 +time=1 +dnssec s1.dane.test MX 2>/dev/null |
            grep -q 'flags:.* ad'; then
            return 0
        fi
        sleep 0.2
    done
    die "anchord does not give AD for s1.dane.test MX (log: $LAB_DIR/log/anchord-mail.log)"
}

# --- Postfix -----------------------------------------------------------------

write_master_cf() {
    # Chroot off (column 5 = n): the instances read /etc/resolv.conf (the
    # namespace's bind mount) directly instead of a copy in the queue.
    cat >"$1/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# common_main NAME ADDR: settings every instance shares.
common_main() {
    local d="$M/$1"
    cat <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $1.maillab.test
mydomain = maillab.test
myorigin = \$myhostname
mydestination =
inet_interfaces = $2
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = $d/maillog
maillog_file_prefixes = $LAB_DIR
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
smtp_connect_timeout = 5s
smtp_tls_session_cache_database =
smtpd_tls_session_cache_database =
EOF
}

setup_instance() { # NAME ADDR ROLE
    local name=$1 addr=$2 role=$3 d="$M/$1"
    mkdir -p "$d/etc" "$d/queue" "$d/data"
    chown postfix "$d/data"
    write_master_cf "$d/etc"
    {
        common_main "$name" "$addr"
        if [[ $role == sender ]]; then
            cat <<EOF
# The DANE settings of the tutorials (RFC 7672).
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
EOF
        else
            mkdir -p "$d/mail"
            chown 65534:65534 "$d/mail"
            cat <<EOF
smtpd_tls_security_level = may
smtpd_tls_chain_files = $M/certs/$name.key, $M/certs/$name.chain
smtpd_tls_loglevel = 1
virtual_mailbox_domains = $MAIL_DOMAINS
virtual_mailbox_base = $d/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
EOF
        fi
    } >"$d/etc/main.cf"
    in_ns ip addr add "$addr/32" dev lo 2>/dev/null || true
    quiet in_ns postfix -c "$d/etc" check
    quiet in_ns postfix -c "$d/etc" start
}

wait_smtp() { # ADDR
    local i
    for ((i = 0; i < 50; i++)); do
        in_ns bash -c "exec 3<>/dev/tcp/$1/25" 2>/dev/null && return 0
        sleep 0.2
    done
    die "no SMTP listener on $1"
}

# --- commands ------------------------------------------------------------------

cmd_down() {
    local n
    for n in sender rx1 rx2; do
        if [[ -f $M/$n/etc/main.cf ]] && ip netns list 2>/dev/null | grep -qw "^$LAB_NS"; then
            in_ns postfix -c "$M/$n/etc" stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "/etc/netns/$LAB_NS"
    "$LAB" down
}

cmd_up() {
    require_tools
    cmd_down
    "$LAB" up
    mkdir -p "$M"
    chmod 755 "$LAB_DIR"
    make_certs
    build_mail_zones
    start_mail_nsd
    start_anchord
    setup_instance rx1 "$RX1_IP" receiver
    setup_instance rx2 "$RX2_IP" receiver
    setup_instance sender "$SENDER_IP" sender
    wait_smtp "$RX1_IP"
    wait_smtp "$RX2_IP"
    wait_smtp "$SENDER_IP"
    log "up: namespace $LAB_NS, logs $M/{sender,rx1,rx2}/maillog"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
exec)
    shift
    in_ns "$@"
    ;;
send) # TO SUBJECT: submit through the sender's smtpd with swaks
    in_ns swaks --server "$SENDER_IP" --port 25 --from tester@sender.maillab.test \
        --to "$2" --header "Subject: $3" --body "maillab $3" --silent 2
    ;;
flush) in_ns postqueue -c "$M/sender/etc" -f ;;
queue) in_ns postqueue -c "$M/sender/etc" -p ;;
*)
    echo "usage: $0 up|down|exec CMD...|send TO SUBJECT|flush|queue" >&2
    exit 2
    ;;
esac
