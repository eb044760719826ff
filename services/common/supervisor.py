"""Run several server processes on one port, one per core, sharing one database.

Python serves gRPC on one core per process. The kernel spreads connections
across processes bound to the same port (SO_REUSEPORT, on by default in
gRPC on Linux). Correctness does not depend on which process a call reaches:
stock is locked in PostgreSQL, WatchStock listens through PostgreSQL, and the
expiry sweepers skip rows another process holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

FORWARD_WITHIN_S = 0.1  # how soon a signal reaches the servers
# A process that dies this soon after starting, QUICK_DEATHS times in a row, is not started
# again: it cannot start (a database refusing it, a port taken), so the others are stopped
# and the supervisor exits. One that dies later (the OOM killer, a crash) is started again.
STARTS_WITHIN_S = 10.0
QUICK_DEATHS = 3


def _metrics_port(index: int) -> dict[str, str]:
    """Each process serves its own /metrics: on ONESTOCK_METRICS_LISTEN's port plus its index."""
    listen = os.environ.get("ONESTOCK_METRICS_LISTEN", "127.0.0.1:9464")
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or int(port) == 0:
        return {}  # "off", or port 0: every process picks a free port itself
    return {"ONESTOCK_METRICS_LISTEN": f"{host}:{int(port) + index}"}


class _Server:
    """One server process: when it was started, and how many of its slot's processes in a
    row died within STARTS_WITHIN_S of starting, before it."""

    def __init__(self, env: dict[str, str], index: int, quick_deaths: int = 0):
        self.env, self.index, self.quick_deaths = env, index, quick_deaths
        self.process = subprocess.Popen([sys.executable, "-m", "services.common.cli", "serve"],
                                        env={**env, **_metrics_port(index)})
        self.started = time.monotonic()

    def replacement(self) -> _Server | None:
        """A new process for this slot, or None when this one died starting once too often."""
        code, lived = self.process.returncode, time.monotonic() - self.started
        quick = self.quick_deaths + 1 if lived < STARTS_WITHIN_S else 0
        if quick >= QUICK_DEATHS:
            print(f"onestock: server process {self.index} exited with {code} {lived:.1f} s "
                  f"after starting, {quick} times in a row; stopping the others",
                  file=sys.stderr, flush=True)
            return None
        print(f"onestock: server process {self.index} (pid {self.process.pid}) exited with "
              f"{code} after {lived:.1f} s; starting it again", file=sys.stderr, flush=True)
        return _Server(self.env, self.index, quick)


def serve_processes(url: str, processes: int) -> int:
    """Start ``processes`` servers on ONESTOCK_LISTEN; forward SIGTERM, SIGINT and SIGHUP;
    start again one that dies (see QUICK_DEATHS); once told to stop, wait for all."""
    listen = os.environ.get("ONESTOCK_LISTEN", "127.0.0.1:50051")
    if listen.rsplit(":", 1)[-1] == "0":
        print("onestock: --processes needs a fixed port in ONESTOCK_LISTEN", file=sys.stderr)
        return 2
    env = {**os.environ, "DATABASE_URL": url}  # children share this server's database
    servers = [_Server(env, i) for i in range(processes)]
    stopping = False
    failed: int | None = None

    def forward(signum, _frame):
        nonlocal stopping
        stopping = stopping or signum != signal.SIGHUP
        for server in servers:
            if server.process.poll() is None:
                server.process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGHUP, forward)
    # Not child.wait(): the kernel may hand a signal to another thread of this process (the
    # libraries start some), and Python runs the handler only once the main thread is back
    # in the interpreter, which a blocking wait for a child never is. Seen as a SIGTERM not
    # forwarded until a child exited.
    while not stopping or any(server.process.poll() is None for server in servers):
        time.sleep(FORWARD_WITHIN_S)
        for i, server in enumerate(servers):
            if stopping or server.process.poll() is None:
                continue
            replacement = server.replacement()
            if replacement is None:
                failed = server.process.returncode or 1
                forward(signal.SIGTERM, None)
                break
            servers[i] = replacement
            if stopping:  # told to stop while it was being started: it missed the signal
                replacement.process.send_signal(signal.SIGTERM)
    if failed is not None:
        return failed
    return max((server.process.returncode for server in servers), key=abs)
