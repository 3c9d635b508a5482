"""The link checker against real local servers: 200, redirect chains, 404, 500, HEAD refused, slow, never-ending."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

from demo.server import PortalServer, Request, Response
from index.quality import LinkVerdicts
from scoring.links import LinkChecker

RELEASE = threading.Event()  # set at teardown so stalled handler threads end


def _app(request: Request) -> Response:
    path = request.path
    if path == "/ok":
        return Response(200, b"a,b\n1,2\n", content_type="text/csv")
    if path.startswith("/hop/"):
        n = int(path.rsplit("/", 1)[1])
        target = f"{request.base_url}/ok" if n == 0 else f"{request.base_url}/hop/{n - 1}"
        return Response(301, b"", {"Location": target})
    if path == "/loop":
        return Response(301, b"", {"Location": f"{request.base_url}/loop"})
    if path == "/missing":
        return Response(404, b"no")
    if path == "/broken":
        return Response(500, b"oops")
    if path == "/no-head":
        return Response(405 if request.method == "HEAD" else 206, b"a")
    if path == "/slow":
        time.sleep(0.3)
        return Response(200, b"late but fine")
    if path == "/never":
        RELEASE.wait(30)
        return Response(200, b"too late")
    return Response(404, b"?")


def test_each_kind_of_link_is_classified(server: PortalServer) -> None:
    base = server.mount("/links", _app)
    checker = LinkChecker(timeout=1.0, max_redirects=5, allow_private=True, per_host_rps=50)
    try:
        urls = {name: f"{base}/{name}" for name in ("ok", "missing", "broken", "no-head", "slow", "never", "loop")}
        urls["chain"] = f"{base}/hop/3"
        urls["long-chain"] = f"{base}/hop/9"
        verdicts = {c.url: c for c in checker.check_many(urls.values())}
    finally:
        RELEASE.set()
    by_name = {name: verdicts[url] for name, url in urls.items()}
    assert by_name["ok"].ok and by_name["ok"].status == 200
    assert by_name["chain"].ok and by_name["chain"].final_url == f"{base}/ok"
    assert not by_name["long-chain"].ok and by_name["long-chain"].reason == "too many redirects"
    assert not by_name["loop"].ok and by_name["loop"].reason == "too many redirects"
    assert (by_name["missing"].ok, by_name["missing"].reason) == (False, "HTTP 404")
    assert (by_name["broken"].ok, by_name["broken"].reason) == (False, "HTTP 500")
    assert by_name["no-head"].ok and by_name["no-head"].status == 206  # HEAD refused, ranged GET accepted
    assert by_name["slow"].ok
    never = by_name["never"]
    assert not never.ok and ("timed out" in never.reason or "no answer" in never.reason)
    assert never.elapsed <= checker.deadline + 1  # the check gave up at its deadline instead of hanging


def test_private_addresses_are_refused_unless_allowed(server: PortalServer) -> None:
    base = server.mount("/links", _app)
    verdict = LinkChecker(timeout=1.0).check(f"{base}/ok")
    assert not verdict.ok and verdict.reason.startswith("refused:")
    assert not any(hit.path.endswith("/ok") for hit in server.hits)


def test_verdicts_are_cached_once_per_interval(server: PortalServer, store) -> None:
    base = server.mount("/links", _app)
    cache = LinkVerdicts(store)
    urls = [f"{base}/ok", f"{base}/missing"]
    assert cache.due(urls, timedelta(days=1)) == urls
    cache.save(LinkChecker(timeout=1.0, allow_private=True, per_host_rps=50).check_many(urls))
    assert cache.due(urls, timedelta(days=1)) == []
    assert cache.due(urls, timedelta(seconds=-1)) == urls  # an interval in the past makes everything due again
    statuses = cache.statuses(urls)
    assert statuses[f"{base}/ok"].ok is True
    assert statuses[f"{base}/missing"].ok is False and statuses[f"{base}/missing"].status == 404


class RawServer:
    """A socket server for what PortalServer cannot do: a 200 whose body never ends, and a server that dribbles its
    headers one byte at a time forever (each byte within the read timeout, so only a deadline stops the wait)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = conn.recv(4096).decode("latin-1")
            try:
                if " /endless " in request:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\n")
                    while not self.stop.is_set():
                        conn.sendall(b"a,b\n" * 256)
                        time.sleep(0.01)
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not self.stop.wait(0.2):
                        conn.sendall(b"z")
            except OSError:  # the client closed: what a checker that gave up does
                pass

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()


def test_endless_body_and_dribbled_headers_never_hang_the_checker() -> None:
    raw = RawServer()
    checker = LinkChecker(timeout=1.0, allow_private=True, per_host_rps=50)
    try:
        verdicts = {c.url.rsplit("/", 1)[1]: c for c in checker.check_many([f"{raw.url}/endless", f"{raw.url}/drip"])}
    finally:
        raw.close()
    endless = verdicts["endless"]
    assert endless.ok and endless.status == 200  # the headers are the verdict: the body is never read
    drip = verdicts["drip"]
    assert not drip.ok and drip.reason == f"no answer within {checker.deadline:.0f}s"
    assert drip.elapsed <= checker.deadline + 1.5  # given up at the deadline, though every byte came in time
