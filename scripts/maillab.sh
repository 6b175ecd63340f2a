#!/usr/bin/env bash
# The mail lab: real Postfix (SMTP) delivering over LMTP into real Dovecot (IMAP), on
# loopback high ports, for needsd's integration tests. Nothing is mocked.
#
#   scripts/maillab.sh install        install postfix and dovecot from Debian (as root)
#   scripts/maillab.sh start DIR      start a lab in DIR (short path: socket paths < 108 bytes)
#   scripts/maillab.sh stop DIR       stop it
#   scripts/maillab.sh status DIR     exit 0 if both servers answer
#   scripts/maillab.sh kill-smtp DIR  kill Postfix at once (every SMTP session cut), then start it
#   scripts/maillab.sh restart-imap DIR  stop Dovecot (every IMAP session cut), then start it
#
# Ports (override with MAILLAB_SMTP, MAILLAB_SMTPS, MAILLAB_SMTP_IDLE, MAILLAB_IMAP): SMTP
# 127.0.0.1:2525, SMTP with implicit TLS 2465, SMTP that drops a connection after 2 idle
# seconds 2526, IMAP 1143. Every address on any domain but *.invalid is a mailbox,
# created on first delivery, password "lab" (MAILLAB_PASSWORD); plus-addresses
# (needs+TOKEN@ctc.test) land in the base mailbox with the token kept in the headers.
# Error paths on demand: recipients @*.invalid are refused at RCPT (550 5.1.1); mail to
# @bounce.test is accepted and then bounced with a real DSN; @greylist.test is greylisted
# (the first attempt for each address gets 450 4.7.1, later ones pass). A private CA signs
# the TLS certificate (DIR/tls/ca.pem). A running lab of an older version of this script
# is restarted by `start`.
set -euo pipefail

smtp_port=${MAILLAB_SMTP:-2525}
smtps_port=${MAILLAB_SMTPS:-2465}
idle_port=${MAILLAB_SMTP_IDLE:-2526}
imap_port=${MAILLAB_IMAP:-1143}
password=${MAILLAB_PASSWORD:-lab}
# Bump when the lab's behaviour changes, so that `start` replaces an older running lab.
version=4

die() { echo "maillab: $*" >&2; exit 1; }

install() {
    if command -v postfix >/dev/null && command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/lmtp ]; then
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "installing postfix and dovecot needs root (apt-get)"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # Keep the packages' own daemons from starting.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' RETURN
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postfix dovecot-core dovecot-imapd dovecot-lmtpd openssl >/dev/null
}

wait_for() { # host port greeting seconds
    local deadline=$((SECONDS + $4)) line
    while [ $SECONDS -lt $deadline ]; do
        # In a subshell: a failed /dev/tcp redirection would end this shell.
        line=$( (exec 3<>"/dev/tcp/$1/$2" && timeout 2 head -n 1 <&3) 2>/dev/null ) || true
        case "$line" in "$3"*) return 0 ;; esac
        sleep 0.05
    done
    return 1
}

start() {
    local dir=$1
    install
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ${#dir} -lt 60 ] || die "$dir is too long for unix socket paths; use a shorter folder"
    if status "$dir" 2>/dev/null; then
        if [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then return 0; fi
        echo "maillab: restarting the lab in $dir (older version)" >&2
        stop "$dir"
        if port_open "$smtp_port" || port_open "$imap_port"; then
            die "ports $smtp_port/$imap_port are taken by another program or a lab in another folder; stop it (scripts/maillab.sh stop THATDIR)"
        fi
    fi
    mkdir -p "$dir"/{postfix/conf,postfix/data,postfix/spool,dovecot,run,mail,log,tls,run/greylist}
    chmod 777 "$dir/run/greylist"
    # The postfix, dovecot and mailbox users must be able to enter the folder and its parents.
    local p=$dir
    while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
    chmod 755 "$dir" "$dir/run" "$dir/log"
    chown postfix "$dir/postfix/data"
    chown dovenull "$dir/mail" 2>/dev/null || true
    chmod 777 "$dir/mail"

    if [ ! -f "$dir/tls/ca.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=needsd lab CA" \
            -keyout "$dir/tls/ca.key" -out "$dir/tls/ca.pem" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$dir/tls/server.key" -out "$dir/tls/server.csr" 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/tls/ext.cnf"
        openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca.key" \
            -CAcreateserial -days 3650 -extfile "$dir/tls/ext.cnf" -out "$dir/tls/server.pem" 2>/dev/null
        chmod 644 "$dir/tls/server.key"
    fi

    # Dovecot: every address is a mailbox; one shared password.
    cat > "$dir/dovecot/dovecot.conf" <<CONF
base_dir = $dir/run/dovecot
state_dir = $dir/run/dovecot-state
log_path = $dir/log/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = yes
ssl_cert = <$dir/tls/server.pem
ssl_key = <$dir/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_max_userip_connections = 200
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
mail_location = maildir:$dir/mail/%d/%n/Maildir
mail_uid = dovenull
mail_gid = dovenull
first_valid_uid = 1
passdb {
  driver = static
  args = password=$password allow_all_users=yes
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$dir/mail/%d/%n allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener $dir/run/lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener $dir/run/auth {
    mode = 0666
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
namespace inbox {
  inbox = yes
  mailbox Processed {
    auto = create
  }
}
CONF

    # Postfix: loopback listeners written from scratch; nothing can leave.
    cat > "$dir/postfix/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/postfix/spool
data_directory = $dir/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = lab.ctc.test
mydestination =
mynetworks = 127.0.0.0/8
maillog_file = $dir/log/postfix.log
maillog_file_prefixes = $dir/log
smtpd_banner = \$myhostname ESMTP needsd-lab
virtual_mailbox_domains = regexp:$dir/postfix/conf/domains
virtual_mailbox_maps = static:OK
virtual_alias_maps = regexp:$dir/postfix/conf/aliases
virtual_transport = lmtp:unix:$dir/run/lmtp
recipient_delimiter = +
default_transport = error:the needsd lab sends nothing outside
relay_transport = error:the needsd lab sends nothing outside
smtpd_recipient_restrictions = check_recipient_access regexp:$dir/postfix/conf/rcpt_access, reject_unauth_destination
smtpd_restriction_classes = greylist
greylist = check_policy_service unix:private/greylist
access_map_reject_code = 550
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dir/run/auth
smtpd_sasl_auth_enable = yes
smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
smtpd_tls_security_level = may
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_timeout = \${stress?{10s}:{300s}}
message_size_limit = 52428800
bounce_queue_lifetime = 0
maximal_queue_lifetime = 0
CONF
    printf '!/\\.invalid$/ OK\n' > "$dir/postfix/conf/domains"
    printf '/\\.invalid$/ REJECT 5.1.1 no such mailbox in the needsd lab\n/@greylist\\.test$/ greylist\n' > "$dir/postfix/conf/rcpt_access"
    # Greylisting as real servers do it: defer the first attempt for an address, pass
    # the ones after. Postfix's policy protocol: attribute lines, a blank line, an answer.
    cat > "$dir/postfix/conf/greylist.sh" <<'SCRIPT'
#!/bin/bash
state=$1
rcpt=
while IFS= read -r line; do
    case "$line" in
        recipient=*) rcpt=${line#recipient=} ;;
        "")
            key=$(printf '%s' "$rcpt" | tr -c 'A-Za-z0-9@.+_-' _)
            if [ -e "$state/$key" ]; then
                printf 'action=dunno\n\n'
            else
                : > "$state/$key"
                printf 'action=450 4.7.1 greylisted by the needsd lab, try again later\n\n'
            fi
            rcpt= ;;
    esac
done
SCRIPT
    printf '/^(.*)@bounce\\.test$/ $1@nowhere.invalid\n' > "$dir/postfix/conf/aliases"
    cat > "$dir/postfix/conf/master.cf" <<CONF
127.0.0.1:$smtp_port inet n - n - - smtpd
127.0.0.1:$smtps_port inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:$idle_port inet n - n - - smtpd -o smtpd_timeout=2s -o syslog_name=postfix-idle
greylist  unix - n n - 0 spawn user=nobody argv=/bin/bash $dir/postfix/conf/greylist.sh $dir/run/greylist
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
    # Postfix stalls while main.cf is younger than about 2 seconds.
    touch -d '-1 min' "$dir"/postfix/conf/*

    dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >"$dir/log/dovecot.out" 2>&1
    local deadline=$((SECONDS + 10))
    until [ -S "$dir/run/lmtp" ] && [ -S "$dir/run/auth" ]; do
        [ $SECONDS -lt $deadline ] || die "dovecot did not start; see $dir/log/dovecot.log"
        sleep 0.05
    done
    postfix -c "$dir/postfix/conf" start </dev/null >"$dir/log/postfix.out" 2>&1 \
        || die "postfix did not start; see $dir/log/postfix.out"
    wait_for 127.0.0.1 "$smtp_port" 220 10 || die "no SMTP greeting on $smtp_port; see $dir/log/postfix.log"
    wait_for 127.0.0.1 "$imap_port" "* OK" 10 || die "no IMAP greeting on $imap_port; see $dir/log/dovecot.log"
    echo "$version" > "$dir/version"
    echo "maillab: SMTP 127.0.0.1:$smtp_port (TLS $smtps_port), IMAP 127.0.0.1:$imap_port, CA $dir/tls/ca.pem"
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    postfix -c "$dir/postfix/conf" stop </dev/null >/dev/null 2>&1 || true
    if [ -f "$dir/run/dovecot/master.pid" ]; then
        kill "$(cat "$dir/run/dovecot/master.pid")" 2>/dev/null || true
    fi
    # Both stop in the background: wait until the ports are free, so a start right
    # after a stop does not find the old servers still answering.
    local deadline=$((SECONDS + 10))
    while [ $SECONDS -lt $deadline ] && { port_open "$smtp_port" || port_open "$imap_port"; }; do
        sleep 0.05
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Faults for the tests that prove needsd survives them: a lab of their own (other ports
# and folder), never the shared one.
kill_smtp() {
    local dir=$1
    # The master and every process it started (the smtpd in the middle of a session
    # included) die at once, as when the machine's server crashes.
    local master
    master=$(tr -d ' ' <"$dir/postfix/spool/pid/master.pid" 2>/dev/null || true)
    if [ -n "$master" ]; then
        pkill -KILL -P "$master" 2>/dev/null || true
        kill -KILL "$master" 2>/dev/null || true
    fi
    rm -f "$dir/postfix/spool/pid/master.pid"
    local deadline=$((SECONDS + 10))
    while port_open "$smtp_port"; do
        [ $SECONDS -lt $deadline ] || die "postfix did not stop"
        sleep 0.05
    done
    postfix -c "$dir/postfix/conf" start </dev/null >>"$dir/log/postfix.out" 2>&1 \
        || die "postfix did not start again; see $dir/log/postfix.out"
    wait_for 127.0.0.1 "$smtp_port" 220 10 || die "no SMTP greeting on $smtp_port after the restart"
}

restart_imap() {
    local dir=$1
    if [ -f "$dir/run/dovecot/master.pid" ]; then
        kill "$(cat "$dir/run/dovecot/master.pid")" 2>/dev/null || true
    fi
    local deadline=$((SECONDS + 10))
    while port_open "$imap_port" || [ -f "$dir/run/dovecot/master.pid" ]; do
        [ $SECONDS -lt $deadline ] || die "dovecot did not stop"
        sleep 0.05
    done
    dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >>"$dir/log/dovecot.out" 2>&1
    wait_for 127.0.0.1 "$imap_port" "* OK" 10 || die "no IMAP greeting on $imap_port after the restart"
}

status() {
    wait_for 127.0.0.1 "$smtp_port" 220 1 && wait_for 127.0.0.1 "$imap_port" "* OK" 1
}

case "${1:-}" in
    install) install ;;
    start) [ -n "${2:-}" ] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
    status) status ;;
    kill-smtp) [ -n "${2:-}" ] || die "usage: $0 kill-smtp DIR"; kill_smtp "$2" ;;
    restart-imap) [ -n "${2:-}" ] || die "usage: $0 restart-imap DIR"; restart_imap "$2" ;;
    *) die "usage: $0 install | start DIR | stop DIR | status | kill-smtp DIR | restart-imap DIR" ;;
esac
