"""What the search index holds for one record: flat fields for text, facets, filters and sorts, plus a summary.

Why a flat document built here and not in each engine: tantivy today and Elasticsearch later must index the same
thing, so the DCAT-AP model is flattened once. Controlled values become short readable facet codes (the EU theme
``ENVI``, the EU file type ``CSV``, the licence ``ETALAB_2_0``) because a facet shows its values to people and takes
them back as filters in URLs; :func:`facet_value` applies the same mapping to filter values, so a filter given as a
full URI works too. Each hit carries :data:`SUMMARY_FIELDS` (stored in the index) so that a page of results needs no
store lookup.
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from index.clusters import copies_of, copy_details, singleton_id
from normalise.model import DataService, Dataset

if TYPE_CHECKING:
    from index.store import Store

# What each hit returns (stored with the document): enough for a results page.
SUMMARY_FIELDS: tuple[str, ...] = (
    "id", "kind", "title", "description", "publisher", "source", "modified", "formats", "licence", "themes",
    "quality_band",
    # issue 15: a results page names each hit's territory (codes here, names at display)
    "communes", "departements", "regions",
    "cluster_id", "copies",  # issue 14: the record's cluster and every copy of it (see cluster_fields)
)
SUMMARY_PLACES = 20  # territory codes kept per hit: a page shows three and says how many more

EXCERPT_CHARS = 280

# Text fields searched by a free-text query, with their weight in the ranking (a word in the title counts most).
# ``copies_text``: on a cluster's primary, the titles and keywords its copies carry (issue 14, see cluster_fields).
TEXT_FIELDS: dict[str, float] = {"title": 3.0, "keywords": 2.0, "description": 1.0, "publisher_text": 1.0,
                                 "copies_text": 2.0}


_OWN_TEXT_FIELDS = {name: weight for name, weight in TEXT_FIELDS.items() if name != "copies_text"}


def text_fields(collapse: bool) -> dict[str, float]:
    """The text fields a free-text query searches: with collapse (one entry per dataset), a primary is found by its
    copies' words too; without, each record by its own words only (a copy answers for itself)."""
    return TEXT_FIELDS if collapse else _OWN_TEXT_FIELDS


def to_document(entry: Dataset | DataService, store: Store | None = None, *,
                scores: Mapping[str, tuple[int, str]] | None = None) -> dict[str, Any]:
    """Flatten a record into the index document. ``store`` supplies the quality score when it has been computed
    (the ``quality`` table of issue 6); without it, or before scoring, the record has no band. ``scores`` (from
    :func:`quality_scores`, one query for a batch) is used instead of a query per record when given."""
    formats = _formats(entry)
    licences = _licences(entry)
    themes = _unique(code for uri in entry.themes if (code := theme_code(uri)))
    publisher = entry.publisher.name.strip() if entry.publisher and entry.publisher.name.strip() else None
    if scores is None and store is not None:
        scores = quality_scores(store, [entry.id])
    quality = scores.get(entry.id) if scores is not None else None
    band = quality[1] if quality else None
    summary = {
        "id": entry.id,
        "kind": entry.kind,
        "title": entry.title,
        "description": excerpt(entry.description),
        "publisher": publisher,
        "source": entry.source_id,
        "modified": entry.modified or entry.issued,
        "formats": formats + _unmapped_format_labels(entry),
        "licence": licences[0] if licences else None,
        "themes": themes,
        "quality_band": band,
        # issue 15: the territory of the hit, by INSEE code
        "communes": _unique(c for s in entry.spatial for c in s.communes)[:SUMMARY_PLACES],
        "departements": _unique(c for s in entry.spatial for c in s.departements)[:SUMMARY_PLACES],
        "regions": _unique(c for s in entry.spatial for c in s.regions)[:SUMMARY_PLACES],
    }
    document = {
        "id": entry.id,
        "kind": entry.kind,
        "source": entry.source_id,
        "title": entry.title,
        "title_sort": sort_key(entry.title),
        "description": entry.description or "",
        "keywords": [k for k in entry.keywords if k.strip()],
        "keyword": _unique(facet_value("keyword", k) for k in entry.keywords),
        "publisher": [publisher] if publisher else [],
        "publisher_text": publisher or "",
        "publisher_siren": entry.publisher.siren if entry.publisher and entry.publisher.siren else None,
        "theme": themes,
        "format": formats,
        "licence": licences,
        "departement": _unique(code for s in entry.spatial for code in s.departements),
        "region": _unique(code for s in entry.spatial for code in s.regions),
        "schema": _schemas(entry),
        "quality_band": [band] if band else [],
        "quality_score": quality[0] if quality else None,
        "popularity": popularity(entry),
        "modified": entry.modified or entry.issued,
        "issued": entry.issued,
        "bbox": envelope(s.bbox for s in entry.spatial if s.bbox),
        "summary": summary,
    }
    clustered = cluster_fields(entry, formats, store)
    summary["cluster_id"], summary["copies"] = clustered["cluster_id"], clustered.pop("copies")
    document.update(clustered)
    return document


# -- cross-portal duplicates (issue 14) -------------------------------------------------------------------------------


def cluster_fields(entry: Dataset | DataService, formats: list[str], store: Store | None) -> dict[str, Any]:
    """The record's cluster (index/clusters.py) in its document, so that any engine collapses copies with plain term
    filters: ``cluster_id``; ``cluster_primary`` (collapse=true searches primaries only); on a primary,
    ``cluster_source`` / ``cluster_format``, the values of every copy, which collapse=true counts and filters the
    source and format facets on (a dataset on three portals counts once under each), and ``copies_text``, the titles
    and keywords of its copies that it does not carry itself, so that the words an aggregator gave the dataset find
    its one entry; and, in the summary each hit carries, ``cluster_id`` and ``copies`` (source, record id, landing
    page of each copy, the primary first; empty for a record alone). Without a store, or before clustering, a record
    is its own cluster's primary."""
    cluster_id, primary, copies = singleton_id(entry.id), True, []
    if store is not None:
        cluster_id, primary, copies = copies_of(store, entry.id)
    sources, cluster_formats, copies_text = [entry.source_id], formats, ""
    if primary and copies and store is not None:
        sources = _unique(c["source"] for c in copies)
        others = [c["record_id"] for c in copies if c["record_id"] != entry.id]
        uris, words = copy_details(store, others)
        cluster_formats = _unique([*formats, *(code for uri in uris if (code := file_type_code(uri)))])
        own = {entry.title.casefold(), *(k.casefold() for k in entry.keywords)}
        copies_text = "\n".join(w for w in words if w.casefold() not in own)
    return {"cluster_id": cluster_id, "cluster_primary": primary, "cluster_source": sources,
            "cluster_format": cluster_formats, "copies_text": copies_text, "copies": copies}


# -- facet values ---------------------------------------------------------------------------------------------------


def facet_value(facet: str, value: str) -> str:
    """The indexed form of a facet value; also applied to filter values, so either form filters the same."""
    value = value.strip()
    if facet == "keyword":
        return " ".join(value.lower().split())
    if facet == "theme" and "/" in value:
        return theme_code(value) or value
    if facet == "format" and "/" in value:
        return file_type_code(value) or value
    if facet == "licence" and "/" in value:
        return licence_code(value) or value
    if facet in ("theme", "format", "licence"):
        return value.upper()
    return value


def theme_code(uri: str) -> str | None:
    """``http://publications.europa.eu/resource/authority/data-theme/ENVI`` -> ``ENVI``."""
    return _authority_code(uri, "data-theme")


def file_type_code(uri: str) -> str | None:
    """``http://publications.europa.eu/resource/authority/file-type/CSV`` -> ``CSV``."""
    return _authority_code(uri, "file-type")


def _authority_code(uri: str, table: str) -> str | None:
    marker = f"/authority/{table}/"
    if marker not in uri:
        return None
    code = uri.split(marker, 1)[1].strip("/").split("/")[0]
    return code.upper() or None


_CC = re.compile(r"creativecommons\.org/(?:licenses|licences)/([a-z-]+)/(\d\.\d)", re.I)


def licence_code(uri: str) -> str | None:
    """A short readable code for a licence URI: the EU vocabulary's own code when the URI is from it, else a code
    in the same style (``CC_BY_SA_4_0``, ``ODBL``, ``ETALAB_2_0``), else the URI's last path segment."""
    uri = uri.strip()
    if not uri:
        return None
    if code := _authority_code(uri, "licence"):
        return code
    low = uri.lower()
    if match := _CC.search(low):
        return f"CC_{match.group(1).replace('-', '_').upper()}_{match.group(2).replace('.', '_')}"
    if "creativecommons.org/publicdomain/zero" in low:
        return "CC0"
    if "opendatacommons.org" in low:
        for name, code in (("odbl", "ODBL"), ("by", "ODC_BY"), ("pddl", "PDDL")):
            if f"/licenses/{name}" in low:
                return code
    if "etalab" in low and "licence" in low:
        return "ETALAB_1_0" if re.search(r"(?:v|version[-_ ]?|/)1(?:[._]0)?(?:\b|/|$)", low) else "ETALAB_2_0"
    if "spdx.org/licenses/" in low:
        return _code(uri.rsplit("/", 1)[-1].removesuffix(".html").removesuffix(".json"))
    parts = urlsplit(uri)
    segment = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.netloc
    return _code(segment) or None


def _code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def schema_name(value: str) -> str | None:
    """``https://schema.data.gouv.fr/scdl/subventions/2.1.1/`` -> ``scdl/subventions``; other URLs are not schemas
    a facet can name (INSPIRE regulations, ISO standards...)."""
    parts = urlsplit(value)
    if parts.netloc != "schema.data.gouv.fr":
        return None
    segments = [s for s in parts.path.split("/") if s and s not in ("schemas",)]
    segments = [s for s in segments if not re.fullmatch(r"v?\d+(?:\.\d+)*|latest|[\w-]+\.json", s)]
    return "/".join(segments[:2]) if len(segments) >= 2 else None


# -- derived values -------------------------------------------------------------------------------------------------


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The first ``limit`` characters of a description, cut at a word, whitespace collapsed."""
    if not text:
        return None
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


def sort_key(title: str) -> str:
    """Title as sorted by people: case and accents ignored ("Écoles" files under E, not after Z)."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def popularity(entry: Dataset | DataService) -> int:
    """Downloads: the record's own counter when the source gives one (it usually already sums its files), else the
    sum over its distributions."""
    own = entry.metrics.get("downloads")
    if own is not None:
        return max(int(own), 0)
    if isinstance(entry, Dataset):
        return sum(max(int(d.metrics.get("downloads", 0)), 0) for d in entry.distributions)
    return 0


def envelope(boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    """The WGS84 envelope of the record's valid bounding boxes (west, south, east, north), None if it has none."""
    valid = [
        b for b in boxes
        if all(math.isfinite(v) for v in b) and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90
    ]
    if not valid:
        return None
    return (min(b[0] for b in valid), min(b[1] for b in valid), max(b[2] for b in valid), max(b[3] for b in valid))


def _formats(entry: Dataset | DataService) -> list[str]:
    if not isinstance(entry, Dataset):
        return []
    return _unique(code for d in entry.distributions if d.format and (code := file_type_code(d.format)))


def _unmapped_format_labels(entry: Dataset | DataService) -> list[str]:
    """What the source called the formats no vocabulary maps: a results page still shows them."""
    if not isinstance(entry, Dataset):
        return []
    return _unique(
        d.format_label.strip() for d in entry.distributions
        if d.format_label and d.format_label.strip() and not (d.format and file_type_code(d.format))
    )


def _licences(entry: Dataset | DataService) -> list[str]:
    """The record's licence first, then its distributions' (DCAT-AP puts the licence on distributions)."""
    uris = [entry.licence] if entry.licence else []
    if isinstance(entry, Dataset):
        uris += [d.licence for d in entry.distributions if d.licence]
    return _unique(code for uri in uris if (code := licence_code(uri)))


def _schemas(entry: Dataset | DataService) -> list[str]:
    names: list[str] = []
    if isinstance(entry, Dataset):
        for dist in entry.distributions:
            ref = dist.schema_
            if ref and ref.name:
                names.append(ref.name.strip())
            elif ref and ref.url and (name := schema_name(ref.url)):
                names.append(name)
            names += [name for url in dist.conforms_to if (name := schema_name(url))]
    names += [name for url in entry.conforms_to if (name := schema_name(url))]
    return _unique(names)


def quality_scores(store: Store, record_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """(score, band) of the records scored among ``record_ids``, in one query."""
    if not record_ids:
        return {}
    try:
        rows = store.db.execute("SELECT record_id, score, band FROM quality WHERE record_id IN "
                                f"({','.join('?' * len(record_ids))})", list(record_ids)).fetchall()
    except sqlite3.OperationalError:  # no quality table yet: nothing scored
        return {}
    return {row[0]: (int(row[1]), str(row[2])) for row in rows}


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
