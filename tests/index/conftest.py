"""Index tests build records directly from the model: the index must not depend on any harvester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.tantivy_index import TantivyIndex

EU = "http://publications.europa.eu/resource/authority/"
THEME = EU + "data-theme/"
FILE_TYPE = EU + "file-type/"
LICENCE = EU + "licence/"


@pytest.fixture
def tantivy_index(tmp_path: Path) -> Iterator[TantivyIndex]:
    index = TantivyIndex(tmp_path / "index", lock_wait=0)
    yield index
    index.close()
