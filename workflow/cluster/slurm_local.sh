#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for CI and for trying workflow/profiles/slurm:
#   workflow/cluster/slurm_local.sh start    install (root + apt) if missing, configure, start
#   workflow/cluster/slurm_local.sh status   exit 0 when a job can be scheduled, else 1
#   workflow/cluster/slurm_local.sh stop     stop the daemons this script started
# Debian's slurm-wlm and munge; slurmctld and slurmd on localhost, no accounting database
# (accounting_storage/none: the SLURM plugin polls with squeue), CPUs = nproc, one partition.
# Made for containers: no systemd (the daemons are started directly), no cgroups
# (proctrack/linuxproc, task/none), addresses given as 127.0.0.1 so the hostname need not resolve.
# Idempotent: start on a running cluster only checks it; stop on a stopped one does nothing.
# Settings: SURVEYSEM_SLURM_DIR (state, logs, pid files; default /var/lib/surveysem-slurm),
# SURVEYSEM_SLURM_PARTITION (default "local").
set -euo pipefail

STATE_DIR="${SURVEYSEM_SLURM_DIR:-/var/lib/surveysem-slurm}"
PARTITION="${SURVEYSEM_SLURM_PARTITION:-local}"
CONF=/etc/slurm/slurm.conf
MARKER="# written by surveysem workflow/cluster/slurm_local.sh"
MUNGE_KEY=/etc/munge/munge.key
MUNGE_SOCKET=/run/munge/munge.socket.2
MUNGE_PID="$STATE_DIR/munged.pid"

say() { echo "slurm_local: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (slurmd runs as root)"; }

install_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && return 0
    command -v apt-get >/dev/null || die "slurm-wlm and munge are not installed and there is no apt-get"
    say "installing slurm-wlm and munge with apt-get"
    # the packages' postinst scripts try to start services; without systemd that is harmless
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null) \
        || die "apt-get install slurm-wlm munge failed"
}

node_name() { hostname -s 2>/dev/null || hostname; }

# MB of memory SLURM may hand out: 90 % of the machine, so that the node is never rejected for
# reporting less memory than configured
real_memory() { awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo; }

write_config() {
    if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
        die "$CONF exists and was not written by this script: a cluster is configured here already"
    fi
    mkdir -p /etc/slurm "$STATE_DIR/state" "$STATE_DIR/spool" "$STATE_DIR/log"
    local node cpus
    node="$(node_name)"
    cpus="$(nproc)"
    cat >"$CONF.new" <<EOF
$MARKER
ClusterName=surveysem
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd.log
# no cgroups in a container: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# no accounting database: sacct has nothing to read, job states come from slurmctld (squeue)
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# finished jobs stay visible to squeue for 5 minutes; the plugin polls squeue only when this is
# at least 3 x its first status-check delay (else it falls back to sacct)
MinJobAge=300
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# the configured CPUs count even where the container shows the host's topology
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$(real_memory) State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    if [ -f "$CONF" ] && cmp -s "$CONF" "$CONF.new"; then rm -f "$CONF.new"; else mv "$CONF.new" "$CONF"; fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_munge() {
    if [ ! -s "$MUNGE_KEY" ]; then
        say "creating the munge key $MUNGE_KEY"
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null; then mungekey --create --keyfile="$MUNGE_KEY" --force; else
            dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none; fi
    fi
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge "$MUNGE_KEY" /run/munge /var/lib/munge /var/log/munge
    chmod 0400 "$MUNGE_KEY"
    chmod 0755 /run/munge
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi  # a munged answers
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    # munged refuses to run as root; as the munge user it writes its pid file where we can read it
    touch "$MUNGE_PID" && chown munge:munge "$MUNGE_PID"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" --socket="$MUNGE_SOCKET" \
        || die "munged did not start (see /var/log/munge/munged.log)"
    for _ in $(seq 50); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "munged does not answer on $MUNGE_SOCKET"
}

node_state() { sinfo -h -n "$(node_name)" -o %T 2>/dev/null | head -1; }

wait_for_node() {
    local state=""
    for _ in $(seq 100); do
        state="$(node_state)"
        case "$state" in
            idle*|mixed*|allocated*|completing*) return 0 ;;
            down*|drain*|fail*)  # left so by an earlier run that ended badly
                scontrol update nodename="$(node_name)" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.2
    done
    die "node $(node_name) is '${state:-unknown}' (logs: $STATE_DIR/log/)"
}

start() {
    need_root start
    install_packages
    write_config
    start_munge
    if ! alive "$STATE_DIR/slurmctld.pid"; then
        # -c: no jobs from an earlier cluster's saved state
        slurmctld -c -f "$CONF" || die "slurmctld did not start (see $STATE_DIR/log/slurmctld.log)"
    fi
    for _ in $(seq 50); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
    scontrol ping >/dev/null 2>&1 || die "slurmctld does not answer (see $STATE_DIR/log/slurmctld.log)"
    if ! alive "$STATE_DIR/slurmd.pid"; then
        slurmd -f "$CONF" -N "$(node_name)" || die "slurmd did not start (see $STATE_DIR/log/slurmd.log)"
    fi
    wait_for_node
    say "running: partition $PARTITION, node $(node_name), $(nproc) CPUs (stop: $0 stop)"
}

status() {
    command -v sinfo >/dev/null || { say "SLURM is not installed"; return 1; }
    scontrol ping >/dev/null 2>&1 || { say "no slurmctld answers"; return 1; }
    sinfo -h -o "%P %a %D %T %C" >&2
    case "$(sinfo -h -o %T 2>/dev/null | head -1)" in
        idle*|mixed*|allocated*|completing*) return 0 ;;
        *) say "no node can take jobs"; return 1 ;;
    esac
}

stop_daemon() {  # name, pid file
    alive "$2" || return 0
    local pid
    pid="$(cat "$2")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    say "$1 (pid $pid) did not stop"
    return 1
}

stop() {
    [ -d "$STATE_DIR" ] || { say "not running"; return 0; }
    stop_daemon slurmd "$STATE_DIR/slurmd.pid"
    stop_daemon slurmctld "$STATE_DIR/slurmctld.pid"
    stop_daemon munged "$MUNGE_PID"
    say "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
