"""What says that two harvested records are the same dataset: match keys drawn from what each source really carries.

Why keys: clustering a nation's records cannot compare every pair. Each record gives a handful of normalised keys;
records sharing a key are candidates (:mod:`index.clusters` keeps the keys in the store), and only those are
compared. Each key has a *role*:

- ``self``: the record says this is what it is -- its IRI, its landing page, a globally unique native id (a UUID, an
  ISO 19139 fileIdentifier, which a regional CSW harvesting a commune's keeps), its ``dct:identifier`` /
  ``adms:identifier`` / ``owl:sameAs`` values, the URLs of its files, their checksums;
- ``origin``: the record says it was copied from this -- udata's ``harvest`` block (remote id, remote URL, the
  origin's domain), CKAN's ``guid`` harvest extra, DCAT ``dct:source`` / ``prov:wasDerivedFrom``;
- ``weak``: the same title (the publisher's own name taken out of it) and the same publisher (SIREN, else name).

Identity keys share one namespace, so "data.gouv.fr harvested it from remote id X" (origin) meets "my id is X"
(self), and two aggregators that both harvested X meet each other. A weak key alone never links anything: the pair
must also have near-identical descriptions, and :func:`weak_match` refuses it when strong signals disagree.

URLs are compared normalised (:func:`url_key`): scheme (http = https), case of the host, ``www.``, default ports,
a trailing slash, the fragment, the order of query parameters and the tracking or export-cosmetic parameters
(``utm_*``, ``download=1``, ODS's ``use_labels``) make no difference.

Everything here reads the stored JSON of a record (a dict, as :func:`normalise.model.entry_to_json` writes it:
defaults left out) rather than the pydantic model: clustering runs after every harvest, and parsing a dict costs a
fifth of validating a model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from normalise.territory import name_key
from normalise.vocab import fold

# How sure one shared key makes us that two records are one dataset, by kind of key.
CONFIDENCE: dict[str, float] = {
    "identifier": 0.98,  # same IRI, UUID, fileIdentifier, dct:identifier...
    "harvest": 0.98,  # a harvesting portal's note names the other record
    "derived": 0.95,  # dct:source / prov:wasDerivedFrom names the other record
    "page": 0.95,  # same landing page
    "file": 0.95,  # same download URL
    "checksum": 0.97,  # same file checksum
}
STRONG_KINDS = frozenset(CONFIDENCE)

# Query parameters that change nothing about which file a URL designates.
IGNORED_QUERY = {"download", "dl", "use_labels", "use_labels_for_header", "fbclid", "gclid", "xtor", "ref",
                 "source"}
IGNORED_QUERY_PREFIXES = ("utm_", "mtm_", "pk_")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
# A URL that points to a service endpoint (one per portal or layer server), not to this dataset's file.
_SERVICE = re.compile(r"(?:^|&)(?:service=w[mfc]t?s|request=getcapabilities)(?:&|$)", re.IGNORECASE)
_SERVICE_PATH = re.compile(r"/(?:ows|wms|wfs|wmts|wcs|csw|arcgis/rest/services/?)$", re.IGNORECASE)
_UUIDISH = re.compile(r"^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{24,})$",
                      re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]{32,128}$")
_EMPTY_FILE_SUMS = {"d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
# Words naming a kind of body in a publisher's name, taken out with the place's own words when a title names it.
KIND_WORDS = {"ville", "commune", "mairie", "municipalite", "cite", "ca", "cc", "cu", "metropole", "agglomeration",
              "communaute", "departement", "departemental", "conseil", "region", "regional", "collectivite",
              "territoriale", "general", "eurometropole", "grand", "syndicat", "communes"}
_STOP = {"le", "la", "les", "l", "de", "du", "des", "d", "et", "en", "a", "au", "aux", "un", "une", "pour", "par",
         "sur", "dans", "avec", "ou", "est", "sont", "ce", "cette", "ces", "qui", "que", "the", "of", "and", "to"}
DESCRIPTION_MIN_WORDS = 5  # below this, descriptions must be equal once folded
DESCRIPTION_SIMILAR = 0.8  # share of the shorter description's words the other must hold


@dataclass(frozen=True, slots=True)
class Evidence:
    """One match key of a record: ``key`` is normalised (what is compared), ``value`` as the source wrote it (what
    people read)."""

    kind: str  # identifier | page | harvest | derived | file | checksum | title
    role: str  # self | origin | weak
    value: str
    key: str
    # A globally unique identifier (a UUID, an IRI): two records of one portal holding it may be the same dataset
    # twice. Other keys (a landing page, a file URL, a host-qualified short id, a title) held by two records of one
    # portal identify neither: the clustering ignores them then (a portal's home page as every record's landing page),
    # and a unique one held by three.
    unique: bool = False

    @property
    def digest(self) -> int:
        return key_digest(self.key)


def key_digest(key: str) -> int:
    """A signed 64-bit digest of a key: what the store indexes (8 bytes where the key may be a long URL)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


# -- normalisation -------------------------------------------------------------------------------------------------


def url_key(url: str | None) -> str | None:
    """A URL as compared: no scheme, lower-case host without ``www.`` nor default port, path without trailing slash
    (percent-encoding made uniform), query parameters sorted without the tracking ones, no fragment. None when it is
    not an http(s)/ftp URL with a path or query (a bare host names a portal, not a dataset)."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~").rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if k.lower() not in IGNORED_QUERY and not k.lower().startswith(IGNORED_QUERY_PREFIXES)))
    # a fragment that is a route ("catalog.search#/metadata/<uuid>", GeoNetwork's record pages) names the page
    route = f"#{parts.fragment}" if parts.fragment.startswith(("/", "!")) else ""
    if not path and not query and not route:
        return None
    return f"{host}{path}" + (f"?{query}" if query else "") + route


def is_service_url(url: str) -> bool:
    """A WMS/WFS/CSW endpoint or GetCapabilities: shared by every layer of a server, so no evidence of identity."""
    parts = urlsplit(url.strip())
    return bool(_SERVICE.search(parts.query) or _SERVICE_PATH.search(parts.path.rstrip("/")))


def identity_key(value: str | None, host: str | None = None) -> str | None:
    """The identity key of an identifier: a URL by :func:`url_key`, a globally unique id (UUID, 24+ hex digits) as
    itself, a short id only qualified by the host of the portal that gave it (``data.ville.fr/budget-2024``)."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if value.lower().startswith(("http://", "https://", "ftp://")):
        key = url_key(value)
        return f"i:{key}" if key else None
    if value.lower().startswith("urn:uuid:"):
        value = value[9:]
    if _UUIDISH.match(value):
        return f"i:{value.replace('-', '').lower()}"
    if host and len(value) >= 2:
        return f"i:{host_key(host)}/{value.lower()}"
    return None


def is_unique_identifier(value: str) -> bool:
    """An IRI or a UUID-like id: unique whatever the portal (a short id is unique only within its portal)."""
    value = value.strip().lower()
    return value.startswith(("http://", "https://", "ftp://", "urn:uuid:")) or bool(_UUIDISH.match(value))


def host_key(host: str) -> str:
    """A host as compared (udata's harvest ``domain`` and a source URL's host): lower case, no ``www.``."""
    host = host.strip().lower()
    if "://" in host:
        host = urlsplit(host).netloc
    return host.removeprefix("www.").rstrip("/")


def checksum_key(value: str | None) -> str | None:
    """``sha1:ABC...`` or ``ABC...`` -> ``c:abc...``: the hex digest alone (an algorithm is told by its length);
    None for what is not a digest, or is the digest of an empty file."""
    if not value or not isinstance(value, str):
        return None
    digest = value.strip().rsplit(":", 1)[-1].strip().lower()
    if not _HEX.match(digest) or digest in _EMPTY_FILE_SUMS:
        return None
    return f"c:{digest}"


def words(text: str | None) -> list[str]:
    """Folded words (accents, case and punctuation gone)."""
    return fold(text).split() if text else []


def place_words(publisher_name: str | None) -> list[str]:
    """The words of a publisher's name that name its place ("Ville de Saint-Étienne" -> saint, etienne)."""
    if not publisher_name:
        return []
    return [w for w in name_key(publisher_name).split() if w not in KIND_WORDS and w not in _STOP]


def title_key(title: str | None, publisher_name: str | None) -> str | None:
    """A title as compared: folded, and without the publisher's place when the title names it ("Arbres - Ville de
    Gap" and "Arbres" of the Ville de Gap are the same title; an aggregator often adds or drops the place)."""
    tokens = [w for w in name_key(title).split() if w not in _STOP] if title else []
    if publisher_name:
        for phrase in ([w for w in name_key(publisher_name).split() if w not in _STOP], place_words(publisher_name)):
            at = _find(tokens, phrase)
            if at is not None:
                start = at
                while start > 0 and tokens[start - 1] in KIND_WORDS:  # "Commune de X" where the name is "Ville de X"
                    start -= 1
                del tokens[start:at + len(phrase)]
                break
    return " ".join(tokens) or None


def _find(tokens: list[str], phrase: list[str]) -> int | None:
    """Where ``phrase`` occurs in ``tokens`` as a run of words, the last occurrence (a place ends a title)."""
    n = len(phrase)
    if not n:
        return None
    for at in range(len(tokens) - n, -1, -1):
        if tokens[at:at + n] == phrase:
            return at
    return None


def publisher_keys(publisher: dict[str, Any] | None) -> list[str]:
    """``s:<SIREN>`` when the record gives one, and ``n:<place>`` from the name: a copy that gives the publisher by
    name only still meets its original."""
    if not isinstance(publisher, dict):
        return []
    out = []
    if isinstance(siren := publisher.get("siren"), str) and siren:
        out.append(f"s:{siren}")
    place = place_words(publisher.get("name"))
    if place:
        out.append(f"n:{' '.join(place)}")
    return out


def description_similarity(a: str | None, b: str | None) -> float:
    """How much of the shorter description the other holds (0-1), on pairs of consecutive folded words: a copy's
    trimmed or extended description still scores high, while two descriptions that only share a sentence restating
    the title ("Budget primitif de la Ville de X.") score low. Short descriptions must be equal once folded."""
    wa, wb = _bigrams(a), _bigrams(b)
    if not wa or not wb:
        return 0.0
    if min(len(wa), len(wb)) < DESCRIPTION_MIN_WORDS:
        return 1.0 if words(a) == words(b) else 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def _bigrams(text: str | None) -> set[tuple[str, str]]:
    folded = words(text)
    return set(zip(folded, folded[1:], strict=False))


# -- a record's evidence -------------------------------------------------------------------------------------------


def evidence(data: dict[str, Any], source_host: str | None = None) -> list[Evidence]:
    """Every match key of a stored record (``source_host``: the host of the URL its source is harvested from, which
    qualifies native ids that are not globally unique, as udata's harvest ``domain`` does)."""
    out: dict[tuple[str, str], Evidence] = {}

    def add(kind: str, role: str, value: Any, key: str | None) -> None:
        if key and isinstance(value, str) and (key, role) not in out:
            unique = kind in ("identifier", "harvest", "derived") and is_unique_identifier(value)
            out[(key, role)] = Evidence(kind, role, value.strip(), key, unique)

    native = data.get("native_id")
    add("identifier", "self", native, identity_key(native, source_host))
    add("identifier", "self", data.get("uri"), identity_key(data.get("uri")))
    add("page", "self", data.get("landing_page"), identity_key(data.get("landing_page")))
    for value in _strings(data.get("identifiers")) + _strings(data.get("same_as")):
        add("identifier", "self", value, identity_key(value))
    for value in _strings(data.get("derived_from")):
        add("derived", "origin", value, identity_key(value))
    harvest = data.get("harvest")
    if isinstance(harvest, dict):
        domain = harvest.get("domain")
        add("harvest", "origin", harvest.get("remote_id"),
            identity_key(harvest.get("remote_id"), domain if isinstance(domain, str) and domain.strip() else None))
        add("harvest", "origin", harvest.get("remote_url"), identity_key(harvest.get("remote_url")))
    for dist in data.get("distributions") or []:
        if not isinstance(dist, dict):
            continue
        for name in ("download_url", "access_url"):
            url = dist.get(name)
            if isinstance(url, str) and (name == "download_url" or not dist.get("download_url")) \
                    and not dist.get("access_service") and not is_service_url(url):
                key = url_key(url)
                add("file", "self", url, f"f:{key}" if key else None)
        add("checksum", "self", dist.get("checksum"), checksum_key(dist.get("checksum")))
    publisher = data.get("publisher")
    title = title_key(data.get("title"), publisher.get("name") if isinstance(publisher, dict) else None)
    if title:
        for who in publisher_keys(publisher):
            add("title", "weak", data.get("title"), f"w:{title}|{who}")
    return list(out.values())


def _departements(data: dict[str, Any]) -> set[str]:
    return {d for place in data.get("spatial") or [] if isinstance(place, dict)
            for d in place.get("departements") or [] if isinstance(d, str)}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


# -- comparing two records -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason to link two records, in plain words for people (``text``) and as data."""

    kind: str
    value: str
    text: str
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "text": self.text, "confidence": self.confidence}


def strong_signals(mine: Iterable[Evidence], theirs: Iterable[Evidence], my_source: str,
                   their_source: str) -> tuple[list[Signal], str | None]:
    """The strong keys two records share, as signals, and which of the two the other says it came from ("a": the
    first, "b": the second, None: neither or both)."""
    theirs_by_key: dict[str, list[Evidence]] = {}
    for ev in theirs:
        theirs_by_key.setdefault(ev.key, []).append(ev)
    signals: dict[str, Signal] = {}
    origin_of: set[str] = set()
    for ev in mine:
        if ev.role == "weak":
            continue
        for other in theirs_by_key.get(ev.key, ()):
            if other.role == "weak":
                continue
            kind, text = _signal_text(ev, other, my_source, their_source)
            if ev.role == "origin" and other.role == "self":
                origin_of.add("b")
            elif ev.role == "self" and other.role == "origin":
                origin_of.add("a")
            if ev.key not in signals or signals[ev.key].confidence < CONFIDENCE[kind]:
                signals[ev.key] = Signal(kind, ev.value, text, CONFIDENCE[kind])
    origin = next(iter(origin_of)) if len(origin_of) == 1 else None
    return sorted(signals.values(), key=lambda s: (-s.confidence, s.kind, s.value)), origin


def _signal_text(mine: Evidence, theirs: Evidence, my_source: str, their_source: str) -> tuple[str, str]:
    if mine.role == "origin" and theirs.role == "self":
        return mine.kind, f"{my_source} says it was harvested from {mine.value} ({their_source})"
    if mine.role == "self" and theirs.role == "origin":
        return theirs.kind, f"{their_source} says it was harvested from {theirs.value} ({my_source})"
    if mine.role == "origin":
        return mine.kind, f"both say they were harvested from {mine.value}"
    words_for = {"identifier": "same identifier", "page": "same landing page", "file": "same download URL",
                 "checksum": "same file checksum"}
    return mine.kind, f"{words_for.get(mine.kind, 'same ' + mine.kind)} {mine.value}"


def combined(confidences: Iterable[float]) -> float:
    """Independent signals together: 1 - product of (1 - c)."""
    left = 1.0
    for c in confidences:
        left *= 1.0 - c
    return round(1.0 - left, 4)


def weak_match(a: dict[str, Any], b: dict[str, Any], a_evidence: list[Evidence],
               b_evidence: list[Evidence]) -> Signal | None:
    """The weakest signal, checked: same title and publisher (they share a weak key) with near-identical
    descriptions, and nothing strong that disagrees -- not two different SIRENs, not each record saying it was
    harvested from a different origin, not two territories without a département in common. None when it does not
    hold."""
    pa, pb = a.get("publisher") or {}, b.get("publisher") or {}
    sa, sb = pa.get("siren"), pb.get("siren")
    if sa and sb and sa != sb:
        return None
    origins_a = {e.key for e in a_evidence if e.role == "origin"}
    origins_b = {e.key for e in b_evidence if e.role == "origin"}
    selves_a = {e.key for e in a_evidence if e.role == "self"}
    selves_b = {e.key for e in b_evidence if e.role == "self"}
    if origins_a and origins_b and not (origins_a & origins_b) and not (origins_a & selves_b) \
            and not (origins_b & selves_a):
        return None
    places_a, places_b = _departements(a), _departements(b)
    if places_a and places_b and not places_a & places_b:
        return None  # homonyms: two "Saint-Denis" named without SIREN are told apart by where their data is
    similarity = description_similarity(a.get("description"), b.get("description"))
    if similarity < DESCRIPTION_SIMILAR:
        return None
    confidence = round(0.5 + 0.4 * similarity, 3)
    who = f"SIREN {sa or sb}" if (sa or sb) else (pa.get("name") or pb.get("name") or "")
    return Signal("title", a.get("title") or "", f"same title and publisher ({who}), descriptions "
                  f"{round(100 * similarity)} % alike", confidence)
