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


def _metrics_port(index: int) -> dict[str, str]:
    """Each process serves its own /metrics: on ONESTOCK_METRICS_LISTEN's port plus its index."""
    listen = os.environ.get("ONESTOCK_METRICS_LISTEN", "127.0.0.1:9464")
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or int(port) == 0:
        return {}  # "off", or port 0: every process picks a free port itself
    return {"ONESTOCK_METRICS_LISTEN": f"{host}:{int(port) + index}"}


def serve_processes(url: str, processes: int) -> int:
    """Start ``processes`` servers on ONESTOCK_LISTEN; forward SIGTERM, SIGINT and SIGHUP;
    wait for all."""
    listen = os.environ.get("ONESTOCK_LISTEN", "127.0.0.1:50051")
    if listen.rsplit(":", 1)[-1] == "0":
        print("onestock: --processes needs a fixed port in ONESTOCK_LISTEN", file=sys.stderr)
        return 2
    env = {**os.environ, "DATABASE_URL": url}  # children share this server's database
    children = [
        subprocess.Popen([sys.executable, "-m", "services.common.cli", "serve"],
                         env={**env, **_metrics_port(i)})
        for i in range(processes)
    ]

    def forward(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGHUP, forward)
    # Not child.wait(): the kernel may hand a signal to another thread of this process (the
    # libraries start some), and Python runs the handler only once the main thread is back
    # in the interpreter, which a blocking wait for a child never is. Seen as a SIGTERM not
    # forwarded until a child exited.
    while any(child.poll() is None for child in children):
        time.sleep(FORWARD_WITHIN_S)
    return max((child.returncode for child in children), key=abs)
