"""A one-node SLURM cluster on localhost (Debian's slurm-wlm + munge), for tests and trials.

Everything it writes (munge key and socket, spool, logs, PID files) lives in one folder, on
ports chosen free, with its own munged, so it never touches a host's own munge. Its
slurm.conf goes to /etc/slurm/slurm.conf, where SLURM commands find it without SLURM_CONF
(Snakemake's SLURM job steps drop SLURM_* variables, SLURM_CONF included); it refuses to
replace a slurm.conf it did not write, and removes its own when stopped.
Needs root. From a shell (see README, "Running on a cluster"):

    python tests/localslurm.py start /tmp/slurm
    python tests/localslurm.py stop /tmp/slurm
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import signal
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")

SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# one-node test cluster written by seedflow's tests/localslurm.py\n"

SLURM_CONF = MARK + """\
ClusterName=local
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmdSpoolDir={root}/spool/slurmd
StateSaveLocation={root}/spool/slurmctld
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
InactiveLimit=0
MinJobAge=3600
KillWait=5
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def missing_programs() -> list[str]:
    """SLURM/munge programs this machine lacks (empty when a local cluster can start)."""
    needed = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")
    return [p for p in needed if shutil.which(p) is None and not Path(f"/usr/sbin/{p}").exists()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    """Most of this machine's memory, in MB, so slurmd never finds less than configured."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)


def _alive(pid_file: Path) -> bool:
    """Whether the process named in ``pid_file`` runs (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{int(pid_file.read_text())}/stat").read_text()
    except (FileNotFoundError, ValueError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class LocalSlurm:
    """Start and stop munged, slurmctld and slurmd for one partition ``debug`` on localhost."""

    def __init__(self, root: Path, cpus: int | None = None):
        self.root = Path(root)
        self.cpus = cpus or os.cpu_count() or 1
        self.conf = SYSTEM_CONF
        self.munge_dir = self.root / "munge"

    def start(self, timeout: float = 60) -> None:
        if missing := missing_programs():
            raise RuntimeError(f"SLURM/munge programs not installed: {', '.join(missing)}")
        if os.geteuid() != 0:
            raise RuntimeError("a local SLURM cluster needs root (slurmd runs jobs as root)")
        if self.conf.exists():
            text = self.conf.read_text()
            if not text.startswith(MARK):
                raise RuntimeError(f"{self.conf} exists and was not written by seedflow: "
                                   "this machine has its own SLURM set-up; not replacing it")
            pid_file = re.search(r"^SlurmctldPidFile=(.+)$", text, re.M).group(1)
            if _alive(Path(pid_file)):
                raise RuntimeError(f"a local cluster is already running ({self.conf}); "
                                   "stop it first")
        for sub in ("spool/slurmd", "spool/slurmctld", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._start_munge()
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(SLURM_CONF.format(
            root=self.root, ctld_port=_free_port(), slurmd_port=_free_port(),
            munge_socket=self.munge_dir / "munge.socket", cpus=self.cpus,
            memory_mb=_memory_mb()))
        subprocess.run(["/usr/sbin/slurmctld"], check=True)
        subprocess.run(["/usr/sbin/slurmd", "-N", "localhost"], check=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"],
                                   capture_output=True, text=True).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError(f"the node never became idle (last state {state!r}); "
                           f"see {self.root / 'log'}")

    def _start_munge(self) -> None:
        # munged insists on a folder owned by its own user, writable by nobody else.
        munge = pwd.getpwnam("munge")
        self.munge_dir.mkdir(exist_ok=True)
        os.chown(self.munge_dir, munge.pw_uid, munge.pw_gid)
        os.chmod(self.munge_dir, 0o755)  # private key inside; the socket must be reachable
        os.chmod(self.root, 0o755)
        key = self.munge_dir / "munge.key"
        if not key.exists():
            subprocess.run(["runuser", "-u", "munge", "--", "mungekey", "-c", "-f", "-k",
                            str(key)], check=True)
        subprocess.run(
            ["runuser", "-u", "munge", "--", "/usr/sbin/munged",
             f"--socket={self.munge_dir / 'munge.socket'}", f"--key-file={key}",
             f"--pid-file={self.munge_dir / 'munged.pid'}",
             f"--log-file={self.munge_dir / 'munged.log'}",
             f"--seed-file={self.munge_dir / 'munged.seed'}"], check=True)
        subprocess.run(f"munge -n -S {self.munge_dir / 'munge.socket'} | "
                       f"unmunge -S {self.munge_dir / 'munge.socket'}",
                       shell=True, check=True, capture_output=True)

    def stop(self) -> None:
        """Shut the cluster down and end munged (by its PID file); safe to call twice."""
        if self.conf.exists() and self.conf.read_text().startswith(MARK):
            subprocess.run(["scontrol", "shutdown"], capture_output=True)
            for name in ("slurmctld", "slurmd"):
                self._wait_gone(self.root / f"{name}.pid")
            self.conf.unlink()
        self._wait_gone(self.munge_dir / "munged.pid", terminate=True)

    @staticmethod
    def _wait_gone(pid_file: Path, terminate: bool = False, timeout: float = 20) -> None:
        if not _alive(pid_file):
            return
        pid = int(pid_file.read_text())
        with contextlib.suppress(ProcessLookupError):
            if terminate:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not _alive(pid_file):
                    return
                time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[2]).resolve()
    cluster = LocalSlurm(root)
    if argv[1] == "start":
        root.mkdir(parents=True, exist_ok=True)
        cluster.start()
        print(f"one-node SLURM cluster up: {cluster.conf}, logs in {root / 'log'}")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
