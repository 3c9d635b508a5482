"""The analysis both backends share: tantivy's French stop list spelled out right, folding, dates, and what ranks."""

from __future__ import annotations

from datetime import UTC, datetime

from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from index.analysis import EXTRA_STOPWORDS, FRENCH_STOPWORDS, analyze, fold, parse_datetime, ranks
from index.query import parse


def test_the_stop_words_spelled_out_are_tantivys() -> None:
    """Elasticsearch is given FRENCH_STOPWORDS as a list; tantivy uses the list compiled into it. Every word of the
    list must be one tantivy's own filter drops."""
    tantivys = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.stopword("french")).build()
    assert [word for word in FRENCH_STOPWORDS if tantivys.analyze(word)] == []
    for word in (*FRENCH_STOPWORDS, *EXTRA_STOPWORDS):
        assert analyze(word) == [], word
    assert analyze("été données") == ["ete", "donne"]  # "été" is not on tantivy's list: kept


def test_words_are_folded_then_stemmed() -> None:
    assert analyze("Qualité de l'eau, transports ÉCOLES") == ["qualit", "eau", "transport", "ecol"]
    assert analyze("x" * 39 + " " + "y" * 40) == ["x" * 39]  # 40 bytes or more: dropped
    assert fold("Écoles à Noël") == "ecoles a noel"


def test_only_words_outside_an_exclusion_rank() -> None:
    assert ranks(parse("eau -bus"))
    assert not ranks(parse("-bus -(eau OR air)"))
    assert not ranks(parse("les de la"))
    assert not ranks(None)


def test_dates_are_read_alike_for_both_backends() -> None:
    assert parse_datetime("2024-01-02") == datetime(2024, 1, 2, tzinfo=UTC)
    assert parse_datetime("2023-05-01T12:00:00+02:00") == datetime(2023, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime("2023-05-01T10:00:00Z") == datetime(2023, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime("mai 2023") is None and parse_datetime(None) is None and parse_datetime("") is None
