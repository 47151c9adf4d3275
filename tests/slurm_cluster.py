"""A one-node Slurm cluster for the tests: munged, slurmctld and slurmd on this host.

Needs root and Debian's slurmctld, slurmd, slurm-client and munge packages (CI installs
them). Everything it writes lives under one temporary folder; ``stop`` ends the daemons.
"""
import os
import shutil
import socket
import subprocess
import time

PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue")


def unavailable():
    """Why a cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "not root: slurmd and munged need root"
    missing = [p for p in PROGRAMS if shutil.which(p) is None and
               not os.path.exists(f"/usr/sbin/{p}")]
    if missing:
        return ("missing " + ", ".join(missing) +
                " (apt-get install slurmctld slurmd slurm-client munge)")
    return None


def _program(name):
    return shutil.which(name) or f"/usr/sbin/{name}"


class Cluster:
    def __init__(self, folder):
        self.folder = folder
        self.processes = []
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count()
        self.conf = os.path.join(folder, "slurm.conf")
        for sub in ("state", "spool", "munge"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SlurmctldPort=16817
SlurmdPort=16818
NodeName={host} CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        self.env = dict(os.environ, SLURM_CONF=self.conf)

    def start(self, timeout=30):
        os.makedirs("/run/munge", exist_ok=True)
        self._spawn([_program("munged"), "--force", "--foreground"])
        time.sleep(1)
        self._spawn([_program("slurmctld"), "-D", "-f", self.conf])
        self._spawn([_program("slurmd"), "-D", "-f", self.conf])
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True,
                                 text=True).stdout.strip()
            if out in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Slurm node did not come up idle (sinfo: {out!r}); logs in {self.folder}")

    def _spawn(self, cmd):
        log = open(os.path.join(self.folder, os.path.basename(cmd[0]) + ".out"), "w")
        self.processes.append(subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log))

    def sbatch(self, script, cwd):
        out = subprocess.run(["sbatch", "--parsable", script], env=self.env, cwd=cwd,
                             capture_output=True, text=True, check=True).stdout
        return out.strip().split(";")[0]

    def wait(self, job, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = subprocess.run(["squeue", "-h", "-j", job], env=self.env, capture_output=True,
                                 text=True).stdout.strip()
            if not out:
                return
            time.sleep(1)
        raise TimeoutError(f"job {job} still queued or running after {timeout} s")

    def stop(self):
        for p in reversed(self.processes):
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.processes = []
