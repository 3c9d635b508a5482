"""RDF terms as N-Triples text: the form in which DCAT records are cut out of their pages, stored and read back.

Why text rather than parser objects: strings hash and compare fast (a page of a thousand datasets is split by dict
lookups), a record's N-Triples are its lines joined with nothing left to serialise, and the same text comes out
whichever syntax the page was written in. Only what the N-Triples grammar forbids is escaped,
so a record's bytes, hence its content hash, stay the same across harvests and parsers.
"""

from __future__ import annotations

import re

Term = str  # <iri>, _:label, or "literal" with @lang or ^^<datatype>

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_IRI_ESCAPES = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LITERAL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_LITERAL_SPECIAL = re.compile(r'[\\"\n\r]')
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[tbnrf"\'\\])')
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def iri(value: str) -> Term:
    """An IRI term; characters the grammar forbids inside <> (a space in a download URL) become \\u escapes."""
    if _IRI_ESCAPES.search(value):
        value = _IRI_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04X}", value)
    return "<" + value + ">"


def literal(value: str, language: str | None = None, datatype: str | None = None) -> Term:
    """A literal term; xsd:string is the default datatype and is not written."""
    if _LITERAL_SPECIAL.search(value):
        value = _LITERAL_SPECIAL.sub(lambda m: _LITERAL_ESCAPES[m.group()], value)
    text = '"' + value + '"'
    if language:
        return text + "@" + language
    if datatype and datatype != XSD_STRING:
        return text + "^^" + iri(datatype)
    return text


def unescape(text: str) -> str:
    """Undo N-Triples escapes (\\n, \\", \\uXXXX...)."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: _ECHAR.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)


def is_literal(term: Term) -> bool:
    return term[0] == '"'


def is_blank(term: Term) -> bool:
    return term[0] == "_"


def value(term: Term) -> str:
    """What a term stands for: an IRI without its brackets, a literal's lexical form, a blank node's label."""
    if term[0] == "<":
        return unescape(term[1:-1])
    if term[0] == '"':
        return unescape(term[1:term.rindex('"')])
    return term[2:]
