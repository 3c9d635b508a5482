"""SHACL shapes compiled once into plain checks, run over a batch's triples: pyshacl's verdicts, far sooner.

Why: pyshacl spends 11-13 ms of CPU a record (81 records/s per core), most of it in its generic machinery — a
SPARQL-capable graph, one Python object per shape and per constraint, a results graph built then read back. The
DCAT-AP 3.0.1 consolidated shapes use a small part of SHACL core: node shapes with ``sh:targetClass``, and property
shapes with a plain predicate path and one of five constraints (``sh:minCount``, ``sh:maxCount``, ``sh:class``,
``sh:nodeKind``, ``sh:datatype``). :func:`compile_shapes` turns those into a table (target class -> checks) once per
process; :meth:`CompiledShapes.validate` indexes a batch's triples by subject in one pass and runs each node shape's
checks on its focus nodes. Shapes that use anything else (another constraint or target, a property path, a closed
shape, a constraint on a node shape...) raise :class:`NotCompilable`, and :mod:`scoring.shacl` then validates with
pyshacl as before: this path never guesses.

It gives pyshacl's results (0.40, ``inference="none"``), rule by rule:

* focus nodes of a node shape: the subjects typed with a target class, or with a subclass of it by the data's own
  ``rdfs:subClassOf`` triples (pyshacl reads subclasses from the data graph only);
* value nodes: the distinct objects of (focus, path), with rdflib's term equality — the graph pyshacl reads is a
  set of rdflib terms too;
* ``sh:class``: a value that is not a literal and has an ``rdf:type`` that is the class or a subclass of it;
* ``sh:nodeKind``: SHACL's table (an IRI matches sh:IRI, sh:IRIOrLiteral, sh:BlankNodeOrIRI...);
* ``sh:datatype``: pyshacl's reading — the same datatype IRI and not ill-typed for rdflib (plus its checks of the
  Python value and its special cases for rdfs:Literal, xsd:string and rdf:langString);
* ``sh:minCount`` / ``sh:maxCount``: one result without a value when the count of value nodes is out of bounds.

``tests/scoring/test_compiled_shapes.py`` asserts identical reports from both paths on every fixture, the demo's
records and a sample of the bench corpus with gaps and bad values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

Node = Any  # an rdflib term: URIRef, BNode or Literal
Triple = tuple[Node, Node, Node]

CONSTRAINTS = {SH.minCount: "minCount", SH.maxCount: "maxCount", SH["class"]: "class", SH.nodeKind: "nodeKind",
               SH.datatype: "datatype"}
_SINGLE_VALUED = {SH.minCount, SH.maxCount, SH.nodeKind, SH.datatype}  # pyshacl refuses two of these on a shape
_ANNOTATIONS = {SH.name, SH.description, SH.order, SH.group, SH.message, RDFS.label, RDFS.comment, RDFS.seeAlso}
_NODE_SHAPE_KEYS = {RDF.type, SH.targetClass, SH.property, SH.closed} | _ANNOTATIONS
_PROPERTY_SHAPE_KEYS = {RDF.type, SH.path, SH.severity} | set(CONSTRAINTS) | _ANNOTATIONS
_SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape, SH.Shape}
_NODE_KINDS = {
    BNode: {SH.BlankNode, SH.BlankNodeOrIRI, SH.BlankNodeOrLiteral},
    Literal: {SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral},
    URIRef: {SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI},
}
# pyshacl checks the Python value rdflib made of a literal for these datatypes only (bool first: it is an int).
_PYTHON_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
    XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}
_NOTHING: dict[Node, None] = {}
_TYPE, _SUBCLASS = RDF.type, RDFS.subClassOf  # rdflib's namespaces look a name up on every access: once here


class NotCompilable(ValueError):
    """The shapes use a SHACL feature this module does not evaluate: validate with pyshacl instead."""


@dataclass(frozen=True, slots=True)
class Check:
    """One constraint of one property shape."""

    shape: Node  # the property shape (sh:sourceShape of its results)
    path: URIRef
    constraint: str  # minCount | maxCount | class | nodeKind | datatype
    parameter: Any  # the count, class, node kind or datatype
    severity: URIRef


@dataclass(frozen=True, slots=True)
class Result:
    """One validation result, as pyshacl's results graph gives it."""

    focus: Node
    path: Node | None
    value: Node | None
    constraint: str
    shape: Node | None
    severity: URIRef
    message: str | None = None  # pyshacl's sh:resultMessage (reference path only)


class Triples:
    """A batch's triples indexed by subject: predicate -> distinct objects in first-seen order, and the types."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.subjects: dict[Node, dict[Node, dict[Node, None]]] = {}
        for s, p, o in triples:
            by_predicate = self.subjects.get(s)
            if by_predicate is None:
                by_predicate = self.subjects[s] = {}
            objects = by_predicate.get(p)
            if objects is None:
                by_predicate[p] = {o: None}
            else:
                objects[o] = None
        self._superclasses = self._subclass_closure()

    def objects(self, subject: Node, predicate: Node) -> dict[Node, None]:
        return self.subjects.get(subject, _NOTHING).get(predicate, _NOTHING)

    def types(self, node: Node) -> list[Node]:
        return list(self.objects(node, _TYPE))

    def describes(self, node: Node) -> bool:
        """True when the batch has a triple about ``node`` (a value described here, not only pointed at)."""
        return node in self.subjects

    def classes(self, node: Node) -> set[Node]:
        """The node's types and, through the data's rdfs:subClassOf, every class they are subclasses of."""
        types = self.objects(node, _TYPE)
        if not self._superclasses:
            return set(types)
        out: set[Node] = set()
        for cls in types:
            out |= self._superclasses.get(cls, {cls})
        return out

    def _subclass_closure(self) -> dict[Node, set[Node]]:
        direct = {s: set(preds[_SUBCLASS]) for s, preds in self.subjects.items() if _SUBCLASS in preds}
        closure: dict[Node, set[Node]] = {}
        for start in direct:
            seen, stack = {start}, [start]
            while stack:
                for parent in direct.get(stack.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            closure[start] = seen
        return closure


@dataclass(frozen=True, slots=True)
class NodeShape:
    shape: Node
    targets: frozenset[Node]
    checks: tuple[Check, ...]

    def minimums(self) -> tuple[Check, ...]:
        """The checks to run on every focus node: a property it lacks can fail them."""
        return tuple(check for check in self.checks if check.constraint == "minCount")

    def by_path(self) -> dict[URIRef, tuple[Check, ...]]:
        """The other checks by path: they can only fail on a property the focus node has."""
        out: dict[URIRef, list[Check]] = {}
        for check in self.checks:
            if check.constraint != "minCount":
                out.setdefault(check.path, []).append(check)
        return {path: tuple(checks) for path, checks in out.items()}


class CompiledShapes:
    """The node shapes of a shapes graph as checks by target class."""

    def __init__(self, node_shapes: list[NodeShape]) -> None:
        self.node_shapes = node_shapes
        self._by_class: dict[Node, list[int]] = {}
        for index, shape in enumerate(node_shapes):
            for cls in shape.targets:
                self._by_class.setdefault(cls, []).append(index)
        self._minimums = [shape.minimums() for shape in node_shapes]
        self._by_path = [shape.by_path() for shape in node_shapes]

    def validate(self, data: Triples) -> list[Result]:
        """Every result on the batch, in no particular order (the caller sorts). Each node shape runs once on each
        of its focus nodes, as in pyshacl, however many of the node's classes it targets."""
        results: list[Result] = []
        for subject, by_predicate in data.subjects.items():
            if _TYPE not in by_predicate:
                continue
            hit: set[int] = set()
            for cls in data.classes(subject):
                hit.update(self._by_class.get(cls, ()))
            for index in hit:
                for check in self._minimums[index]:
                    _evaluate(check, subject, by_predicate.get(check.path, _NOTHING), data, results)
                by_path = self._by_path[index]
                for path, values in by_predicate.items():
                    for check in by_path.get(path, ()):
                        _evaluate(check, subject, values, data, results)
        return results


def _evaluate(check: Check, focus: Node, values: dict[Node, None], data: Triples, out: list[Result]) -> None:
    constraint, parameter = check.constraint, check.parameter
    if constraint == "minCount" or constraint == "maxCount":
        if len(values) < parameter if constraint == "minCount" else len(values) > parameter:
            out.append(Result(focus, check.path, None, constraint, check.shape, check.severity))
        return
    for value in values:
        if constraint == "class":
            ok = not isinstance(value, Literal) and parameter in data.classes(value)
        elif constraint == "nodeKind":
            kind = BNode if isinstance(value, BNode) else Literal if isinstance(value, Literal) else URIRef
            ok = parameter in _NODE_KINDS[kind]
        else:
            ok = datatype_matches(value, parameter)
        if not ok:
            out.append(Result(focus, check.path, value, constraint, check.shape, check.severity))


def datatype_matches(value: Node, datatype: URIRef) -> bool:
    """pyshacl 0.40's DatatypeConstraintComponent, term for term (its reading of "ill-typed" is rdflib's)."""
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        return value.ill_typed is not True and _python_value_fits(value, datatype)
    if datatype == RDFS.Literal:
        return True
    if datatype == RDFS.Datatype and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return _python_value_fits(value, datatype)
    if datatype == RDF.langString and value.language:
        return _python_value_fits(value, datatype)
    return False


def _python_value_fits(value: Literal, datatype: URIRef) -> bool:
    expected = _PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(value.value, expected)


# -- compiling ----------------------------------------------------------------------------------------------------


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """The shapes graph as checks; :class:`NotCompilable` names the first feature this module cannot evaluate."""
    node_shapes = _node_shapes(shapes)
    attached = {prop for shape in node_shapes for prop in shapes.objects(shape, SH.property)}
    for prop in set(shapes.subjects(SH.path, None)) - attached:  # a property shape of its own, with targets?
        if any(p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
               for p in shapes.predicates(prop)):
            raise NotCompilable(f"property shape {prop} has targets of its own")
    return CompiledShapes([_node_shape(shapes, shape) for shape in sorted(node_shapes)])


def _node_shapes(shapes: Graph) -> set[Node]:
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    for key in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property):
        found.update(shapes.subjects(key, None))
    for shape in found:
        if (shape, SH.path, None) in shapes:
            raise NotCompilable(f"shape {shape} has targets and a path")
    return found


def _node_shape(shapes: Graph, shape: Node) -> NodeShape:
    for key, value in shapes.predicate_objects(shape):
        if key not in _NODE_SHAPE_KEYS:
            raise NotCompilable(f"node shape {shape} uses {key}")
        if key == RDF.type and value not in _SHAPE_TYPES:  # e.g. also an rdfs:Class: implicit class target
            raise NotCompilable(f"node shape {shape} is also a {value}")
        if key == SH.closed and value.toPython() is not False:
            raise NotCompilable(f"node shape {shape} is closed")
    targets = frozenset(shapes.objects(shape, SH.targetClass))
    checks = tuple(check for prop in sorted(shapes.objects(shape, SH.property))
                   for check in _property_checks(shapes, prop))
    return NodeShape(shape, targets, checks)


def _property_checks(shapes: Graph, prop: Node) -> list[Check]:
    paths = list(shapes.objects(prop, SH.path))
    if len(paths) != 1 or not isinstance(paths[0], URIRef):
        raise NotCompilable(f"property shape {prop} has no plain predicate path: {paths}")
    severities = list(shapes.objects(prop, SH.severity)) or [SH.Violation]
    if len(severities) != 1:
        raise NotCompilable(f"property shape {prop} has several severities")
    checks = []
    for key, value in sorted(shapes.predicate_objects(prop)):
        if key not in _PROPERTY_SHAPE_KEYS:
            raise NotCompilable(f"property shape {prop} uses {key}")
        if key == RDF.type and value not in _SHAPE_TYPES:
            raise NotCompilable(f"property shape {prop} is also a {value}")
        if key not in CONSTRAINTS:
            continue
        if key in _SINGLE_VALUED and len(list(shapes.objects(prop, key))) > 1:
            raise NotCompilable(f"property shape {prop} has several {key}")
        parameter = value.toPython() if key in (SH.minCount, SH.maxCount) else value
        if key in (SH.minCount, SH.maxCount) and not isinstance(parameter, int):
            raise NotCompilable(f"property shape {prop}: {key} {value} is not an integer")
        checks.append(Check(prop, paths[0], CONSTRAINTS[key], parameter, severities[0]))
    return checks
