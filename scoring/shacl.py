"""DCAT-AP 3.0.1 compliance by SHACL: the official shapes, run by pyshacl, reported in plain words.

Why the official shapes and not our own checks: "DCAT-AP compliant" must mean what data.europa.eu means by it (the
MQA awards 30 points for it). The shapes are loaded once per process (parsing them costs far more than validating a
record). Records are validated in batches, one graph per batch: pyshacl's fixed cost per call is then shared, and
each result is handed back to the record whose triples hold its focus node.

A violation is kept as pyshacl reports it (focus node, path, severity) plus a sentence a portal editor understands.
One kind is flagged ``external_reference``: a ``sh:class`` check on a value that is described elsewhere (a series
or a dataset this record points to, harvested as a record of its own). SHACL only sees ``rdf:type`` triples of the
graph it validates, so such a check cannot pass on one record alone; it says nothing about the record itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH

from normalise import rdf
from normalise.model import DataService, Dataset

SHAPES_DIR = Path(__file__).resolve().parent.parent / "config" / "shacl" / "dcat-ap-3.0.1"
# The consolidated file carries the cardinalities and the class/datatype ranges. The release's ranges.ttl is not
# loaded: its node shapes list some 200 property shapes it never defines, and all it adds to the consolidated file
# is "endpointURL/endpointDescription are rdfs:Resource" (see config/shacl/SOURCES.md).
SHAPE_FILES: tuple[str, ...] = ("dcat-ap-SHACL.ttl",)

_lock = threading.Lock()
_shapes: Graph | None = None

_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_CLASS_NAMES = {
    "dcat:Dataset": "the dataset", "dcat:DatasetSeries": "the dataset series", "dcat:Distribution": "a distribution",
    "dcat:DataService": "a data service", "dcat:Catalog": "the catalogue", "foaf:Agent": "an agent",
    "vcard:Kind": "a contact point", "dct:Location": "a location", "dct:PeriodOfTime": "a period of time",
    "spdx:Checksum": "a checksum", "adms:Identifier": "an identifier", "skos:Concept": "a concept",
    "dct:LicenseDocument": "a licence", "dcat:CatalogRecord": "a catalogue record",
}


@dataclass
class Violation:
    """One SHACL result, in the words of the shapes and in plain words."""

    focus: str  # the node that fails (IRI, or _:label for a blank node)
    focus_type: str | None  # its class, e.g. "dcat:Distribution"
    path: str | None  # the property, e.g. "dct:description"
    severity: str  # violation | warning | info
    constraint: str  # minCount, class, nodeKind, datatype...
    message: str  # plain words
    value: str | None = None
    external_reference: bool = False
    # The name a normaliser lists in the record's ``gaps`` when the source lacks what this violation asks for: the
    # property ("dct:description") on the record itself, "<class>/<property>" on a node inside it
    # ("dcat:Distribution/dcat:accessURL", "dcat:DataService/dct:title" for an access service).
    gap: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """The verdict on one record (or one graph)."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    @property
    def conforms_alone(self) -> bool:
        """True when the only violations are class checks on resources described in other records."""
        return all(v.external_reference or v.severity != "violation" for v in self.violations)


def shapes() -> Graph:
    """The official DCAT-AP 3.0.1 shapes, parsed once per process."""
    global _shapes
    with _lock:
        if _shapes is None:
            graph = Graph()
            for name in SHAPE_FILES:
                path = SHAPES_DIR / name
                if not path.is_file():
                    raise FileNotFoundError(f"SHACL shapes missing: {path} (see config/shacl/SOURCES.md)")
                graph.parse(path, format="turtle")
            _drop_dangling(graph)
            _shapes = graph
        return _shapes


def validate_graph(graph: Graph) -> Report:
    """Validate any DCAT-AP graph (a record, a catalogue page) against the official shapes."""
    conforms, results = _run(graph)
    return Report(conforms, [_violation(graph, r, results) for r in _results(results)])


def validate_entry(entry: Dataset | DataService, base: str | None = None) -> Report:
    return validate_entries([entry], base=base)[entry.id]


def validate_entries(entries: Sequence[Dataset | DataService], base: str | None = None) -> dict[str, Report]:
    """Validate records in one pyshacl run; returns each record's own report, keyed by record id.

    The records are serialised with :func:`normalise.rdf.triples` (subjects made unique across the batch, as in an
    export) and each result goes to the record whose triples describe its focus node."""
    graph = rdf.new_graph()
    owners: dict[Any, set[str]] = {}  # node -> records describing it (vocabulary nodes are shared)
    reports: dict[str, Report] = {entry.id: Report(True) for entry in entries}
    subjects: dict[str, str] = {}
    for entry, subject, entry_triples in rdf.described(entries, base):
        subjects[entry.id] = _curie(graph, subject) or ""
        for triple in entry_triples:
            graph.add(triple)
            owners.setdefault(triple[0], set()).add(entry.id)
    conforms, results = _run(graph)
    if conforms:
        return reports
    for result in _results(results):
        violation = _violation(graph, result, results)
        for entry_id in sorted(owners.get(results.value(result, SH.focusNode), ())):
            report = reports[entry_id]
            own = violation.focus == subjects[entry_id]
            gap = violation.path if own else f"{violation.focus_type}/{violation.path}"
            report.violations.append(replace(violation, gap=gap if violation.path else None))
            if violation.severity == "violation":
                report.conforms = False
    return reports


def measure(entries: Sequence[Dataset | DataService], batch: int = 50) -> dict[str, float]:
    """Seconds per record for one-by-one and batched validation (the figures the README quotes)."""
    shapes()
    started = time.perf_counter()
    for entry in entries:
        validate_entry(entry)
    single = (time.perf_counter() - started) / max(len(entries), 1)
    started = time.perf_counter()
    for i in range(0, len(entries), batch):
        validate_entries(entries[i:i + batch])
    batched = (time.perf_counter() - started) / max(len(entries), 1)
    return {"records": float(len(entries)), "seconds_per_record_single": single,
            "seconds_per_record_batched": batched, "batch": float(batch)}


# -- internals ----------------------------------------------------------------------------------------------------


def _drop_dangling(graph: Graph) -> None:
    """The 3.0.1 consolidated file lists two property shapes of dcat:DataServiceShape that it never defines; pyshacl
    refuses the whole file for them. A shape that is not defined constrains nothing, so dropping the two references
    changes no verdict."""
    for shape, prop in list(graph.subject_objects(SH.property)):
        if graph.value(prop, SH.path) is None and next(graph.predicate_objects(prop), None) is None:
            graph.remove((shape, SH.property, prop))


def _run(graph: Graph) -> tuple[bool, Graph]:
    conforms, results, _ = pyshacl_validate(graph, shacl_graph=shapes(), inference="none", advanced=False,
                                            inplace=True, allow_warnings=True, allow_infos=True)
    return bool(conforms), results


def _results(results: Graph) -> list[Any]:
    return sorted(results.subjects(RDF.type, SH.ValidationResult), key=lambda r: (
        str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath))))


def _curie(graph: Graph, node: Any) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        for prefix, namespace in rdf.PREFIXES.items():
            if str(node).startswith(str(namespace)):
                return f"{prefix}:{str(node)[len(str(namespace)):]}"
        return str(node)
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _violation(data: Graph, result: Any, results: Graph) -> Violation:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    component = results.value(result, SH.sourceConstraintComponent)
    shape = results.value(result, SH.sourceShape)
    severity = _SEVERITY.get(results.value(result, SH.resultSeverity), "violation")
    constraint = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent") if component else "?"
    constraint = constraint[:1].lower() + constraint[1:]
    focus_types = sorted(_curie(data, t) or "" for t in data.objects(focus, RDF.type))
    focus_type = next((t for t in focus_types if t in _CLASS_NAMES), focus_types[0] if focus_types else None)
    path_curie = _curie(data, path)
    shape_graph = shapes()
    name = shape_graph.value(shape, SH.name) if shape is not None else None
    expected_class = shape_graph.value(shape, SH["class"]) if shape is not None else None
    external = (constraint == "class" and value is not None and not isinstance(value, BNode)
                and next(data.predicate_objects(value), None) is None)
    what = _CLASS_NAMES.get(focus_type or "", f"the resource {_curie(data, focus)}")
    prop = f"{name} ({path_curie})" if name else (path_curie or "a property")
    if constraint == "minCount":
        minimum = shape_graph.value(shape, SH.minCount)
        message = f"{what.capitalize()} has no {prop}: DCAT-AP requires at least {minimum}."
    elif constraint == "maxCount":
        maximum = shape_graph.value(shape, SH.maxCount)
        message = f"{what.capitalize()} has too many values for {prop}: DCAT-AP allows at most {maximum}."
    elif constraint == "class" and external:
        message = (f"{what.capitalize()} points with {prop} to {_curie(data, value)}, described in another record: "
                   f"the check that it is a {_curie(data, expected_class)} needs both records together.")
    elif constraint == "class":
        message = (f"{what.capitalize()} has {prop} = {_curie(data, value)}, which is not declared a "
                   f"{_curie(data, expected_class)} as DCAT-AP requires.")
    elif constraint == "nodeKind":
        kind = _curie(data, shape_graph.value(shape, SH.nodeKind)) or ""
        wanted = "a literal (text, date, number)" if kind.endswith("Literal") else "a resource (an IRI)"
        message = f"{what.capitalize()} has {prop} = {_curie(data, value)}; DCAT-AP wants {wanted} there."
    elif constraint == "datatype":
        datatype = _curie(data, shape_graph.value(shape, SH.datatype))
        message = f"{what.capitalize()} has {prop} = {value!s}; DCAT-AP wants a value typed {datatype}."
    else:
        text = results.value(result, SH.resultMessage)
        message = f"{what.capitalize()}: {prop}: {text or constraint}"
    return Violation(focus=_curie(data, focus) or "", focus_type=focus_type, path=path_curie, severity=severity,
                     constraint=constraint, message=message, value=None if value is None else str(value),
                     external_reference=external)
