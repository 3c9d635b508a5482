"""What every search backend shares about text and values: the French analysis, folding, dates and the bbox fields.

Why one module: the embedded index (:mod:`index.tantivy_index`) and the Elasticsearch one
(:mod:`index.elasticsearch_index`) must find the same documents for the same words, so they analyse text with one
definition, kept here, and neither imports the other.

The analysis: split on anything not a letter or digit (so "l'eau" gives "l" and "eau"), drop tokens of 40 bytes or
more, lower case, French stop words (Snowball's list plus elisions), accents folded ("énergie" = "energie"), then
the Snowball French stemmer ("transports" = "transport"). Folding comes before stemming so that a word typed without
its accents stems like the accented one. :func:`french_analyzer` is that chain as a tantivy analyzer (tantivy is a
library here, not the embedded index): tantivy indexes with it, and both backends run it in-process to analyse the
words of a query (which words are stop words, what a word's forms reduce to). Elasticsearch is given the same chain
as a custom analyzer on the server (``elasticsearch_index.analysis_settings``, built from the lists below);
tests/index/test_elasticsearch_index.py checks that the server's tokens are this analyzer's.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from functools import cache

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from index.query import Node, positive_words

MAX_TOKEN_BYTES = 40  # a token this long or longer is dropped (tantivy's remove_long)

# The French stop list compiled into tantivy (Snowball's, as tantivy 0.2x ships it), spelled out for the engines
# that take a list (Elasticsearch); tests/index/test_analysis.py checks every word against tantivy's own filter.
FRENCH_STOPWORDS: tuple[str, ...] = (
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il", "je", "la", "le",
    "leur", "lui", "ma", "mais", "me", "même", "mes", "moi", "mon", "ne", "nos", "notre", "nous", "on", "ou", "par",
    "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une",
    "vos", "votre", "vous", "c", "d", "j", "l", "à", "m", "n", "s", "t", "y", "étée", "étées", "étant", "suis", "es",
    "êtes", "sont", "serai", "seras", "sera", "serons", "serez", "seront", "serais", "serait", "serions", "seriez",
    "seraient", "étais", "était", "étions", "étiez", "étaient", "fus", "fut", "fûmes", "fûtes", "furent", "sois",
    "soit", "soyons", "soyez", "soient", "fusse", "fusses", "fussions", "fussiez", "fussent", "ayant", "eu", "eue",
    "eues", "eus", "ai", "avons", "avez", "ont", "aurai", "aurons", "aurez", "auront", "aurais", "aurait", "aurions",
    "auriez", "auraient", "avais", "avait", "aviez", "avaient", "eut", "eûmes", "eûtes", "eurent", "aie", "aies",
    "ait", "ayons", "ayez", "aient", "eusse", "eusses", "eût", "eussions", "eussiez", "eussent", "ceci", "cela",
    "celà", "cet", "cette", "ici", "ils", "les", "leurs", "quel", "quels", "quelle", "quelles", "sans", "soi",
)

# Elisions and short words the stock French stop list keeps.
EXTRA_STOPWORDS: tuple[str, ...] = (
    "c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "ou", "où",
)

# A record's bounding box as four envelope fields, west, south, east, north (WGS84 degrees): range queries on them
# test intersection on every engine.
BBOX_FIELDS: tuple[str, ...] = ("west", "south", "east", "north")


def french_analyzer() -> tantivy.TextAnalyzer:
    """The analysis chain of the module docstring (a new analyzer: tantivy registers one per index)."""
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(Filter.lowercase())
        .filter(Filter.stopword("french"))
        .filter(Filter.custom_stopword(list(EXTRA_STOPWORDS)))
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("french"))
        .build()
    )


@cache
def _shared_analyzer() -> tantivy.TextAnalyzer:
    return french_analyzer()


def analyze(text: str) -> list[str]:
    """The terms a text gives once analysed, as both engines index them."""
    return _shared_analyzer().analyze(text)


def ranks(node: Node | None) -> bool:
    """Whether a query has a word to rank by: one outside a ``-`` that is not a stop word. A query of exclusions
    only (or of stop words) matches without ranking: both backends then sort as if there were no words (newest
    first) and give no score."""
    return node is not None and any(analyze(word) for word in positive_words(node))


def fold(text: str) -> str:
    """Lower case without accents ("Écoles" -> "ecoles"): how two spellings of a word are compared."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 text as an aware UTC datetime (dates count as midnight UTC); anything else is left out, by both
    backends alike (a date one engine cannot read must not sort a record differently on the other)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
