"""Metadata quality score following data.europa.eu's Metadata Quality Assessment (MQA): FAIR + context, 405 points.

Why MQA: it is the yardstick data.europa.eu applies to every portal it harvests, so a French portal that fixes what
moisson reports gains the same points there. Weights and bands are those of ../shared/DESIGN.md (data.europa.eu's
methodology page). Distribution-level indicators score on the share of distributions that meet them (points x
share); for interoperability only the best distribution counts. Reachability needs the link checker's verdicts: a
URL not checked yet scores 0 and is reported as "not checked", never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from normalise.model import DataService, Dataset, Distribution

Dimension = Literal["findability", "accessibility", "interoperability", "reusability", "contextuality"]
Level = Literal["dataset", "distribution", "best-distribution"]

MAX_POINTS = 405
BANDS: tuple[tuple[int, str], ...] = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = ("https://www.iana.org/assignments/media-types/", "http://www.iana.org/assignments/media-types/")
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"
EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"


@dataclass(frozen=True)
class Indicator:
    """One MQA check: its weight, where it applies, and what to tell a publisher who misses it."""

    key: str
    dimension: Dimension
    points: int
    level: Level
    label: str
    fix: str


@dataclass(frozen=True)
class LinkStatus:
    """What the link checker found for a URL; ``ok`` is None when it has not been checked yet."""

    ok: bool | None
    status: int | None = None
    reason: str | None = None


@dataclass
class IndicatorResult:
    key: str
    dimension: Dimension
    max_points: int
    points: float
    share: float  # 0..1: share of distributions (or 1/0 for dataset-level) meeting the indicator
    checked: bool = True  # False when a verdict is missing (links not checked yet, SHACL not run)


@dataclass
class Quality:
    score: int
    band: str
    indicators: list[IndicatorResult] = field(default_factory=list)

    @property
    def by_dimension(self) -> dict[str, tuple[float, int]]:
        """(points, max points) per FAIR dimension."""
        totals: dict[str, tuple[float, int]] = {}
        for r in self.indicators:
            got, most = totals.get(r.dimension, (0.0, 0))
            totals[r.dimension] = (got + r.points, most + r.max_points)
        return totals

    def missed(self) -> list[IndicatorResult]:
        """Indicators not fully met, most points lost first."""
        return sorted((r for r in self.indicators if r.points < r.max_points),
                      key=lambda r: r.max_points - r.points, reverse=True)


INDICATORS: tuple[Indicator, ...] = (
    Indicator("keywords", "findability", 30, "dataset", "keywords",
              "add keywords (dcat:keyword) that a reuser would type to find the dataset"),
    Indicator("themes", "findability", 30, "dataset", "themes",
              "classify the dataset in a theme of the EU data-theme vocabulary (dcat:theme)"),
    Indicator("spatial", "findability", 20, "dataset", "spatial coverage",
              "say which territory the data covers (dct:spatial: a commune, département or bounding box)"),
    Indicator("temporal", "findability", 20, "dataset", "temporal coverage",
              "say which period the data covers (dct:temporal with a start and end date)"),
    Indicator("access_url_reachable", "accessibility", 50, "distribution", "access URL reachable",
              "fix the broken access links of the resources (they do not answer with HTTP 200)"),
    Indicator("download_url", "accessibility", 20, "distribution", "download URL present",
              "give each resource a direct download link to the file (dcat:downloadURL)"),
    Indicator("download_url_reachable", "accessibility", 30, "distribution", "download URL reachable",
              "make the download links of the resources answer (HTTP 200), and give one where there is none"),
    Indicator("format", "interoperability", 20, "best-distribution", "format",
              "state the file format of each resource (dct:format)"),
    Indicator("media_type", "interoperability", 10, "best-distribution", "media type",
              "state the media type of each resource (dcat:mediaType, e.g. text/csv)"),
    Indicator("format_vocabulary", "interoperability", 10, "best-distribution", "format from a vocabulary",
              "use a format of the EU file-type vocabulary or an IANA media type, not free text"),
    Indicator("non_proprietary", "interoperability", 20, "best-distribution", "non-proprietary format",
              "publish at least one resource in an open format (CSV rather than XLS, GeoJSON rather than SHP)"),
    Indicator("machine_readable", "interoperability", 20, "best-distribution", "machine-readable format",
              "publish at least one machine-readable resource (CSV, JSON, XML...) rather than only PDF or images"),
    Indicator("dcat_ap_compliance", "interoperability", 30, "dataset", "DCAT-AP compliance",
              "fix the DCAT-AP violations listed for the dataset (mandatory properties, value types)"),
    Indicator("licence", "reusability", 20, "distribution", "licence",
              "state the licence of the data (Licence Ouverte 2.0 or ODbL for a French administration)"),
    Indicator("licence_vocabulary", "reusability", 10, "distribution", "licence from a vocabulary",
              "name the licence by its standard identifier or URL rather than free text"),
    Indicator("access_rights", "reusability", 10, "dataset", "access rights",
              "say whether access is public, restricted or non-public (dct:accessRights)"),
    Indicator("access_rights_vocabulary", "reusability", 5, "dataset", "access rights from a vocabulary",
              "use the EU access-right vocabulary (PUBLIC, RESTRICTED, NON_PUBLIC)"),
    Indicator("contact_point", "reusability", 20, "dataset", "contact point",
              "give a contact point (a service e-mail address reusers can write to)"),
    Indicator("publisher", "reusability", 10, "dataset", "publisher",
              "name the publishing body (dct:publisher), ideally with its SIREN"),
    Indicator("rights", "contextuality", 5, "distribution", "rights",
              "state the rights attached to each resource (dct:rights)"),
    Indicator("byte_size", "contextuality", 5, "distribution", "byte size",
              "give the size in bytes of each file (dcat:byteSize)"),
    Indicator("issued", "contextuality", 5, "dataset", "issue date",
              "give the first publication date (dct:issued)"),
    Indicator("modified", "contextuality", 5, "dataset", "modification date",
              "give the last modification date (dct:modified)"),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}
assert sum(i.points for i in INDICATORS) == MAX_POINTS


def band(score: float) -> str:
    for floor, name in BANDS:
        if score >= floor:
            return name
    return "bad"


def _format_flags(dist: Distribution) -> tuple[bool, bool]:
    """(non-proprietary, machine-readable) from the vocabulary tables."""
    return _format_flags_of(dist.format)


@lru_cache(maxsize=4096)
def _format_flags_of(file_type: str | None) -> tuple[bool, bool]:
    """Per format, once: a national harvest scores millions of distributions in a few hundred formats."""
    from normalise import vocab

    return vocab.format_is_non_proprietary(file_type), vocab.format_is_machine_readable(file_type)


def _link(links: Mapping[str, LinkStatus], url: str | None) -> bool | None:
    if not url:
        return False
    status = links.get(url)
    return None if status is None else status.ok


_DIST_CHECKS: dict[str, Callable[[Distribution, Mapping[str, LinkStatus]], bool | None]] = {
    "access_url_reachable": lambda d, links: _link(links, d.access_url or d.download_url),
    "download_url": lambda d, links: bool(d.download_url),
    "download_url_reachable": lambda d, links: _link(links, d.download_url),
    "format": lambda d, links: bool(d.format or d.format_label),
    "media_type": lambda d, links: bool(d.media_type),
    "format_vocabulary": lambda d, links: bool(
        (d.format or "").startswith(EU_FILE_TYPE) or (d.media_type or "").startswith(IANA_MEDIA_TYPE)
    ),
    "non_proprietary": lambda d, links: _format_flags(d)[0],
    "machine_readable": lambda d, links: _format_flags(d)[1],
    "rights": lambda d, links: bool(d.rights),
    "byte_size": lambda d, links: d.byte_size is not None,
}


@lru_cache(maxsize=4096)
def _licence_known(uri: str | None) -> bool:
    from normalise import vocab

    return bool(uri) and (uri.startswith(EU_LICENCE) or vocab.licence_title(uri) is not None)


def score_entry(entry: Dataset | DataService, *, links: Mapping[str, LinkStatus] | None = None,
                shacl_conforms: bool | None = None) -> Quality:
    """Score one record. ``links`` holds the link checker's verdicts by URL; ``shacl_conforms`` the SHACL result
    (None: not validated yet, scores 0 and is marked unchecked)."""
    links = links or {}
    dists = entry.distributions if isinstance(entry, Dataset) else []
    dataset_checks: dict[str, bool | None] = {
        "keywords": bool(entry.keywords),
        "themes": bool(entry.themes),
        "spatial": bool(entry.spatial),
        "temporal": bool(entry.temporal),
        "dcat_ap_compliance": shacl_conforms,
        "access_rights": bool(entry.access_rights or entry.rights),
        "access_rights_vocabulary": (entry.access_rights or "").startswith(EU_ACCESS_RIGHT),
        "contact_point": bool(entry.contact_points),
        "publisher": entry.publisher is not None,
        "issued": bool(entry.issued),
        "modified": bool(entry.modified),
    }
    results: list[IndicatorResult] = []
    for ind in INDICATORS:
        if ind.level == "dataset":
            verdict = dataset_checks[ind.key]
            share = 1.0 if verdict else 0.0
            results.append(IndicatorResult(ind.key, ind.dimension, ind.points, ind.points * share, share,
                                           checked=verdict is not None))
            continue
        if ind.key in ("licence", "licence_vocabulary"):
            verdicts = [_dist_licence(d, entry, ind.key) for d in dists] or [_dist_licence(None, entry, ind.key)]
        else:
            verdicts = [_DIST_CHECKS[ind.key](d, links) for d in dists]
        met = [v for v in verdicts if v]
        checked = all(v is not None for v in verdicts)
        if not verdicts:
            share = 0.0
        elif ind.level == "best-distribution":
            share = 1.0 if met else 0.0
        else:
            share = len(met) / len(verdicts)
        results.append(IndicatorResult(ind.key, ind.dimension, ind.points, round(ind.points * share, 2), share,
                                       checked=checked))
    total = round(sum(r.points for r in results))
    return Quality(score=total, band=band(total), indicators=results)


def _dist_licence(dist: Distribution | None, entry: Dataset | DataService, key: str) -> bool:
    """A distribution inherits the dataset's licence (CKAN and udata state it once per dataset)."""
    uri = (dist.licence if dist else None) or entry.licence
    label = (dist.licence_label if dist else None) or entry.licence_label
    if key == "licence":
        return bool(uri or label)
    return _licence_known(uri)
