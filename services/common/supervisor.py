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


def serve_processes(url: str, processes: int) -> int:
    """Start ``processes`` servers on ONESTOCK_LISTEN; forward SIGTERM/SIGINT; wait for all."""
    listen = os.environ.get("ONESTOCK_LISTEN", "127.0.0.1:50051")
    if listen.rsplit(":", 1)[-1] == "0":
        print("onestock: --processes needs a fixed port in ONESTOCK_LISTEN", file=sys.stderr)
        return 2
    env = {**os.environ, "DATABASE_URL": url}  # children share this server's database
    children = [
        subprocess.Popen([sys.executable, "-m", "services.common.cli", "serve"], env=env)
        for _ in range(processes)
    ]

    def forward(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return max(codes, key=abs)
