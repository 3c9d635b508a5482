"""The harvester contract: one class per source type, yielding raw records page by page.

Why a generator: a national catalog never fits in memory; the pipeline consumes records as pages arrive and commits
them in batches, so memory stays flat whatever the catalog's size.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from kernel.config import SourceConfig
from kernel.http import HttpClient
from kernel.records import HarvestItem


class NoOptions(BaseModel):
    """Options a source type accepts under ``options:`` in sources.yaml; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Harvester(ABC):
    """Base of every source type. Subclasses set ``type`` and, when they take options, ``Options``."""

    type: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    supports_incremental: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, http: HttpClient) -> None:
        self.source = source
        self.http = http
        self.options = self.Options.model_validate(source.options)

    @abstractmethod
    def harvest(self, since: str | None = None) -> Iterator[HarvestItem]:
        """Yield raw records and record errors.

        ``since`` (ISO 8601) asks only for what changed after it, where the protocol allows; a harvester that cannot
        filter ignores it. Raise :class:`kernel.records.SourceError` when the source cannot be harvested at all.
        """
