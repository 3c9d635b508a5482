"""Spelling suggestions ("did you mean", issue 15), worked out alike for every backend.

Why shared: a suggestion is a word of the query replaced by a near word of the index, offered only if the respelled
query finds something; which words are near, how they rank and how the respelled queries are counted must not
depend on the engine, or the search page would suggest other things on each backend. A backend gives two look-ups
only (the methods of :class:`Lexicon` besides ``search``):

- ``holds_any(terms)``: does any document hold one of these analysed terms in a text field;
- ``texts_near(term, limit)``: the title, description excerpt and keywords of up to ``limit`` documents holding a
  term within :data:`FUZZY_EDITS` edits of ``term`` in their title, keywords or description (the engine's fuzzy
  term query). The near words are read back from those texts because the index holds stems ("transport"), and a
  suggestion must be a word as people write it ("transports", "écoles").

Which documents a fuzzy look-up returns when more than ``limit`` match is the engine's choice (tantivy by the number
of fields matched, then in index order; Elasticsearch by score); on a word near fewer documents than that, both read
back the same texts and suggest the same (tests/index/test_elasticsearch_index.py checks this on a generated
catalog).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

from index import search as limits
from index.analysis import analyze, fold
from index.query import QueryError, parse, positive_words
from index.search import SearchQuery, SearchResult, SearchTimeoutError, Suggestion, check_query

MIN_LETTERS = 4  # shorter words are kept as typed: too many words are near them
FUZZY_EDITS = 2  # the engines' fuzzy look-up; a word of MIN_LETTERS letters takes a near word 1 edit away only
DOCUMENTS = 40  # documents read back per misspelt word
PER_WORD = 3  # near words kept per misspelt word
CANDIDATES = 9  # respelled queries counted at most

_PLAIN_WORD = re.compile(r"[^\W\d_]+")  # letters only: the words a suggestion may put in


class Lexicon(Protocol):
    """A backend as suggestions use it: its search counts the respelled queries (see the module docstring for the
    two look-ups)."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def holds_any(self, terms: list[str]) -> bool: ...

    def texts_near(self, term: str, limit: int) -> Iterable[str]: ...


def suggest(index: Lexicon, query: SearchQuery, limit: int) -> list[Suggestion]:
    """:meth:`index.search.SearchIndex.suggest` for any backend. A query over a limit has no suggestion. The
    suggestions of an empty result page are an extra: they take at most the search deadline
    (index.search.SEARCH_DEADLINE) after the look-ups, and a look-up or a count past it ends them with what was
    found so far, rather than fail a page whose search was answered."""
    try:
        check_query(query)
        node = parse(query.q)
    except QueryError:
        return []
    if node is None:
        return []
    options: dict[str, list[str]] = {}
    try:
        for word in dict.fromkeys(positive_words(node)):
            if len(word) < MIN_LETTERS or not word.isalpha():
                continue
            terms = analyze(word)
            if not terms or len(terms) != 1 or index.holds_any(terms):
                continue  # a stop word, a word the analyzer splits, or one the index holds: nothing to respell
            if near := near_words(word, index.texts_near(terms[0], DOCUMENTS)):
                options[word] = near
    except SearchTimeoutError:
        return []
    if not options:
        return []
    texts = [query.q]
    for word, near in options.items():
        texts = [replace_word(text, word, other) for text in texts for other in near][:CANDIDATES]
    found = []
    ends = time.monotonic() + limits.SEARCH_DEADLINE
    for text in dict.fromkeys(texts):
        try:
            total = index.search(SearchQuery(q=text, filters=query.filters, bbox=query.bbox, page_size=0,
                                             facets=())).total
        except SearchTimeoutError:
            break
        if total:
            found.append(Suggestion(text, total))
        if time.monotonic() > ends:
            break
    found.sort(key=lambda s: -s.total)  # stable: equal totals keep the order of the near words
    return found[:limit]


def near_words(word: str, texts: Iterable[str]) -> list[str]:
    """The words of ``texts`` nearest to ``word`` (case and accents ignored): within 2 edits (1 for a word of 4
    letters), ranked by distance, then by how often they occur in the texts, then alphabetically; each as most
    often spelled there (the accented spelling when spellings tie). The order of the texts does not matter."""
    typed = fold(word)
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for token in _PLAIN_WORD.findall(text):
            folded = fold(token)
            if folded != typed and len(folded) >= MIN_LETTERS:
                spellings.setdefault(folded, Counter())[token.lower()] += 1
    most = 1 if len(typed) <= MIN_LETTERS else FUZZY_EDITS
    ranked = sorted((distance, -sum(seen.values()), folded) for folded, seen in spellings.items()
                    if (distance := edits(typed, folded, most)) <= most)
    return [max(spellings[folded].items(), key=lambda item: (item[1], item[0]))[0]
            for _, _, folded in ranked[:PER_WORD]]


def edits(a: str, b: str, most: int) -> int:
    """Levenshtein distance of two words, or most + 1 as soon as it exceeds ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def replace_word(text: str, word: str, other: str) -> str:
    """``text`` with the whole word ``word`` (any case) replaced by ``other``."""
    return re.sub(rf"(?<![\w-]){re.escape(word)}(?!\w)", other, text, flags=re.IGNORECASE)
