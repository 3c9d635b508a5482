"""Start and stop the Elasticsearch-compatible test server (noida-db) on loopback.

Why noida-db: no Elasticsearch or OpenSearch server installs from the package registries these machines reach;
noida-db (PyPI) is one binary that speaks the Elasticsearch 8 REST API. moisson talks to it only through the
documented API (see the README's "Scaling out" for what was checked against it and what was not).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from importlib.resources import files
from pathlib import Path
from types import TracebackType

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EsServer:
    """``with EsServer(data_dir) as server: server.url`` -- a server of its own, gone at the end of the block."""

    def __init__(self, data_dir: Path, port: int | None = None, startup: float = 60.0) -> None:
        self.data_dir, self.port, self.startup = Path(data_dir), port or free_port(), startup
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EsServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        binary = files("noida_db").joinpath("noida-db")
        os.chmod(str(binary), 0o755)
        log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(binary), "start", "--data-dir", str(self.data_dir / "data"), "--host", "127.0.0.1",
             "--only", "elasticsearch", "--elasticsearch-port", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # in our process group: a Ctrl-C or a
        # kill of the group (a demo stopped, a test run interrupted) stops it too
        deadline = time.monotonic() + self.startup
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Elasticsearch-compatible test server exited ({self.process.returncode}); "
                                   f"see {self.data_dir / 'server.log'}")
            try:
                if requests.get(self.url, timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Elasticsearch-compatible test server did not answer on {self.url} within "
                                   f"{self.startup:.0f} s; see {self.data_dir / 'server.log'}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the server binary itself, started without a wrapper
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
