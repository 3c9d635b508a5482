"""A real server of the field run as a child process of its own virtualenv (pycsw, pygeoapi): the demo's and the
tests' way to harvest the genuine software over loopback rather than an emulator of it.

The child prints the port it bound, on one line of its stdout, once it listens; until then nothing is served. Both
servers share the lifecycle below (a working directory removed on stop unless the caller gave it, a terminate that
escalates to kill), and differ only in how they are set up and launched.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import IO, Self

# The child's script, run with ``python -c`` in the server's own virtualenv (it cannot import moisson): a threading
# WSGI server bound to port 0 (``Server``, ``Quiet``: no request log), then the server's own set-up, which ends with
# ``httpd`` and ``port``; RUNNER_TAIL reports the port on stdout, sends stdout to /dev/null from then on (the servers
# print every path), and exits when the parent dies, so a killed test run or demo leaves no server behind.
RUNNER_HEAD = textwrap.dedent("""\
    import os, sys, threading, time
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    parent = os.getppid()  # read first: the parent may stop as soon as it has the port

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass
""")
RUNNER_TAIL = textwrap.dedent("""\
    print(port, flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    def orphaned():  # the test run or demo that started us was killed: do not outlive it
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    httpd.serve_forever()
""")


class ChildServer:
    """Lifecycle of one child server process: :meth:`launch` it, read its port, :meth:`stop` it and clean up."""

    prefix = "moisson-child-"

    def __init__(self, workdir: Path | None = None) -> None:
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=self.prefix))
        self.cleanup: list[Path] = [] if workdir else [self.workdir]  # removed on stop
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def launch(self, command: list[str], env: dict[str, str], stderr: IO[str] | int) -> str:
        """Start ``command`` in the working directory; the port it says it listens on, or the line it said instead
        (the caller then reads its log and calls :meth:`stop`, which may remove the working directory)."""
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=self.workdir,
                                        env=env)
        return self.process.stdout.readline().strip() if self.process.stdout else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self.process = None
        for path in self.cleanup:
            shutil.rmtree(path, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
