"""One description, two writers: the N-Triples written straight from the builder's plain terms (the catalog walk's
fast path, issue 18) say exactly what the rdflib terms of the same description say.

Compared triple for triple (blank nodes included) on the records of every recorded fixture (CKAN over HTTP
from the emulator, each DCAT file through the harvester's page reader, each ISO 19139 record), on a sample of the
bench corpus of every source type, and on a record written to need every escape (quotes, backslashes, line breaks,
characters N-Triples IRIs forbid). Each comparison counts what it saw, so that it cannot pass on empty graphs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
import rdflib
from rdflib import BNode, Graph, Literal, URIRef

from bench import shacl as bench_shacl
from normalise import normalise, rdf
from normalise.model import Agent, Attribution, Conformity, DataService, Dataset, Distribution, Spatial
from tests.normalise.test_rdf import velo
from tests.scoring import test_compiled_shapes as recorded

Entry = Dataset | DataService
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
# the builder keeps these as the source wrote them (never normalised by rdflib, before or now)
AS_WRITTEN = {"http://www.w3.org/2001/XMLSchema#" + name for name in ("date", "dateTime", "gYear", "gYearMonth",
                                                                       "decimal")}


def comparable(term: object) -> object:
    """A term as both sides can be compared on: blank nodes by their label (skolemised, as the parser below reads
    them), and "x"^^xsd:string as "x" (RDF 1.1: one term; N-Triples writes the short form, rdflib keeps the type)."""
    if isinstance(term, BNode):
        return term.skolemize()
    if isinstance(term, Literal) and term.datatype == XSD_STRING:
        return Literal(str(term))
    return term


@pytest.fixture(autouse=True)
def literals_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """rdflib's parser would rewrite literals it reads ("...Z" dates to "+00:00"): the text as written is compared."""
    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)


def compare(entries: Sequence[Entry]) -> Counter[str]:
    """The written N-Triples parsed back against the rdflib terms of the same description, triple for triple (blank
    node labels are deterministic, so equal sets, not just isomorphic graphs); returns what was seen."""
    reference = rdf.to_graph(entries, rdf.CatalogInfo())
    written = rdf.serialise(entries, "nt", catalog=rdf.CatalogInfo(), pretty=False)
    parsed = set(Graph().parse(data=written, format="nt", skolemize=True))
    assert parsed == {tuple(comparable(t) for t in triple) for triple in reference}
    seen: Counter[str] = Counter(records=len(entries), triples=len(parsed))
    for _, _, o in reference:
        if isinstance(o, BNode):
            seen["blank"] += 1
        elif isinstance(o, Literal):
            seen["language" if o.language else "typed" if o.datatype else "plain"] += 1
            seen["escaped"] += any(c in o for c in '"\\\n\r')
        elif any(c in o for c in ' <>"{}|^`\\'):
            seen["escaped_iri"] += 1
    return seen


def literals_in_normal_form(entries: Sequence[Entry]) -> int:
    """Every typed literal the builder wrote is already what rdflib makes of it (the rdflib view keeps lexical forms
    as written: a builder forgetting to normalise one would otherwise go unseen)."""
    checked = 0
    for _, _, terms in rdf.described_terms(entries):
        for _, _, o in terms:
            if isinstance(o, rdf.Lit) and o.datatype and o.datatype not in AS_WRITTEN:
                assert str(Literal(o.value, datatype=URIRef(o.datatype))) == o.value, o
                checked += 1
    return checked


@pytest.fixture(scope="module")
def fixture_entries() -> list[Entry]:
    raws = [*recorded._ckan_raws(), *(raw for path in recorded.DCAT_FILES for raw in recorded._dcat_raws(path)),
            *recorded._iso_raws()]
    return [entry for raw in raws for entry in normalise(raw)]


def test_records_of_every_fixture(fixture_entries: list[Entry]) -> None:
    seen = compare(fixture_entries)
    assert Counter(e.source_id for e in fixture_entries) == {"fx-ckan": 23, "fx-dcat": 35, "fx-csw": 16}
    assert seen["blank"] and seen["language"] and seen["typed"] and seen["escaped"]
    assert literals_in_normal_form(fixture_entries) > 50


def test_bench_corpus_sample_of_every_source_type() -> None:
    entries = bench_shacl.sample(per_type=8)
    assert {e.source_id.rsplit("-", 1)[0] for e in entries} == {"ckan", "csw", "dcat", "dcat-us", "ods", "udata"}
    seen = compare(entries)
    assert seen["records"] >= 100 and seen["blank"] and seen["typed"]
    assert literals_in_normal_form(entries) > 50


def test_a_record_needing_every_escape() -> None:
    awkward = velo(
        title='Un "titre" avec \\ barre, retour\nà la ligne,\r tabulation\tet 🚲',
        keyword_translations={"en": ['bike "share"']},
        attributions=[Attribution(role="point of contact", agent=Agent(name="Service <SIG>"))],
        conformity=[Conformity(title="Règlement n° 1089/2010", degree="not conformant|x")],
        spatial=[Spatial(label="Lyon", communes=[" 69123 "])],
        distributions=[Distribution(title="fichier", download_url='https://ex.fr/a b<c>"d"{e}|f^g`h\\i.csv',
                                    byte_size=7, checksum="MD5:" + "AB" * 16, temporal_resolution="P1D")],
    )
    entries = [awkward, velo(id="lyon.autre", uri=None, title="Deux")]
    seen = compare(entries)
    assert seen["escaped"] >= 2 and seen["escaped_iri"] >= 2 and seen["language"] and seen["blank"]
    assert literals_in_normal_form(entries) >= 4
    text = rdf.serialise(entries, "nt", pretty=False).decode()
    assert '\\"titre\\" avec \\\\ barre, retour\\nà la ligne,\\r' in text  # escaped, not dropped
    assert "<http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/point\\u0020of\\u0020contact>" in text
    assert '"69123"^^<http://www.w3.org/2001/XMLSchema#token>' in text  # normalised as rdflib does
