"""French rules, reported beside the MQA score (not inside its 405 points): declared schemas and the licence.

Why apart from MQA: data.europa.eu does not score them, but French publishers are judged on them. Local bodies
publish against the Table Schemas of schema.data.gouv.fr (the "socle commun des données locales" among them), and a
schema named wrongly, or a version that does not exist, breaks every tool that consolidates those files nationally.
Administrations may only use the licences of décret n° 2017-638 (Licence Ouverte, ODbL...) without homologation.

Each check answers ``ok``, ``fail`` or ``n/a`` (the rule does not apply: no schema declared) with the evidence and,
when it fails, what to change in plain words. The schema catalogue is a snapshot of schema.data.gouv.fr's
``schemas.json`` in ``config/schemas/`` (see its SOURCES.md); nothing here goes to the network.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from normalise import vocab
from normalise.model import DataService, Dataset, Distribution, SchemaRef

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "config" / "schemas" / "schema.data.gouv.fr_schemas.json"
SCHEMA_SITE = "https://schema.data.gouv.fr"
# https://schema.data.gouv.fr/scdl/budget/0.8.1/ or .../schemas/scdl/budget/0.8.1/schema.json (name = owner/schema)
_SCHEMA_URL = re.compile(r"^https?://schema\.data\.gouv\.fr/(?:schemas/)?([\w.-]+/[\w.-]+)(?:/([\w.-]+))?")

Status = Literal["ok", "fail", "n/a"]


@dataclass(frozen=True)
class Check:
    """One French rule's verdict on one record."""

    key: str
    label: str
    status: Status
    detail: str  # the evidence, in plain words
    fix: str | None = None  # what to add or change, when it fails

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CHECKS: dict[str, str] = {
    "licence_french_admin": "licence allowed to administrations (décret 2017-638)",
    "schema_known": "declared schema known to schema.data.gouv.fr",
    "schema_version_known": "declared schema version exists",
}


@dataclass(frozen=True)
class CatalogueSchema:
    name: str
    title: str
    schema_type: str  # tableschema | jsonschema | datapackage | other
    versions: dict[str, str]  # version -> schema URL, oldest first
    latest_url: str | None

    @property
    def latest(self) -> str | None:
        return next(reversed(self.versions), None)

    def schema_url(self, version: str | None) -> str | None:
        """The URL of the schema document for ``version`` (None or "latest": the latest)."""
        if version in (None, "", "latest"):
            return self.latest_url or (self.versions[self.latest] if self.latest else None)
        return self.versions.get(version)


@functools.cache
def catalogue() -> dict[str, CatalogueSchema]:
    """schema.data.gouv.fr's catalogue by schema name, read once."""
    data = orjson.loads(CATALOGUE_FILE.read_bytes())
    out = {}
    for item in data.get("schemas", []):
        versions = {v["version_name"]: v["schema_url"] for v in item.get("versions", []) if v.get("version_name")}
        out[item["name"]] = CatalogueSchema(item["name"], item.get("title") or item["name"],
                                            item.get("schema_type") or "other", versions, item.get("schema_url"))
    return out


def schema_ref_from_url(url: str) -> SchemaRef | None:
    """A schema.data.gouv.fr URL (as dct:conformsTo gives it) read as name and version; None for other URLs."""
    match = _SCHEMA_URL.match(url.strip())
    if not match:
        return None
    version = match.group(2)
    if version in ("schema.json", "schema.yml", "datapackage.json"):
        version = None
    return SchemaRef(name=match.group(1), version=version, url=url)


def declared_schemas(entry: Dataset | DataService) -> Iterator[tuple[Distribution | None, SchemaRef]]:
    """Every schema.data.gouv.fr schema the record declares: on a distribution (udata's ``schema``, DCAT's
    dct:conformsTo) or on the dataset itself; each once per holder."""
    holders: list[tuple[Distribution | None, SchemaRef | None, list[str]]] = [(None, None, entry.conforms_to)]
    if isinstance(entry, Dataset):
        holders += [(d, d.schema_, d.conforms_to) for d in entry.distributions]
    for dist, ref, urls in holders:
        seen: set[str] = set()
        refs = [ref] if ref is not None else []
        refs += [r for r in (schema_ref_from_url(u) for u in urls) if r is not None]
        for item in refs:
            if item.name and item.name not in seen:
                seen.add(item.name)
                yield dist, item


def check_entry(entry: Dataset | DataService) -> list[Check]:
    """The French checks of one record, in :data:`CHECKS` order."""
    return [_licence(entry), *_schemas(entry)]


def _licence(entry: Dataset | DataService) -> Check:
    key, label = "licence_french_admin", CHECKS["licence_french_admin"]
    licences: list[tuple[str | None, str | None]] = [(entry.licence, entry.licence_label)]
    if isinstance(entry, Dataset):
        licences += [(d.licence, d.licence_label) for d in entry.distributions if d.licence or d.licence_label]
    stated = [(uri, text) for uri, text in licences if uri or text]
    fix = ("use Licence Ouverte / Etalab 2.0 or ODbL, the licences décret 2017-638 allows administrations without "
           "homologation, and name it by its standard URL")
    if not stated:
        return Check(key, label, "fail", "no licence is stated", fix)
    wrong = [(uri, text) for uri, text in stated if not vocab.licence_is_french_admin(uri)]
    if not wrong:
        names = sorted({vocab.licence_title(uri) or uri or "" for uri, _ in stated})
        return Check(key, label, "ok", ", ".join(names))
    uri, text = wrong[0]
    named = vocab.licence_title(uri) or text or uri
    return Check(key, label, "fail", f"{named!s} is not in the list of décret 2017-638", fix)


def _schemas(entry: Dataset | DataService) -> list[Check]:
    declared = list(declared_schemas(entry))
    key_name, key_version = "schema_known", "schema_version_known"
    if not declared:
        none = "no schema.data.gouv.fr schema is declared"
        return [Check(key_name, CHECKS[key_name], "n/a", none), Check(key_version, CHECKS[key_version], "n/a", none)]
    known = catalogue()
    unknown = [ref for _, ref in declared if ref.name not in known]
    if unknown:
        name = unknown[0].name or ""
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        name_check = Check(key_name, CHECKS[key_name], "fail", f"{name} is not in schema.data.gouv.fr's catalogue",
                           f"name the schema exactly as schema.data.gouv.fr does{hint}")
    else:
        name_check = Check(key_name, CHECKS[key_name], "ok", ", ".join(sorted({ref.name or "" for _, ref in declared})))
    problems = []
    for _, ref in declared:
        item = known.get(ref.name or "")
        if item is None:
            continue
        if not ref.version:
            problems.append((f"{item.name} is declared without a version",
                             f"state the version of {item.name} the file follows (latest: {item.latest})"))
        elif ref.version != "latest" and ref.version not in item.versions:
            problems.append((f"{item.name} has no version {ref.version}",
                             f"declare one of the published versions of {item.name} "
                             f"({', '.join(list(item.versions)[-3:])}; latest: {item.latest})"))
    if problems:
        detail, fix = problems[0]
        version_check = Check(key_version, CHECKS[key_version], "fail", detail, fix)
    elif unknown and len(unknown) == len(declared):
        version_check = Check(key_version, CHECKS[key_version], "n/a", "the declared schema is not known")
    else:
        versions = sorted({f"{ref.name} {ref.version}" for _, ref in declared if ref.name in known})
        version_check = Check(key_version, CHECKS[key_version], "ok", ", ".join(versions))
    return [name_check, version_check]
