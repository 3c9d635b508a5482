"""The query tree of :mod:`index.query` as a tantivy query: built from the tree only, never from the user's text.

Why built here term by term: tantivy's own query parser recursed on nested parentheses until the process died
(issue 13, finding 1). Every query below is made of ``Query.term_query``, ``phrase_query``, ``boolean_query`` and
``boost_query``, whose size is bounded by the tree's limits (index.query: at most MAX_TERMS words, MAX_DEPTH levels).

How a word is searched: analysed like the indexed text (lowercase, stop words, accents folded, French stem), in
every text field of :data:`index.document.TEXT_FIELDS` with its weight, and with its plural or singular form as an
alternative (:func:`index.query.word_forms`; forms the analyzer reduces to the same terms are searched once). A word
under a field name (``titre:jeux``) is searched in that field and as typed: a field filter is precise. A word the
analyzer drops (a stop word) drops out of the query; a query of stop words only is no query (None).
"""

from __future__ import annotations

from collections.abc import Callable

import tantivy
from tantivy import Occur, Query, TextAnalyzerBuilder, Tokenizer

from index.document import TEXT_FIELDS
from index.query import And, Node, Not, Phrase, Term, word_forms


class TantivyQueryBuilder:
    """Compiles query trees for one schema and one analyzer (the index's)."""

    def __init__(self, schema: tantivy.Schema, analyzer: tantivy.TextAnalyzer,
                 fields: dict[str, float] = TEXT_FIELDS) -> None:
        self.schema = schema
        self.analyzer = analyzer
        self.fields = fields  # the text fields an unqualified word is searched in, with their weights
        # the tokenizer alone, to count the positions a word takes in a phrase (stop words keep their position)
        self.positions = TextAnalyzerBuilder(Tokenizer.simple()).build()

    def build(self, node: Node | None) -> Query | None:
        """The engine query of a tree; None when nothing in it is searchable (no words, stop words only)."""
        if node is None:
            return None
        query, negative = self._node(node)
        if query is None:
            return None
        return _exclude(query) if negative else query

    def _node(self, node: Node) -> tuple[Query | None, bool]:
        """(query, negated): a Not is returned as its inner query flagged negated, so that an And can put it in a
        MustNot clause; wherever it stands alone it becomes "everything but" (see :func:`_exclude`)."""
        if isinstance(node, Term):
            return self._word(node.text, node.field), False
        if isinstance(node, Phrase):
            return self._phrase(node.words, node.field), False
        if isinstance(node, Not):
            inner, negative = self._node(node.node)
            if inner is None:
                return None, False
            return (inner, False) if negative else (inner, True)  # - -x is x
        clauses: list[tuple[Occur, Query]] = []
        if isinstance(node, And):
            for child in node.nodes:
                query, negative = self._node(child)
                if query is not None:
                    clauses.append((Occur.MustNot if negative else Occur.Must, query))
            if not clauses:
                return None, False
            if all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.append((Occur.Must, Query.all_query()))  # only exclusions: everything but those
            return (clauses[0][1], False) if len(clauses) == 1 and clauses[0][0] == Occur.Must else \
                (Query.boolean_query(clauses), False)
        for child in node.nodes:  # Or
            query, negative = self._node(child)
            if query is not None:
                clauses.append((Occur.Should, _exclude(query) if negative else query))
        if not clauses:
            return None, False
        return (clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)), False

    # -- words and phrases ------------------------------------------------------------------------------------------

    def _word(self, word: str, field: str | None) -> Query | None:
        forms = [word] if field else word_forms(word)
        analysed: dict[tuple[tuple[int, str], ...], None] = {}
        for form in forms:
            if terms := self._positioned((form,)):
                analysed.setdefault(terms, None)
        if not analysed:
            return None  # a stop word
        return self._fields(field, lambda name: _any([self._terms(name, terms) for terms in analysed]))

    def _phrase(self, words: tuple[str, ...], field: str | None) -> Query | None:
        """Words at their positions: a stop word inside the phrase keeps its place ("qualité de l'eau" matches
        "Qualité de l'eau" and not "qualité eau")."""
        terms = self._positioned(words)
        return self._fields(field, lambda name: self._terms(name, terms)) if terms else None

    def _positioned(self, words: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        """The analysed terms of ``words`` with their offsets: every token of the tokenizer takes a position, kept
        when the analyzer drops the token (a stop word, a token too long), as when the text was indexed; so
        "jeu_de_données", one word of the query language, is "jeu" and "donne" two positions apart, as on
        Elasticsearch. Offsets start at 0."""
        terms: list[tuple[int, str]] = []
        position = 0
        for word in words:
            for token in self.positions.analyze(word):
                terms += [(position, term) for term in self.analyzer.analyze(token)]
                position += 1
        start = terms[0][0] if terms else 0
        return tuple((offset - start, term) for offset, term in terms)

    def _terms(self, field: str, terms: tuple[tuple[int, str], ...]) -> Query:
        if len(terms) == 1:
            return Query.term_query(self.schema, field, terms[0][1])
        return Query.phrase_query(self.schema, field, list(terms))

    def _fields(self, field: str | None, build: Callable[[str], Query]) -> Query:
        """The query in one field, or in every text field with its weight (a word in the title counts most)."""
        if field is not None:
            return build(field)
        return _any([Query.boost_query(build(name), weight) for name, weight in self.fields.items()])


def _any(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def _exclude(query: Query) -> Query:
    """Every document but those matching ``query`` (tantivy's boolean query matches nothing without a positive
    clause, hence the match-all)."""
    return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, query)])
