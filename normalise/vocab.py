"""Controlled vocabularies: turn what portals write into the URIs DCAT-AP expects.

Every normaliser meets the same problem: a licence written "odc-odbl", "ODbL" or
"http://opendatacommons.org/licenses/odbl/1.0/", a format written "shapefile (zip)" or "application/x-zip-compressed",
a theme written "Transports, Déplacements". DCAT-AP 3 (and data.europa.eu's MQA, which awards points for values
"from a vocabulary") wants one URI for each. This module is the one place that mapping happens, so that every source
type gets the same answer for the same wording.

The tables are data, not code. The official ones (EU authority tables, the INSPIRE theme register and SEMIC's
alignments, data.europa.eu's MQA format lists, IANA's media types, data.gouv.fr's licences) are generated from the
official files by :mod:`normalise.vocab_build` into ``config/vocabularies/generated/``, each with its version;
moisson's own additions (the wordings portals actually write, French words, the licence flags of décret 2017-638) are
the hand-kept YAML files beside them, and only ever point at codes the official tables hold. Everything is read once,
on first use, into plain dicts keyed by a *folded* form of the text (lower case, accents and punctuation removed: see
:func:`fold`), so a lookup is a dict access; normalisers must sustain thousands of records per second.

Choices worth knowing:

* Canonical licence URIs are the EU authority URIs (``http://publications.europa.eu/resource/authority/licence/…``):
  DCAT-AP recommends them and MQA only scores those. Licence Ouverte 2.0 is therefore ``…/licence/ETALAB_2_0``, not
  etalab.gouv.fr's page. Licence Ouverte 1.0 has no EU entry; its canonical URI is the PDF Etalab publishes. A URL
  the tables do not know is kept as the URI (it still identifies a licence document); a name they do not know gives
  no URI.
* A licence written without a version ("Licence Ouverte", "CC-BY") maps to the unversioned form the sources mean:
  "Licence Ouverte" is version 1.0 (the data.gouv.fr "fr-lo" id and OpenDataSoft's "Licence Ouverte (Etalab)" both
  predate 2.0), "CC-BY" is the EU code ``CC_BY``.
* Functions return ``None`` rather than guess. Missing values are the normaliser's business (it lists them in
  ``gaps``), not something to invent here.
* Nothing here raises on bad input: a normaliser can pass whatever the source holds.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from dateutil import parser as date_parser

VOCAB_DIR = Path(__file__).resolve().parent.parent / "config" / "vocabularies"

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
LICENCE_BASE = EU_AUTHORITY + "licence/"
FILE_TYPE_BASE = EU_AUTHORITY + "file-type/"
THEME_BASE = EU_AUTHORITY + "data-theme/"
LANGUAGE_BASE = EU_AUTHORITY + "language/"
FREQUENCY_BASE = EU_AUTHORITY + "frequency/"
ACCESS_RIGHT_BASE = EU_AUTHORITY + "access-right/"
IANA_BASE = "https://www.iana.org/assignments/media-types/"
INSPIRE_THEME_BASE = "http://inspire.ec.europa.eu/theme/"

# --------------------------------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def _fold_cached(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", ascii_only.replace("œ", "oe").replace("æ", "ae")).strip()


def fold(text: str) -> str:
    """Lower case, no accents, every run of punctuation or space made one space: the key all tables use.

    Why so aggressive: portals write the same thing as "CC-BY 4.0", "cc_by_4.0" or "CC BY 4.0"; after folding they
    are one key ("cc by 4 0"), so the tables need one entry instead of a dozen.
    """
    if len(text) > 200:  # long free text: not worth caching
        return _fold_cached.__wrapped__(text)
    return _fold_cached(text)


def _clean(value: Any) -> str | None:
    """The source wording as a label: tags stripped, whitespace collapsed; None when nothing is left."""
    if value is None:
        return None
    text = str(value)
    if "<" in text:
        text = _TAGS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def _load_yaml(name: str) -> dict[str, Any]:
    with open(VOCAB_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def generated(name: str) -> dict[str, Any]:
    """One table written by :mod:`normalise.vocab_build` (``media_types``, ``file_types``, ``licences``...)."""
    with open(VOCAB_DIR / "generated" / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def _url_key(url: str) -> str:
    """A URL reduced to what identifies it: no scheme, no "www.", no query, no trailing slash or index suffix."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z]+://", "", url)
    url = url.split("#", 1)[0].split("?", 1)[0]
    if url.startswith("www."):
        url = url[4:]
    url = url.rstrip("/")
    for suffix in ("/legalcode", "/deed.fr", "/deed.en", "/deed", ".html", ".htm"):
        if url.endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
    return url


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "www.")) and " " not in text.strip()


_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------------------------
# Licences
# --------------------------------------------------------------------------------------------------------------------


class _Licences:
    """The licence table, indexed by folded id, URL key and canonical URI.

    Built from the EU licence table (labels, alternative labels such as "Etalab-2.0", the licence pages it declares
    as skos:exactMatch), data.gouv.fr's licence list (its ids, titles, alternate titles and URLs, resolved to the EU
    URI through those pages) and moisson's ``licences.yaml`` (openness, décret 2017-638, further wordings).
    """

    def __init__(self) -> None:
        data = _load_yaml("licences.yaml")
        official = generated("licences")
        self.by_id: dict[str, str] = {}
        self.by_url: dict[str, str] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.titles: dict[str, str] = {}
        for entry in data["licences"]:
            uri = entry.get("uri") or LICENCE_BASE + entry["code"]
            self.info[uri] = {"label": entry["label"], "open": entry["open"], "french_admin": entry["french_admin"]}
            for ident in [entry["label"], *entry.get("ids", [])]:
                self.by_id.setdefault(fold(str(ident)), uri)
            for url in entry.get("urls", []):
                self.by_url.setdefault(_url_key(url), uri)
            self.by_url.setdefault(_url_key(uri), uri)
        # current concepts first: the deprecated CC_BY carries the label of CC BY 4.0, which now has its own code
        for code, concept in sorted(official["concepts"].items(), key=lambda item: item[1]["deprecated"]):
            uri = LICENCE_BASE + code
            self.titles[uri] = concept["labels"].get("en") or code
            self.by_url.setdefault(_url_key(uri), uri)
            for page in concept.get("exact_match", []):
                self.by_url.setdefault(_url_key(page), uri)
            names = [*concept["labels"].values(), *concept.get("alt_labels", {}).values()]
            for name in names:
                if len(fold(name)) >= 4:  # "CC" or "MIT"-like short labels stay the YAML's business
                    self.by_id.setdefault(fold(name), uri)
        for ident, item in official["datagouv"].items():
            uri = next(filter(None, (self.by_url.get(_url_key(u)) for u in [item["url"] or "",
                                                                              *item["alternate_urls"]] if u)), None)
            if uri is None:
                continue  # "notspecified", "other-open"...: no licence named; see `unnamed` in licences.yaml
            for name in (ident, item["title"], *item["alternate_titles"]):
                self.by_id.setdefault(fold(name), uri)
            for url in item["alternate_urls"]:
                self.by_url.setdefault(_url_key(url), uri)
        self.unnamed: dict[str, str] = {}
        for kind, values in data["unnamed"].items():
            for value in values:
                self.unnamed[fold(str(value))] = kind
        # Free-text recognition: the first known name in the text, the longest one where several start at the same
        # place. Ids under 4 characters ("lo", "mit", "ogl") are left out: inside a sentence they mean other things.
        names = sorted((k for k in self.by_id if len(k) >= 4), key=len, reverse=True)
        self.in_text = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


@cache
def _licences() -> _Licences:
    return _Licences()


_CC_URL = re.compile(r"creativecommons\.org/licen[cs]es/([a-z-]+)/(\d(?:\.\d)?)(?:/([a-z]{2}))?")
_CC_TEXT = re.compile(
    r"\b(?:cc|creative commons)\s+"
    r"((?:by|attribution|paternite)(?:\s+(?:nc|sa|nd|noncommercial|non commercial|sharealike|share alike|"
    r"noderivs|noderivatives|no derivatives|pas d utilisation commerciale|partage dans les memes conditions|"
    r"pas de modification))*)"
    r"(?:\s+(?:international|generic|unported|licen[cs]e|v|version))*"
    r"(?:\s+(\d)(?:\s+(\d))?)?"
)
_CC_ZERO = re.compile(r"\b(?:cc0|cc zero|creative commons zero|cc 0)\b")
_CC_VERSIONS = {"1": "1_0", "2": "2_0", "2.0": "2_0", "2.5": "2_5", "3": "3_0", "3.0": "3_0", "4": "4_0",
                "4.0": "4_0", "1.0": "1_0"}
# Jurisdiction ports with their own EU code; other ports map to the unported licence of that version.
_CC_PORTS = {("BY", "3_0", "nl"): "CC_BY_3_0_NL", ("BY", "3_0", "at"): "CC_BY_3_0_AT",
             ("BYSA", "3_0", "nl"): "CC_BYSA_3_0_NL"}


def _cc_code(parts: str, version: str | None, port: str | None = None) -> str | None:
    """EU code of a Creative Commons licence from its elements ("by-nc-sa", "4.0") — CC_BYNCSA_4_0."""
    words = parts.replace("-", " ").split()
    if not words or words[0] not in ("by", "attribution", "paternite"):
        return None
    rest = " ".join(words[1:])
    nc = bool(re.search(r"\bnc\b|non ?commercial|pas d utilisation commerciale", rest))
    sa = bool(re.search(r"\bsa\b|share ?alike|partage", rest))
    nd = bool(re.search(r"\bnd\b|no ?deriv|pas de modification", rest))
    if sa and nd:
        return None
    elements = "BY" + ("NC" if nc else "") + ("SA" if sa else "") + ("ND" if nd else "")
    if version is None:
        return "CC_" + elements
    ver = _CC_VERSIONS.get(version)
    if ver is None:
        return None
    if port and (elements, ver, port) in _CC_PORTS:
        return _CC_PORTS[(elements, ver, port)]
    return f"CC_{elements}_{ver}"


def _licence_from_url(url: str, *, loose: bool = True) -> str | None:
    """Licence of a URL; ``loose`` also reads the last path segment as an id (opendefinition.org/licenses/cc-by)."""
    table = _licences()
    key = _url_key(url)
    if key in table.by_url:
        return table.by_url[key]
    if key.startswith("publications.europa.eu/resource/authority/licence/"):
        return LICENCE_BASE + key.rsplit("/", 1)[1].upper()
    match = _CC_URL.search(key)
    if match:
        code = _cc_code(match.group(1), match.group(2), match.group(3))
        return LICENCE_BASE + code if code else None
    if "creativecommons.org/publicdomain/zero" in key:
        return LICENCE_BASE + "CC0"
    if not loose:
        return None
    # opendefinition.org/licenses/cc-by, spdx.org/licenses/CC-BY-4.0...: the last segment is an id
    last = key.rsplit("/", 1)[-1]
    return _licence_from_name(fold(last), allow_text=False) if last else None


def _etalab_version(folded: str) -> str | None:
    """Licence Ouverte / Etalab named in free text: which version it says (2.0 when it says so, else 1.0)."""
    if not re.search(r"\b(licence ouverte|open licen[cs]e|etalab|lov ?2)\b", folded):
        return None
    if re.search(r"\b(lov ?2|(v|version|etalab|ouverte|licence|license)\s*2(\s0)?)\b", folded):
        return LICENCE_BASE + "ETALAB_2_0"
    return _licences().by_id["licence ouverte"]


def _cc_from_text(folded: str) -> str | None:
    """A Creative Commons licence named in text; a mention with a version wins over one without
    ("Creative Commons Attribution (CC-BY 4.0)" is CC BY 4.0)."""
    best: str | None = None
    for match in _CC_TEXT.finditer(folded):
        version = f"{match.group(2)}.{match.group(3) or '0'}" if match.group(2) else None
        code = _cc_code(match.group(1), version)
        if code and version:
            return LICENCE_BASE + code
        if code and best is None:
            best = LICENCE_BASE + code
    return best


def _licence_from_name(folded: str, *, allow_text: bool = True) -> str | None:
    table = _licences()
    if folded in table.by_id:
        return table.by_id[folded]
    if allow_text:
        etalab = _etalab_version(folded)
        if etalab:
            return etalab
    if _CC_ZERO.search(folded):
        return LICENCE_BASE + "CC0"
    cc = _cc_from_text(folded)
    if cc or not allow_text:
        return cc
    found = table.in_text.search(folded)
    return table.by_id[found.group(1)] if found else None


def licence(value: Any) -> tuple[str | None, str | None]:
    """(canonical licence URI or None, the source's wording or None) for an id, title, URL or free text.

    Accepts CKAN/udata ids ("odc-odbl", "lov2", "cc-by"), SPDX ids, titles ("Licence Ouverte v2.0",
    "Creative Commons Attribution 4.0 International"), licence URLs (creativecommons.org, opendatacommons.org,
    etalab.gouv.fr, EU authority URIs) and free text such as ISO 19139 useLimitation ("Licence Ouverte 1.0
    http://www.data.gouv.fr/Licence-Ouverte-Open-Licence."). The label is the source wording, tags removed; the URI
    is None when the value names no licence we know ("notspecified", "other-open"): see :func:`licence_openness`.
    """
    label = _clean(value)
    if label is None:
        return None, None
    if _is_url(label):
        uri = _licence_from_url(label)
        return (uri or (label if label.startswith("http") else None)), label
    folded = fold(label)
    table = _licences()
    if folded in table.unnamed:
        return None, label
    if folded in table.by_id:
        return table.by_id[folded], label
    # Free text: a licence URL it quotes is more precise than its wording ("Soumis à la licence Etalab :
    # https://www.etalab.gouv.fr/licence-ouverte-open-licence/" is version 2.0, which the words do not say).
    for url in _URL_IN_TEXT.findall(label):
        uri = _licence_from_url(url.rstrip(".,;:"), loose=False)
        if uri:
            return uri, label
    return _licence_from_name(folded), label


def licence_openness(value: Any) -> bool | None:
    """Whether a licence value (URI, id or text) is open: True/False when known, None when it cannot be told.

    Works on the CKAN "other-open"/"other-pd"/"other-closed" ids too, which name no licence but say whether it is
    open: scoring needs that even though they have no URI.
    """
    uri, label = licence(value)
    if uri:
        return licence_is_open(uri) if uri in _licences().info or uri.startswith(LICENCE_BASE + "CC") else None
    if label is None:
        return None
    kind = _licences().unnamed.get(fold(label))
    return {"open": True, "closed": False}.get(kind or "")


def licence_is_open(uri: str | None) -> bool:
    """True for licences that meet the Open Definition (no non-commercial or no-derivatives clause)."""
    if not uri:
        return False
    info = _licences().info.get(uri)
    if info is not None:
        return bool(info["open"])
    if uri.startswith(LICENCE_BASE + "CC"):
        code = uri[len(LICENCE_BASE) :]
        return not ("NC" in code or "ND" in code)
    return False


def licence_is_french_admin(uri: str | None) -> bool:
    """True when French administrations may use the licence without homologation (décret n° 2017-638).

    That is Licence Ouverte (1.0 or 2.0) and ODbL for data, and the décret's software licences (Apache 2.0, BSD, CeCILL,
    GPL/LGPL/AGPL v3, MPL 2.0, MIT, EUPL 1.2, EPL 2.0). Anything else (CC-BY included) needs an homologation:
    the DESIGN's "open data par défaut" check reads this.
    """
    info = _licences().info.get(uri or "")
    return bool(info and info["french_admin"])


def licence_title(uri: str | None) -> str | None:
    """A human title for a canonical licence URI (None when the tables do not know it)."""
    if not uri:
        return None
    info = _licences().info.get(uri)
    if info:
        return info["label"]
    if uri.startswith(LICENCE_BASE + "CC_"):
        code = uri[len(LICENCE_BASE) + 3 :]
        elements, _, version = code.partition("_")
        names = {"NC": "NonCommercial", "SA": "ShareAlike", "ND": "NoDerivatives"}
        parts = ["Attribution"] + [names[elements[i : i + 2]] for i in range(2, len(elements), 2)]
        return "Creative Commons " + "-".join(parts) + (" " + version.replace("_", ".") if version else "")
    return _licences().titles.get(uri)


# --------------------------------------------------------------------------------------------------------------------
# File formats and media types
# --------------------------------------------------------------------------------------------------------------------


class _Formats:
    """File types: the EU table (codes, labels, extensions, media types IANA registers), MQA's machine-readable and
    non-proprietary lists, and moisson's ``file_types.yaml`` (the wordings portals write, the media type of a format
    the EU table gives none for, aliases of wrong media types and codes).

    Where several EU file types claim the same extension or label (".json": JSON and GEOJSON; ".tiff": TIFF and
    GEOTIFF), the YAML decides; a claim nobody settles is left out rather than given to whichever comes first.
    """

    def __init__(self) -> None:
        data = _load_yaml("file_types.yaml")
        official = generated("file_types")["formats"]
        self.registered: set[str] = set(generated("media_types")["media_types"])
        self.info: dict[str, dict[str, Any]] = {}
        self.by_label: dict[str, str] = {}
        self.by_ext: dict[str, str] = {}
        self.by_media: dict[str, str] = {}
        own = {str(code): entry or {} for code, entry in data["formats"].items()}
        for code, entry in official.items():
            extra = own.get(code, {})
            media = entry["media_type"] or (extra.get("media") if extra.get("media") in self.registered else None)
            self.info[code] = {"media": media, "mr": entry["mqa_machine_readable"],
                               "np": entry["mqa_non_proprietary"], "label": entry["labels"].get("en")}
        # moisson's wordings first: they settle the shared extensions and labels
        for code, entry in own.items():
            if code not in self.info:
                continue  # only official codes; tests/normalise/test_vocab_build.py keeps the YAML to them
            self.by_label.setdefault(fold(code), code)
            for alias in entry.get("aliases") or []:
                self.by_label.setdefault(fold(str(alias)), code)
            for ext in entry.get("ext") or []:
                self.by_ext.setdefault(str(ext).lower(), code)
                self.by_label.setdefault(fold(str(ext)), code)
            if entry.get("media"):
                self.by_media.setdefault(str(entry["media"]), code)
        claims: dict[str, dict[str, set[str]]] = {"ext": {}, "label": {}, "media": {}}
        for code, entry in official.items():
            labels = [code, *entry["labels"].values(), *entry.get("alt_labels", {}).values()]
            for kind, values in (("ext", entry["extensions"]), ("label", [fold(x) for x in labels]),
                                 ("media", [entry["media_type"]] if entry["media_type"] else [])):
                for value in values:
                    claims[kind].setdefault(value, set()).add(code)
        for kind, table in (("ext", self.by_ext), ("label", self.by_label), ("media", self.by_media)):
            for value, codes in claims[kind].items():
                own_code = next((c for c in codes if fold(c) == fold(value)), None)
                if len(codes) == 1 or own_code:
                    table.setdefault(value, own_code or next(iter(codes)))
        # GeoTIFF and TIFF share image/tiff; the plain image is the safer reading.
        self.by_media["image/tiff"] = "TIFF"
        self.media_aliases: dict[str, str | None] = data["media_aliases"]
        for media, code in data["media_formats"].items():
            self.by_media.setdefault(media, code)
        self.code_aliases: dict[str, str] = data["code_aliases"]


@cache
def _formats() -> _Formats:
    return _Formats()


_MEDIA_TYPE = re.compile(r"^([a-z]+)/([a-z0-9][a-z0-9!#$&^_.+-]*)$")
_TOP_LEVEL = {"application", "audio", "font", "image", "message", "model", "multipart", "text", "video"}


def _media_type(value: str) -> tuple[str | None, str | None]:
    """(registered media type or None, the bare type written) from "application/json; charset=utf-8" or an IANA URI."""
    text = value.strip().lower()
    if text.startswith(("http://www.iana.org/assignments/media-types/", "https://www.iana.org/assignments/media-types/")):
        text = text.split("/media-types/", 1)[1]
    text = text.split(";", 1)[0].strip()
    if not _MEDIA_TYPE.match(text):
        return None, None
    table = _formats()
    if text in table.media_aliases:
        return table.media_aliases[text], text
    top, _ = text.split("/", 1)
    if top not in _TOP_LEVEL:
        return None, None
    return (text if text in table.registered else None), text


def _format_code_from_label(value: str) -> str | None:
    table = _formats()
    text = value.strip()
    if "publications.europa.eu/resource/authority/file-type/" in text:
        code = text.rstrip("/").rsplit("/", 1)[1].upper()
        code = table.code_aliases.get(code, code)
        return code if code in table.info else None
    folded = fold(text)
    if not folded:
        return None
    if folded in table.by_label:
        return table.by_label[folded]
    # "shapefile (zip)", "csv lonlat/xy", "GeoJSON (EPSG:4326)": the first word that names a format decides,
    # except a container ("zip") when something more specific follows.
    without_brackets = fold(re.sub(r"\(.*?\)", " ", text))
    if without_brackets in table.by_label:
        return table.by_label[without_brackets]
    found: list[str] = []
    for word in folded.split():
        code = table.by_label.get(word)
        if code and code not in found:
            found.append(code)
    specific = [c for c in found if c not in ("ZIP", "GZIP", "HTML", "TXT", "XML")]
    return (specific or found or [None])[0]


_EXT = re.compile(r"\.([a-z0-9]{1,8}(?:\.gz)?)$")


def _format_code_from_url(url: str) -> str | None:
    table = _formats()
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    query = {k.lower(): v.lower() for k, v in parse_qsl(parts.query)}
    service = query.get("service")
    if service in ("wms", "wfs", "wmts", "wcs"):
        return service.upper() + "_SRVC"
    path = parts.path.lower().rstrip("/")
    if "/rest/services/" in path and path.endswith(("/featureserver", "/mapserver")) or "/featureserver/" in path:
        return "MAP_SRVC" if path.endswith("/mapserver") else "REST"
    match = _EXT.search(path.rsplit("/", 1)[-1])
    if match:
        ext = match.group(1)
        if ext.endswith(".gz") and ext != "tar.gz":
            ext = "gz"
        if ext in table.by_ext:
            return table.by_ext[ext]
    # OpenDataSoft exports (/exports/csv, /exports/geojson) and "?format=csv" downloads
    segments = path.split("/")
    if len(segments) >= 2 and segments[-2] in ("exports", "export", "download") and segments[-1] in table.by_ext:
        return table.by_ext[segments[-1]]
    for key in ("format", "outputformat", "f"):
        if key in query:
            code = _format_code_from_label(query[key]) or _formats().by_media.get(_media_type(query[key])[1] or "")
            if code:
                return code
    return None


def file_format(
    value: Any = None, *, media_type: Any = None, url: Any = None
) -> tuple[str | None, str | None]:
    """(EU file-type URI or None, IANA media-type URI or None) from a format label, a media type and/or a URL.

    The format comes from the label first ("CSV", "shapefile (zip)", "WMS", an EU URI), then from the media type,
    then from the URL (extension, ``service=WMS``, OpenDataSoft ``/exports/csv``). The media type is the one given
    when it is a registered IANA type (aliases such as ``application/x-zip-compressed`` are corrected), otherwise
    the registered type of the format found, if it has one — a shapefile has none, so it gets no media type rather
    than an invented one. A label that is itself a media type ("text/csv") is read as one.
    """
    table = _formats()
    code: str | None = None
    media: str | None = None
    label = _clean(value)
    if label:
        registered, bare = _media_type(label)
        if bare:
            media = registered
            code = table.by_media.get(bare)
            if code is None and registered:
                code = table.by_media.get(registered)
        else:
            code = _format_code_from_label(label)
    if media_type:
        registered, bare = _media_type(str(media_type))
        if registered:
            media = registered
        if code is None and bare:
            code = table.by_media.get(bare) or (table.by_media.get(registered) if registered else None)
        if code is None and not bare:  # a label given as media type ("xlsx")
            code = _format_code_from_label(str(media_type))
    if code is None and url:
        code = _format_code_from_url(str(url))
    if media is None and code is not None:
        info = table.info.get(code)
        media = info.get("media") if info else None
    return (FILE_TYPE_BASE + code if code else None), (IANA_BASE + media if media else None)


def _format_info(uri: str | None) -> dict[str, Any] | None:
    if not uri or not uri.startswith(FILE_TYPE_BASE):
        return None
    return _formats().info.get(uri[len(FILE_TYPE_BASE) :])


def format_is_machine_readable(uri: str | None) -> bool:
    """MQA "machine-readable" indicator for an EU file-type URI."""
    info = _format_info(uri)
    return bool(info and info.get("mr"))


def format_is_non_proprietary(uri: str | None) -> bool:
    """MQA "non-proprietary" indicator for an EU file-type URI."""
    info = _format_info(uri)
    return bool(info and info.get("np"))


def format_label(uri: str | None) -> str | None:
    """Short display name of an EU file-type URI ("CSV", "WMS")."""
    if not uri or not uri.startswith(FILE_TYPE_BASE):
        return None
    code = uri[len(FILE_TYPE_BASE) :]
    return code.removesuffix("_SRVC").replace("_", " ")


# --------------------------------------------------------------------------------------------------------------------
# Themes
# --------------------------------------------------------------------------------------------------------------------


class _Themes:
    """EU data themes (official labels), INSPIRE themes mapped to them by SEMIC's alignment, ISO 19115 topic
    categories mapped through the INSPIRE Metadata Regulation's topic -> theme alignment, and moisson's
    ``themes.yaml`` (portal theme labels, words, French INSPIRE labels)."""

    def __init__(self) -> None:
        data = _load_yaml("themes.yaml")
        official = generated("data_themes")["concepts"]
        inspire = generated("inspire_themes")
        self.labels: dict[str, dict[str, str]] = {code: c["labels"] for code, c in official.items()}
        self.by_key: dict[str, list[str]] = {}

        def add(key: str, codes: list[str]) -> None:
            self.by_key.setdefault(fold(key), [THEME_BASE + c for c in codes])

        for code, names in self.labels.items():
            add(code, [code])
            for name in names.values():
                add(name, [code])
        self.inspire: dict[str, list[str]] = {}
        self.inspire_labels: dict[str, dict[str, str]] = {}
        french = data["inspire_fr"]
        for ident, entry in inspire["themes"].items():
            codes = entry.get("data_themes", [])
            self.inspire[ident] = [THEME_BASE + c for c in codes]
            labels = {**entry["labels"], **({"fr": french[ident]} if ident in french else {})}
            self.inspire_labels[ident] = labels
            for label in labels.values():
                add(label, codes)
        self.iso_topics: dict[str, list[str]] = {}
        for topic, matches in inspire["iso_topics"].items():
            # related themes only when the topic has no closer match (economy: energy and mineral resources)
            themes = [t for kind in ("exact", "close", "narrow", "broad") for t in matches.get(kind, [])]
            codes = _unique(c for t in (themes or matches.get("related", [])) for c in
                            inspire["themes"].get(t, {}).get("data_themes", []))
            self.iso_topics[fold(topic)] = [THEME_BASE + c for c in codes]
            add(topic, codes)
            # ISO topic written as in some catalogues: "planningCadastre_Planning", "planning cadastre"
            add(re.sub(r"(?<!^)(?=[A-Z])", " ", topic), codes)
        for label, codes in data["labels"].items():
            add(label, codes)
        self.words: dict[str, str] = {}
        self.phrases: list[tuple[str, str]] = []
        for code, words in data["words"].items():
            for word in words:
                key = fold(word)
                if " " in key:
                    self.phrases.append((f" {key} ", THEME_BASE + code))
                else:
                    self.words.setdefault(key, THEME_BASE + code)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


@cache
def _themes() -> _Themes:
    return _Themes()


def _themes_of(value: str) -> list[str]:
    table = _themes()
    text = value.strip()
    if text.startswith(THEME_BASE) or "/authority/data-theme/" in text:
        code = text.rstrip("/").rsplit("/", 1)[1].upper()
        return [THEME_BASE + code] if code in table.labels else []
    if "inspire.ec.europa.eu/theme/" in text:
        return table.inspire.get(text.rstrip("/").rsplit("/", 1)[1].lower(), [])
    if text.startswith("http"):  # another scheme's URI: its last segment may be a known label
        text = text.rstrip("/").rsplit("/", 1)[1].replace("_", " ")
    folded = fold(text)
    if not folded:
        return []
    if folded in table.by_key:
        return table.by_key[folded]
    # ISO topic with a sub-category: "planningCadastre_Planning"
    head = fold(re.split(r"[_:]", text, maxsplit=1)[0])
    if head in table.iso_topics:
        return table.by_key[head]
    # A composite label ("Culture, Heritage, Sport"): each part, then known words.
    found: list[str] = []
    parts = [p for p in re.split(r"[,;/|]| et | and | & ", text) if p.strip()]
    if len(parts) > 1:
        for part in parts:
            for uri in table.by_key.get(fold(part), []):
                if uri not in found:
                    found.append(uri)
    if found:
        return found
    padded = f" {folded} "
    for word in folded.split():
        uri = table.words.get(word)
        if uri and uri not in found:
            found.append(uri)
    for phrase, uri in table.phrases:
        if phrase in padded and uri not in found:
            found.append(uri)
    return found


def themes(values: Iterable[str] | str | None) -> list[str]:
    """EU data-theme URIs for theme values: EU URIs or codes, English/French labels, INSPIRE theme URIs or labels,
    ISO 19115 topic categories, portal theme labels ("Transports, Déplacements") and, failing those, unambiguous
    words they contain. Order follows the input; no duplicates; a value nothing matches adds nothing.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    result: list[str] = []
    for value in values:
        if not value or not isinstance(value, str):
            continue
        for uri in _themes_of(value):
            if uri not in result:
                result.append(uri)
    return result


def theme_label(uri: str, lang: str = "fr") -> str | None:
    """Label of an EU data-theme URI in French ("fr") or English ("en")."""
    if not uri.startswith(THEME_BASE):
        return None
    names = _themes().labels.get(uri[len(THEME_BASE) :])
    return names.get(lang) if names else None


def inspire_theme_uri(value: str) -> str | None:
    """INSPIRE registry URI (http://inspire.ec.europa.eu/theme/hy) of an INSPIRE theme label, id or URI."""
    table = _themes()
    text = value.strip()
    if "inspire.ec.europa.eu/theme/" in text:
        ident = text.rstrip("/").rsplit("/", 1)[1].lower()
        return INSPIRE_THEME_BASE + ident if ident in table.inspire else None
    folded = fold(text)
    return _inspire_by_label().get(folded)


@cache
def _inspire_by_label() -> dict[str, str]:
    out: dict[str, str] = {}
    for ident, labels in _themes().inspire_labels.items():
        for label in labels.values():
            out.setdefault(fold(label), INSPIRE_THEME_BASE + ident)
    return out


# --------------------------------------------------------------------------------------------------------------------
# Languages, frequencies, access rights
# --------------------------------------------------------------------------------------------------------------------


@cache
def _languages() -> dict[str, str]:
    """Folded code or name -> EU language URI: the official table's codes first (ISO 639-1, 639-2/B, 639-2/T, the
    authority code), then its labels, then moisson's extra names; a current concept wins over a deprecated one."""
    official = generated("languages")["concepts"]
    extra = _load_yaml("languages.yaml")["names"]
    ordered = sorted(official.items(), key=lambda item: item[1]["deprecated"])
    table: dict[str, str] = {}
    for code, concept in ordered:
        for key in [code, *concept["iso639_1"], *concept["iso639_2b"], *concept["iso639_2t"]]:
            table.setdefault(fold(key), LANGUAGE_BASE + code)
    for code, concept in ordered:
        for label in concept["labels"].values():
            table.setdefault(fold(label), LANGUAGE_BASE + code)
    for code, names in extra.items():
        for name in names:
            table.setdefault(fold(str(name)), LANGUAGE_BASE + code)
    return table


def language(value: Any) -> str | None:
    """EU language URI from "fr", "fra", "fre", "fr-FR", "French", "Français" or a language URI (EU, LoC, lexvo)."""
    text = _clean(value)
    if not text:
        return None
    table = _languages()
    if text.startswith("http"):
        last = text.rstrip("/").rsplit("/", 1)[1]
        return table.get(fold(last))
    folded = fold(text)
    if folded in table:
        return table[folded]
    head = re.split(r"[-_ ]", text, maxsplit=1)[0]  # "fr-FR", "en_GB"
    return table.get(fold(head))


@cache
def _keyword_table(name: str, key: str, table_name: str) -> tuple[str, dict[str, str], set[str]]:
    """(base URI, folded word -> URI, official codes) of a table whose codes come from an EU authority table and
    whose words are moisson's: the words of ``name`` first, then the official labels and the codes themselves."""
    data = _load_yaml(name)
    base = data["eu_base"]
    official = generated(table_name)["concepts"]
    table: dict[str, str] = {}
    for code, words in data[key].items():
        if code not in official:
            continue  # tests/normalise/test_vocab_build.py keeps the YAML to official codes
        for word in words:
            table.setdefault(fold(str(word)), base + code)
    for code, concept in official.items():
        table.setdefault(fold(code), base + code)
        for label in concept["labels"].values():
            table.setdefault(fold(label), base + code)
        for match in concept.get("exact_match", []):  # Dublin Core frequencies: purl.org/cld/freq/annual
            table.setdefault(fold(match.rstrip("/").rsplit("/", 1)[1]), base + code)
    return base, table, set(official)


_DURATION = re.compile(r"^R/P(?:(\d+(?:\.\d+)?)([YMWD])|T(\d+(?:\.\d+)?)([HMS]))$", re.IGNORECASE)


def frequency(value: Any) -> str | None:
    """EU frequency URI from ISO MD_MaintenanceFrequencyCode ("annually", "asNeeded"), udata ids ("semiannual"),
    English/French words ("monthly", "mensuelle"), ISO 8601 repeating durations ("R/P1D") or a frequency URI."""
    text = _clean(value)
    if not text:
        return None
    base, table, codes = _keyword_table("frequencies.yaml", "frequencies", "frequencies")
    if text.startswith("http"):
        last = text.rstrip("/").rsplit("/", 1)[1].rsplit("#", 1)[-1]
        if "/authority/frequency/" in text:
            return base + last.upper() if last.upper() in codes else None
        text = last  # e.g. Dublin Core / ISO code list URIs ending in the code
    folded = fold(text)
    if folded in table:
        return table[folded]
    match = _DURATION.match(text.strip())
    if match:
        key = fold(f"R/P{match.group(1)}{match.group(2).upper()}" if match.group(1) else
                   f"R/PT{match.group(3)}{match.group(4).upper()}")
        return table.get(key)
    # camelCase codes ("fourTimesADay" is not in the table, "asNeeded" is after folding the spaces)
    spaced = fold(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text))
    return table.get(spaced) or table.get(folded.replace(" ", ""))


def access_rights(value: Any) -> str | None:
    """EU access-right URI (PUBLIC, RESTRICTED, NON_PUBLIC, CONFIDENTIAL, SENSITIVE) from words (English or French:
    "accès libre", "diffusion restreinte", "données non communicables"), an INSPIRE LimitationsOnPublicAccess URI
    ("noLimitations" is public; the Article 13 grounds restrict access) or an access-right URI.

    A sentence is read for the longest known phrase it contains ("Pas de restriction d'accès public selon INSPIRE"
    is public); a single word must be the whole value, since inside a sentence it may mean anything."""
    text = _clean(value)
    if not text:
        return None
    base, table, codes = _keyword_table("access_rights.yaml", "access_rights", "access_rights")
    if "/authority/access-right/" in text:
        code = text.rstrip("/").rsplit("/", 1)[1].upper()
        return base + code if code in codes else None
    if "LimitationsOnPublicAccess/" in text:
        code = text.rstrip("/").rsplit("/", 1)[1]
        return base + ("PUBLIC" if code.lower() == "nolimitations" else "RESTRICTED")
    if text.startswith("http"):
        text = text.rstrip("/").rsplit("/", 1)[1]
    folded = fold(text)
    found = table.get(folded) or table.get(fold(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)))
    if found or " " not in folded:
        return found
    padded = f" {folded} "
    for phrase, uri in _access_phrases():
        if f" {phrase} " in padded:
            return uri
    return None


@cache
def _access_phrases() -> list[tuple[str, str]]:
    """The access-right wordings of several words, longest first ("pas de restriction" before "restriction")."""
    _, table, _ = _keyword_table("access_rights.yaml", "access_rights", "access_rights")
    return sorted(((k, v) for k, v in table.items() if " " in k), key=lambda kv: -len(kv[0]))


DISTRIBUTION_STATUS_BASE = EU_AUTHORITY + "distribution-status/"
# ADMS status (what DCAT-AP 2 used for a distribution's adms:status) -> the EU distribution status DCAT-AP 3 takes
_ADMS_STATUS = {"completed": "COMPLETED", "deprecated": "DEPRECATED", "underdevelopment": "DEVELOP",
                "withdrawn": "WITHDRAWN"}


def distribution_status(value: Any) -> str | None:
    """EU distribution-status URI (COMPLETED, DEPRECATED, DEVELOP, WITHDRAWN...) from an EU URI, an ADMS status URI
    (http://purl.org/adms/status/Completed, as ckanext-dcat's DCAT-AP 2 fields hold), a code or an official label."""
    text = _clean(value)
    if not text:
        return None
    concepts = generated("distribution_statuses")["concepts"]
    last = text.rstrip("/").rsplit("/", 1)[-1]
    if "purl.org/adms/status/" in text:
        code = _ADMS_STATUS.get(last.lower())
        return DISTRIBUTION_STATUS_BASE + code if code else None
    if last.upper() in concepts:
        return DISTRIBUTION_STATUS_BASE + last.upper()
    folded = fold(text)
    return next((DISTRIBUTION_STATUS_BASE + code for code, concept in concepts.items()
                 if folded in {fold(label) for label in concept["labels"].values()}), None)


# --------------------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE_WITH_TZ = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})$")
_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")
_HAS_TIME = re.compile(r"\d{1,2}[:h]\d{2}")
_WEEKDAY_PREFIX = re.compile(
    r"^(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\.?,?\s+(?=\d)",
    re.IGNORECASE,
)
_FR_MONTHS = {
    "janvier": "january", "fevrier": "february", "mars": "march", "avril": "april", "mai": "may", "juin": "june",
    "juillet": "july", "aout": "august", "septembre": "september", "octobre": "october", "novembre": "november",
    "decembre": "december", "janv": "jan", "fevr": "feb", "avr": "apr", "juil": "jul", "sept": "sep",
    "oct": "oct", "nov": "nov", "dec": "dec",
}
_FR_MONTH_RE = re.compile(r"\b(" + "|".join(sorted(_FR_MONTHS, key=len, reverse=True)) + r")\b\.?", re.IGNORECASE)
_DEFAULT_A = datetime(2001, 1, 1)
_DEFAULT_B = datetime(2002, 2, 2)
_MIN_YEAR, _MAX_YEAR = 1000, 2999


def _format_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None and moment.utcoffset() is not None and not moment.utcoffset():
        moment = moment.replace(tzinfo=UTC)
    if not moment.microsecond:
        timespec = "seconds"
    else:
        timespec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    text = moment.isoformat(timespec=timespec)
    return text.replace("+00:00", "Z")


def iso_datetime(value: Any) -> str | None:
    """ISO 8601 text for any reasonable date value, or None; never raises.

    Dates stay dates ("2019-12-10"); date-times become "2019-12-10T09:23:00", with "Z" or the offset when the source
    gave one and fractions of a second only when non-zero; a year or a year-month keeps its precision ("2019",
    "2019-05") rather than being padded with an invented day.

    Handles ISO forms with or without "Z" and fractions, an xsd:date holding a date-time, a date with an offset
    ("2019-12-10+02:00"), epoch seconds or milliseconds (numbers or digit strings), French text ("mar, 10/12/2019 -
    09:23" from DKAN, "10 décembre 2019"), where day/month order is French (day first) unless the year comes first.
    Empty strings, "null", "N/A" and out-of-range years give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = _clean(value)
    if not text:
        return None
    try:
        return _parse_date_text(text)
    except Exception:  # noqa: BLE001 - dateutil raises assorted errors on junk; "never raises" is the contract
        return None


def _from_epoch(number: float) -> str | None:
    if abs(number) >= 1e11:  # milliseconds
        number /= 1000
    try:
        moment = datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
        return None
    return _format_datetime(moment)


def _parse_date_text(text: str) -> str | None:
    if _ISO_DATE.match(text):
        return date.fromisoformat(text).isoformat() if _MIN_YEAR <= int(text[:4]) <= _MAX_YEAR else None
    if _ISO_DATETIME.match(text):
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        return _format_datetime(moment) if _MIN_YEAR <= moment.year <= _MAX_YEAR else None
    match = _DATE_WITH_TZ.match(text)
    if match:
        return _parse_date_text(match.group(1))
    if _YEAR.match(text):
        return text if _MIN_YEAR <= int(text) <= _MAX_YEAR else None
    match = _YEAR_MONTH.match(text)
    if match:
        return text if 1 <= int(match.group(2)) <= 12 and _MIN_YEAR <= int(match.group(1)) <= _MAX_YEAR else None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    return _parse_loose(text)


def _parse_loose(text: str) -> str | None:
    """dateutil for the rest, after making French text English; incomplete dates keep their precision."""
    cleaned = _WEEKDAY_PREFIX.sub("", text.strip())
    cleaned = cleaned.replace(" - ", " ").replace(" à ", " ")
    cleaned = re.sub(r"(\d{1,2})h(\d{2})", r"\1:\2", cleaned)
    cleaned = _FR_MONTH_RE.sub(lambda m: _FR_MONTHS[m.group(1).lower()], _without_accents(cleaned))
    cleaned = re.sub(r"\b1er\b", "1", cleaned)
    if not re.search(r"\d", cleaned):
        return None
    dayfirst = not re.match(r"^\s*\d{4}", cleaned)
    first = date_parser.parse(cleaned, default=_DEFAULT_A, dayfirst=dayfirst, fuzzy=True)
    second = date_parser.parse(cleaned, default=_DEFAULT_B, dayfirst=dayfirst, fuzzy=True)
    if first.year != second.year or not _MIN_YEAR <= first.year <= _MAX_YEAR:
        return None
    if first.month != second.month:
        return f"{first.year:04d}"
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    if _HAS_TIME.search(text) or first.tzinfo is not None:
        return _format_datetime(first)
    return first.date().isoformat()


def _without_accents(text: str) -> str:
    """Accents removed, case and punctuation kept (dates need their "/" and ":", time zones their case)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --------------------------------------------------------------------------------------------------------------------
# Company identifiers
# --------------------------------------------------------------------------------------------------------------------

LA_POSTE_SIREN = "356000000"
_VAT = re.compile(r"^FR[0-9A-Z]{2}(\d{9})$")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def siren(value: Any) -> str | None:
    """The 9-digit SIREN from a SIREN, a SIRET (SIREN + 5-digit establishment number) or a French VAT number,
    spaces, dots and dashes allowed; None when it is not one or fails its check.

    SIREN and SIRET carry a Luhn check digit; La Poste's establishments are the documented exception: with so many
    establishments, INSEE numbers them so that a SIRET of SIREN 356 000 000 may instead have a digit sum that is a
    multiple of 5 (e.g. 356 000 000 09075).
    """
    if value is None or isinstance(value, bool):
        return None
    text = re.sub(r"[\s.\-/]", "", str(value)).upper()
    vat = _VAT.match(text)
    if vat:
        text = vat.group(1)
    if not text.isdigit() or len(text) not in (9, 14):
        return None
    head = text[:9]
    if len(text) == 14:
        la_poste_ok = head == LA_POSTE_SIREN and sum(int(c) for c in text) % 5 == 0
        if not (_luhn_ok(text) or la_poste_ok):
            return None
    if not _luhn_ok(head) or head == "000000000":
        return None
    return head


__all__ = [
    "access_rights",
    "distribution_status",
    "file_format",
    "fold",
    "format_is_machine_readable",
    "format_is_non_proprietary",
    "format_label",
    "frequency",
    "inspire_theme_uri",
    "iso_datetime",
    "language",
    "licence",
    "licence_is_french_admin",
    "licence_is_open",
    "licence_openness",
    "licence_title",
    "siren",
    "theme_label",
    "themes",
]
