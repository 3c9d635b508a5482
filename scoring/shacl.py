"""DCAT-AP 3.0.1 compliance by SHACL: the official shapes, compiled once (pyshacl the reference), in plain words.

Why the official shapes and not our own checks: "DCAT-AP compliant" must mean what data.europa.eu means by it (the
MQA awards 30 points for it). The shapes are loaded once per process (parsing them costs far more than validating a
record). Records are validated in batches, one graph per batch, and each result is handed back to the record whose
triples hold its focus node.

Two engines give the same results: "compiled" (default: :mod:`scoring.compiled_shapes`, the shapes turned once into
plain checks over the batch's triples, about 20 times pyshacl's speed) and "pyshacl" (the reference, and the fallback
when the shapes use SHACL features the compiled path does not evaluate). Both hand :class:`compiled_shapes.Result`
tuples to one reporting step, so the stored verdicts cannot differ by the way they were reached; a test compares
them on every fixture, the demo and the bench corpus.

A violation is kept as SHACL reports it (focus node, path, severity) plus a sentence a portal editor understands.
One kind is flagged ``external_reference``: a ``sh:class`` check on a value that is described elsewhere (a series
or a dataset this record points to, harvested as a record of its own). SHACL only sees ``rdf:type`` triples of the
graph it validates, so such a check cannot pass on one record alone; it says nothing about the record itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH

from normalise import rdf
from normalise.model import DataService, Dataset
from scoring.compiled_shapes import CompiledShapes, NotCompilable, Result, Triples, compile_shapes

log = logging.getLogger(__name__)

SHAPES_DIR = Path(__file__).resolve().parent.parent / "config" / "shacl" / "dcat-ap-3.0.1"
# The consolidated file carries the cardinalities and the class/datatype ranges. The release's ranges.ttl is not
# loaded: its node shapes list some 200 property shapes it never defines, and all it adds to the consolidated file
# is "endpointURL/endpointDescription are rdfs:Resource" (see config/shacl/SOURCES.md).
SHAPE_FILES: tuple[str, ...] = ("dcat-ap-SHACL.ttl",)

Engine = Literal["compiled", "pyshacl"]
ENGINES: tuple[str, ...] = ("compiled", "pyshacl")

_lock = threading.Lock()
_shapes: Graph | None = None
_compile_lock = threading.Lock()
_compiled: CompiledShapes | None | Literal[False] = False  # False: not compiled yet

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


def validate_graph(graph: Graph, engine: Engine = "compiled") -> Report:
    """Validate any DCAT-AP graph (a record, a catalogue page) against the official shapes."""
    data = Triples(graph)
    results = _results(graph, data, engine)
    return Report(not any(r.severity == SH.Violation for r in results), _sorted(_violation(data, r) for r in results))


def validate_entry(entry: Dataset | DataService, base: str | None = None, engine: Engine = "compiled") -> Report:
    return validate_entries([entry], base=base, engine=engine)[entry.id]


def validate_entries(entries: Sequence[Dataset | DataService], base: str | None = None,
                     engine: Engine = "compiled") -> dict[str, Report]:
    """Validate records together; returns each record's own report, keyed by record id.

    The records are serialised with :func:`normalise.rdf.triples` (subjects made unique across the batch, as in an
    export), validated as one graph, and each result goes to the record whose triples describe its focus node.
    ``engine``: "compiled" (the shapes compiled once, :mod:`scoring.compiled_shapes`) or "pyshacl" (the reference;
    also what "compiled" falls back to when the shapes cannot be compiled)."""
    owners: dict[Any, set[str]] = {}  # node -> records describing it (vocabulary nodes are shared)
    reports: dict[str, Report] = {entry.id: Report(True) for entry in entries}
    subjects: dict[str, str] = {}
    batch: list[tuple[Any, Any, Any]] = []
    for entry, subject, entry_triples in rdf.described(entries, base):
        subjects[entry.id] = _curie(subject) or ""
        batch.extend(entry_triples)
        for triple in entry_triples:
            owners.setdefault(triple[0], set()).add(entry.id)
    data = Triples(batch)
    graph = None
    if engine == "pyshacl" or compiled() is None:
        graph = rdf.new_graph()
        for triple in batch:
            graph.add(triple)
    results = _results(graph, data, engine)
    for violation, result in sorted(((_violation(data, r), r) for r in results), key=lambda vr: _order(vr[0])):
        for entry_id in sorted(owners.get(result.focus, ())):
            report = reports[entry_id]
            own = violation.focus == subjects[entry_id]
            gap = violation.path if own else f"{violation.focus_type}/{violation.path}"
            report.violations.append(replace(violation, gap=gap if violation.path else None))
            if violation.severity == "violation":
                report.conforms = False
    return reports


def compiled() -> CompiledShapes | None:
    """The shapes compiled once per process; None when they use what :mod:`scoring.compiled_shapes` cannot
    evaluate (then pyshacl validates: logged once)."""
    global _compiled
    with _compile_lock:
        if _compiled is False:
            try:
                _compiled = compile_shapes(shapes())
            except NotCompilable as exc:
                log.warning("SHACL shapes not compilable (%s): validating with pyshacl", exc)
                _compiled = None
        return _compiled


def measure(entries: Sequence[Dataset | DataService], batch: int = 50) -> dict[str, float]:
    """CPU seconds per record: pyshacl one by one and batched, and the compiled shapes batched (the figures the
    README quotes)."""
    shapes()
    compiled()

    def per_record(engine: Engine, size: int) -> float:
        started = time.process_time()
        for i in range(0, len(entries), size):
            validate_entries(entries[i:i + size], engine=engine)
        return (time.process_time() - started) / max(len(entries), 1)

    return {"records": float(len(entries)), "batch": float(batch),
            "seconds_per_record_single": per_record("pyshacl", 1),
            "seconds_per_record_batched": per_record("pyshacl", batch),
            "seconds_per_record_compiled": per_record("compiled", batch)}


# -- internals ----------------------------------------------------------------------------------------------------


def _drop_dangling(graph: Graph) -> None:
    """The 3.0.1 consolidated file lists two property shapes of dcat:DataServiceShape that it never defines; pyshacl
    refuses the whole file for them. A shape that is not defined constrains nothing, so dropping the two references
    changes no verdict."""
    for shape, prop in list(graph.subject_objects(SH.property)):
        if graph.value(prop, SH.path) is None and next(graph.predicate_objects(prop), None) is None:
            graph.remove((shape, SH.property, prop))


def _results(graph: Graph | None, data: Triples, engine: Engine) -> list[Result]:
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}: {', '.join(ENGINES)}")
    fast = compiled() if engine == "compiled" else None
    if fast is not None:
        return fast.validate(data)
    if graph is None:
        raise ValueError("pyshacl needs the rdflib graph")
    return _pyshacl(graph)


def _pyshacl(graph: Graph) -> list[Result]:
    """pyshacl's results graph read into :class:`Result` tuples."""
    _, results, _ = pyshacl_validate(graph, shacl_graph=shapes(), inference="none", advanced=False, inplace=True,
                                     allow_warnings=True, allow_infos=True)
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        component = results.value(result, SH.sourceConstraintComponent)
        constraint = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent") if component else "?"
        message = results.value(result, SH.resultMessage)
        out.append(Result(focus=results.value(result, SH.focusNode), path=results.value(result, SH.resultPath),
                          value=results.value(result, SH.value), constraint=constraint[:1].lower() + constraint[1:],
                          shape=results.value(result, SH.sourceShape),
                          severity=results.value(result, SH.resultSeverity) or SH.Violation,
                          message=None if message is None else str(message)))
    return out


def _order(violation: Violation) -> tuple[str, ...]:
    return (violation.focus, violation.path or "", violation.constraint, violation.value or "", violation.message)


def _sorted(violations: Iterable[Violation]) -> list[Violation]:
    return sorted(violations, key=_order)


def _curie(node: Any) -> str | None:
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


def _violation(data: Triples, result: Result) -> Violation:
    focus, path, value, shape, constraint = result.focus, result.path, result.value, result.shape, result.constraint
    severity = _SEVERITY.get(result.severity, "violation")
    focus_types = sorted(_curie(t) or "" for t in data.types(focus))
    focus_type = next((t for t in focus_types if t in _CLASS_NAMES), focus_types[0] if focus_types else None)
    path_curie = _curie(path)
    shape_graph = shapes()
    name = shape_graph.value(shape, SH.name) if shape is not None else None
    expected_class = shape_graph.value(shape, SH["class"]) if shape is not None else None
    external = (constraint == "class" and value is not None and not isinstance(value, BNode)
                and not data.describes(value))
    what = _CLASS_NAMES.get(focus_type or "", f"the resource {_curie(focus)}")
    prop = f"{name} ({path_curie})" if name else (path_curie or "a property")
    if constraint == "minCount":
        minimum = shape_graph.value(shape, SH.minCount)
        message = f"{what.capitalize()} has no {prop}: DCAT-AP requires at least {minimum}."
    elif constraint == "maxCount":
        maximum = shape_graph.value(shape, SH.maxCount)
        message = f"{what.capitalize()} has too many values for {prop}: DCAT-AP allows at most {maximum}."
    elif constraint == "class" and external:
        message = (f"{what.capitalize()} points with {prop} to {_curie(value)}, described in another record: "
                   f"the check that it is a {_curie(expected_class)} needs both records together.")
    elif constraint == "class":
        message = (f"{what.capitalize()} has {prop} = {_curie(value)}, which is not declared a "
                   f"{_curie(expected_class)} as DCAT-AP requires.")
    elif constraint == "nodeKind":
        kind = _curie(shape_graph.value(shape, SH.nodeKind)) or ""
        wanted = "a literal (text, date, number)" if kind.endswith("Literal") else "a resource (an IRI)"
        message = f"{what.capitalize()} has {prop} = {_curie(value)}; DCAT-AP wants {wanted} there."
    elif constraint == "datatype":
        datatype = _curie(shape_graph.value(shape, SH.datatype))
        message = f"{what.capitalize()} has {prop} = {value!s}; DCAT-AP wants a value typed {datatype}."
    else:
        message = f"{what.capitalize()}: {prop}: {result.message or constraint}"
    return Violation(focus=_curie(focus) or "", focus_type=focus_type, path=path_curie, severity=severity,
                     constraint=constraint, message=message, value=None if value is None else str(value),
                     external_reference=external)
