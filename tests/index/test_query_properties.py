"""Property tests on the query language (issue 13): whatever the text, parsing ends with a tree within the limits,
no query, or a QueryError; the tree written back parses to itself; and the tantivy query built from it runs.

Examples are bounded for the suite (``MOISSON_FUZZ_EXAMPLES``, default 200); ``make fuzz`` runs many more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.document import to_document
from index.query import MAX_DEPTH, MAX_QUERY_CHARS, MAX_TERMS, And, Node, Not, Or, QueryError, parse, to_text, words
from index.search import SearchQuery
from index.tantivy_index import TantivyIndex
from normalise.model import Dataset

EXAMPLES = int(os.environ.get("MOISSON_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 500,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text made of the language's own pieces, so that generated queries nest, quote, negate and name fields.
PIECES = st.sampled_from(["(", ")", '"', "-", " ", " OR ", "OR", "titre:", "motcle:", "editeur:", "x:", "-(", "l'",
                          "eau", "vélo", "jeux", "Saint-Étienne", "de", "les", "2024", "_", "é", "\u0301", "\x00"])
QUERIES = st.one_of(st.text(max_size=120), st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=60).map("".join))


def _depth(node: Node) -> int:
    if isinstance(node, Not):
        return _depth(node.node)
    if isinstance(node, And | Or):
        return 1 + max(_depth(child) for child in node.nodes)
    return 0


@FUZZ
@given(text=QUERIES)
def test_any_text_parses_within_the_limits_or_is_refused(text: str) -> None:
    try:
        tree = parse(text)
    except QueryError as exc:
        assert exc.kind in ("too_long", "too_many_terms", "too_deep") and exc.french
        return
    assert len(text) <= MAX_QUERY_CHARS
    if tree is None:
        return
    assert sum(1 for _ in words(tree)) <= MAX_TERMS
    assert _depth(tree) <= 2 * MAX_DEPTH + 2  # each level of parentheses adds at most an Or and an And
    assert all(word for word in words(tree))
    assert parse(to_text(tree)) == tree


@FUZZ
@given(depth=st.integers(min_value=0, max_value=5000), word=st.sampled_from(["a", "eau", "-x", '"a b"']))
def test_nesting_is_refused_beyond_the_limit_and_never_recursed(depth: int, word: str) -> None:
    text = "(" * depth + word + ")" * depth
    try:
        parse(text)
    except QueryError as exc:
        assert depth > MAX_DEPTH and exc.kind in ("too_deep", "too_long")
    else:
        assert depth <= MAX_DEPTH


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TantivyIndex]:
    index = TantivyIndex(Path(tmp_path_factory.mktemp("q")) / "index", lock_wait=0)
    index.upsert(to_document(Dataset(id=f"s.{i}", source_id="s", native_id=str(i), title=title, keywords=[kw]))
                 for i, (title, kw) in enumerate([("Qualité de l'eau", "eau"), ("Vélos en libre service", "vélo"),
                                                  ("Jeux olympiques", "sport"), ("Budget 2024", "finances")]))
    index.commit()
    yield index
    index.close()


@FUZZ
@given(text=QUERIES)
def test_any_parsed_query_runs_on_tantivy(small_index: TantivyIndex, text: str) -> None:
    try:
        result = small_index.search(SearchQuery(q=text, page_size=10))
    except QueryError:
        return
    assert 0 <= result.total <= 4 and len(result.hits) == result.total
