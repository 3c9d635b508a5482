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
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from normalise.territory import name_key

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
_SERVICE_ENDS = ("/ows", "/wms", "/wfs", "/wmts", "/wcs", "/csw", "/services")
_UUIDISH = re.compile(r"^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{24,})$",
                      re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]{32,128}$")
_WORD = re.compile(r"[a-z0-9]+")
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
MAX_FILE_KEYS = 3  # file URLs kept as keys per record (the first in key order)


class Evidence(NamedTuple):
    """One match key of a record: ``key`` is normalised (what is compared), ``value`` as the source wrote it (what
    people read). A named tuple, not a frozen dataclass: some six are made for every record stored, and a frozen
    dataclass costs several times more to build."""

    kind: str  # identifier | page | harvest | derived | file | checksum | title
    role: str  # self | origin | weak
    value: str
    key: str
    # A globally unique identifier (a UUID, an IRI): two records of one portal holding it may be the same dataset
    # twice. Other keys (a landing page, a file URL, a host-qualified short id, a title) held by two records of one
    # portal identify neither: the clustering ignores them then (a portal's home page as every record's landing page),
    # and a unique one held by three.
    unique: bool = False
    digest: int = 0  # key_digest(key), what the store indexes


_blake2b = hashlib.blake2b


def key_digest(key: str) -> int:
    """A signed 64-bit digest of a key: what the store indexes (8 bytes where the key may be a long URL)."""
    return int.from_bytes(_blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


# -- normalisation -------------------------------------------------------------------------------------------------


def url_key(url: str | None) -> str | None:
    """A URL as compared: no scheme, lower-case host without ``www.`` nor default port, path without trailing slash
    (percent-encoding made uniform), query parameters sorted without the tracking ones, no fragment unless it is a
    route. None when it is not an http(s)/ftp URL with a path, query or route (a bare host names a portal, not a
    dataset). Written by hand rather than with urllib.parse: it runs on every URL of every record after a harvest,
    and urlsplit alone took half its time."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in DEFAULT_PORTS:
        return None
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    host = netloc.rpartition("@")[2].lower()
    if host.startswith("["):
        return None  # an IPv6 literal: not a portal's address
    host, colon, port = host.partition(":")
    if not host or (colon and not port.isdigit()):
        return None
    host = host.removeprefix("www.")
    if colon and int(port) != DEFAULT_PORTS[scheme]:
        host = f"{host}:{int(port)}"
    path = slash + path
    if "%" in path or not path.isascii() or " " in path:
        path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~")
    path = path.rstrip("/")
    if query:
        pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                 if k.lower() not in IGNORED_QUERY and not k.lower().startswith(IGNORED_QUERY_PREFIXES)]
        query = urlencode(sorted(pairs))
    # a fragment that is a route ("catalog.search#/metadata/<uuid>", GeoNetwork's record pages) names the page
    route = f"#{fragment}" if fragment.startswith(("/", "!")) else ""
    if not path and not query and not route:
        return None
    return f"{host}{path}" + (f"?{query}" if query else "") + route


def is_service_url(url: str) -> bool:
    """A WMS/WFS/CSW endpoint or GetCapabilities: shared by every layer of a server, so no evidence of identity."""
    head, _, query = url.strip().partition("#")[0].partition("?")
    lowered = query.lower()  # the regular expressions only where they may match: this runs on every file URL
    if ("service=" in lowered or "request=" in lowered) and _SERVICE.search(query):
        return True
    return head.rstrip("/").lower().endswith(_SERVICE_ENDS) and bool(_SERVICE_PATH.search(head.rstrip("/")))


def identity_key(value: str | None, host: str | None = None) -> str | None:
    """The identity key of an identifier: a URL by :func:`url_key`, a globally unique id (UUID, 24+ hex digits) as
    itself, a short id only qualified by the host of the portal that gave it (``data.ville.fr/budget-2024``)."""
    if not value or not isinstance(value, str):
        return None
    return _identity(value.strip(), host)[0]


def _identity(value: str, host: str | None) -> tuple[str | None, bool]:
    """:func:`identity_key` of a stripped value, and whether the value is unique whatever the portal -- an IRI or a
    UUID-like id (a short id is unique only within its portal): the same prefixes decide both."""
    head = value[:9].lower()
    if head.startswith(("http://", "https://", "ftp://")):
        key = url_key(value)
        return (f"i:{key}" if key else None), True
    unique = head == "urn:uuid:"
    if unique:
        value = value[9:]
    if len(value) >= 24 and _UUIDISH.match(value):
        return f"i:{value.replace('-', '').lower()}", True
    if host and len(value) >= 2:
        return f"i:{host_key(host)}/{value.lower()}", unique
    return None, unique


@lru_cache(maxsize=1024)
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
    """Folded words (accents, case and punctuation gone), at C speed: descriptions are long and compared often."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii"))


_KINDS = (("epci", {"ca", "cc", "cu", "communaute", "agglomeration", "metropole", "eurometropole"}),
          ("commune", {"ville", "commune", "mairie", "municipalite", "cite"}),
          ("departement", {"departement", "departemental"}), ("region", {"region", "regional"}))


@lru_cache(maxsize=4096)
def body_kind(publisher_name: str | None) -> str | None:
    """The kind of body a publisher's name announces (commune, epci, departement, region), None when it says none."""
    if not publisher_name:
        return None
    named = set(name_key(publisher_name).split())
    return next((kind for kind, marks in _KINDS if named & marks), None)


@lru_cache(maxsize=4096)
def place_words(publisher_name: str | None) -> list[str]:
    """The words of a publisher's name that name its place ("Ville de Saint-Étienne" -> saint, etienne)."""
    if not publisher_name:
        return []
    return [w for w in name_key(publisher_name).split() if w not in KIND_WORDS and w not in _STOP]


def title_key(title: str | None, publisher_name: str | None) -> str | None:
    """A title as compared: folded, and without the publisher's place when the title names it ("Arbres - Ville de
    Gap" and "Arbres" of the Ville de Gap are the same title; an aggregator often adds or drops the place)."""
    tokens = _title_words(title) if title else []
    if publisher_name:
        for phrase in _phrases(publisher_name):
            at = _find(tokens, phrase)
            if at is not None:
                start = at
                while start > 0 and tokens[start - 1] in KIND_WORDS:  # "Commune de X" where the name is "Ville de X"
                    start -= 1
                del tokens[start:at + len(phrase)]
                break
    return " ".join(tokens) or None


_SAINTS = {"st": "saint", "ste": "sainte"}


def _title_words(text: str) -> list[str]:
    """Folded words without stop words, "St" read as "Saint" (titles and names compared word for word)."""
    return [_SAINTS.get(w, w) for w in words(text) if w not in _STOP]


@lru_cache(maxsize=4096)
def _phrases(publisher_name: str) -> tuple[list[str], list[str]]:
    """The publisher's name, then its place alone, as words a title may hold."""
    name = _title_words(publisher_name)
    return name, [w for w in name if w not in KIND_WORDS]


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
    """``s:<SIREN>`` when the record gives one, and ``n:<place>`` from the name (the weak key uses the name when
    there is one: a copy that gives the publisher by name only still meets its original; homonyms are told apart by
    their SIREN or territory in :func:`weak_match`)."""
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
        return 1.0 if wa == wb else 0.0
    return len(wa & wb) / min(len(wa), len(wb))


@lru_cache(maxsize=2048)
def _bigrams(text: str | None) -> frozenset[tuple[str, str]]:
    """Pairs of consecutive folded words (cached: a record is compared with each of its look-alikes)."""
    folded = words(text)
    if len(folded) == 1:
        return frozenset([(folded[0], "")])
    return frozenset(zip(folded, folded[1:], strict=False))


# -- a record's evidence -------------------------------------------------------------------------------------------


def evidence(data: dict[str, Any], source_host: str | None = None) -> list[Evidence]:
    """Every match key of a stored record (``source_host``: the host of the URL its source is harvested from, which
    qualifies native ids that are not globally unique, as udata's harvest ``domain`` does). Runs on every changed
    record after each harvest: written for speed (no helper per key, URLs normalised once)."""
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    get = data.get
    identities: list[tuple[str, str, Any, str | None]] = [
        ("identifier", "self", get("native_id"), source_host), ("identifier", "self", get("uri"), None),
        ("page", "self", get("landing_page"), None)]
    for field, kind, role in _LISTED:
        if isinstance(values := get(field), list) and values:
            identities += [(kind, role, v, None) for v in values]
    harvest = get("harvest")
    if isinstance(harvest, dict):
        domain = harvest.get("domain")
        identities.append(("harvest", "origin", harvest.get("remote_id"),
                           domain if isinstance(domain, str) and domain.strip() else None))
        identities.append(("harvest", "origin", harvest.get("remote_url"), None))
    keys_of: dict[tuple[str, str | None], tuple[str | None, bool]] = {}  # the same IRI often comes as uri and id
    for kind, role, value, host in identities:
        if not isinstance(value, str):
            continue
        value = value.strip()
        if (known := keys_of.get((value, host))) is None:
            known = keys_of[(value, host)] = _identity(value, host)
        key, unique = known
        if not key or (key, role) in seen:
            continue
        seen.add((key, role))
        out.append(Evidence(kind, role, value, key, unique and kind != "page", key_digest(key)))
    files: dict[str, str] = {}
    for dist in data.get("distributions") or ():
        if not isinstance(dist, dict):
            continue
        url = dist.get("download_url") or dist.get("access_url")
        if isinstance(url, str) and not dist.get("access_service") and not is_service_url(url) \
                and (key := url_key(url)):
            files.setdefault(f"f:{key}", url)
        if (checksum := dist.get("checksum")) and (key := checksum_key(checksum)) and (key, "self") not in seen:
            seen.add((key, "self"))
            out.append(Evidence("checksum", "self", checksum.strip(), key, False, key_digest(key)))
    for key in sorted(files)[:MAX_FILE_KEYS]:  # a copy points at the same files: the first few in order suffice
        out.append(Evidence("file", "self", files[key].strip(), key, False, key_digest(key)))
    publisher = data.get("publisher")
    title = data.get("title")
    name = publisher.get("name") if isinstance(publisher, dict) else None
    if isinstance(title, str) and (who := publisher_keys(publisher)) and (words_key := title_key(title, name)):
        key = f"w:{words_key}|{who[-1]}"
        out.append(Evidence("title", "weak", title.strip(), key, False, key_digest(key)))
    return out


def _departements(data: dict[str, Any]) -> set[str]:
    return {d for place in data.get("spatial") or [] if isinstance(place, dict)
            for d in place.get("departements") or [] if isinstance(d, str)}


# The list fields of a record that name identities: field, kind of evidence, role.
_LISTED = (("identifiers", "identifier", "self"), ("same_as", "identifier", "self"),
           ("derived_from", "derived", "origin"))


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


def strong_signals(mine: Iterable[Evidence], theirs: dict[int, set[str]], my_source: str,
                   their_source: str) -> tuple[list[Signal], str | None]:
    """The strong keys a record shares with another, as signals, and which of the two the other says it came from
    ("a": this one, "b": the other, None: neither or both). ``theirs``: the other record's key digests and roles, as
    the store keeps them (its values are not needed: a shared key has the same normalised value)."""
    signals: dict[str, Signal] = {}
    origin_of: set[str] = set()
    for ev in mine:
        roles = theirs.get(ev.digest)
        if ev.role == "weak" or not roles:
            continue
        for role in sorted(roles - {"weak"}):
            if ev.role == "origin" and role == "self":
                origin_of.add("b")
                kind, text = ev.kind, f"{my_source} says it was harvested from {ev.value} ({their_source})"
            elif ev.role == "self" and role == "origin":
                origin_of.add("a")
                kind, text = "harvest", f"{their_source} says it was harvested from {ev.value} ({my_source})"
            elif ev.role == "origin":
                kind, text = ev.kind, f"both say they were harvested from {ev.value}"
            else:
                kind, text = ev.kind, f"{_SAME.get(ev.kind, 'same ' + ev.kind)} {ev.value}"
            # one signal per key; where a record both names a value as its own and as its origin (a CKAN guid), what
            # says who harvested whom explains more
            said = "harvested" in text
            kept = signals.get(ev.key)
            if kept is None or (CONFIDENCE[kind], said) > (kept.confidence, "harvested" in kept.text):
                signals[ev.key] = Signal(kind, ev.value, text, CONFIDENCE[kind])
    origin = next(iter(origin_of)) if len(origin_of) == 1 else None
    return sorted(signals.values(), key=lambda s: (-s.confidence, s.kind, s.value)), origin


_SAME = {"identifier": "same identifier", "page": "same landing page", "file": "same download URL",
         "checksum": "same file checksum"}


def combined(confidences: Iterable[float]) -> float:
    """Independent signals together: 1 - product of (1 - c)."""
    left = 1.0
    for c in confidences:
        left *= 1.0 - c
    return round(1.0 - left, 4)


def weak_match(a: dict[str, Any], b: dict[str, Any], a_keys: Iterable[tuple[int, str]],
               b_keys: Iterable[tuple[int, str]]) -> Signal | None:
    """The weakest signal, checked: same title and publisher (they share a weak key) with near-identical
    descriptions, and nothing strong that disagrees -- not two different SIRENs, not each record saying it was
    harvested from a different origin, not two territories without a département in common, not two kinds of body
    (a commune and the agglomération of the same name). None when it does not hold."""
    pa, pb = a.get("publisher") or {}, b.get("publisher") or {}
    sa, sb = pa.get("siren"), pb.get("siren")
    if sa and sb and sa != sb:
        return None
    a_keys, b_keys = list(a_keys), list(b_keys)
    origins_a = {digest for digest, role in a_keys if role == "origin"}
    origins_b = {digest for digest, role in b_keys if role == "origin"}
    selves_a = {digest for digest, role in a_keys if role == "self"}
    selves_b = {digest for digest, role in b_keys if role == "self"}
    if origins_a and origins_b and not (origins_a & origins_b) and not (origins_a & selves_b) \
            and not (origins_b & selves_a):
        return None
    kind_a, kind_b = body_kind(pa.get("name")), body_kind(pb.get("name"))
    if kind_a and kind_b and kind_a != kind_b:
        return None  # the Ville de Longwy and the CA Grand Longwy Agglomération share a place, not their datasets
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
