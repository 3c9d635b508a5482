"""The lifecycle every child server of the demo shares (pycsw, pygeoapi), on a real child process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from demo.portals.child_process import ChildServer

_LISTENS = "import socket, sys, time\ns = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n" \
           "print(s.getsockname()[1], flush=True)\ntime.sleep(60)\n"


class _Child(ChildServer):
    def __init__(self, code: str, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.code, self.port = code, ""

    def start(self) -> _Child:
        self.port = self.launch([sys.executable, "-c", self.code], dict(os.environ), sys.stderr)
        if not self.port.isdigit():
            self.stop()
            raise RuntimeError(f"did not start: {self.port!r}")
        return self


def test_a_child_is_stopped_and_its_own_directory_removed() -> None:
    with _Child(_LISTENS) as child:
        assert child.port.isdigit() and child.process is not None and child.process.poll() is None
        process, workdir = child.process, child.workdir
        assert workdir.is_dir()
    assert process.poll() is not None and not workdir.exists() and child.process is None


def test_a_child_that_does_not_say_its_port_is_reported_and_stopped(tmp_path: Path) -> None:
    child = _Child("print('ImportError: no module named pycsw', flush=True)\nimport time; time.sleep(60)", tmp_path)
    with pytest.raises(RuntimeError, match="ImportError"):
        child.start()
    assert child.process is None and tmp_path.is_dir()  # a directory the caller gave is the caller's to keep
