"""The user's search words, parsed into moisson's own small query language before any engine sees them.

Why our own grammar: handing the raw text of a public request to an engine's parser hands it to whoever writes that
request. tantivy's parser recursed on 3,000 nested parentheses until the process died (issue 13), and Elasticsearch's
``query_string`` accepts regular expressions, fuzzy and wildcard terms whose cost has no bound. Here the text becomes
a small tree (:class:`Term`, :class:`Phrase`, :class:`Not`, :class:`And`, :class:`Or`) within fixed limits, and each
backend builds its engine query from the tree only: the same words mean the same search on every backend.

The language, as the search box's help says it:

- words are all required (``budget lyon``); ``"mots entre guillemets"`` is a phrase;
- ``-mot`` or ``-"une phrase"`` excludes; ``vélo OR trottinette`` wants either (``OR`` in capitals);
- parentheses group: ``(vélo OR trottinette) -location``;
- ``titre:mot``, ``description:mot``, ``motcle:mot``, ``editeur:mot`` look in one field (English names too), for
  the word as typed (no plural or singular form: a field filter is precise).

Slips are forgiven (a quote or a parenthesis left open is closed at the end, a stray ``)`` or ``OR`` is dropped);
what exceeds a limit is refused with :class:`QueryError`, which the API answers with a 400.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# Limits: a real search is a few words. Each is far above what people type and far below what costs an engine.
MAX_QUERY_CHARS = 1_000
MAX_TERMS = 32  # words and phrase words, counted before plural forms are added
MAX_DEPTH = 4  # nesting of parentheses
MAX_WORD_CHARS = 64  # a longer "word" is cut (the analyzers drop tokens over 40 characters anyway)

# Field names a query may use (French first, English too) -> the text field of index.document.TEXT_FIELDS.
FIELDS: dict[str, str] = {
    "titre": "title", "title": "title",
    "description": "description",
    "motcle": "keywords", "mot-cle": "keywords", "motscles": "keywords", "keyword": "keywords", "keywords": "keywords",
    "editeur": "publisher_text", "producteur": "publisher_text", "publisher": "publisher_text",
}


class QueryError(ValueError):
    """The query is over a limit. ``kind`` is one of ``too_long``, ``too_many_terms``, ``too_deep`` here, and the
    search limits of :mod:`index.search` add theirs (``too_many_values``, ``value_too_long``, ``bad_filter``,
    ``bad_bbox``, ``too_deep_page``, ``bad_sort``); the message says the limit in English (the API's language),
    :attr:`french` in French (the pages')."""

    FRENCH = {
        "too_long": f"La recherche dépasse {MAX_QUERY_CHARS} caractères : raccourcissez-la.",
        "too_many_terms": f"La recherche compte plus de {MAX_TERMS} mots : gardez les plus parlants.",
        "too_deep": f"La recherche imbrique plus de {MAX_DEPTH} niveaux de parenthèses.",
    }

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def french(self) -> str:
        return self.FRENCH[self.kind]


@dataclass(frozen=True, slots=True)
class Term:
    """One word as typed (each backend analyses it: case, accents, stemming, plural forms)."""

    text: str
    field: str | None = None  # a text field of index.document.TEXT_FIELDS, or None for all of them


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must follow each other."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Not:
    node: Node


@dataclass(frozen=True, slots=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    nodes: tuple[Node, ...]


Node = Term | Phrase | Not | And | Or
# A note for backends: an And (or the whole query) whose children are all Not matches every document but those, and
# an Or may hold such a branch; engines whose boolean query matches nothing without a positive clause (tantivy) must
# add a match-all clause there.

# Tokens: a quoted phrase (closed or not), a parenthesis, or a run of anything else.
_TOKENS = re.compile(r'-?(?:[\w.-]+:)?"[^"]*"?|[()]|[^\s()"]+')
_FIELD = re.compile(r"^([\w.-]+):(.*)$", re.S)
_WORD_SPLIT = re.compile(r"[^\w]+")


def parse(text: str) -> Node | None:
    """The tree of a query, or None when it holds no word (an empty box, only punctuation, only ``-``)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("too_long", f"query of {len(text)} characters: at most {MAX_QUERY_CHARS}")
    parser = _Parser(_TOKENS.findall(text))
    node = parser.expression(0)
    if node is None:
        return None
    terms = sum(1 for _ in words(node))
    if terms > MAX_TERMS:
        raise QueryError("too_many_terms", f"query of {terms} words: at most {MAX_TERMS}")
    return node


def words(node: Node) -> Iterator[str]:
    """Every word of the tree, phrase words included (in order)."""
    if isinstance(node, Term):
        yield node.text
    elif isinstance(node, Phrase):
        yield from node.words
    elif isinstance(node, Not):
        yield from words(node.node)
    else:
        for child in node.nodes:
            yield from words(child)


def positive_words(node: Node) -> Iterator[str]:
    """The words a match must or may contain (not those under a ``-``): what spelling suggestions look at."""
    if isinstance(node, Term):
        yield node.text
    elif isinstance(node, Phrase):
        yield from node.words
    elif isinstance(node, And | Or):
        for child in node.nodes:
            yield from positive_words(child)


def word_forms(word: str) -> list[str]:
    """The word and its plural or singular form, which each backend searches as alternatives.

    Why: the Snowball French stemmer keeps a final s after a, i, o, u and a final x ("vélos" stays "velos", "jeux"
    stays "jeux"), so "vélo" would not find "Vélos" otherwise. Words under three letters, digits and codes are left
    alone. A backend drops forms its analyzer reduces to the same terms."""
    if len(word) < 3 or not word.isalpha():
        return [word]
    if word[-1] in "sxSX":
        return [word, word[:-1]]
    if word[-2:].lower() in ("au", "eu", "ou"):
        return [word, word + "s", word + "x"]
    return [word, word + "s"]


def to_text(node: Node | None) -> str:
    """The tree written back in the query language (canonical: a cache key, a link, a message)."""
    if node is None:
        return ""
    if isinstance(node, Term):
        if node.text == "OR" and not node.field:  # the word itself (typed "OR" in quotes), not the operator
            return '"OR"'
        return (f"{_field_name(node.field)}:" if node.field else "") + node.text
    if isinstance(node, Phrase):
        return (f"{_field_name(node.field)}:" if node.field else "") + '"' + " ".join(node.words) + '"'
    if isinstance(node, Not):
        inner = to_text(node.node)
        if isinstance(node.node, Term) and not node.node.field and node.node.text[:1].isdigit():
            inner = f'"{node.node.text}"'  # -2024 is a negative number, -"2024" excludes the word
        return "-" + (f"({inner})" if isinstance(node.node, And | Or | Not) else inner)
    joiner = " OR " if isinstance(node, Or) else " "
    parts = [f"({to_text(child)})" if isinstance(child, And | Or) else to_text(child) for child in node.nodes]
    return joiner.join(parts)


def _field_name(field: str) -> str:
    return next(name for name, target in FIELDS.items() if target == field)


class _Parser:
    """Recursive descent over the tokens: or := and (OR and)*; and := unary+; unary := -atom | atom;
    atom := ( or ) | phrase | word. Depth is bounded by MAX_DEPTH, so the recursion is too."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self, depth: int) -> Node | None:
        """An OR of ANDs, up to a ``)`` that closes this depth (or the end)."""
        alternatives: list[Node] = []
        current: list[Node] = []
        while (token := self.peek()) is not None:
            if token == ")":
                self.pos += 1
                if depth > 0:
                    break
                continue  # a stray closing parenthesis at the top: forgiven
            if token == "OR":
                self.pos += 1
                if current:
                    alternatives.append(_and(current))
                    current = []
                continue
            node = self.unary(depth)
            if node is not None:
                current.append(node)
        if current:
            alternatives.append(_and(current))
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))

    def unary(self, depth: int) -> Node | None:
        token = self.tokens[self.pos]
        if token == "-":  # "-(" negates a group; a dash standing alone is punctuation
            self.pos += 1
            if self.peek() != "(":
                return None
            node = self.atom(depth)
            return Not(node) if node is not None else None
        if token.startswith("-") and not token[1].isdigit():
            self.tokens[self.pos] = token[1:]
            node = self.atom(depth)
            return Not(node) if node is not None else None
        return self.atom(depth)

    def atom(self, depth: int) -> Node | None:
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            if depth + 1 > MAX_DEPTH:
                raise QueryError("too_deep", f"parentheses nested more than {MAX_DEPTH} deep")
            return self.expression(depth + 1)
        field = None
        if (found := _FIELD.match(token)) and (target := FIELDS.get(_fold(found.group(1)))):
            field, token = target, found.group(2)
        if token.startswith('"'):
            phrase = _split_words(token.strip('"'))
            if not phrase:
                return None
            return Term(phrase[0], field) if len(phrase) == 1 else Phrase(tuple(phrase), field)
        parts = _split_words(token)
        if not parts:
            return None
        # "l'eau", "Saint-Étienne", "2024-01": one typed word that the analyzers split; kept together as a phrase.
        return Term(parts[0], field) if len(parts) == 1 else Phrase(tuple(parts), field)


def _and(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _split_words(text: str) -> list[str]:
    return [part[:MAX_WORD_CHARS] for part in _WORD_SPLIT.split(text) if part and part != "_"]


def _fold(name: str) -> str:
    """Field names match without accents or case: ``Éditeur:`` is ``editeur:``."""
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))
