"""Build moisson's lookup tables from the official vocabulary files: ``python -m normalise.vocab_build``.

Why a generator: the tables :mod:`normalise.vocab` reads must say what the EU Publications Office, the INSPIRE
registry, data.europa.eu's MQA and IANA say, not what someone remembered. The official files live in
``config/vocabularies/official/`` (their provenance and versions in its SOURCES.md); this module reads them and writes
``config/vocabularies/generated/*.json``, each with the version of the table it comes from. moisson's own additions
(the wordings portals write: "csv lonlat", "mensuelle", "accès libre") stay in the hand-kept YAML files beside them
and only ever point at codes these tables hold (``tests/normalise/test_vocab_build.py`` checks both).

Run it after replacing an official file; the test suite fails while the committed tables differ from what it writes.
Parsing uses pyoxigraph (the language table alone is 4 MB of Turtle).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from lxml import etree

VOCAB_DIR = Path(__file__).resolve().parent.parent / "config" / "vocabularies"
OFFICIAL = VOCAB_DIR / "official"
GENERATED = VOCAB_DIR / "generated"

AT = "http://publications.europa.eu/ontology/authority/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DC = "http://purl.org/dc/elements/1.1/"
OWL = "http://www.w3.org/2002/07/owl#"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
EDP = "https://europeandataportal.eu/voc#"
LABEL_LANGUAGES = ("en", "fr")
# The INSPIRE registry's theme.en.rdf carries no version; the date of the copy we hold (see official/SOURCES.md).
INSPIRE_EXPORT_DATE = "2025-05-21"


# -- reading -------------------------------------------------------------------------------------------------------


def _read(name: str) -> bytes:
    path = OFFICIAL / name
    data = path.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _triples(name: str) -> list[ox.Triple]:
    fmt = ox.RdfFormat.TURTLE if ".ttl" in name else ox.RdfFormat.RDF_XML
    return list(ox.parse(_read(name), format=fmt, base_iri="http://moisson.invalid/"))


class _Index:
    """Triples of one file by subject: {subject IRI or blank node id: {predicate: [objects]}}."""

    def __init__(self, name: str) -> None:
        self.by_subject: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in _triples(name):
            self.by_subject[t.subject.value][t.predicate.value].append(t.object)

    def values(self, subject: str, predicate: str) -> list[str]:
        return [o.value for o in self.by_subject.get(subject, {}).get(predicate, [])]

    def first(self, subject: str, predicate: str) -> str | None:
        found = self.values(subject, predicate)
        return found[0] if found else None

    def labels(self, subject: str, predicate: str = SKOS + "prefLabel",
               languages: tuple[str, ...] = LABEL_LANGUAGES) -> dict[str, str]:
        out: dict[str, str] = {}
        for obj in self.by_subject.get(subject, {}).get(predicate, []):
            if isinstance(obj, ox.Literal) and obj.language in languages:
                out.setdefault(obj.language, obj.value)
        return dict(sorted(out.items()))

    def mapped_codes(self, subject: str) -> dict[str, list[str]]:
        """The EU tables' at:op-mapped-code blocks: {source ("file-extension", "iso-639-1"...): [codes]}."""
        out: dict[str, list[str]] = defaultdict(list)
        for node in self.by_subject.get(subject, {}).get(AT + "op-mapped-code", []):
            source = self.first(node.value, DC + "source")
            code = self.first(node.value, AT + "legacy-code")
            if source and code is not None:
                out[source].append(code)
        return {k: sorted(set(v)) for k, v in sorted(out.items())}


def _scheme_concepts(index: _Index, scheme: str) -> list[str]:
    concepts = [s for s, props in index.by_subject.items()
                if scheme in [o.value for o in props.get(SKOS + "inScheme", [])]]
    return sorted(c for c in concepts if not c.endswith("/OP_DATPRO"))


def _version(index: _Index, scheme: str) -> str:
    return index.first(scheme, OWL + "versionInfo") or index.first(scheme, AT + "table.version.number") or ""


def _uri_list(name: str, scheme: str) -> tuple[str, list[str]]:
    """(version, codes) of a table published only as its list of URIs (the newest releases found)."""
    index = _Index(name)
    codes = [c.rsplit("/", 1)[1] for c in _scheme_concepts(index, scheme)]
    return _version(index, scheme), codes


def _eu_table(name: str, table: str, *, mapped: bool = False) -> dict[str, Any]:
    """An EU authority table: {version, concepts: {CODE: {labels, deprecated[, exact_match, mapped]}}}."""
    scheme = AUTHORITY + table
    index = _Index(name)
    concepts: dict[str, Any] = {}
    for concept in _scheme_concepts(index, scheme):
        code = index.first(concept, AT + "authority-code") or concept.rsplit("/", 1)[1]
        entry: dict[str, Any] = {"labels": index.labels(concept),
                                 "deprecated": index.first(concept, AT + "deprecated") == "true"}
        alt = index.labels(concept, SKOS + "altLabel")
        if alt:
            entry["alt_labels"] = alt
        matches = sorted(index.values(concept, SKOS + "exactMatch"))
        if matches:
            entry["exact_match"] = matches
        if mapped:
            entry["mapped"] = index.mapped_codes(concept)
        concepts[code] = entry
    return {"version": _version(index, scheme), "scheme": scheme, "concepts": concepts}


# -- the tables ----------------------------------------------------------------------------------------------------


def iana_media_types() -> dict[str, Any]:
    """Every media type the IANA registry holds (its "template" type/subtype), to tell registered types apart."""
    root = etree.fromstring(_read("iana-media-types.xml.gz"),
                            etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ns = {"i": "http://www.iana.org/assignments"}
    types: set[str] = set()
    for registry in root.findall("i:registry", ns):
        top = registry.get("id")
        for record in registry.findall("i:record", ns):
            template = (record.findtext("i:file[@type='template']", namespaces=ns) or "").strip().lower()
            name = (record.findtext("i:name", namespaces=ns) or "").strip().lower()
            if template:
                types.add(template)
            elif top and name:
                types.add(f"{top}/{name}")
    return {"version": (root.findtext("i:updated", namespaces=ns) or "").strip(),
            "source": "official/iana-media-types.xml.gz", "media_types": sorted(types)}


def file_types(registered: set[str]) -> dict[str, Any]:
    """EU file types with extensions, their media type when IANA registers it, the EU non-proprietary flag and
    MQA's own machine-readable and non-proprietary lists (what data.europa.eu scores)."""
    table = _eu_table("file-type-skos.rdf", "file-type", mapped=True)
    newest_version, newest = _uri_list("file-type-uris-20260318.rdf", AUTHORITY + "file-type")
    mqa_mr = {s.rsplit("/", 1)[1] for s, p in _mqa("mqa-machine-readable-format.rdf", "isMachineReadable")}
    mqa_np = {s.rsplit("/", 1)[1] for s, p in _mqa("mqa-non-proprietary-format.rdf", "isNonProprietary")}
    formats: dict[str, Any] = {}
    for code, concept in table["concepts"].items():
        mapped = concept.pop("mapped")
        media = [m.split(";", 1)[0].strip().lower() for m in mapped.get("mime-type-cellar", [])]
        formats[code] = {
            **concept,
            "extensions": sorted({e.lstrip(".").lower() for value in mapped.get("file-extension", [])
                                  for e in value.replace(",", " ").split()}),
            "media_type": next((m for m in media if m in registered), None),
            "eu_non_proprietary": mapped.get("is-nonPropExt") == ["true"],
            "mqa_machine_readable": code in mqa_mr,
            "mqa_non_proprietary": code in mqa_np,
        }
    for code in newest:
        formats.setdefault(code, {"labels": {}, "deprecated": False, "extensions": [], "media_type": None,
                                  "eu_non_proprietary": False, "mqa_machine_readable": code in mqa_mr,
                                  "mqa_non_proprietary": code in mqa_np, "only_in_newest": True})
    return {"version": table["version"], "newest_uri_list_version": newest_version,
            "mqa_lists": "edp-vocabularies (data.europa.eu MQA), 2020-09-28 copy",
            "source": "official/file-type-skos.rdf, official/file-type-uris-20260318.rdf, official/mqa-*.rdf",
            "scheme": table["scheme"], "formats": dict(sorted(formats.items()))}


def _mqa(name: str, flag: str) -> list[tuple[str, str]]:
    return [(t.subject.value, t.object.value) for t in _triples(name)
            if t.predicate.value == EDP + flag and t.object.value == "true"]


def frequencies() -> dict[str, Any]:
    table = _eu_table("frequency-skos.rdf", "frequency")
    newest_version, newest = _uri_list("frequency-uris-20260617.rdf", AUTHORITY + "frequency")
    for code in newest:
        table["concepts"].setdefault(code, {"labels": {}, "deprecated": False, "only_in_newest": True})
    table["concepts"] = dict(sorted(table["concepts"].items()))
    return {**table, "newest_uri_list_version": newest_version,
            "source": "official/frequency-skos.rdf, official/frequency-uris-20260617.rdf"}


def data_themes() -> dict[str, Any]:
    return {**_eu_table("data-theme-skos.rdf", "data-theme"), "source": "official/data-theme-skos.rdf"}


def access_rights() -> dict[str, Any]:
    return {**_eu_table("access-right-skos.rdf", "access-right"), "source": "official/access-right-skos.rdf"}


def distribution_statuses() -> dict[str, Any]:
    return {**_eu_table("distribution-status-skos.rdf", "distribution-status"),
            "source": "official/distribution-status-skos.rdf"}


def licences() -> dict[str, Any]:
    """The EU licence table and data.gouv.fr's licence list (ids, titles, alternate titles and URLs)."""
    table = _eu_table("licence-skos.rdf.gz", "licence")
    datagouv = json.loads(_read("datagouv-licenses.json"))
    portal = {item["id"]: {"title": item["title"], "url": item.get("url"),
                           "alternate_titles": item.get("alternate_titles") or [],
                           "alternate_urls": item.get("alternate_urls") or [], "flags": item.get("flags") or []}
              for item in datagouv}
    return {**table, "source": "official/licence-skos.rdf.gz, official/datagouv-licenses.json",
            "datagouv": dict(sorted(portal.items()))}


def languages() -> dict[str, Any]:
    """EU languages that have an ISO 639-1 or 639-2 code, with those codes and their labels in English, French and
    the language itself (the EU table labels every concept in the 24 EU languages)."""
    scheme = AUTHORITY + "language"
    index = _Index("language-skos.ttl.gz")
    out: dict[str, Any] = {}
    for concept in _scheme_concepts(index, scheme):
        mapped = index.mapped_codes(concept)
        iso1 = mapped.get("iso-639-1", [])
        iso2b, iso2t = mapped.get("iso-639-2b", []), mapped.get("iso-639-2t", [])
        if not (iso1 or iso2b or iso2t):
            continue
        wanted = tuple(sorted(set(LABEL_LANGUAGES) | set(iso1)))
        code = index.first(concept, AT + "authority-code") or concept.rsplit("/", 1)[1]
        out[code] = {"iso639_1": iso1, "iso639_2b": iso2b, "iso639_2t": iso2t,
                     "labels": index.labels(concept, languages=wanted),
                     "deprecated": index.first(concept, AT + "deprecated") == "true"}
    return {"version": _version(index, scheme), "scheme": scheme, "source": "official/language-skos.ttl.gz",
            "concepts": out}


def inspire_themes() -> dict[str, Any]:
    """INSPIRE themes (registry labels) and the SEMIC alignments: INSPIRE theme -> EU data themes (broadMatch) and
    ISO 19115 topic category -> INSPIRE themes (as the INSPIRE Metadata Regulation relates them)."""
    index = _Index("inspire-theme.en.rdf")
    base = "http://inspire.ec.europa.eu/theme"
    themes: dict[str, Any] = {}
    for concept in _scheme_concepts(index, base):
        themes[concept.rsplit("/", 1)[1]] = {"labels": index.labels(concept)}
    created = (index.first(base, "http://purl.org/dc/terms/created") or "")[:10]
    version = f"registry created {created}, export of {INSPIRE_EXPORT_DATE}"
    to_eu: dict[str, list[str]] = defaultdict(list)
    for t in _triples("inspire-themes-to-mdr-data-themes.rdf"):
        if t.predicate.value.startswith(SKOS) and t.predicate.value.endswith("Match"):
            to_eu[t.subject.value.rsplit("/", 1)[1]].append(t.object.value.rsplit("/", 1)[1])
    topics: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in _triples("iso-topic-categories-to-inspire-themes.rdf"):
        if t.predicate.value.startswith(SKOS) and t.predicate.value.endswith("Match"):
            kind = t.predicate.value[len(SKOS):-len("Match")]
            topics[t.subject.value.rsplit("/", 1)[1]][kind].append(t.object.value.rsplit("/", 1)[1])
    for ident, codes in to_eu.items():
        if ident in themes:
            themes[ident]["data_themes"] = sorted(set(codes))
    return {"version": version, "source": "official/inspire-theme.en.rdf, official/inspire-themes-to-mdr-data-"
            "themes.rdf, official/iso-topic-categories-to-inspire-themes.rdf", "themes": dict(sorted(themes.items())),
            "iso_topics": {k: {kind: sorted(v) for kind, v in sorted(kinds.items())}
                           for k, kinds in sorted(topics.items())}}


def build() -> dict[str, dict[str, Any]]:
    """Every generated table, by file name."""
    media = iana_media_types()
    return {
        "media_types.json": media,
        "file_types.json": file_types(set(media["media_types"])),
        "frequencies.json": frequencies(),
        "data_themes.json": data_themes(),
        "access_rights.json": access_rights(),
        "distribution_statuses.json": distribution_statuses(),
        "licences.json": licences(),
        "languages.json": languages(),
        "inspire_themes.json": inspire_themes(),
    }


def dumps(table: dict[str, Any]) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GENERATED, help="where to write the tables")
    parser.add_argument("--check", action="store_true", help="only say whether the committed tables are current")
    args = parser.parse_args(argv)
    stale = []
    args.out.mkdir(parents=True, exist_ok=True)
    for name, table in build().items():
        text = dumps(table)
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.write_text(text, encoding="utf-8")
        print(f"{path}: version {table.get('version') or '-'}", file=sys.stderr)
    if stale:
        print("stale: " + ", ".join(stale) + " (run python -m normalise.vocab_build)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
