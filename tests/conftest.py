"""Shared test fixtures: paths to the recorded fixtures, a portal server on loopback, a temporary store."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.server import PortalServer
from index.store import Store
from kernel.config import Config, parse_config

# The host names the tests' API servers answer to, as an operator lists them (api.security refuses other Host headers
# when no public base URL is configured): Starlette's TestClient calls itself "testserver".
os.environ.setdefault("MOISSON_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1,::1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
DEMO_DATA = ROOT / "demo" / "data"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """../shared/fixtures: recorded real catalog documents (see its SOURCES.md)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"{FIXTURES} is missing: tests need ../shared beside the checkout")
    return FIXTURES


@pytest.fixture
def server() -> Iterator[PortalServer]:
    with PortalServer() as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store(tmp_path / "moisson.db")
    yield st
    st.close()


def make_config(sources_yaml: str, **settings: object) -> Config:
    """A config for sources on loopback (allow_private_networks is what lets tests harvest 127.0.0.1)."""
    lines = ["settings:", "  allow_private_networks: true"]
    lines += [f"  {key}: {value}" for key, value in settings.items()]
    text = "\n".join(lines) + "\nsources:\n" + textwrap.indent(textwrap.dedent(sources_yaml).strip(), "  ") + "\n"
    return parse_config(text)


# -- issue 16: an Elasticsearch-compatible server for the search tests ---------------------------------------------


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local server speaking the Elasticsearch 8 REST API (noida-db, a dev dependency), on a free loopback port
    in a temporary data directory, for the whole test session; stopped at the end."""
    from demo.es_server import EsServer

    with EsServer(tmp_path_factory.mktemp("es")) as server:
        yield server.url
