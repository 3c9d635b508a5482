"""The sources file (config/sources.yaml): parsed strictly, with errors that name the file, the line and the fix.

Why strict: an operator editing a list of thousands of portals must learn of a typo when validating, not find a
source silently skipped weeks later.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SOURCE_TYPES = ("ckan", "dcat", "csw", "ogcapi-records", "ods", "udata", "web")
SourceType = Literal["ckan", "dcat", "csw", "ogcapi-records", "ods", "udata", "web"]

DEFAULT_CONFIG = Path("config/sources.yaml")
# libyaml's safe loader when PyYAML was built with it: the generated national file (hundreds of sources) parses in a
# fraction of a second instead of seconds; same safety, same line numbers in errors
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublisherHint(_Strict):
    """What the operator knows of the body behind a source; used when records do not say who published them."""

    name: str | None = None
    siren: str | None = Field(default=None, pattern=r"^\d{9}$")


class HttpSettings(_Strict):
    """Politeness and robustness of the one HTTP layer every harvester goes through."""

    timeout: float = Field(default=30.0, gt=0, description="seconds to connect and between bytes")
    total_timeout: float = Field(default=300.0, gt=0, description="seconds for a whole response")
    max_response_mb: float = Field(default=256.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0, description="first retry delay in seconds, doubled each time")
    max_retry_after: float = Field(default=120.0, ge=0, description="longest Retry-After honoured, seconds")
    per_host_rps: float = Field(default=4.0, gt=0, description="requests per second to one host at most")
    per_host_concurrency: int = Field(default=2, ge=1)


class Settings(_Strict):
    allow_private_networks: bool = False
    contact: str = "moisson@example.org"
    max_concurrent_harvests: int = Field(default=2, ge=1)
    default_schedule: str = Field(
        default="0 1 * * *",
        description="cron of sources without their own schedule; with schedule_spread_minutes, its minute and hour "
                    "are where the night's window starts")
    schedule_spread_minutes: int = Field(
        default=300, ge=0, le=1440,
        description="sources without their own schedule start within this many minutes after default_schedule's "
                    "time, each at its own minute (a stable hash of its id): a thousand sources do not all start at "
                    "once. 0: all at default_schedule")
    full_sweep_days: float = Field(default=7.0, gt=0, description="days between full sweeps that detect deletions")
    max_withdraw_share: float = Field(
        default=0.5, gt=0, le=1,
        description="a full sweep that would withdraw more than this share of a source's records (10 or more) "
                    "withdraws none and says so: a portal whose search index broke must not empty moisson")
    http: HttpSettings = Field(default_factory=HttpSettings)

    @field_validator("default_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return _check_cron(value)

    @model_validator(mode="after")
    def _spread(self) -> Settings:
        if self.schedule_spread_minutes:
            _window(self.default_schedule, self.schedule_spread_minutes)  # ValueError says what to change
        return self


# -- provenance of entries generated from the national registries (`moisson sources import-registry`, issue 17) ----


class BodyLink(_Strict):
    """A body the registries tie to a source: its operator or one it hosts. ``body`` is an id of the administrative
    reference (commune:<INSEE code>, epci:<SIREN>, departement:<code>, region:<code>) when the link was made, with the
    publisher matcher's confidence and rule (siren, name:commune, bare-name...); None when no body is known."""

    name: str | None = None
    siren: str | None = Field(default=None, pattern=r"^\d{9}$")
    body: str | None = None
    confidence: float = Field(default=0.0, ge=0, le=1)
    rule: str | None = None


class RegistryProvenance(_Strict):
    """Where a generated entry comes from: the registry records merged into it ("cdi:opendataaudefr",
    "odf-2022:Aude Open Data"...), whether its API address was listed by a registry or derived from the platform's
    layout, what made it disabled, and the bodies linked to it."""

    records: list[str] = Field(min_length=1)
    platform: str | None = None
    endpoint: Literal["listed", "derived"] = "listed"
    region: str | None = None
    note: str | None = None
    operator: BodyLink | None = None
    hosts: list[BodyLink] = Field(default_factory=list)


# -----------------------------------------------------------------------------------------------------------------


class SourceConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    type: SourceType
    url: str
    name: str | None = None
    publisher: PublisherHint | None = None
    schedule: str | None = None
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)
    registry: RegistryProvenance | None = None  # issue 17: entries generated from the national registries

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host, e.g. https://data.example.fr")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else _check_cron(value)


class SourcesFile(_Strict):
    settings: Settings = Field(default_factory=Settings)
    sources: list[SourceConfig] = Field(default_factory=list)


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a cron expression ({exc}); e.g. '0 3 * * *' for 03:00 every day") from None
    return value


def _window(cron: str, spread: int) -> tuple[int, int]:
    """(start minute of the day, spread) of a default schedule spread over a window; ValueError if it cannot be."""
    minute, hour, day, month, weekday = cron.split()
    if not (minute.isdigit() and hour.isdigit()):
        raise ValueError(f"default_schedule {cron!r}: to spread sources over a window, its minute and hour must be "
                         "plain numbers (e.g. '0 1 * * *'); or set schedule_spread_minutes: 0")
    start = int(hour) * 60 + int(minute)
    if start + spread > 1440 and (day, month, weekday) != ("*", "*", "*"):
        raise ValueError(f"default_schedule {cron!r} with schedule_spread_minutes {spread} crosses midnight, which "
                         "would move some sources to another day than the one the cron names; start earlier or "
                         "spread less")
    return start, spread


def source_schedule(source: SourceConfig, settings: Settings) -> str:
    """The cron a source is harvested on: its own ``schedule``, else ``default_schedule`` moved within the spread
    window by a stable hash of its id (sha256, so every process and every restart gives the same minute)."""
    if source.schedule:
        return source.schedule
    if not settings.schedule_spread_minutes:
        return settings.default_schedule
    start, spread = _window(settings.default_schedule, settings.schedule_spread_minutes)
    offset = int.from_bytes(hashlib.sha256(source.id.encode()).digest()[:8], "big") % spread
    moment = (start + offset) % 1440
    fields = settings.default_schedule.split()
    return " ".join([str(moment % 60), str(moment // 60), *fields[2:]])


@dataclass
class Config:
    """A validated sources file, and where it came from."""

    path: Path | None
    settings: Settings
    sources: list[SourceConfig]

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"unknown source {source_id!r} (known: {known})")


class ConfigError(Exception):
    """A sources file that cannot be used; the message says where and how to fix it."""


_FIXES = {
    "extra_forbidden": "remove it or check its spelling",
    "missing": "add it",
    "literal_error": "use one of the allowed values",
    "string_pattern_mismatch": "see the allowed pattern",
}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` first, then ``MOISSON_CONFIG``, then config/sources.yaml."""
    return Path(explicit or os.environ.get("MOISSON_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    path = config_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the sources file ({exc.strerror})") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | None = None) -> Config:
    where = str(path) if path else "<config>"
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER) or {}  # _LOADER is a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}:1: expected a mapping with 'settings' and 'sources'")
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, root, where)) from None
    _check_unique_ids(parsed, root, where)
    _check_options(parsed, root, where)
    return Config(path=path, settings=parsed.settings, sources=parsed.sources)


def _explain(exc: ValidationError, root: yaml.Node | None, where: str) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        dotted = _dotted(loc)
        fix = _FIXES.get(error["type"], "")
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}:{_line(root, loc)}: {dotted}: {message}" + (f" - fix: {fix}" if fix else ""))
    return "\n".join(lines)


def _check_unique_ids(parsed: SourcesFile, root: yaml.Node | None, where: str) -> None:
    seen: dict[str, int] = {}
    for i, source in enumerate(parsed.sources):
        if source.id in seen:
            first = _line(root, ("sources", seen[source.id], "id"))
            raise ConfigError(
                f"{where}:{_line(root, ('sources', i, 'id'))}: sources[{i}].id: duplicate id {source.id!r} "
                f"(first used on line {first}) - fix: give each source its own id"
            )
        seen[source.id] = i


def _check_options(parsed: SourcesFile, root: yaml.Node | None, where: str) -> None:
    from harvesters import harvester_class

    for i, source in enumerate(parsed.sources):
        options_model = harvester_class(source.type).Options
        try:
            options_model.model_validate(source.options)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ("sources", i, "options", *first["loc"])
            allowed = ", ".join(options_model.model_fields) or "none"
            raise ConfigError(
                f"{where}:{_line(root, loc)}: {_dotted(loc)}: {first['msg']} - fix: options of type "
                f"{source.type!r} are: {allowed}"
            ) from None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest YAML node along ``loc`` (for a missing key, its parent's line)."""
    node = root
    line = (node.start_mark.line + 1) if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                break
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


_ID_CLEAN = re.compile(r"[^a-z0-9-]+")


def suggest_id(text: str) -> str:
    """A valid source id derived from a host name or title (used by `sources detect`)."""
    return _ID_CLEAN.sub("-", text.lower()).strip("-")[:64] or "source"
