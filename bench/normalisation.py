"""Normalisation throughput per source type, and the plain way of doing the same work, in the same run.

Run: ``python -m bench.normalisation [--records 2000]``. Records come from :mod:`bench.corpus`, as the harvesters
yield them (DCAT: cut out of RDF/XML catalog pages by moisson's own DCAT harvester). Throughput is counted in
records per **CPU second** of this process (``time.process_time``): that is "records per second per core", and it
stays meaningful on a machine shared with other jobs, where wall-clock rates depend on the neighbours.

The plain ways, for the same input:

* DCAT: rdflib parses the whole catalog page into a Graph, then each dcat:Dataset is walked (``Graph.value`` /
  ``Graph.objects`` per property: title, description, keywords, themes, dates, publisher name, contact, licence and
  each distribution's URLs, format, media type, licence) — and again with one SPARQL query per dataset, the other
  common way. moisson's way is the harvester's page split (oxigraph parse, description of each dataset, canonical
  N-Triples) followed by the normaliser's own N-Triples reader and the mapping to the model. rdflib's RDF/XML
  parser alone costs ~2 ms a dataset (under 500 datasets a second before any mapping), which is why the
  harvester reads pages with oxigraph.
* ISO 19139: OWSLib's own parsing, ``owslib.iso.MD_Metadata`` on the lxml element of each record, against
  :func:`normalise.iso19139.normalise_iso19139` (parse + mapping to DCAT-AP, vocabularies, territories).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.corpus import SEED, Corpus, schema_org_dataset
from kernel.records import RawRecord

TYPES = ("ckan", "ods", "udata", "dcat-us", "schema-org", "csw", "dcat")
LABELS = {"ckan": "CKAN package (JSON)", "ods": "OpenDataSoft dataset (JSON)", "udata": "udata dataset (JSON)",
          "dcat-us": "DCAT-US data.json dataset", "schema-org": "schema.org Dataset (JSON-LD)",
          "csw": "ISO 19139 (XML)", "dcat": "DCAT RDF/XML"}
BUDGET = {"ckan": 2000, "ods": 2000, "udata": 2000, "dcat-us": 2000, "schema-org": 2000, "csw": 500, "dcat": 500}
WARMUP = 50


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def _timed(work: Callable[[], int]) -> tuple[int, float, float]:
    """(items, CPU seconds, wall seconds) of ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    count = work()
    return count, time.process_time() - cpu, time.perf_counter() - wall


def raw_records(corpus: Corpus, kind: str, count: int) -> list[RawRecord]:
    if kind == "schema-org":
        out = []
        for source in corpus.sources:
            for position in range(min(source.size, count - len(out))):
                data = schema_org_dataset(corpus.record(source, position))
                out.append(RawRecord(source_id=source.id, native_id=data["@id"], url=data["url"],
                                     profile="schema-org", content=orjson.dumps(data),
                                     media_type="application/ld+json"))
            if len(out) >= count:
                break
        return out
    return list(corpus.raw_records(kind, count))


def normalise_rate(raws: list[RawRecord]) -> dict[str, Any]:
    """moisson's normaliser on each raw record (after a warm-up that loads the vocabularies and territories)."""
    from normalise import normalise

    for raw in raws[:WARMUP]:
        normalise(raw)

    def work() -> int:
        for raw in raws:
            normalise(raw)
        return len(raws)

    count, cpu, wall = _timed(work)
    return {"records": count, "per_cpu_s": _rate(count, cpu), "per_wall_s": _rate(count, wall)}


# -- DCAT --------------------------------------------------------------------------------------------------------------


def dcat_pages(corpus: Corpus, count: int, page_size: int = 100) -> list[tuple[Any, str, bytes]]:
    """Catalog pages (source, url, RDF/XML) holding ``count`` datasets in all."""
    pages, done = [], 0
    sources = [s for s in corpus.sources if s.type == "dcat"]
    while done < count:
        for source in sources:
            size = min(source.size, page_size, count - done)
            url = f"https://{source.host}/catalog.rdf"
            pages.append((source, url, corpus.dcat_page(source, 1, size, url)))
            done += size
            if done >= count:
                break
    return pages


def dcat_ours(pages: list[tuple[Any, str, bytes]]) -> dict[str, Any]:
    from bench.corpus import split_dcat_page
    from normalise import normalise

    raws: list[RawRecord] = []

    def split() -> int:
        for source, url, body in pages:
            raws.extend(item for item in split_dcat_page(source, body, url) if isinstance(item, RawRecord))
        return len(raws)

    list(split_dcat_page(pages[0][0], pages[0][2], pages[0][1]))  # imports, parser set-up
    count, split_cpu, split_wall = _timed(split)
    for raw in raws[:WARMUP]:
        normalise(raw)

    def normalised() -> int:
        for raw in raws:
            normalise(raw)
        return len(raws)

    _, norm_cpu, norm_wall = _timed(normalised)
    return {"records": count, "split_per_cpu_s": _rate(count, split_cpu),
            "normalise_per_cpu_s": _rate(count, norm_cpu), "per_cpu_s": _rate(count, split_cpu + norm_cpu),
            "per_wall_s": _rate(count, split_wall + norm_wall)}


DCAT_NS = "http://www.w3.org/ns/dcat#"


def dcat_plain_walk(pages: list[tuple[Any, str, bytes]]) -> dict[str, Any]:
    """rdflib: parse the whole page, then Graph.value/objects per dataset and per distribution."""
    from rdflib import Graph, Namespace
    from rdflib.namespace import DCTERMS, FOAF, RDF

    dcat = Namespace(DCAT_NS)
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")

    def work() -> int:
        n = 0
        for _, url, body in pages:
            graph = Graph()
            graph.parse(data=body, format="xml", publicID=url)
            for ds in graph.subjects(RDF.type, dcat.Dataset):
                publisher = graph.value(ds, DCTERMS.publisher)
                contact = graph.value(ds, dcat.contactPoint)
                record = {
                    "title": graph.value(ds, DCTERMS.title), "description": graph.value(ds, DCTERMS.description),
                    "keywords": list(graph.objects(ds, dcat.keyword)), "themes": list(graph.objects(ds, dcat.theme)),
                    "issued": graph.value(ds, DCTERMS.issued), "modified": graph.value(ds, DCTERMS.modified),
                    "publisher": graph.value(publisher, FOAF.name) if publisher is not None else None,
                    "contact": (graph.value(contact, vcard.fn), graph.value(contact, vcard.hasEmail))
                    if contact is not None else None,
                    "frequency": graph.value(ds, DCTERMS.accrualPeriodicity),
                    "distributions": [
                        {"access": graph.value(d, dcat.accessURL), "download": graph.value(d, dcat.downloadURL),
                         "format": graph.value(d, DCTERMS.format), "media": graph.value(d, dcat.mediaType),
                         "licence": graph.value(d, DCTERMS.license)}
                        for d in graph.objects(ds, dcat.distribution)],
                }
                n += bool(record)
        return n

    count, cpu, wall = _timed(work)
    return {"records": count, "per_cpu_s": _rate(count, cpu), "per_wall_s": _rate(count, wall)}


SPARQL = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?title ?description ?issued ?modified ?publisher ?keyword ?theme ?access ?download ?format ?licence WHERE {
  ?ds dct:title ?title .
  OPTIONAL { ?ds dct:description ?description } OPTIONAL { ?ds dct:issued ?issued }
  OPTIONAL { ?ds dct:modified ?modified } OPTIONAL { ?ds dct:publisher/foaf:name ?publisher }
  OPTIONAL { ?ds dcat:keyword ?keyword } OPTIONAL { ?ds dcat:theme ?theme }
  OPTIONAL { ?ds dcat:distribution ?d . ?d dcat:accessURL ?access .
             OPTIONAL { ?d dcat:downloadURL ?download } OPTIONAL { ?d dct:format ?format }
             OPTIONAL { ?d dct:license ?licence } }
}"""


def dcat_plain_sparql(pages: list[tuple[Any, str, bytes]]) -> dict[str, Any]:
    """rdflib: parse the whole page, then one SPARQL query per dataset (bound with initBindings)."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF
    from rdflib.plugins.sparql import prepareQuery

    query = prepareQuery(SPARQL)
    dataset = URIRef(DCAT_NS + "Dataset")

    def work() -> int:
        n = 0
        for _, url, body in pages:
            graph = Graph()
            graph.parse(data=body, format="xml", publicID=url)
            for ds in list(graph.subjects(RDF.type, dataset)):
                rows = list(graph.query(query, initBindings={"ds": ds}))
                n += bool(rows) or 1
        return n

    count, cpu, wall = _timed(work)
    return {"records": count, "per_cpu_s": _rate(count, cpu), "per_wall_s": _rate(count, wall)}


# -- ISO 19139 ---------------------------------------------------------------------------------------------------------


def iso_plain(raws: list[RawRecord]) -> dict[str, Any]:
    """OWSLib's own ISO parsing: MD_Metadata on each record's lxml element (as owslib.csw does for GetRecords)."""
    from lxml import etree
    from owslib.iso import MD_Metadata

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for raw in raws[:WARMUP]:
        MD_Metadata(etree.fromstring(raw.content, parser))

    def work() -> int:
        for raw in raws:
            MD_Metadata(etree.fromstring(raw.content, parser))
        return len(raws)

    count, cpu, wall = _timed(work)
    return {"records": count, "per_cpu_s": _rate(count, cpu), "per_wall_s": _rate(count, wall)}


def warm_up(corpus: Corpus) -> None:
    """Load what every normaliser loads once per process (vocabularies, territory tables and indexes) before any
    timing: a harvest pays it once, not per record."""
    from normalise import normalise, territory

    territory.for_name("Lyon")
    territory.for_bbox((4.7, 45.7, 4.9, 45.8))
    for kind in TYPES:
        for raw in (raw_records(corpus, kind, 20) if kind != "dcat" else []):
            normalise(raw)


def measure(records: int = 2000, seed: int = SEED, sparql_share: float = 0.25) -> dict[str, Any]:
    """Every type's figures; ``records`` per type (SPARQL, being slow, on a share of the DCAT pages)."""
    corpus = Corpus(max(records * 30, 50_000), seed=seed)
    out: dict[str, Any] = {"records_per_type": records, "types": {}}
    warm_up(corpus)
    for kind in TYPES:
        print(f"normalisation: {kind}...", file=sys.stderr, flush=True)
        if kind == "dcat":
            pages = dcat_pages(corpus, records)
            ours = dcat_ours(pages)
            walk = dcat_plain_walk(pages)
            sparql_pages = pages[: max(1, int(len(pages) * sparql_share))]
            sparql = dcat_plain_sparql(sparql_pages)
            out["types"][kind] = {
                "label": LABELS[kind], "budget_per_cpu_s": BUDGET[kind], **ours,
                "plain": {"rdflib parse + Graph walk": walk, "rdflib parse + SPARQL per dataset": sparql},
                "ratio": {"rdflib parse + Graph walk": round(ours["per_cpu_s"] / walk["per_cpu_s"], 2),
                          "rdflib parse + SPARQL per dataset": round(ours["per_cpu_s"] / sparql["per_cpu_s"], 2)},
            }
            continue
        raws = raw_records(corpus, kind, records)
        result = {"label": LABELS[kind], "budget_per_cpu_s": BUDGET[kind], **normalise_rate(raws),
                  "bytes_per_record": round(sum(len(r.content) for r in raws) / len(raws))}
        if kind == "csw":
            plain = iso_plain(raws)
            result["plain"] = {"OWSLib MD_Metadata": plain}
            result["ratio"] = {"OWSLib MD_Metadata": round(result["per_cpu_s"] / plain["per_cpu_s"], 2)}
        out["types"][kind] = result
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.normalisation", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records per source type")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.records), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
