"""Which embedded search engine: tantivy or SQLite FTS5? And the Elasticsearch backend on the same catalog.

Run: ``python -m bench.index_engines [--docs 100000] [--engines tantivy,fts5,es] [--queries 40]
[--es-url http://host:9200] [--es-queries 10]``. Prints a table and merges the figures into
``bench/results/index_engines.json`` (one entry per corpus size).

The corpus is reproducible (seeded) and shaped like a national catalog: titles, descriptions and keywords drawn with
a Zipf law from French catalog words taken from the recorded French portals in the fixtures (data.gouv.fr, DataSud,
Cap Atlantique, GéoBretagne, Géo-IDE...), place names, years; the 11 facets of :data:`index.search.FACETS` with
realistic cardinalities (60 sources, ~1,000 publishers, 13 EU themes, 101 départements, thousands of keywords); a
bbox on most records. Both engines index the same documents (:func:`index.document.to_document`'s shape) and answer
the same queries, each with the counts of all 11 facets (a facet's own filter left out of its counts, as the API
does) and the first page of 20 hits:

* **tantivy**: the project's own :class:`index.tantivy_index.TantivyIndex`, unchanged (French analyzer in Rust).
* **fts5**: SQLite FTS5 with ``unicode61 remove_diacritics 2``; the French Snowball stemmer (snowballstemmer, pure
  Python) and the same stop words applied in Python before insertion and at query time (FTS5 has no French stemmer);
  ranked by ``bm25()`` with the same field weights; facet values in a dictionary table and a (rowid, value) table, so
  the counts of every facet are one GROUP BY over the matched rowids; bbox in an R*Tree.

* **es**: the project's :class:`index.elasticsearch_index.ElasticsearchIndex` (the same documents, analysis and
  queries; bulk loads of BATCH documents, each followed by a refresh) against the server at ``--es-url``, else against
  a local noida-db started for the run (a single binary that speaks the Elasticsearch 8 REST API: the only
  Elasticsearch-compatible server these machines can install). Its figures are labelled with the server that
  answered (``GET /``): figures measured on noida-db are noida-db's, not Elasticsearch's. Build CPU is counted on both
  sides (the client process and, when local, the server process).

Each engine runs in its own process so that its peak memory (RSS) is its own. Build time includes the final merge
(tantivy) or ``optimize`` (FTS5), and the size on disk is measured after it.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from index.clusters import singleton_id
from index.document import SUMMARY_FIELDS
from index.search import FACETS, SearchQuery

RESULTS = Path(__file__).resolve().parent / "results" / "index_engines.json"
SEED = 20240611
BATCH = 10_000  # documents per commit, for both engines
PAGE_SIZE = 20
FACET_SIZE = 20

# -- the corpus -----------------------------------------------------------------------------------------------------


def _wordlist(text: str) -> list[str]:
    """Whitespace-separated words, first occurrence kept (the order is the frequency rank)."""
    return list(dict.fromkeys(text.split()))


# French catalog words, most frequent first: taken from the titles, descriptions and keywords of the recorded French
# portals in ../shared/fixtures (words of 4+ letters, markup and HTTP noise removed), completed with the usual
# vocabulary of local open data (budget, subventions, marchés...). Plural and accented forms are kept on purpose.
WORDS = _wordlist("""
données urbanisme commune communes plan parcelles environnement documents géographique public agriculture accès
référentiel agricoles sols zonage cultures logement métropole conditions transport transports habitat espaces
limites prairies territoires naturels voirie stationnement localisation production national département cadastre
parking parkings équipements équipement bâtiments zones zone aménagement collectivité numérique cartes réseau réseaux
ressources qualité eau eaux énergie électricité consommation bus vélos vélo pistes cyclables arrêts lignes horaires
trafic routes routier déchets collecte tri recyclage déchetterie conteneurs propreté budget subventions marchés
délibérations élus conseil municipal associations écoles école collèges lycées restauration scolaire menus cantine
population recensement naissances décès mariages prénoms santé hôpitaux pharmacies défibrillateurs secours pompiers
sécurité police accidents crimes délits justice emploi entreprises commerces marchés artisans tourisme hôtels musées
monuments patrimoine culture bibliothèques médiathèques spectacles sport équipements sportifs piscines stades parcs
jardins arbres espaces verts forêts biodiversité faune flore espèces protégées natura risques inondations crues
séismes pollution air bruit climat températures météo précipitations vent émissions carbone gaz serre énergies
renouvelables éolien solaire photovoltaïque bornes recharge véhicules électriques mobilité covoiturage autopartage
train gares tramway métro navettes ports aéroports fret logistique foncier immobilier loyers ventes transactions
permis construire urbanisation cadastral parcellaire bâti adresses base voies rues toponymie quartiers îlots iris
cantons arrondissements circonscriptions élections résultats bureaux vote listes électorales finances dépenses
recettes dette investissements impôts taxes fiscalité dotations comptes administratifs achats contrats concessions
délégations service public eau potable assainissement stations épuration captages nappes rivières cours lacs littoral
plages mer côtes érosion submersion dunes zones humides marais montagnes randonnée sentiers itinéraires points intérêt
signalisation éclairage feux chaussées travaux chantiers voirie entretien nettoyage espaces publics marchés forains
halles alimentation agriculture biologique exploitations élevage vignes viticulture céréales irrigation registre
parcellaire graphique rpg occupation usage couverture orthophotographie imagerie satellite lidar altimétrie relief
géologie hydrographie bassins versants cartographie plans locaux urbanisme plu scot schémas cohérence territoriale
servitudes prescriptions règlement documents graphiques annexes enquêtes publiques concertation participation
citoyens associations bénévoles jeunesse enfance crèches petite seniors handicap accessibilité social solidarité
logements sociaux hébergement urgence aides allocations revenus pauvreté chômage formation apprentissage universités
recherche étudiants numérique fibre couverture mobile internet wifi antennes télécommunications archives registres
actes état civil cimetières concessions funéraires culte églises patrimoine religieux monuments historiques
inventaire mobilier urbain bancs fontaines toilettes publiques sanitaires abris vélos consignes signalétique
""")

PLACES = _wordlist("""
Lyon Villeurbanne Vénissieux Grenoble Échirolles Marseille Aix Toulon Nice Antibes Cannes Montpellier Nîmes Perpignan
Toulouse Albi Tarbes Pau Bayonne Biarritz Bordeaux Mérignac Pessac Limoges Poitiers Niort Rochelle Angoulême Nantes
Rezé Saint-Nazaire Guérande Angers Cholet Mans Laval Rennes Brest Quimper Lorient Vannes Saint-Brieuc Caen Rouen Havre
Cherbourg Évreux Amiens Beauvais Lille Roubaix Tourcoing Dunkerque Calais Arras Valenciennes Reims Troyes Metz Nancy
Strasbourg Mulhouse Colmar Besançon Dijon Chalon Auxerre Orléans Tours Bourges Blois Chartres Clermont-Ferrand
Vichy Aurillac Annecy Chambéry Valence Avignon Gap Digne Ajaccio Bastia Paris Boulogne Montreuil Versailles Créteil
Nanterre Argenteuil Vitry Évry Cergy Meaux Melun Tallard Vanves Amboise Sète Agde Béziers Narbonne Carcassonne Rodez
""")

PUBLISHER_KINDS = ["Commune de", "Ville de", "Communauté de communes de", "Communauté d'agglomération de",
                   "Métropole de", "Syndicat mixte de", "Département de", "Office de tourisme de", "CCAS de"]
SOURCES = [f"portail-{i:02d}" for i in range(60)]
THEMES = ["GOVE", "ENVI", "TRAN", "REGI", "SOCI", "ECON", "AGRI", "HEAL", "EDUC", "ENER", "JUST", "TECH", "INTR"]
FORMATS = ["CSV", "JSON", "GEOJSON", "SHP", "XLSX", "PDF", "XML", "ZIP", "KML", "WMS_SRVC", "WFS_SRVC", "ODS",
           "GPKG", "PARQUET", "HTML", "TXT", "RDF_XML", "XLS"]
LICENCES = ["ETALAB_2_0", "ODBL", "CC_BY_4_0", "ETALAB_1_0", "CC0", "CC_BY_SA_4_0", "ODC_BY", "NOT_SPECIFIED"]
SCHEMAS = ["scdl/budget", "scdl/subventions", "scdl/deliberations", "scdl/equipements", "scdl/catalogue",
           "scdl/prenoms", "etalab/schema-irve-statique", "etalab/schema-bal", "atlasante/schema-dae",
           "etalab/schema-amenagements-cyclables", "scdl/menus-collectifs", "etalab/schema-lieux-covoiturage"]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94", "01", "02", "03", "04", "06"]
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
BANDS = ["excellent", "good", "sufficient", "bad"]
FILLERS = _wordlist("de la les des du et pour en sur au aux par dans une un le à est sont avec")


def _zipf(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf weights for ``n`` ranks (rank 1 most frequent)."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


class Corpus:
    """A reproducible stream of index documents (the shape of :func:`index.document.to_document`)."""

    def __init__(self, docs: int, seed: int = SEED) -> None:
        self.docs, self.seed = docs, seed
        self.words = WORDS + [p.lower() for p in PLACES]
        self.publishers = [f"{kind} {place}" for place in PLACES for kind in PUBLISHER_KINDS]
        self._cw_words = _zipf(len(self.words), 1.05)
        self._cw_pub = _zipf(len(self.publishers), 0.9)
        self._cw_src = _zipf(len(SOURCES), 0.8)
        self._cw_theme = _zipf(len(THEMES), 0.8)
        self._cw_fmt = _zipf(len(FORMATS), 1.1)
        self._cw_lic = _zipf(len(LICENCES), 1.6)
        self._cw_dep = _zipf(len(DEPARTEMENTS), 0.6)

    def batches(self, size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
        rng = random.Random(self.seed)
        batch = []
        for n in range(self.docs):
            batch.append(self._document(rng, n))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _pick(self, rng: random.Random, population: list[str], cw: list[float], k: int) -> list[str]:
        return list(dict.fromkeys(rng.choices(population, cum_weights=cw, k=k)))

    def _words(self, rng: random.Random, k: int, fillers: float = 0.0) -> list[str]:
        out = self._pick(rng, self.words, self._cw_words, k) if not fillers else \
            rng.choices(self.words, cum_weights=self._cw_words, k=k)
        if fillers:
            out = [rng.choice(FILLERS) if rng.random() < fillers else w for w in out]
        return out

    def _document(self, rng: random.Random, n: int) -> dict[str, Any]:
        title_words = self._words(rng, rng.randint(3, 8))
        place = rng.choice(PLACES)
        year = rng.randint(2008, 2025)
        title = " ".join(title_words).capitalize() + f" - {place} {year}"
        description = " ".join(self._words(rng, rng.randint(15, 70), fillers=0.3)).capitalize() + "."
        keywords = self._words(rng, rng.randint(2, 5))
        if rng.random() < 0.4:
            keywords.append(" ".join(self._words(rng, 2)))  # multi-word keywords: the facet's long tail
        publisher = self._pick(rng, self.publishers, self._cw_pub, 1)[0]
        themes = self._pick(rng, THEMES, self._cw_theme, rng.randint(1, 2))
        formats = self._pick(rng, FORMATS, self._cw_fmt, rng.randint(1, 3))
        licence = self._pick(rng, LICENCES, self._cw_lic, 1)
        deps = self._pick(rng, DEPARTEMENTS, self._cw_dep, rng.choice((0, 1, 1, 1, 2)))
        regions = list(dict.fromkeys(REGIONS[DEPARTEMENTS.index(d) % len(REGIONS)] for d in deps))
        band = rng.choices(BANDS, weights=(5, 30, 45, 20))[0]
        score = {"excellent": rng.randint(351, 405), "good": rng.randint(221, 350),
                 "sufficient": rng.randint(121, 220), "bad": rng.randint(0, 120)}[band]
        modified = (date(2012, 1, 1) + timedelta(days=rng.randint(0, 4700))).isoformat()
        bbox = None
        if rng.random() < 0.7:
            west, south = rng.uniform(-4.8, 7.5), rng.uniform(42.3, 50.8)
            bbox = (west, south, west + rng.uniform(0.01, 1.5), south + rng.uniform(0.01, 1.0))
        record_id = f"{self._pick(rng, SOURCES, self._cw_src, 1)[0]}.{n:08x}"
        source = record_id.split(".")[0]
        kind = "service" if rng.random() < 0.05 else "dataset"
        summary = {
            "id": record_id, "kind": kind, "title": title, "description": description[:280], "publisher": publisher,
            "source": source, "modified": modified, "formats": formats, "licence": licence[0], "themes": themes,
            "quality_band": band, "communes": [], "departements": deps, "regions": regions,
            "cluster_id": singleton_id(record_id), "copies": [],  # every record alone: its own cluster's primary
        }
        assert tuple(summary) == SUMMARY_FIELDS
        return {
            "id": record_id, "kind": kind, "source": source, "title": title, "title_sort": title.lower(),
            "description": description, "keywords": keywords, "keyword": [k.lower() for k in keywords],
            "publisher": [publisher], "publisher_text": publisher, "publisher_siren": None,
            "theme": themes, "format": formats, "licence": licence, "departement": deps, "region": regions,
            "schema": [rng.choice(SCHEMAS)] if rng.random() < 0.1 else [],
            "quality_band": [band], "quality_score": score, "popularity": int(rng.paretovariate(1.2)) - 1,
            "modified": modified, "issued": modified, "bbox": bbox, "summary": summary,
            "cluster_id": summary["cluster_id"], "cluster_primary": True, "cluster_source": [source],
            "cluster_format": formats,
        }


def queries(count: int, seed: int = SEED + 1) -> dict[str, list[SearchQuery]]:
    """The same query mix for both engines: words from the corpus' frequent-to-medium ranks."""
    rng = random.Random(seed)
    words = [w for w in WORDS[:250] if len(w) > 3]
    out: dict[str, list[SearchQuery]] = {"one word": [], "two words": [], "word + facet filter": [],
                                         "no words, facets only": []}
    for _ in range(count):
        out["one word"].append(SearchQuery(q=rng.choice(words)))
        out["two words"].append(SearchQuery(q=" ".join(rng.sample(words[:120], 2))))
        facet, values = rng.choice([("theme", THEMES[:6]), ("region", REGIONS[:10]), ("format", FORMATS[:5])])
        out["word + facet filter"].append(SearchQuery(q=rng.choice(words[:150]),
                                                      filters={facet: [rng.choice(values)]}))
        out["no words, facets only"].append(SearchQuery())
    for group in out.values():
        for query in group:
            query.page_size, query.facet_size = PAGE_SIZE, FACET_SIZE
    return out


# -- SQLite FTS5 (the alternative) -----------------------------------------------------------------------------------

# Snowball's French stop list, folded (the analysis folds accents before stemming, like the tantivy analyzer).
STOPWORDS = set(_wordlist("""
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me meme mes moi mon ne nos notre
nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l a m n s t y
ete etee etees etes etant etante etants etantes suis es est sommes etes sont serai seras sera serons serez seront
serais serait serions seriez seraient etais etait etions etiez etaient fus fut fumes futes furent sois soit soyons
soyez soient fusse fusses fut fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez
ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut
eumes eutes eurent aie aies ait ayons ayez aient eusse eusses eussions eussiez eussent qu jusqu lorsqu puisqu
"""))
_TOKEN = re.compile(r"\w+")


class Fts5Engine:
    """The FTS5 design a careful implementer would choose (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        import snowballstemmer

        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-200000")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, modified TEXT,
                popularity INTEGER, quality INTEGER, title_sort TEXT, summary BLOB);
            CREATE INDEX IF NOT EXISTS docs_modified ON docs (modified);
            CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, keywords, description, publisher,
                tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE IF NOT EXISTS facet_values (id INTEGER PRIMARY KEY, facet TEXT, value TEXT,
                UNIQUE (facet, value));
            CREATE TABLE IF NOT EXISTS doc_facets (rowid INTEGER, value_id INTEGER,
                PRIMARY KEY (rowid, value_id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS doc_facets_by_value ON doc_facets (value_id, rowid);
            CREATE VIRTUAL TABLE IF NOT EXISTS bbox USING rtree(rowid, west, east, south, north);
            CREATE TEMP TABLE matched (rowid INTEGER PRIMARY KEY);
        """)
        self.values: dict[tuple[str, str], int] = {
            (f, v): i for i, f, v in self.db.execute("SELECT id, facet, value FROM facet_values")
        }
        self.names: dict[int, tuple[str, str]] = {i: fv for fv, i in self.values.items()}
        self._stemmer = snowballstemmer.stemmer("french")

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 - one engine per process; the vocabulary is bounded
    def _stem(self, token: str) -> str:
        return self._stemmer.stemWord(token)

    def analyze(self, text: str) -> list[str]:
        folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
        return [self._stem(t) for t in _TOKEN.findall(folded) if t not in STOPWORDS and len(t) <= 40]

    def _value_id(self, facet: str, value: str) -> int:
        key = (facet, value)
        if key not in self.values:
            cur = self.db.execute("INSERT INTO facet_values (facet, value) VALUES (?, ?)", key)
            self.values[key] = int(cur.lastrowid or 0)
            self.names[self.values[key]] = key
        return self.values[key]

    def upsert(self, documents: list[dict[str, Any]]) -> None:
        db = self.db
        db.execute("BEGIN")
        for doc in documents:
            old = db.execute("SELECT rowid FROM docs WHERE id = ?", (doc["id"],)).fetchone()
            if old:
                for table in ("docs", "fts", "doc_facets", "bbox"):
                    db.execute(f"DELETE FROM {table} WHERE rowid = ?", old)
            cur = db.execute(
                "INSERT INTO docs (id, modified, popularity, quality, title_sort, summary) VALUES (?, ?, ?, ?, ?, ?)",
                (doc["id"], doc["modified"], doc["popularity"], doc["quality_score"], doc["title_sort"],
                 orjson.dumps(doc["summary"])))
            rowid = cur.lastrowid
            db.execute("INSERT INTO fts (rowid, title, keywords, description, publisher) VALUES (?, ?, ?, ?, ?)",
                       (rowid, " ".join(self.analyze(doc["title"])), " ".join(self.analyze(" ".join(doc["keywords"]))),
                        " ".join(self.analyze(doc["description"])), " ".join(self.analyze(doc["publisher_text"]))))
            ids = {self._value_id(f, v) for f in FACETS for v in _as_list(doc.get(f)) if v}
            db.executemany("INSERT INTO doc_facets (rowid, value_id) VALUES (?, ?)", [(rowid, i) for i in ids])
            if doc["bbox"]:
                w, s, e, n = doc["bbox"]
                db.execute("INSERT INTO bbox (rowid, west, east, south, north) VALUES (?, ?, ?, ?, ?)",
                           (rowid, w, e, s, n))
        db.execute("COMMIT")

    def finish(self) -> None:
        self.db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _where(self, match: str | None, filters: dict[str, list[str]], alias: str = "") -> tuple[str, list[Any]]:
        clauses, params = [], []
        if match is not None:
            clauses.append(f"{alias}rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(match)
        for facet, values in filters.items():
            ids = [self.values.get((facet, v), -1) for v in values]
            marks = ",".join("?" * len(ids))
            clauses.append(f"{alias}rowid IN (SELECT rowid FROM doc_facets WHERE value_id IN ({marks}))")
            params += ids
        return (" AND ".join(clauses) or "1"), params

    def match_expression(self, q: str) -> str | None:
        """Words AND-ed; each also matches its plural or singular, as TantivyIndex does for the same reason."""
        groups = []
        for word in _TOKEN.findall(q):
            forms = [word, word[:-1]] if word[-1] in "sx" else \
                [word, word + "s", word + "x"] if word[-2:] in ("au", "eu", "ou") else [word, word + "s"]
            stems = list(dict.fromkeys(t for form in forms for t in self.analyze(form)))
            if stems:
                groups.append(stems[0] if len(stems) == 1 else "(" + " OR ".join(f'"{t}"' for t in stems) + ")")
        return " AND ".join(g if g.startswith("(") else f'"{g}"' for g in groups) or None

    def _counts(self, match: str | None, filters: dict[str, list[str]]) -> tuple[int, dict[int, int]]:
        """Matched rowids into a temp table, then every facet's counts in one GROUP BY."""
        db = self.db
        if match is None and not filters:
            total = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
            rows = db.execute("SELECT value_id, COUNT(*) FROM doc_facets GROUP BY value_id").fetchall()
            return total, dict(rows)
        where, params = self._where(match, filters)
        db.execute("DELETE FROM matched")
        total = db.execute(f"INSERT INTO matched SELECT rowid FROM docs WHERE {where}", params).rowcount
        rows = db.execute("SELECT d.value_id, COUNT(*) FROM matched m JOIN doc_facets d ON d.rowid = m.rowid "
                          "GROUP BY d.value_id").fetchall()
        return total, dict(rows)

    def search(self, query: SearchQuery) -> dict[str, Any]:
        match = self.match_expression(query.q)
        if match is not None:
            where, params = self._where(None, query.filters, alias="d.")
            hits = self.db.execute(
                "SELECT d.summary, bm25(fts, 3.0, 2.0, 1.0, 1.0) AS r FROM fts JOIN docs d ON d.rowid = fts.rowid "
                f"WHERE fts MATCH ? AND {where} ORDER BY r LIMIT ?",
                [match, *params, query.page_size]).fetchall()
        else:
            where, params = self._where(None, query.filters)
            hits = self.db.execute(f"SELECT summary, 0 FROM docs WHERE {where} ORDER BY modified DESC LIMIT ?",
                                   [*params, query.page_size]).fetchall()
        total, counts = self._counts(match, query.filters)
        facets: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
        for value_id, n in counts.items():
            facet, value = self.names[value_id]
            if facet not in query.filters:
                facets[facet].append((value, n))
        for facet in query.filters:  # a facet's counts leave its own filter out
            others = {k: v for k, v in query.filters.items() if k != facet}
            _, own = self._counts(match, others)
            facets[facet] = [(self.names[i][1], n) for i, n in own.items() if self.names[i][0] == facet]
        top = {f: sorted(v, key=lambda fv: (-fv[1], fv[0]))[: query.facet_size] for f, v in facets.items()}
        return {"total": total, "hits": [orjson.loads(h[0]) for h in hits], "facets": top}

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- running ---------------------------------------------------------------------------------------------------------


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
            "mean": round(statistics.fmean(samples), 2)}


def _measure(search: Callable[[SearchQuery], Any], mix: dict[str, list[SearchQuery]],
             totals: dict[str, list[int]], warm: int = 5) -> dict[str, dict[str, float]]:
    for query in mix["one word"][:warm]:  # warm the caches once
        search(query)
    out = {}
    for name, group in mix.items():
        samples = []
        for query in group:
            started = time.perf_counter()
            total = search(query)
            samples.append((time.perf_counter() - started) * 1000)
            totals.setdefault(name, []).append(total)
        out[name] = _percentiles(samples)
    return out


def run_tantivy(docs: int, workdir: str, query_count: int) -> dict[str, Any]:
    from index.tantivy_index import TantivyIndex

    path = Path(workdir) / "tantivy"
    load = os.getloadavg()[0]
    index = TantivyIndex(path)
    started = time.perf_counter()
    for batch in Corpus(docs).batches():
        index.upsert(batch)
        index.commit()
    index.close()  # waits for the merges
    build = time.perf_counter() - started
    size = _dir_size(path)
    reader = TantivyIndex(path, result_cache=0)  # the engine's own cost: repeated queries are not served from memory
    totals: dict[str, list[int]] = {}
    latency = _measure(lambda q: reader.search(q).total, queries(query_count), totals)
    return _figures(docs, build, size, latency, totals, load)


def run_fts5(docs: int, workdir: str, query_count: int) -> dict[str, Any]:
    path = Path(workdir) / "fts5.db"
    load = os.getloadavg()[0]
    engine = Fts5Engine(path)
    started = time.perf_counter()
    for batch in Corpus(docs).batches():
        engine.upsert(batch)
    engine.finish()
    build = time.perf_counter() - started
    size = engine.size()
    totals: dict[str, list[int]] = {}
    latency = _measure(lambda q: engine.search(q)["total"], queries(query_count), totals)
    return _figures(docs, build, size, latency, totals, load)


def run_es(docs: int, workdir: str, query_count: int, url: str | None = None) -> dict[str, Any]:
    """The Elasticsearch backend against ``url``, or against a local noida-db started in ``workdir``."""
    import index.search as limits
    from demo.es_server import EsServer
    from index.elasticsearch_index import ElasticsearchIndex, server_label

    server = None if url else EsServer(Path(workdir) / "es").__enter__()
    try:
        import psutil

        server_process = psutil.Process(server.process.pid) if server and server.process else None

        def server_cpu() -> float | None:
            if server_process is None:
                return None
            times = server_process.cpu_times()
            return times.user + times.system + times.children_user + times.children_system

        # a long timeout: noida-db takes tens of seconds per search at 100,000 documents
        index = ElasticsearchIndex(f"{url or server.url}/moisson-bench", search_timeout=1800)  # type: ignore[union-attr]
        label = server_label(index.client.info().body)
        load = os.getloadavg()[0]
        cpu_client, cpu_server = time.process_time(), server_cpu()
        started = time.perf_counter()
        for batch in Corpus(docs).batches():
            index.upsert(batch)
            index.commit()
        build = time.perf_counter() - started
        build_cpu = {"client_s": round(time.process_time() - cpu_client, 1)}
        if cpu_server is not None:
            build_cpu["server_s"] = round(server_cpu() - cpu_server, 1)  # type: ignore[operator]
        stats = index.client.indices.stats(index=index.alias, metric="store").body
        size = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
        totals: dict[str, list[int]] = {}
        search_cpu = server_cpu()
        # the engine's own time, not the API's: the search deadline (5 s) would cut noida-db's searches short
        deadline, limits.SEARCH_DEADLINE = limits.SEARCH_DEADLINE, 1800.0
        try:
            latency = _measure(lambda q: index.search(q).total, queries(query_count), totals, warm=1)
        finally:
            limits.SEARCH_DEADLINE = deadline
        figures = _figures(docs, build, size, latency, totals, load)
        figures["server"] = label + ("" if url else ", started locally for the run")
        figures["build_cpu_s"] = build_cpu
        if search_cpu is not None:
            figures["search_server_cpu_s"] = round(server_cpu() - search_cpu, 1)  # type: ignore[operator]
        if server_process is not None:
            figures["server_rss_mb"] = round(server_process.memory_info().rss / 2**20)
        return figures
    finally:
        if server is not None:
            server.stop()


def _figures(docs: int, build: float, size: int, latency: dict[str, Any], totals: dict[str, list[int]],
             load_before: float) -> dict[str, Any]:
    """The machine is shared: the load averages before and after say how much other work ran meanwhile."""
    return {"build_s": round(build, 1), "docs_per_s": round(docs / build), "size_bytes": size, "latency_ms": latency,
            "totals": totals, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_1min_before": round(load_before, 2), "load_1min_after": round(os.getloadavg()[0], 2)}


RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {"tantivy": run_tantivy, "fts5": run_fts5, "es": run_es}


def _in_child(engine: str, docs: int, workdir: str, query_count: int, *extra: Any) -> dict[str, Any]:
    """Each engine in a fresh process: its peak RSS is its own, and nothing is shared in caches."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(RUNNERS[engine], (docs, workdir, query_count, *extra))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.index_engines", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--engines", default="tantivy,fts5")
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind")
    parser.add_argument("--workdir", help="where the indexes are built (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--es-url", help="the Elasticsearch cluster of the es engine (default: a local noida-db)")
    parser.add_argument("--es-queries", type=int, default=5,
                        help="queries of each kind for es (noida-db answers in seconds at 100,000 documents)")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="moisson-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    try:
        for engine in engines:
            print(f"{engine}: indexing {args.docs:,} documents...", file=sys.stderr, flush=True)
            if engine == "es":
                results[engine] = _in_child(engine, args.docs, str(workdir), args.es_queries, args.es_url)
                results[engine]["queries_per_kind"] = args.es_queries
            else:
                results[engine] = _in_child(engine, args.docs, str(workdir), args.queries)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    _check_same_answers(results)
    _print_table(args.docs, results)
    _save(args.docs, args.queries, results)
    return 0


def _check_same_answers(results: dict[str, Any]) -> None:
    """The engines must find the same number of records for each query, or the comparison means nothing (es may
    have asked fewer queries: the first ones of the same list)."""
    for engine in ("fts5", "es"):
        if {"tantivy", engine} <= results.keys():
            for kind, totals in results["tantivy"]["totals"].items():
                other = results[engine]["totals"][kind]
                if totals[: len(other)] != other:
                    diff = sum(a != b for a, b in zip(totals, other, strict=False))
                    print(f"warning: {kind}: {diff} queries found different totals "
                          f"(tantivy {totals[:5]}..., {engine} {other[:5]}...)", file=sys.stderr)


def _print_table(docs: int, results: dict[str, Any]) -> None:
    print(f"\n{docs:,} documents, {os.cpu_count()} CPUs, facets: {len(FACETS)}, page {PAGE_SIZE} hits\n")
    header = f"{'':38}" + "".join(f"{e:>24}" for e in results)
    print(header)
    rows = [("build (s)", lambda r: f"{r['build_s']:.1f}"), ("docs/s", lambda r: f"{r['docs_per_s']:,}"),
            ("size on disk (MB)", lambda r: f"{r['size_bytes'] / 1e6:.1f}"),
            ("peak RSS (MB)", lambda r: f"{r['peak_rss_mb']:,}"),
            ("load average before / after", lambda r: f"{r['load_1min_before']} / {r['load_1min_after']}")]
    for label, fmt in rows:
        print(f"{label:38}" + "".join(f"{fmt(r):>24}" for r in results.values()))
    for engine, r in results.items():
        if "server" in r:
            print(f"{engine}: measured against {r['server']}; build CPU {r['build_cpu_s']}")
    kinds = next(iter(results.values()))["latency_ms"].keys()
    for kind in kinds:
        cells = [" / ".join(f"{r['latency_ms'][kind][p]:.0f}" for p in ("p50", "p95", "p99")) for r in results.values()]
        print(f"{kind + ' p50/p95/p99 ms':38}" + "".join(f"{cell:>24}" for cell in cells))


def _save(docs: int, query_count: int, results: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}}
    import tantivy

    run = saved["runs"].setdefault(str(docs), {"engines": {}})
    run["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                      "sqlite": sqlite3.sqlite_version, "tantivy_py": getattr(tantivy, "__version__", "?")}
    run["corpus"] = {"docs": docs, "seed": SEED, "facets": list(FACETS), "page_size": PAGE_SIZE,
                     "facet_size": FACET_SIZE, "batch": BATCH}
    for name, r in results.items():  # an engine measured alone replaces only its own figures
        run["engines"][name] = {k: v for k, v in r.items() if k != "totals"} | {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "queries_per_kind": r.get("queries_per_kind", query_count)}
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
