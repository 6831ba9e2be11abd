#!/usr/bin/env bash
# A one-machine Slurm cluster (slurmctld + slurmd on this host, munge for authentication), for
# trying the job scripts here and for CI, which submits them to it. Debian/Ubuntu, as root.
#   deploy/slurm/single-node-cluster.sh start   installs slurm-wlm and munge if missing, writes
#                                               /etc/slurm/slurm.conf, starts the daemons, waits for the node
#   deploy/slurm/single-node-cluster.sh stop    stops the daemons
# Exit code 3 (and a line starting "SKIP") where it cannot run: not root, or no apt-get.
set -euo pipefail

STATE=/var/lib/icl-slurm
stop() {
  for d in slurmd slurmctld munged; do
    if [ -f "$STATE/$d.pid" ]; then kill "$(cat "$STATE/$d.pid")" 2>/dev/null || true; rm -f "$STATE/$d.pid"; fi
  done
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
}

case "${1:-}" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: a Slurm cluster needs root to install and start its daemons (uid $(id -u))"; exit 3; fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then echo "SKIP: slurm-wlm and munge are not installed and there is no apt-get to install them"; exit 3; fi
  echo "== installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

stop
mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi

HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))"
cat > /etc/slurm/slurm.conf <<CONF
# Written by deploy/slurm/single-node-cluster.sh: one node, this host.
ClusterName=icl-local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
DefMemPerCPU=2048
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

echo "== starting munged, slurmctld, slurmd on $HOST ($CPUS CPUs, $MEM_MB MB)"
if [ "$(id -u munge 2>/dev/null || echo 0)" != "0" ]; then
  su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid" || munged --force
else
  munged --force
fi
cp /run/munge/munged.pid "$STATE/munged.pid" 2>/dev/null || true
slurmctld -c   # -c: a fresh state, no jobs of an earlier cluster
slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
    echo "== Slurm is up: $(sinfo -h -o '%P %D %T %c CPUs')"
    exit 0
  fi
  sleep 1
done
echo "Slurm did not come up in 60 s; the logs say:" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
