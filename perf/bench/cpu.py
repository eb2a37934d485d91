"""Where a run's CPU time goes on this machine: the gunicorn workers (Python), their PostgreSQL backends, the clients.

Read from /proc, so only for a server on this machine: the figures are CPU seconds, not
wall time, so they say what one request costs however busy the machine is.
"""

import os
import resource
import time
from pathlib import Path

from .database import database_name, fetch

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids) -> dict[int, float]:
    """Return the user + system CPU seconds each of PIDS has used so far (those that have exited are left out)."""
    used = {}
    for pid in pids:
        try:
            # The command name in brackets may hold spaces: the fields start after its closing bracket.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
    return used


def backend_pids(database_url: str) -> list[int]:
    """Return the process ids of the PostgreSQL backends connected to DATABASE_URL's database (this one's aside)."""
    return [row[0] for row in fetch(
        database_url, "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [database_name(database_url)],
    )]


def own_cpu_seconds() -> float:
    """Return the CPU seconds this process (the clients' threads included) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds used between start() and stop() by the server's workers, its database backends and this process."""

    def __init__(self, database_url: str, worker_pids):
        self.database_url, self.worker_pids = database_url, worker_pids

    def _sample(self) -> dict:
        return {"workers": process_cpu_seconds(self.worker_pids()), "backends": process_cpu_seconds(backend_pids(self.database_url)),
                "clients": own_cpu_seconds()}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        """Return the CPU seconds of each part since start(); a process started since counts from nothing."""
        after = self._sample()
        return {
            "python_seconds": sum(seconds - self.before["workers"].get(pid, 0.0) for pid, seconds in after["workers"].items()),
            "postgresql_seconds": sum(seconds - self.before["backends"].get(pid, 0.0)
                                      for pid, seconds in after["backends"].items()),
            "clients_seconds": after["clients"] - self.before["clients"],
        }


def machine_speed_ms(rounds: int = 5) -> float:
    """Return the CPU ms a fixed pure-Python loop takes on this machine now, the best of ROUNDS (lower is faster).

    Why: this machine's cores run faster or slower from one minute to the next (the host shares them); the same
    save cost 10 ms of CPU in one run and 16 ms in another. Timed beside each part of a run, it says how fast the
    machine was then, so that runs, and parts of one run, can be compared.
    """
    best = float("inf")
    for _round in range(rounds):
        started = time.process_time()
        total, table = 0, {}
        for number in range(300_000):
            total += number * number % 7
            table[number & 1023] = total
        best = min(best, (time.process_time() - started) * 1000)
    return best
