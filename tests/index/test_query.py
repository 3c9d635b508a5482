"""The query language (index/query.py): what a typed query becomes, what is forgiven and what is refused."""

from __future__ import annotations

import pytest

from index.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    And,
    Not,
    Or,
    Phrase,
    QueryError,
    Term,
    parse,
    positive_words,
    to_text,
    word_forms,
)


@pytest.mark.parametrize(("text", "tree"), [
    ("eau", Term("eau")),
    ("budget lyon", And((Term("budget"), Term("lyon")))),
    ('"qualité de l\'air"', Phrase(("qualité", "de", "l", "air"))),
    ("vélo OR trottinette", Or((Term("vélo"), Term("trottinette")))),
    ("budget -lyon", And((Term("budget"), Not(Term("lyon"))))),
    ('-"budget primitif"', Not(Phrase(("budget", "primitif")))),
    ("(vélo OR trottinette) -location", And((Or((Term("vélo"), Term("trottinette"))), Not(Term("location"))))),
    ("-(a OR b)", Not(Or((Term("a"), Term("b"))))),
    ("titre:budget", Term("budget", "title")),
    ('Éditeur:"Ville de Lyon"', Phrase(("Ville", "de", "Lyon"), "publisher_text")),
    ("motcle:vélo eau", And((Term("vélo", "keywords"), Term("eau")))),
    ("Saint-Étienne", Phrase(("Saint", "Étienne"))),
    ("https://data.lyon.fr/x", Phrase(("https", "data", "lyon", "fr", "x"))),
])
def test_parses(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize("text", ["", "   ", "-", "()", '""', "OR", "- -", "((( )))", "!!!"])
def test_no_words_is_no_query(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(("text", "tree"), [
    ('"open phrase', Phrase(("open", "phrase"))),
    ("(unclosed group", And((Term("unclosed"), Term("group")))),
    ("stray) paren", And((Term("stray"), Term("paren")))),
    ("OR eau OR", Term("eau")),
    ("a - b", And((Term("a"), Term("b")))),
])
def test_slips_are_forgiven(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_limits_are_refused_with_their_kind() -> None:
    with pytest.raises(QueryError) as too_deep:
        parse("(" * 300 + "a" + ")" * 300)
    assert too_deep.value.kind == "too_deep" and "parenthèses" in too_deep.value.french
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == Term("a")
    with pytest.raises(QueryError) as too_long:
        parse("a" * (MAX_QUERY_CHARS + 1))
    assert too_long.value.kind == "too_long"
    with pytest.raises(QueryError) as too_many:
        parse(" ".join(f"mot{i}" for i in range(MAX_TERMS + 1)))
    assert too_many.value.kind == "too_many_terms"
    assert parse(" ".join(f"mot{i}" for i in range(MAX_TERMS))) is not None


@pytest.mark.parametrize("text", [
    "eau", "budget -lyon", '"qualité air" OR pollution', "(vélo OR trottinette) -location", "titre:budget",
    '-(a OR b) c', 'editeur:"Ville de Lyon"', '"OR"', 'chat "OR" chien', '-"2024"', "-(-a)",  # found by the fuzzing
])
def test_canonical_text_parses_back_to_the_same_tree(text: str) -> None:
    tree = parse(text)
    assert parse(to_text(tree)) == tree


def test_positive_words_leave_out_exclusions() -> None:
    assert list(positive_words(parse("budget -lyon (vélo OR bus)"))) == ["budget", "vélo", "bus"]


@pytest.mark.parametrize(("word", "forms"), [
    ("vélo", ["vélo", "vélos"]), ("vélos", ["vélos", "vélo"]), ("jeu", ["jeu", "jeus", "jeux"]),
    ("eau", ["eau", "eaus", "eaux"]), ("2024", ["2024"]), ("de", ["de"]),
])
def test_word_forms(word: str, forms: list[str]) -> None:
    assert word_forms(word) == forms
