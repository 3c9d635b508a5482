"""A reproducible synthetic national catalog, in the native formats of every source type moisson harvests.

Run: ``python -m bench.corpus --records 100000 [--seed N] [--out DIR]`` writes the corpus to disk, one file per
source, streaming (a whole corpus is never held in memory); without ``--out`` it prints the sources table. The
benchmarks (``python -m bench``) do not need the files: :class:`Corpus` is *random access* — the record at position
``i`` of source ``s`` is a pure function of ``(seed, s, i)`` — so the synthetic portals of :mod:`bench.portals` render
any page of any source on the fly, whatever the corpus size, with constant memory on both sides.

Shape (modelled on the recorded portals in ../shared/fixtures, see their SOURCES.md):

* **sources**: thousands of them at national scale (one per ~300 records), sizes drawn from a Pareto law (a few
  regional platforms and geo-catalogues with tens of thousands of records, a long tail of small commune portals);
  types weighted as French open data is published: OpenDataSoft communes and EPCI, CKAN regional platforms, udata,
  GeoNetwork/GéoIDE CSW (ISO 19139), DCAT RDF/XML exports, ArcGIS Hub data.json (DCAT-US).
* **publishers**: the real bodies of config/reference/obligated.csv (communes above 3,500 inhabitants, EPCI,
  départements, régions) with their SIREN and territory (a bounding box from config/reference/places.csv.gz), so the
  normalisers' SIREN checks and INSEE territory lookups do real work.
* **records**: French titles built from ~70 subjects local bodies publish (budget, délibérations, arbres, PLU...),
  descriptions of 15 to 120 words drawn with a Zipf law from French catalog words (those of
  :mod:`bench.index_engines`), 2 to 8 keywords, 1 to 6 distributions in realistic formats and sizes, licences in
  each portal family's own wording (``lov2``, "Licence Ouverte v2.0 (Etalab)", Etalab URLs...), frequencies, temporal
  coverage, contact points, SCDL schemas on one record in ten, popularity counters.
* **duplicates across sources**, as messy as real ones (issue 14): some records are *origins*, published by the
  portal's own body; aggregating portals (udata nationally, CKAN platforms and CSW geo-catalogues in their région)
  hold *copies* of them, each with its own ids. Most copies carry their family's provenance marker -- udata's
  ``harvest`` block, CKAN's ``guid`` and ``harvest_source_*`` extras, the origin's ISO ``MD_Identifier`` code -- and
  point to the origin's files (with ``http`` for ``https``, a ``?download=1``, a trailing slash); the others were
  re-uploaded (their own file URLs) and say nothing of where they come from. Copies reword the title (place added or
  dropped, capitals, separators), trim or extend the description, give the licence in their family's words, and a
  CKAN copy may name its publisher without SIREN ("Commune de X" for "Ville de X"). Look-alikes stay: half the titles
  do not name their place, and one description in ten is a national template, the same for every commune.
  :meth:`Corpus.truth` tells which dataset a harvested record is (its origin's key), for precision and recall.
* **dates**: every source lists its records newest first (``modified`` decreases with the position), so an
  incremental harvest ("changed since") and CKAN's ``metadata_modified desc`` order are plain arithmetic.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import math
import random
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from bench.index_engines import FILLERS, WORDS, _zipf
from kernel.records import RawRecord
from normalise.reference import DEFAULT_OUT, read_csv

SEED = 20261123
RECORDS_PER_SOURCE = 300  # national scale: ~1M records in ~3,300 sources
# Duplicates across portals (issue 14): the share of records published by their portal's own body that aggregators
# copy, and per aggregating family the share of its records that are copies of another portal's.
# Origins are one position in ORIGIN_EVERY of each source, copies one in COPY_EVERY of an aggregator's: copy slot n
# of an aggregator copies origin (a * n + b) mod M of its pool, so an aggregator never copies one dataset twice
# (random access stays a pure function of the position, and nothing of this shows in the records).
ORIGIN_EVERY = 10
COPY_EVERY = {"udata": 4, "ckan": 7, "csw": 12}
_PRIMES = (1_000_003, 999_983, 1_299_709, 15_485_863)
MARKED_SHARE = 0.8  # copies that carry their harvester's provenance marker
REHOSTED_SHARE = 0.7  # of the unmarked copies: files re-uploaded on the aggregator (no shared URL)
LOOKALIKE_SHARE = 0.5  # titles that do not name their place
BOILERPLATE_SHARE = 0.1  # descriptions that are a national template, the same for every body
# Stand-ins for the synthetic portals' own address in URLs that name it (an ODS origin is identified by the address it
# is harvested from, as on a real portal): bench.portals writes its base URL and host name in their place.
PORTALS, PORTALS_HOST = "{PORTALS}", "{PORTALS_HOST}"
NEWEST = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)  # fixed, so the corpus is the same whenever it is generated
STEP = timedelta(hours=7)  # between two consecutive records of a source (plus a jitter below one step)

# Source types, with their share of sources and a size weight (aggregators hold more records than commune portals).
SOURCE_TYPES: dict[str, tuple[float, float]] = {
    "ods": (0.30, 1.0), "ckan": (0.12, 2.5), "udata": (0.06, 3.0), "csw": (0.20, 2.0), "dcat": (0.20, 1.2),
    "dcat-us": (0.12, 0.6),
}
# The profile of the raw records each source type yields (harvesters/record.py).
PROFILES = {"ckan": "ckan", "ods": "ods", "udata": "udata", "csw": "iso19139", "dcat": "dcat", "dcat-us": "dcat-us"}
PAGE_SIZES = {"ckan": 100, "ods": 100, "udata": 100, "csw": 50, "dcat": 100}

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE = "http://publications.europa.eu/resource/authority/file-type/"

# -- what local bodies publish ----------------------------------------------------------------------------------------

# (subject, EU theme, kind of data, keywords). Kind: t tabular, g geographic, d documents.
SUBJECTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("Budget primitif", "ECON", "t", ("budget", "finances", "comptabilité")),
    ("Compte administratif", "ECON", "t", ("finances", "comptes", "dépenses")),
    ("Subventions aux associations", "ECON", "t", ("subventions", "associations", "scdl")),
    ("Marchés publics attribués", "ECON", "t", ("marchés publics", "achats", "commande publique")),
    ("Délibérations du conseil municipal", "GOVE", "d", ("délibérations", "conseil municipal", "actes")),
    ("Arrêtés municipaux", "GOVE", "d", ("arrêtés", "réglementation", "actes")),
    ("Liste des élus", "GOVE", "t", ("élus", "conseil", "mandats")),
    ("Résultats des élections municipales", "GOVE", "t", ("élections", "résultats", "vote")),
    ("Bureaux de vote", "GOVE", "g", ("élections", "bureaux de vote", "vote")),
    ("Équipements sportifs", "EDUC", "g", ("sport", "équipements", "gymnases")),
    ("Équipements publics", "GOVE", "g", ("équipements", "services publics", "scdl")),
    ("Piscines municipales", "EDUC", "g", ("piscines", "sport", "horaires")),
    ("Bibliothèques et médiathèques", "EDUC", "g", ("culture", "lecture publique", "médiathèques")),
    ("Menus de la restauration scolaire", "EDUC", "t", ("cantine", "menus", "écoles")),
    ("Effectifs scolaires", "EDUC", "t", ("écoles", "élèves", "éducation")),
    ("Prénoms des nouveau-nés", "SOCI", "t", ("prénoms", "naissances", "état civil")),
    ("Naissances, mariages et décès", "SOCI", "t", ("état civil", "démographie", "naissances")),
    ("Population légale", "SOCI", "t", ("population", "recensement", "insee")),
    ("Logements sociaux", "SOCI", "g", ("logement", "habitat", "hlm")),
    ("Arbres d'alignement", "ENVI", "g", ("arbres", "patrimoine arboré", "espaces verts")),
    ("Espaces verts et jardins", "ENVI", "g", ("parcs", "jardins", "espaces verts")),
    ("Qualité de l'air", "ENVI", "t", ("air", "pollution", "mesures")),
    ("Points d'apport volontaire", "ENVI", "g", ("déchets", "tri", "collecte")),
    ("Collecte des déchets ménagers", "ENVI", "g", ("déchets", "collecte", "calendrier")),
    ("Consommation d'eau potable", "ENVI", "t", ("eau", "consommation", "réseau")),
    ("Zones inondables", "ENVI", "g", ("risques", "inondation", "ppri")),
    ("Bruit routier", "ENVI", "g", ("bruit", "cartes de bruit", "environnement")),
    ("Consommation énergétique des bâtiments", "ENER", "t", ("énergie", "bâtiments", "consommation")),
    ("Bornes de recharge pour véhicules électriques", "ENER", "g", ("irve", "mobilité électrique", "bornes")),
    ("Installations photovoltaïques", "ENER", "g", ("solaire", "énergies renouvelables", "production")),
    ("Éclairage public", "ENER", "g", ("éclairage", "candélabres", "voirie")),
    ("Arrêts de bus", "TRAN", "g", ("transport", "bus", "arrêts")),
    ("Horaires des transports en commun", "TRAN", "t", ("gtfs", "horaires", "transport")),
    ("Aménagements cyclables", "TRAN", "g", ("vélo", "pistes cyclables", "mobilité")),
    ("Stationnement vélos", "TRAN", "g", ("vélo", "stationnement", "arceaux")),
    ("Parkings publics", "TRAN", "g", ("parking", "stationnement", "places")),
    ("Comptages routiers", "TRAN", "t", ("trafic", "comptages", "circulation")),
    ("Accidents de la circulation", "TRAN", "t", ("sécurité routière", "accidents", "voirie")),
    ("Travaux sur la voirie", "TRAN", "g", ("travaux", "voirie", "chantiers")),
    ("Plan local d'urbanisme", "REGI", "g", ("urbanisme", "plu", "zonage")),
    ("Permis de construire", "REGI", "t", ("urbanisme", "permis de construire", "autorisations")),
    ("Base adresse locale", "REGI", "g", ("adresses", "bal", "voies")),
    ("Cadastre", "REGI", "g", ("cadastre", "parcelles", "foncier")),
    ("Limites administratives", "REGI", "g", ("limites", "communes", "territoire")),
    ("Quartiers", "REGI", "g", ("quartiers", "découpage", "iris")),
    ("Orthophotographie", "REGI", "g", ("orthophotographie", "imagerie", "photographie aérienne")),
    ("Défibrillateurs", "HEAL", "g", ("défibrillateurs", "dae", "santé")),
    ("Établissements de santé", "HEAL", "g", ("santé", "hôpitaux", "établissements")),
    ("Pharmacies de garde", "HEAL", "t", ("pharmacies", "santé", "garde")),
    ("Police municipale : interventions", "JUST", "t", ("sécurité", "police municipale", "interventions")),
    ("Vidéoprotection", "JUST", "g", ("caméras", "sécurité", "vidéoprotection")),
    ("Marchés forains", "ECON", "g", ("marchés", "commerce", "forains")),
    ("Commerces de proximité", "ECON", "g", ("commerces", "économie", "centre-ville")),
    ("Offre touristique", "ECON", "g", ("tourisme", "hébergements", "loisirs")),
    ("Monuments historiques", "EDUC", "g", ("patrimoine", "monuments", "culture")),
    ("Agenda des événements", "EDUC", "t", ("agenda", "événements", "culture")),
    ("Associations de la commune", "SOCI", "t", ("associations", "vie associative", "annuaire")),
    ("Registre parcellaire graphique", "AGRI", "g", ("agriculture", "rpg", "parcelles")),
    ("Exploitations agricoles biologiques", "AGRI", "g", ("agriculture biologique", "exploitations", "bio")),
    ("Forêts publiques", "AGRI", "g", ("forêt", "onf", "boisements")),
    ("Couverture en fibre optique", "TECH", "g", ("fibre", "numérique", "très haut débit")),
    ("Points d'accès wifi public", "TECH", "g", ("wifi", "numérique", "accès")),
    ("Catalogue des données", "GOVE", "t", ("catalogue", "open data", "scdl")),
    ("Indicateurs de la qualité des services publics", "GOVE", "t", ("indicateurs", "services publics", "qualité")),
    ("Cimetières", "SOCI", "g", ("cimetières", "concessions", "funéraire")),
    ("Toilettes publiques", "SOCI", "g", ("sanitaires", "équipements", "accessibilité")),
    ("Crèches et modes de garde", "SOCI", "g", ("petite enfance", "crèches", "garde")),
    ("Aides sociales versées", "SOCI", "t", ("ccas", "aides", "solidarité")),
    ("Sentiers de randonnée", "EDUC", "g", ("randonnée", "sentiers", "loisirs")),
    ("Réseau hydrographique", "ENVI", "g", ("cours d'eau", "hydrographie", "rivières")),
]
QUALIFIERS = ["", "", "", "", "", " 2024", " 2023", " - mise à jour mensuelle", " (données brutes)", " - historique",
              " par quartier", " - géolocalisation"]
SCDL = ["scdl/budget", "scdl/subventions", "scdl/deliberations", "scdl/equipements", "scdl/catalogue",
        "scdl/prenoms", "etalab/schema-irve-statique", "etalab/schema-bal", "atlasante/schema-dae",
        "etalab/schema-amenagements-cyclables", "scdl/menus-collectifs"]

# Formats: (code, media type, extension, wording per portal family); service formats are WMS/WFS endpoints.
FORMATS: dict[str, dict[str, str]] = {
    "CSV": {"mime": "text/csv", "ext": "csv", "ckan": "CSV", "udata": "csv", "iso": "CSV"},
    "XLSX": {"mime": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ext": "xlsx",
             "ckan": "XLSX", "udata": "xlsx", "iso": "Excel"},
    "JSON": {"mime": "application/json", "ext": "json", "ckan": "JSON", "udata": "json", "iso": "JSON"},
    "GEOJSON": {"mime": "application/geo+json", "ext": "geojson", "ckan": "GeoJSON", "udata": "geojson",
                "iso": "GeoJSON"},
    "SHP": {"mime": "application/zip", "ext": "zip", "ckan": "Shapefile (zip)", "udata": "shp",
            "iso": "ESRI Shapefile"},
    "KML": {"mime": "application/vnd.google-earth.kml+xml", "ext": "kml", "ckan": "KML", "udata": "kml",
            "iso": "KML"},
    "PDF": {"mime": "application/pdf", "ext": "pdf", "ckan": "PDF", "udata": "pdf", "iso": "PDF"},
    "ODS": {"mime": "application/vnd.oasis.opendocument.spreadsheet", "ext": "ods", "ckan": "ODS", "udata": "ods",
            "iso": "ODS"},
    "ZIP": {"mime": "application/zip", "ext": "zip", "ckan": "ZIP", "udata": "zip", "iso": "ZIP"},
    "XML": {"mime": "application/xml", "ext": "xml", "ckan": "XML", "udata": "xml", "iso": "XML"},
    "WMS_SRVC": {"mime": "", "ext": "", "ckan": "OGC:WMS", "udata": "ogc:wms", "iso": "OGC:WMS"},
    "WFS_SRVC": {"mime": "", "ext": "", "ckan": "OGC:WFS", "udata": "ogc:wfs", "iso": "OGC:WFS"},
}
BY_KIND = {
    "t": (["CSV", "XLSX", "JSON", "ODS", "PDF", "XML"], (50, 20, 12, 6, 8, 4)),
    "g": (["SHP", "GEOJSON", "CSV", "WMS_SRVC", "WFS_SRVC", "KML", "JSON"], (22, 20, 16, 15, 12, 8, 7)),
    "d": (["PDF", "ZIP", "CSV", "XML"], (60, 20, 15, 5)),
}

# Licences: (code, weight) and each portal family's way of saying it.
LICENCES = [("ETALAB_2_0", 52), ("ODBL", 13), ("ETALAB_1_0", 9), ("CC_BY_4_0", 7), ("CC0", 2), ("NONE", 14),
            ("OTHER", 3)]
LICENCE_WORDING: dict[str, dict[str, tuple[str, str]]] = {
    # family: code -> (id or label, url or title)
    "ckan": {"ETALAB_2_0": ("lov2", "Licence Ouverte 2.0"), "ODBL": ("odc-odbl", "Open Data Commons Open Database "
             "License (ODbL)"), "ETALAB_1_0": ("fr-lo", "Licence Ouverte / Open Licence"),
             "CC_BY_4_0": ("cc-by", "Creative Commons Attribution"), "CC0": ("cc-zero", "Creative Commons CCZero"),
             "NONE": ("notspecified", "License not specified"), "OTHER": ("other-at", "Other (Attribution)")},
    "udata": {"ETALAB_2_0": ("lov2", ""), "ODBL": ("odc-odbl", ""), "ETALAB_1_0": ("fr-lo", ""),
              "CC_BY_4_0": ("cc-by", ""), "CC0": ("cc-zero", ""), "NONE": ("notspecified", ""),
              "OTHER": ("other-at", "")},
    "ods": {"ETALAB_2_0": ("Licence Ouverte v2.0 (Etalab)",
                           "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf"),
            "ODBL": ("Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/"),
            "ETALAB_1_0": ("Licence Ouverte (Etalab)", "https://www.etalab.gouv.fr/licence-ouverte-open-licence"),
            "CC_BY_4_0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
            "CC0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"), "NONE": ("", ""),
            "OTHER": ("Licence spécifique", "")},
    "url": {"ETALAB_2_0": ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", ""),
            "ODBL": ("http://opendatacommons.org/licenses/odbl/1.0/", ""),
            "ETALAB_1_0": ("https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf", ""),
            "CC_BY_4_0": ("https://creativecommons.org/licenses/by/4.0/", ""),
            "CC0": ("https://creativecommons.org/publicdomain/zero/1.0/", ""), "NONE": ("", ""),
            "OTHER": ("https://example.org/conditions-de-reutilisation", "")},
    "iso": {"ETALAB_2_0": ("Licence Ouverte version 2.0", ""), "ODBL": ("Open Database License (ODbL) 1.0", ""),
            "ETALAB_1_0": ("Licence ouverte / Open licence Etalab", ""),
            "CC_BY_4_0": ("Creative Commons Attribution 4.0", ""), "CC0": ("CC0", ""),
            "NONE": ("Pas de restriction d'accès public selon INSPIRE", ""),
            "OTHER": ("Utilisation libre sous réserve de mentionner la source", "")},
}
# Frequencies: (udata id, French label, EU code, ISO 19115 code), weighted.
FREQUENCIES = [("annual", "Annuelle", "ANNUAL", "annually", 30), ("monthly", "Mensuelle", "MONTHLY", "monthly", 12),
               ("irregular", "Irrégulière", "IRREG", "irregular", 20), ("daily", "Quotidienne", "DAILY", "daily", 6),
               ("weekly", "Hebdomadaire", "WEEKLY", "weekly", 4), ("quarterly", "Trimestrielle", "QUARTERLY",
                                                                    "quarterly", 4),
               ("unknown", "Inconnue", "UNKNOWN", "unknown", 24)]
ODS_THEMES = {"ECON": "Economie, Business, PME, Développement économique, Emploi", "GOVE": "Administration, "
              "Gouvernement, Finances publiques, Citoyenneté", "EDUC": "Culture, Patrimoine", "SOCI": "Services, "
              "Social", "ENVI": "Environnement", "ENER": "Environnement", "TRAN": "Transports, Déplacements",
              "REGI": "Aménagement du territoire, Urbanisme, Bâtiments, Equipements, Logement",
              "HEAL": "Santé", "JUST": "Justice, Sécurité, Police, Criminalité", "AGRI": "Environnement",
              "TECH": "Infrastructures, Réseaux et télécommunications"}
ISO_TOPICS = {"ECON": "economy", "GOVE": "boundaries", "EDUC": "society", "SOCI": "society", "ENVI": "environment",
              "ENER": "utilitiesCommunication", "TRAN": "transportation", "REGI": "planningCadastre",
              "HEAL": "health", "JUST": "society", "AGRI": "farming", "TECH": "utilitiesCommunication"}
CKAN_GROUPS = {"ECON": "Économie", "GOVE": "Citoyenneté", "EDUC": "Culture", "SOCI": "Société",
               "ENVI": "Environnement et climat", "ENER": "Énergie", "TRAN": "Transports et mobilités",
               "REGI": "Aménagement du territoire", "HEAL": "Santé", "JUST": "Sécurité", "AGRI": "Agriculture",
               "TECH": "Numérique"}
FIRST_NAMES = ["Marie", "Jean", "Camille", "Nicolas", "Sophie", "Julien", "Isabelle", "Pierre", "Nathalie", "Thomas",
               "Claire", "Antoine", "Élodie", "Mathieu", "Aurélie", "Sébastien", "Laure", "François"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]
SERVICES = ["Service SIG", "Direction des systèmes d'information", "Service urbanisme", "Service communication",
            "Direction des finances", "Mission open data", "Service environnement", "Direction de la mobilité"]


# -- publishers and sources -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Publisher:
    """A real body of config/reference/obligated.csv, with the box of its territory."""

    name: str
    siren: str
    kind: str  # commune | epci | departement | region
    code: str  # INSEE code (commune, département, région) or SIREN (EPCI)
    departement: str
    region: str
    bbox: tuple[float, float, float, float]

    @property
    def slug(self) -> str:
        return slug(self.name)

    @property
    def zone(self) -> str:
        """udata geozone id."""
        return {"commune": f"fr:commune:{self.code}", "departement": f"fr:departement:{self.code}",
                "region": f"fr:region:{self.code}", "epci": f"fr:epci:{self.code}"}[self.kind]

    @property
    def ods_reference(self) -> str:
        """ODS geographic_reference code ({country}_{admin level}_{code})."""
        return {"commune": f"fr_80_{self.code}", "departement": f"fr_60_{self.code}",
                "region": f"fr_40_{self.code}", "epci": f"fr_70_{self.code}"}[self.kind]


@dataclass(frozen=True, slots=True)
class Source:
    """One synthetic portal: its records are positions 0..size-1, newest first."""

    index: int
    id: str
    type: str
    size: int
    publisher: int  # the portal's own body (index in Corpus.publishers)
    aggregates: tuple[int, ...] = ()  # other bodies whose records the portal also holds (regional platforms)

    @property
    def profile(self) -> str:
        return PROFILES[self.type]

    @property
    def host(self) -> str:
        """The portal's public host name (appears in ids and URLs of its records)."""
        return f"{self.id}.example.fr"


@dataclass(slots=True)
class Resource:
    """One distribution of a logical dataset."""

    id: str
    format: str  # key of FORMATS
    title: str
    size: int
    created: datetime
    url: str | None = None  # a copy's file URL when it points at its origin's file (else the portal's own)
    file: str | None = None  # what the file is (its origin resource's id): equal files, equal checksums


@dataclass(frozen=True, slots=True)
class Origin:
    """What a copy's provenance marker says of its origin (udata harvest block, CKAN guid and harvest extras, the
    origin's ISO MD_Identifier code)."""

    family: str  # the origin's source type
    native_id: str  # its id at the origin (CKAN package id, ODS dataset_id, DCAT IRI, ISO fileIdentifier...)
    guid: str  # what ckanext-harvest's harvesters keep as ``guid``: the IRI for DCAT/ODS origins, else the id
    landing_page: str
    domain: str  # the origin portal's host
    portal: str  # the origin portal's title
    code: str  # its ISO MD_Identifier code (CSW origins)


@dataclass(slots=True)
class Record:
    """A logical dataset, before it is written in a portal family's format."""

    source: Source
    position: int
    uid: str  # stable per (source, position): UUID-shaped
    shared: str | None  # "origin source id/position" for an origin and its copies: one dataset
    title: str
    description: str
    keywords: list[str]
    theme: str  # EU theme code
    kind: str
    publisher: Publisher
    licence: str
    frequency: tuple[str, str, str, str, int] | None
    issued: datetime
    modified: datetime
    temporal: tuple[str, str] | None
    schema: str | None
    contact: tuple[str, str]  # (name, email)
    portal: Publisher  # the body running the portal the record is harvested from
    resources: list[Resource] = field(default_factory=list)
    views: int = 0
    downloads: int = 0
    bbox: tuple[float, float, float, float] | None = None
    publisher_name: str = ""  # as this portal names the publisher (a copy may differ from the origin)
    give_siren: bool = True  # False: the portal names the publisher without its SIREN
    origin: Origin | None = None  # a copy's provenance marker

    def __post_init__(self) -> None:
        if not self.publisher_name:
            self.publisher_name = self.publisher.name

    @property
    def name(self) -> str:
        """URL name of the dataset (CKAN name, udata slug, ODS dataset id)."""
        return f"{slug(self.title)[:60].rstrip('-')}-{self.position:06d}"


def record_uid(seed: int, source_index: int, position: int) -> str:
    """A UUID-shaped id whose last group is the record's position, so a portal can serve ``package_show?id=``."""
    digest = hashlib.blake2b(f"{seed}/{source_index}".encode(), digest_size=10).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{position:012x}"


def position_of(uid_or_name: str) -> int | None:
    """The position a record id or name was made from (see :func:`record_uid` and :attr:`Record.name`)."""
    tail = uid_or_name.rstrip("/").rsplit("-", 1)[-1].rsplit("_", 1)[-1]
    try:
        return int(tail, 16) if len(tail) == 12 else int(tail)
    except ValueError:
        return None


def slug(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.lower())
    out = "".join(c if c.isalnum() else "-" for c in folded if not unicodedata.combining(c))
    return "-".join(part for part in out.split("-") if part)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=1)
def load_publishers() -> list[Publisher]:
    """Bodies under the open-data obligation, each with a WGS84 box of its territory (communes: a few km around
    their GeoNames point; EPCI, départements, régions: the envelope of their communes' points)."""
    ref = Path(DEFAULT_OUT)
    points = {row["commune"]: (float(row["lon"]), float(row["lat"])) for row in read_csv(ref / "places.csv.gz")}
    communes = read_csv(ref / "communes.csv.gz")
    by_dep: dict[str, list[tuple[float, float]]] = {}
    by_reg: dict[str, list[tuple[float, float]]] = {}
    for row in communes:
        if (point := points.get(row["code"])) is not None:
            by_dep.setdefault(row["departement"], []).append(point)
            by_reg.setdefault(row["region"], []).append(point)
    members = {row["siren"]: row["members"].split() for row in read_csv(ref / "epci.csv.gz")}

    def envelope(pts: list[tuple[float, float]], pad: float) -> tuple[float, float, float, float] | None:
        if not pts:
            return None
        return (round(min(p[0] for p in pts) - pad, 4), round(min(p[1] for p in pts) - pad, 4),
                round(max(p[0] for p in pts) + pad, 4), round(max(p[1] for p in pts) + pad, 4))

    out = []
    for row in read_csv(ref / "obligated.csv"):
        kind = row["type"]
        if kind == "commune":
            box = envelope([points[row["code"]]] if row["code"] in points else [], 0.03)
            code = row["code"]
        elif kind == "epci":
            box = envelope([points[c] for c in members.get(row["siren"], []) if c in points], 0.01)
            code = row["siren"]
        elif kind == "departement":
            box, code = envelope(by_dep.get(row["code"], []), 0.02), row["code"]
        else:
            box, code = envelope(by_reg.get(row["code"], []), 0.02), row["code"]
        siren = row["siren"] or _region_siren(row["code"])
        if box is None or not siren:
            continue
        out.append(Publisher(_publisher_name(kind, row["name"]), siren, kind, code, row["departement"] or "",
                             row["region"], box))
    return out


def _publisher_name(kind: str, name: str) -> str:
    if kind == "commune":
        return f"Ville de {name}"
    if kind == "departement" and not name.lower().startswith(("département", "collectivité", "conseil")):
        return f"Département {name}" if name[0] in "AEIOUÉÈÂ" else f"Département de {name}"
    return name


def _region_siren(code: str) -> str:
    """A Luhn-valid 9-digit number standing for a body whose SIREN the reference table lacks (régions)."""
    base = f"2{int(code) if code.isdigit() else 99:02d}00000"
    for last in range(10):
        candidate = base + str(last)
        digits = [int(c) for c in candidate]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return candidate
    return base + "0"


# -- the corpus -----------------------------------------------------------------------------------------------------


class Corpus:
    """``records`` records in ``sources`` sources (default: one per 300 records), reproducible for ``seed``."""

    def __init__(self, records: int, *, seed: int = SEED, sources: int | None = None) -> None:
        if records < 1:
            raise ValueError("a corpus needs at least one record")
        self.records, self.seed = records, seed
        self.source_count = max(1, min(records, sources or max(len(SOURCE_TYPES), records // RECORDS_PER_SOURCE)))
        self.publishers = load_publishers()
        self._cw_words = _zipf(len(WORDS), 1.05)

    @cached_property
    def sources(self) -> list[Source]:
        """The sources, with sizes summing exactly to ``records``."""
        rng = random.Random(f"{self.seed}/sources")
        types = list(SOURCE_TYPES)
        shares = [SOURCE_TYPES[t][0] for t in types]
        # every type at least once, then by share
        kinds = types[: self.source_count] + rng.choices(types, weights=shares,
                                                         k=max(0, self.source_count - len(types)))
        weights = [rng.paretovariate(1.3) * SOURCE_TYPES[k][1] for k in kinds]
        cap = max(weights) if len(weights) < 20 else sorted(weights)[-max(2, len(weights) // 200)]
        weights = [min(w, cap) for w in weights]  # the largest portals hold a few % of the corpus, not half of it
        total = sum(weights)
        sizes = [max(1, int(self.records * w / total)) for w in weights]
        excess = sum(sizes) - self.records
        order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
        step = 0
        while excess != 0:  # adjust the largest sources until the sizes add up
            i = order[step % len(order)]
            if excess > 0 and sizes[i] > 1:
                sizes[i] -= 1
                excess -= 1
            elif excess < 0:
                sizes[i] += 1
                excess += 1
            step += 1
        out = []
        counters: dict[str, int] = {}
        for index, (kind, size) in enumerate(zip(kinds, sizes, strict=True)):
            counters[kind] = counters.get(kind, 0) + 1
            own = rng.randrange(len(self.publishers))
            aggregates: tuple[int, ...] = ()
            if kind in ("ckan", "udata", "csw") and size > 50:
                region = self.publishers[own].region
                nearby = [i for i, p in enumerate(self.publishers) if p.region == region]
                aggregates = tuple(rng.sample(nearby, min(len(nearby), 5 + size // 200)))
            out.append(Source(index, f"{kind}-{counters[kind]:04d}", kind, size, own, aggregates))
        return out

    def by_id(self, source_id: str) -> Source:
        return self._by_id[source_id]

    @cached_property
    def _by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    # -- logical records -------------------------------------------------------------------------------------------

    def modified(self, source: Source, position: int) -> datetime:
        """Newest first: position 0 is the most recently modified record of the source."""
        jitter = int(hashlib.blake2b(f"{self.seed}/{source.index}/{position}".encode(), digest_size=4).hexdigest(),
                     16) % int(STEP.total_seconds())
        return NEWEST - STEP * position - timedelta(seconds=jitter)

    def count_since(self, source: Source, since: datetime) -> int:
        """How many records of the source were modified at or after ``since`` (a prefix of the positions)."""
        low, high = 0, source.size
        while low < high:
            mid = (low + high) // 2
            if self.modified(source, mid) >= since:
                low = mid + 1
            else:
                high = mid
        return low

    def record(self, source: Source, position: int) -> Record:
        if not 0 <= position < source.size:
            raise IndexError(f"{source.id} has {source.size} records, not {position + 1}")
        rng = random.Random(f"{self.seed}/{source.index}/{position}")
        origin = self.is_origin(source, position)
        if not origin and source.aggregates:
            found = self._find_origin(source, position)
            if found is not None:
                return self._copy(source, position, *found)
        content = rng
        if origin:
            publisher = self.publishers[source.publisher]
        elif source.aggregates and rng.random() < 0.7:
            publisher = self.publishers[rng.choice(source.aggregates)]
        else:
            publisher = self.publishers[source.publisher]
        subject, theme, kind, subject_words = content.choice(SUBJECTS)
        place = publisher.name
        qualifier = content.choice(QUALIFIERS)
        title = f"{subject}{qualifier}" if content.random() < LOOKALIKE_SHARE else f"{subject}{qualifier} - {place}"
        if content.random() < BOILERPLATE_SHARE:
            description = BOILERPLATE.format(subject=subject)
        else:
            sentences = [f"{subject} de {place}.", self._sentence(content, 8, 30)]
            for _ in range(content.choice((0, 0, 1, 1, 2, 3))):
                sentences.append(self._sentence(content, 8, 25))
            description = " ".join(sentences)
        keywords = list(dict.fromkeys([*content.sample(subject_words, content.randint(1, len(subject_words))),
                                       *self._words(content, content.randint(1, 5))]))
        licence = content.choices([c for c, _ in LICENCES], weights=[w for _, w in LICENCES])[0]
        frequency = content.choices(FREQUENCIES, weights=[f[4] for f in FREQUENCIES])[0] \
            if content.random() < 0.7 else None
        modified = self.modified(source, position)
        issued = modified - timedelta(days=content.randint(0, 2500))
        year = content.randint(2012, 2024)
        temporal = (f"{year}-01-01", f"{year}-12-31") if content.random() < 0.35 else None
        schema = content.choice(SCDL) if content.random() < 0.1 else None
        if content.random() < 0.6:
            first, last = content.choice(FIRST_NAMES), content.choice(LAST_NAMES)
            contact = (f"{first} {last}", f"{slug(first)}.{slug(last)}@{publisher.slug[:30]}.fr")
        else:
            contact = (content.choice(SERVICES), f"opendata@{publisher.slug[:30]}.fr")
        formats_pool, weights = BY_KIND[kind]
        count = content.choices((1, 2, 3, 4, 5, 6), weights=(30, 28, 20, 12, 6, 4))[0]
        formats = list(dict.fromkeys(content.choices(formats_pool, weights=weights, k=count)))
        uid = record_uid(self.seed, source.index, position)
        resources = [
            Resource(str(uuid.UUID(int=rng.getrandbits(128), version=4)), fmt,
                     f"{slug(subject)[:40]}.{FORMATS[fmt]['ext']}" if FORMATS[fmt]["ext"] else f"Service {fmt[:3]}",
                     int(content.lognormvariate(11, 2.2)) + 200, issued + timedelta(days=content.randint(0, 30)))
            for fmt in formats
        ]
        w, s, e, n = publisher.bbox
        bbox = (w, s, e, n) if kind == "g" or content.random() < 0.5 else None
        return Record(source, position, uid, f"{source.id}/{position}" if origin else None, title, description,
                      keywords, theme, kind, publisher, licence, frequency, issued, modified, temporal, schema,
                      contact, self.publishers[source.publisher], resources,
                      views=int(rng.paretovariate(1.1) * 20) - 20, downloads=int(rng.paretovariate(1.2) * 5) - 5,
                      bbox=bbox)

    # -- origins and their copies (issue 14) -----------------------------------------------------------------------

    def _offset(self, source: Source, salt: str, modulo: int) -> int:
        return int(hashlib.blake2b(f"{self.seed}/{salt}/{source.index}".encode(), digest_size=6).hexdigest(), 16) \
            % modulo

    def is_origin(self, source: Source, position: int) -> bool:
        """Whether the record is published by its portal's own body and may be copied by aggregators."""
        return (position + self._offset(source, "origin", ORIGIN_EVERY)) % ORIGIN_EVERY == 0

    def _origins(self, source: Source) -> tuple[int, int]:
        """(the source's first origin position, how many origins it holds)."""
        first = -self._offset(source, "origin", ORIGIN_EVERY) % ORIGIN_EVERY
        return first, len(range(first, source.size, ORIGIN_EVERY))

    @cached_property
    def _origin_pools(self) -> dict[str, tuple[list[Source], list[int]]]:
        """Where each kind of aggregator takes its copies from (sources, cumulative origin counts): udata from any
        portal but another udata, CSW catalogues from CSW catalogues, CKAN platforms from any portal of their région
        but udata (nationally when their région holds too few origins); keyed by ``type`` or ``ckan/région``."""
        pools: dict[str, list[Source]] = {}
        for source in self.sources:
            region = self.publishers[source.publisher].region
            if source.type != "udata":
                pools.setdefault("udata", []).append(source)
                pools.setdefault(f"ckan/{region}", []).append(source)
            if source.type == "csw":
                pools.setdefault("csw", []).append(source)
        out = {}
        for key, sources in pools.items():
            total, cumulative = 0, []
            for source in sources:
                total += self._origins(source)[1]
                cumulative.append(total)
            out[key] = (sources, cumulative)
        return out

    def _find_origin(self, source: Source, position: int) -> tuple[Source, int] | None:
        """The origin a copy slot of an aggregator copies (None when the position is no copy slot)."""
        every = COPY_EVERY.get(source.type)
        if every is None:
            return None
        shifted = position + self._offset(source, "copy", every)
        if shifted % every:
            return None
        slot = shifted // every
        key = source.type
        if source.type == "ckan":  # its région's portals, if they hold enough origins for its copies
            regional = self._origin_pools.get(f"ckan/{self.publishers[source.publisher].region}")
            own = self._origins(source)[1]
            if regional and regional[1][-1] - own >= 3 * source.size // every:
                key = f"ckan/{self.publishers[source.publisher].region}"
            else:
                key = "udata"
        sources, cumulative = self._origin_pools.get(key, ([], []))
        total = cumulative[-1] if cumulative else 0
        if not total:
            return None
        multiplier = next(p for p in _PRIMES if total % p)
        for step in range(3):  # the origin drawn is in the aggregator itself: the next one
            index = (multiplier * slot + self._offset(source, "pool", total) + step) % total
            at = bisect.bisect_right(cumulative, index)
            origin_source = sources[at]
            if origin_source.index != source.index:
                first, _ = self._origins(origin_source)
                return origin_source, first + ORIGIN_EVERY * (index - (cumulative[at - 1] if at else 0))
        return None

    def _copy(self, source: Source, position: int, origin_source: Source, origin_position: int) -> Record:
        """The origin's dataset as an aggregator holds it: its own ids, dates and counters, the origin's content made
        messy as real copies are, and (mostly) its family's provenance marker."""
        original = self.record(origin_source, origin_position)
        rng = random.Random(f"{self.seed}/{source.index}/{position}")
        mess = random.Random(f"{self.seed}/mess/{source.index}/{position}")
        geo_harvest = source.type == "csw"  # a geo-catalogue harvesting another keeps the ISO record as it is
        marked = geo_harvest or mess.random() < MARKED_SHARE
        rehosted = not marked and mess.random() < REHOSTED_SHARE
        title, description = original.title, original.description
        publisher_name, give_siren = original.publisher.name, True
        if not geo_harvest:
            title = _reworded_title(original, mess)
            description = _reworded_description(original, mess)
            if source.type == "ckan" and mess.random() < 0.4:
                publisher_name, give_siren = _name_only(original.publisher, mess), False
        resources = []
        for res in original.resources:
            spec = FORMATS[res.format]
            url = None
            if spec["ext"] and not rehosted:
                url = _messy_url(origin_file_url(original, res), mess) if not geo_harvest else \
                    origin_file_url(original, res)
            resources.append(Resource(str(uuid.UUID(int=rng.getrandbits(128), version=4)), res.format, res.title,
                                      res.size, res.created, url=url, file=res.file or res.id))
        return Record(
            source, position, record_uid(self.seed, source.index, position), original.shared, title, description,
            list(original.keywords), original.theme, original.kind, original.publisher, original.licence,
            original.frequency, original.issued, self.modified(source, position), original.temporal,
            original.schema, original.contact, self.publishers[source.publisher], resources,
            views=int(rng.paretovariate(1.1) * 20) - 20, downloads=int(rng.paretovariate(1.2) * 5) - 5,
            bbox=original.bbox, publisher_name=publisher_name, give_siren=give_siren,
            origin=origin_of(original, self.publishers[origin_source.publisher]) if marked else None)

    def truth(self, source_id: str, native_id: str) -> str | None:
        """Which dataset a harvested record is: its origin's ``source/position`` for an origin or a copy, its own
        ``source/position`` otherwise; None when the id is not one this corpus makes."""
        source = self._by_id.get(source_id)
        position = native_position(source.type, native_id) if source else None
        if source is None or position is None or not 0 <= position < source.size:
            return None
        return self.record(source, position).shared or f"{source.id}/{position}"

    def _words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(WORDS, cum_weights=self._cw_words, k=k)

    def _sentence(self, rng: random.Random, low: int, high: int) -> str:
        words = [w if rng.random() > 0.3 else rng.choice(FILLERS) for w in self._words(rng, rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    # -- native formats --------------------------------------------------------------------------------------------

    def render(self, source: Source, position: int) -> dict[str, Any] | bytes:
        """The record as its portal serves it: a dict (JSON families) or bytes (ISO 19139 XML)."""
        record = self.record(source, position)
        return RENDERERS[source.type](record)

    def raw(self, source: Source, position: int) -> RawRecord:
        """The raw record moisson's harvester of this source type would yield (DCAT: see :meth:`dcat_page`)."""
        if source.type == "dcat":
            raise ValueError("DCAT raw records are cut out of a catalog page by the harvester: use dcat_page")
        record = self.record(source, position)
        rendered = RENDERERS[source.type](record)
        native = {"ckan": lambda r: r["id"], "ods": lambda r: r["dataset_id"], "udata": lambda r: r["id"],
                  "dcat-us": lambda r: r["identifier"], "csw": lambda r: record.uid}[source.type](rendered)
        content = rendered if isinstance(rendered, bytes) else orjson.dumps(rendered, option=orjson.OPT_SORT_KEYS)
        return RawRecord(source_id=source.id, native_id=native, url=f"https://{source.host}/record/{native}",
                         profile=source.profile, content=content,
                         media_type="application/xml" if source.type == "csw" else "application/json")

    def dcat_page(self, source: Source, page: int, page_size: int, base_url: str) -> bytes:
        """One page of the source's catalog as RDF/XML, data.gouv.fr's export shape, with a Hydra view."""
        start = (page - 1) * page_size
        stop = min(source.size, start + page_size)
        parts = [RDF_HEAD]
        for position in range(start, stop):
            parts.append(rdfxml_dataset(self.record(source, position)))
        pages = max(1, math.ceil(source.size / page_size))
        view = f"{base_url}?page={page}&page_size={page_size}"
        parts.append(f'  <rdf:Description rdf:about={quoteattr(base_url)}>\n'
                     '    <rdf:type rdf:resource="http://www.w3.org/ns/dcat#Catalog"/>\n'
                     '    <rdf:type rdf:resource="http://www.w3.org/ns/hydra/core#Collection"/>\n'
                     f'    <dct:title>{escape(self.publishers[source.publisher].name)}</dct:title>\n'
                     f'    <hydra:totalItems rdf:datatype="http://www.w3.org/2001/XMLSchema#integer">{source.size}'
                     '</hydra:totalItems>\n'
                     f'    <hydra:view rdf:resource={quoteattr(view)}/>\n  </rdf:Description>\n')
        parts.append(f'  <rdf:Description rdf:about={quoteattr(view)}>\n'
                     '    <rdf:type rdf:resource="http://www.w3.org/ns/hydra/core#PartialCollectionView"/>\n'
                     f'    <hydra:first rdf:resource={quoteattr(f"{base_url}?page=1&page_size={page_size}")}/>\n'
                     f'    <hydra:last rdf:resource={quoteattr(f"{base_url}?page={pages}&page_size={page_size}")}/>\n')
        if page < pages:
            following = f"{base_url}?page={page + 1}&page_size={page_size}"
            parts.append(f"    <hydra:next rdf:resource={quoteattr(following)}/>\n")
        parts.append("  </rdf:Description>\n</rdf:RDF>\n")
        return "".join(parts).encode("utf-8")

    def raw_records(self, source_type: str, count: int) -> Iterator[RawRecord]:
        """``count`` raw records of one source type, taken across the corpus' sources of that type (DCAT: cut out of
        catalog pages by moisson's own DCAT harvester, as a harvest does)."""
        sources = [s for s in self.sources if s.type == source_type] or \
            [Source(0, f"{source_type}-0000", source_type, count, 0)]
        done = 0
        while done < count:  # every source's records once, then again from the start if more are asked
            for source in sources:
                take = min(source.size, count - done)
                if source_type == "dcat":
                    url = f"https://{source.host}/catalog.rdf"
                    for page in range(1, math.ceil(take / PAGE_SIZES["dcat"]) + 1):
                        body = self.dcat_page(source, page, PAGE_SIZES["dcat"], url)
                        for item in split_dcat_page(source, body, url):
                            if isinstance(item, RawRecord) and done < count:
                                yield item
                                done += 1
                else:
                    for position in range(take):
                        yield self.raw(source, position)
                        done += 1
                if done >= count:
                    return

    # -- to disk ----------------------------------------------------------------------------------------------------

    def write(self, out: Path) -> dict[str, int]:
        """Every source to ``out/<type>/<source id>.<ext>`` (gzipped), one record at a time: JSON Lines for the JSON
        families, the RDF/XML catalog pages for DCAT, the ISO 19139 records one per line for CSW."""
        written: dict[str, int] = {}
        for source in self.sources:
            folder = out / source.type
            folder.mkdir(parents=True, exist_ok=True)
            ext = {"dcat": "rdf.gz", "csw": "xml.gz"}.get(source.type, "jsonl.gz")
            with gzip.open(folder / f"{source.id}.{ext}", "wb") as fh:
                if source.type == "dcat":
                    size = PAGE_SIZES["dcat"]
                    for page in range(1, math.ceil(source.size / size) + 1):
                        fh.write(self.dcat_page(source, page, size, f"https://{source.host}/catalog.rdf"))
                else:
                    for position in range(source.size):
                        rendered = self.render(source, position)
                        fh.write(rendered.replace(b"\n", b" ") if isinstance(rendered, bytes)
                                 else orjson.dumps(rendered))
                        fh.write(b"\n")
            written[source.type] = written.get(source.type, 0) + source.size
        return written


def split_dcat_page(source: Source, body: bytes, url: str) -> Iterator[Any]:
    """moisson's DCAT harvester reading one page (what a harvest does before normalising)."""
    from harvesters.dcat import DcatHarvester
    from kernel.config import SourceConfig
    from kernel.http import HttpClient

    harvester = DcatHarvester(SourceConfig(id=source.id, type="dcat", url=url), HttpClient())
    return iter(harvester.read_page(body, "application/rdf+xml", url).items)


# -- copies: provenance markers and messiness (issue 14) ------------------------------------------------------------

BOILERPLATE = ("{subject} : données publiées au titre de l'ouverture des données publiques (loi pour une République "
               "numérique), au format du socle commun des données locales. Mises à jour selon la fréquence indiquée.")


def ods_dataset_id(r: Record) -> str:
    """An ODS dataset id: the Socle commun's naming (SIREN of the portal's body first); the position keeps ids in
    portal order."""
    return f"{r.portal.siren}_{r.position:06d}_{slug(r.title)[:50].strip('-').replace('-', '_')}"


ODS_EXPORTS = {"CSV": "csv", "XLSX": "xlsx", "JSON": "json", "GEOJSON": "geojson", "SHP": "shp", "KML": "kml"}


def own_file_url(r: Record, res: Resource) -> str:
    """Where the record's portal serves a file (a copy pointing at its origin's file has ``res.url``)."""
    if res.url:
        return res.url
    host, ext = r.source.host, FORMATS[res.format]["ext"]
    kind = r.source.type
    if kind == "ckan":
        return f"https://{host}/dataset/{r.uid}/resource/{res.id}/download/{res.title}"
    if kind == "udata":
        return f"https://static.{host}/resources/{r.name}/{res.id}.{ext}"
    if kind == "dcat":
        return f"https://static.{host}/{res.id}.{ext}"
    if kind == "dcat-us":
        return f"https://{host}/datasets/{r.uid}.{ext}"
    if kind == "csw":
        return f"https://{host}/geonetwork/srv/api/records/{r.uid}/attachments/{res.title}"
    if kind == "ods":  # what moisson's ODS normaliser derives from the portal's address
        api = f"{PORTALS}/{r.source.id}/api/explore/v2.1/catalog/datasets/{ods_dataset_id(r)}"
        return f"{api}/exports/{ODS_EXPORTS.get(res.format, 'csv')}"
    return f"https://{host}/fichiers/{res.id}/{res.title}"


origin_file_url = own_file_url  # an origin's files are where its own portal serves them


def origin_of(r: Record, portal: Publisher) -> Origin:
    """What an aggregator's provenance marker says of an origin record ``r`` of a portal run by ``portal``: its id,
    IRI and landing page as the origin's own portal gives them (what moisson reads from the origin itself)."""
    host, kind = r.source.host, r.source.type
    title = f"Données ouvertes - {portal.name}"
    if kind == "ckan":
        page = f"https://{host}/jeux-de-donnees/{r.name}"
        return Origin(kind, r.uid, r.uid, page, host, title, "")
    if kind == "udata":
        page = f"https://{host}/fr/datasets/{r.name}/"
        return Origin(kind, r.uid.replace("-", "")[-24:], page, page, host, title, "")
    if kind == "dcat":
        iri = f"https://{host}/datasets/{r.uid}/"
        return Origin(kind, iri, iri, f"https://{host}/fr/datasets/{r.name}/", host, title, "")
    if kind == "dcat-us":
        iri = f"https://{host}/datasets/{r.uid}"
        return Origin(kind, iri, iri, f"https://{host}/datasets/{r.name}", host, title, "")
    if kind == "csw":
        return Origin(kind, r.uid, r.uid, f"https://{host}/geonetwork/srv/fre/catalog.search#/metadata/{r.uid}",
                      host, title, f"https://{host}/geonetwork/srv/{r.uid}")
    dataset_id = ods_dataset_id(r)
    page = f"{PORTALS}/{r.source.id}/explore/dataset/{dataset_id}/"
    return Origin(kind, dataset_id, page, page, PORTALS_HOST, title, "")


def _reworded_title(r: Record, rng: random.Random) -> str:
    """A third of copies retitle: the place added or dropped, capitals, another separator."""
    title, place = r.title, r.publisher.name
    if rng.random() >= 0.35:
        return title
    way = rng.randrange(3)
    if way == 0:
        return title[: -len(f" - {place}")] if title.endswith(f" - {place}") else f"{title} - {place}"
    if way == 1:
        return title.upper()
    return title.replace(" - ", " : ") if " - " in title else f"{title} ({place})"


def _reworded_description(r: Record, rng: random.Random) -> str:
    """A third of copies trim the description (its first sentences, or its first words), some add a sentence."""
    text = r.description
    draw = rng.random()
    if draw < 0.35:
        sentences = text.split(". ")
        if len(sentences) > 2:
            return ". ".join(sentences[:2]) + "."
        words = text.split()
        return " ".join(words[: max(6, int(len(words) * 0.6))]) + "…"
    if draw < 0.5:
        return f"Jeu de données moissonné depuis le portail de {r.portal.name}. {text}"
    return text


def _name_only(publisher: Publisher, rng: random.Random) -> str:
    """The publisher as a portal names it without its SIREN: "Commune de X", "Mairie de X" or "X" for a commune."""
    if publisher.kind == "commune" and publisher.name.startswith("Ville de "):
        place = publisher.name.removeprefix("Ville de ")
        return rng.choice([f"Commune de {place}", f"Mairie de {place}", place])
    return publisher.name


def _messy_url(url: str, rng: random.Random) -> str:
    """The origin's file URL as an aggregator writes it: http for https, a download flag, a tracking parameter, a
    trailing slash -- or unchanged."""
    draw = rng.random()
    if draw < 0.3 and url.startswith("https://"):
        return "http://" + url.removeprefix("https://")
    if draw < 0.45:
        return url + ("&" if "?" in url else "?") + "download=1"
    if draw < 0.55:
        return url + ("&" if "?" in url else "?") + "utm_source=moissonnage"
    if draw < 0.65 and not url.endswith("/"):
        return url + "/"
    return url


def native_position(kind: str, native_id: str) -> int | None:
    """The position a harvested record's native id was made from, by source type (see the renderers)."""
    if kind == "ods":
        parts = native_id.split("_")
        return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
    if kind == "udata" and re.fullmatch(r"[0-9a-f]{24}", native_id):
        return int(native_id[-12:], 16)
    return position_of(native_id)


# -- renderers: one per portal family --------------------------------------------------------------------------------


def ckan_org_id(siren: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"org/{siren}".encode()).hexdigest()))


def ckan_package(r: Record) -> dict[str, Any]:
    """A CKAN package dict as a French CKAN platform (DataSud-like, ckanext-scheming/spatial) gives it."""
    src, pub = r.source, r.publisher
    org_id = ckan_org_id(pub.siren if r.give_siren else f"name:{r.publisher_name}")
    licence_id, licence_title = LICENCE_WORDING["ckan"][r.licence]
    extras = [{"key": "siren_organisation", "value": pub.siren}] if r.give_siren else []
    if r.origin:  # ckanext-harvest's extras, and the guid its harvesters keep
        o = r.origin
        extras += [{"key": "guid", "value": o.guid},
                   {"key": "harvest_object_id", "value": str(uuid.UUID(hashlib.md5(r.uid.encode()).hexdigest()))},
                   {"key": "harvest_source_id", "value": str(uuid.UUID(hashlib.md5(o.domain.encode()).hexdigest()))},
                   {"key": "harvest_source_title", "value": o.portal}]
    if r.bbox:
        w, s, e, n = r.bbox
        extras.append({"key": "spatial", "value": orjson.dumps(
            {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}).decode()})
    if r.frequency:
        extras.append({"key": "frequency", "value": r.frequency[1]})
    if r.temporal:
        extras += [{"key": "temporal_start", "value": r.temporal[0]}, {"key": "temporal_end", "value": r.temporal[1]}]
    resources = []
    for n, res in enumerate(r.resources):
        spec = FORMATS[res.format]
        service = not spec["ext"]
        url = f"https://{src.host}/geoserver/{pub.slug[:30]}/ows" if service else own_file_url(r, res)
        resources.append({
            "id": res.id, "package_id": r.uid, "position": n, "name": res.title,
            "description": f"{r.title} ({spec['ckan']})", "format": spec["ckan"], "url": url,
            "mimetype": spec["mime"] or None, "size": None if service else res.size, "state": "active",
            "created": _iso(res.created), "last_modified": _iso(r.modified), "resource_type": None if service
            else "file.upload", "datastore_active": False, "hash": "",
            **({"schema": f"https://schema.data.gouv.fr/schemas/{r.schema}/latest/schema.json"}
               if r.schema and n == 0 else {}),
            **({"tracking_summary": {"total": r.downloads, "recent": r.downloads // 10}} if n == 0 else {}),
        })
    return {
        "id": r.uid, "name": r.name, "title": r.title, "notes": r.description, "type": "dataset", "state": "active",
        "private": False, "isopen": r.licence not in ("NONE", "OTHER"), "version": None,
        "license_id": licence_id, "license_title": licence_title,
        "metadata_created": _iso(r.issued), "metadata_modified": r.modified.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "author": r.publisher_name, "author_email": r.contact[1], "maintainer": r.contact[0],
        "maintainer_email": r.contact[1], "url": f"https://{src.host}/jeux-de-donnees/{r.name}",
        "owner_org": org_id,
        "organization": {"id": org_id, "name": slug(r.publisher_name), "title": r.publisher_name,
                         "type": "organization", "is_organization": True, "state": "active", "description": "",
                         "image_url": "", "created": "2019-03-01T10:00:00"},
        "tags": [{"name": k, "display_name": k, "state": "active", "vocabulary_id": None} for k in r.keywords],
        "num_tags": len(r.keywords),
        "groups": [{"id": r.theme.lower(), "name": slug(CKAN_GROUPS[r.theme]), "title": CKAN_GROUPS[r.theme],
                    "description": ""}],
        "resources": resources, "num_resources": len(resources), "extras": extras,
        "tracking_summary": {"total": r.views, "recent": r.views // 10},
        "relationships_as_subject": [], "relationships_as_object": [],
    }


def ods_dataset(r: Record) -> dict[str, Any]:
    """An Explore API v2.1 catalog dataset of an OpenDataSoft portal (metas.default, metas.dcat, metas.explore)."""
    pub = r.publisher
    label, url = LICENCE_WORDING["ods"][r.licence]
    geo = r.kind == "g"
    dcat: dict[str, Any] = {"created": _iso(r.issued) + "+00:00", "creator": pub.name,
                            "contact_name": r.contact[0], "contact_email": r.contact[1]}
    if r.frequency:
        dcat["accrualperiodicity"] = r.frequency[1]
    if r.temporal:
        dcat["temporal_coverage_start"], dcat["temporal_coverage_end"] = r.temporal
    if r.schema:
        dcat["conforms_to"] = [f"https://schema.data.gouv.fr/{r.schema}/"]
    fields = [{"name": f"champ_{n}", "label": w.capitalize(), "type": "text", "description": None,
               "annotations": {}} for n, w in enumerate(r.keywords[:6])]
    if geo:
        fields.append({"name": "geo_point_2d", "label": "Géolocalisation", "type": "geo_point_2d",
                       "description": None, "annotations": {}})
    return {
        # the Socle commun's naming (SIREN of the portal's body first); the position keeps ids in portal order
        "dataset_id": ods_dataset_id(r),
        "dataset_uid": "da_" + hashlib.blake2b(r.uid.encode(), digest_size=3).hexdigest(),  # one per dataset
        "has_records": True, "data_visible": True,
        "features": ["analyze", "timeserie"] + (["geo"] if geo else []), "attachments": [], "alternative_exports": [],
        "fields": fields,
        "metas": {
            "default": {
                "title": r.title, "description": f"<p>{escape(r.description)}</p>", "keyword": r.keywords,
                "theme": [ODS_THEMES[r.theme]], "publisher": pub.name, "license": label or None,
                "license_url": url or None, "language": "fr", "modified": _iso(r.modified) + "+00:00",
                "data_processed": _iso(r.modified) + "+00:00", "metadata_processed": _iso(r.modified) + "+00:00",
                "territory": [pub.name.split(" de ", 1)[-1]], "geographic_reference": [pub.ods_reference],
                "records_count": r.resources[0].size // 80, "references": None,
            },
            "dcat": dcat,
            "explore": {"download_count": r.downloads, "api_call_count": r.views * 3, "popularity_score": 0.0,
                        "reuse_count": r.downloads // 500},
        },
    }


def udata_dataset(r: Record) -> dict[str, Any]:
    """A udata API v1 dataset (data.gouv.fr's shape, udata/core/dataset/api_fields.py)."""
    src, pub = r.source, r.publisher
    org_id = hashlib.md5(f"org/{pub.siren}".encode()).hexdigest()[:24]
    resources = []
    for res in r.resources:
        spec = FORMATS[res.format]
        service = not spec["ext"]
        resources.append({
            "id": res.id, "title": res.title, "description": None, "filetype": "remote",
            "type": "api" if service else "main", "format": spec["udata"], "mime": spec["mime"] or None,
            "url": f"https://{src.host}/ows" if service else own_file_url(r, res),
            "latest": f"https://{src.host}/fr/datasets/r/{res.id}", "filesize": None if service else res.size,
            "checksum": None if service else {"type": "sha1",
                                              "value": hashlib.sha1((res.file or res.id).encode()).hexdigest()},
            "created_at": _iso(res.created) + "+00:00", "last_modified": _iso(r.modified) + "+00:00",
            "metrics": {"views": r.downloads // max(1, len(r.resources))},
            "schema": {"name": r.schema, "version": "latest", "url": None} if r.schema and res is r.resources[0]
            else {},
        })
    return {
        "id": r.uid.replace("-", "")[-24:], "title": r.title, "slug": r.name, "acronym": None,
        "description": r.description, "created_at": _iso(r.issued) + "+00:00",
        "last_modified": _iso(r.modified) + "+00:00", "last_update": _iso(r.modified) + "+00:00",
        "deleted": None, "private": False, "archived": None, "featured": False,
        "page": f"https://{src.host}/fr/datasets/{r.name}/", "uri": f"https://{src.host}/api/1/datasets/{r.name}/",
        "tags": [slug(k) for k in r.keywords], "license": LICENCE_WORDING["udata"][r.licence][0],
        "frequency": r.frequency[0] if r.frequency else "unknown",
        "temporal_coverage": {"start": r.temporal[0], "end": r.temporal[1]} if r.temporal else None,
        "spatial": {"zones": [pub.zone], "granularity": "fr:commune", "geom": None},
        "organization": {"id": org_id, "name": pub.name, "slug": pub.slug, "acronym": None,
                         "page": f"https://{src.host}/fr/organizations/{pub.slug}/",
                         "uri": f"https://{src.host}/api/1/organizations/{org_id}/", "badges": []},
        "owner": None, "resources": resources, "community_resources": [],
        "contact_points": [{"name": r.contact[0], "email": r.contact[1], "role": "contact"}],
        "metrics": {"views": r.views, "resources_downloads": r.downloads, "reuses": r.downloads // 500,
                    "followers": r.views // 200},
        "quality": {"score": 0.5}, "badges": [], "extras": {},
        "harvest": None if r.origin is None else {  # udata's note of where it harvested the dataset from
            "backend": {"ckan": "CKAN", "ods": "OpenDataSoft", "csw": "CSW-ISO-19139", "udata": "udata"}.get(
                r.origin.family, "DCAT"),
            "domain": r.origin.domain, "remote_id": r.origin.native_id, "remote_url": r.origin.landing_page,
            "source_id": hashlib.md5(r.origin.domain.encode()).hexdigest()[:24],
            "created_at": _iso(r.issued), "last_update": _iso(r.modified)},
    }


def udata_organisation(pub: Publisher, host: str) -> dict[str, Any]:
    org_id = hashlib.md5(f"org/{pub.siren}".encode()).hexdigest()[:24]
    return {"id": org_id, "name": pub.name, "slug": pub.slug, "acronym": None, "business_number_id": pub.siren,
            "url": f"https://www.{pub.slug[:30]}.fr", "page": f"https://{host}/fr/organizations/{pub.slug}/",
            "badges": [{"kind": "public-service"}], "metrics": {"datasets": 0}}


def dcat_us_dataset(r: Record) -> dict[str, Any]:
    """A DCAT-US 1.1 data.json dataset as an ArcGIS Hub site publishes it."""
    src, pub = r.source, r.publisher
    licence = LICENCE_WORDING["url"][r.licence][0]
    distributions = []
    for res in r.resources:
        spec = FORMATS[res.format]
        if spec["ext"]:
            distributions.append({"@type": "dcat:Distribution", "title": res.title, "format": res.format.title(),
                                  "mediaType": spec["mime"],
                                  "downloadURL": own_file_url(r, res)})
        else:
            distributions.append({"@type": "dcat:Distribution", "title": "ArcGIS GeoService", "format": "Esri REST",
                                  "accessURL": f"https://services.{src.host}/arcgis/rest/services/{r.name}/"
                                               "FeatureServer/0"})
    out: dict[str, Any] = {
        "@type": "dcat:Dataset", "identifier": f"https://{src.host}/datasets/{r.uid}", "title": r.title,
        "description": r.description, "keyword": r.keywords, "issued": _iso(r.issued) + ".000Z",
        "modified": _iso(r.modified) + ".000Z", "publisher": {"name": pub.name},
        "contactPoint": {"@type": "vcard:Contact", "fn": r.contact[0], "hasEmail": f"mailto:{r.contact[1]}"},
        "accessLevel": "public", "landingPage": f"https://{src.host}/datasets/{r.name}",
        "distribution": distributions, "theme": [CKAN_GROUPS[r.theme]], "language": ["fr-FR"],
    }
    if licence:
        out["license"] = licence
    if r.bbox:
        out["spatial"] = ",".join(str(v) for v in r.bbox)
    return out


def schema_org_dataset(r: Record) -> dict[str, Any]:
    """A schema.org Dataset as embedded in a portal's page (JSON-LD)."""
    src, pub = r.source, r.publisher
    out: dict[str, Any] = {
        "@context": "https://schema.org/", "@type": "Dataset", "@id": f"https://{src.host}/jeux-de-donnees/{r.name}",
        "name": r.title, "description": r.description, "keywords": r.keywords, "url":
        f"https://{src.host}/jeux-de-donnees/{r.name}", "identifier": r.uid, "inLanguage": "fr",
        "datePublished": r.issued.date().isoformat(), "dateModified": _iso(r.modified),
        "publisher": {"@type": "Organization", "name": pub.name, "taxID": pub.siren},
        "creator": {"@type": "Organization", "name": pub.name},
        "distribution": [{"@type": "DataDownload", "name": res.title,
                          "encodingFormat": FORMATS[res.format]["mime"] or res.format,
                          "contentUrl": f"https://{src.host}/fichiers/{res.id}/{res.title}",
                          "contentSize": f"{res.size} o"} for res in r.resources if FORMATS[res.format]["ext"]],
    }
    if (licence := LICENCE_WORDING["url"][r.licence][0]):
        out["license"] = licence
    if r.bbox:
        w, s, e, n = r.bbox
        out["spatialCoverage"] = {"@type": "Place", "name": pub.name,
                                  "geo": {"@type": "GeoShape", "box": f"{s} {w} {n} {e}"}}
    if r.temporal:
        out["temporalCoverage"] = f"{r.temporal[0]}/{r.temporal[1]}"
    return out


RDF_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF
   xmlns:adms="http://www.w3.org/ns/adms#"
   xmlns:dcat="http://www.w3.org/ns/dcat#"
   xmlns:dct="http://purl.org/dc/terms/"
   xmlns:foaf="http://xmlns.com/foaf/0.1/"
   xmlns:hydra="http://www.w3.org/ns/hydra/core#"
   xmlns:locn="http://www.w3.org/ns/locn#"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
   xmlns:vcard="http://www.w3.org/2006/vcard/ns#"
>
"""
_DT = 'rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime"'


def rdfxml_dataset(r: Record) -> str:
    """One dataset in data.gouv.fr's RDF/XML export shape (flat rdf:Description nodes), as GeoDCAT-AP adds it."""
    src, pub = r.source, r.publisher
    about = f"https://{src.host}/datasets/{r.uid}/"
    dist_uris = [f"{about}#resource-{res.id}" for res in r.resources]
    publisher_uri = f"https://{src.host}/organizations/{pub.siren}/"
    node = r.uid.replace("-", "")  # rdf:nodeID is document-wide: one per dataset
    contact = f"c{node}"
    lines = [
        f'  <rdf:Description rdf:about="{about}">\n',
        '    <rdf:type rdf:resource="http://www.w3.org/ns/dcat#Dataset"/>\n',
        f"    <dct:identifier>{about}</dct:identifier>\n",
        f"    <dct:title>{escape(r.title)}</dct:title>\n",
        f"    <dct:description>{escape(r.description)}</dct:description>\n",
        f"    <dct:issued {_DT}>{_iso(r.issued)}</dct:issued>\n",
        f"    <dct:modified {_DT}>{_iso(r.modified)}</dct:modified>\n",
        f'    <dcat:landingPage rdf:resource="https://{src.host}/fr/datasets/{r.name}/"/>\n',
        *(f"    <dcat:keyword>{escape(k)}</dcat:keyword>\n" for k in r.keywords),
        f'    <dcat:theme rdf:resource="{EU_THEME}{r.theme}"/>\n',
        '    <dct:language rdf:resource="http://publications.europa.eu/resource/authority/language/FRA"/>\n',
        *(f'    <dcat:distribution rdf:resource="{uri}"/>\n' for uri in dist_uris),
        f'    <dct:publisher rdf:resource="{publisher_uri}"/>\n',
        f'    <dcat:contactPoint rdf:nodeID="{contact}"/>\n',
    ]
    if r.frequency:
        lines.append(f'    <dct:accrualPeriodicity rdf:resource="{EU_FREQ}{r.frequency[2]}"/>\n')
    if r.bbox:
        lines.append(f'    <dct:spatial rdf:nodeID="s{node}"/>\n')
    if r.temporal:
        lines.append(f'    <dct:temporal rdf:nodeID="t{node}"/>\n')
    if r.schema:
        lines.append(f'    <dct:conformsTo rdf:resource="https://schema.data.gouv.fr/{r.schema}/"/>\n')
    lines.append("  </rdf:Description>\n")
    licence = LICENCE_WORDING["url"][r.licence][0]
    for uri, res in zip(dist_uris, r.resources, strict=True):
        spec = FORMATS[res.format]
        lines += [
            f'  <rdf:Description rdf:about="{uri}">\n',
            '    <rdf:type rdf:resource="http://www.w3.org/ns/dcat#Distribution"/>\n',
            f"    <dct:identifier>{res.id}</dct:identifier>\n",
            f"    <dct:title>{escape(res.title)}</dct:title>\n",
            f'    <dcat:accessURL rdf:resource="https://{src.host}/datasets/r/{res.id}"/>\n',
            f'    <dct:format rdf:resource="{EU_FILE}{res.format}"/>\n',
        ]
        if spec["ext"]:
            lines += [f'    <dcat:downloadURL rdf:resource="{escape(own_file_url(r, res))}"/>\n',
                      f"    <dcat:mediaType>{spec['mime']}</dcat:mediaType>\n",
                      f'    <dcat:byteSize rdf:datatype="http://www.w3.org/2001/XMLSchema#decimal">{res.size}'
                      "</dcat:byteSize>\n"]
        if licence:
            lines.append(f'    <dct:license rdf:resource="{licence}"/>\n')
        lines.append(f"    <dct:issued {_DT}>{_iso(res.created)}</dct:issued>\n  </rdf:Description>\n")
    lines += [
        f'  <rdf:Description rdf:about="{publisher_uri}">\n',
        '    <rdf:type rdf:resource="http://xmlns.com/foaf/0.1/Organization"/>\n',
        f"    <foaf:name>{escape(pub.name)}</foaf:name>\n",
        f"    <dct:identifier>{pub.siren}</dct:identifier>\n  </rdf:Description>\n",
        f'  <rdf:Description rdf:nodeID="{contact}">\n',
        '    <rdf:type rdf:resource="http://www.w3.org/2006/vcard/ns#Kind"/>\n',
        f"    <vcard:fn>{escape(r.contact[0])}</vcard:fn>\n",
        f'    <vcard:hasEmail rdf:resource="mailto:{r.contact[1]}"/>\n  </rdf:Description>\n',
    ]
    if r.bbox:
        w, s, e, n = r.bbox
        lines += [f'  <rdf:Description rdf:nodeID="s{node}">\n',
                  '    <rdf:type rdf:resource="http://purl.org/dc/terms/Location"/>\n',
                  '    <locn:geometry rdf:datatype="http://www.opengis.net/ont/geosparql#wktLiteral">'
                  f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))</locn:geometry>\n  </rdf:Description>\n"]
    if r.temporal:
        lines += [f'  <rdf:Description rdf:nodeID="t{node}">\n',
                  '    <rdf:type rdf:resource="http://purl.org/dc/terms/PeriodOfTime"/>\n',
                  f'    <dcat:startDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">{r.temporal[0]}'
                  "</dcat:startDate>\n",
                  f'    <dcat:endDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">{r.temporal[1]}'
                  "</dcat:endDate>\n  </rdf:Description>\n"]
    return "".join(lines)


def _cs(tag: str, value: str, indent: str) -> str:
    return f"{indent}<gmd:{tag}><gco:CharacterString>{escape(value)}</gco:CharacterString></gmd:{tag}>\n"


def _party(name: str, email: str, role: str, indent: str) -> str:
    return (f"{indent}<gmd:CI_ResponsibleParty>\n"
            + _cs("organisationName", name, indent + "  ")
            + f"{indent}  <gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>\n"
            + _cs("electronicMailAddress", email, indent + "    ")
            + f"{indent}  </gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>\n"
            f'{indent}  <gmd:role><gmd:CI_RoleCode codeList="http://standards.iso.org/iso/19139/resources/'
            f'gmxCodelists.xml#CI_RoleCode" codeListValue="{role}">{role}</gmd:CI_RoleCode></gmd:role>\n'
            f"{indent}</gmd:CI_ResponsibleParty>\n")


PURPOSE = ("Mise à disposition des données dans le cadre de la directive INSPIRE et de l'ouverture des données "
           "publiques.")


def iso19139_record(r: Record) -> bytes:
    """A gmd:MD_Metadata record as French geo-catalogues (GéoIDE, GeoNetwork) serve it, ISO 19139 / INSPIRE."""
    src, pub = r.source, r.publisher
    w, s, e, n = r.bbox or pub.bbox
    licence = LICENCE_WORDING["iso"][r.licence][0]
    # the resource identifier: a geo-catalogue harvesting another keeps the origin's (issue 14)
    code = r.origin.code if r.origin and r.origin.code else f"https://{src.host}/geonetwork/srv/{r.uid}"
    keywords = "".join(f"              <gmd:keyword><gco:CharacterString>{escape(k)}</gco:CharacterString>"
                       "</gmd:keyword>\n" for k in r.keywords)
    online = []
    for res in r.resources:
        spec = FORMATS[res.format]
        if spec["ext"]:
            url, protocol, name = own_file_url(r, res), "WWW:DOWNLOAD-1.0-http--download", res.title
        else:
            url = f"https://{src.host}/geoserver/ows?SERVICE={res.format[:3]}&REQUEST=GetCapabilities"
            protocol, name = f"OGC:{res.format[:3]}", f"{pub.slug[:20]}:{slug(r.title)[:30]}"
        online.append(
            "            <gmd:onLine><gmd:CI_OnlineResource>\n"
            f"              <gmd:linkage><gmd:URL>{escape(url)}</gmd:URL></gmd:linkage>\n"
            f"              <gmd:protocol><gco:CharacterString>{protocol}</gco:CharacterString></gmd:protocol>\n"
            f"              <gmd:name><gco:CharacterString>{escape(name)}</gco:CharacterString></gmd:name>\n"
            f"              <gmd:description><gco:CharacterString>{escape(r.title)} ({spec['iso']})"
            "</gco:CharacterString></gmd:description>\n"
            "            </gmd:CI_OnlineResource></gmd:onLine>\n")
    formats = "".join(
        f"      <gmd:distributionFormat><gmd:MD_Format><gmd:name><gco:CharacterString>{FORMATS[f.format]['iso']}"
        "</gco:CharacterString></gmd:name><gmd:version><gco:CharacterString>inconnue</gco:CharacterString>"
        "</gmd:version></gmd:MD_Format></gmd:distributionFormat>\n"
        for f in r.resources if FORMATS[f.format]["ext"])
    frequency = ""
    if r.frequency:
        frequency = ("          <gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdate"
                     'Frequency><gmd:MD_MaintenanceFrequencyCode codeList="http://standards.iso.org/iso/19139/'
                     f'resources/gmxCodelists.xml#MD_MaintenanceFrequencyCode" codeListValue="{r.frequency[3]}"/>'
                     "</gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation>"
                     "</gmd:resourceMaintenance>\n")
    temporal = ""
    if r.temporal:
        temporal = ('          <gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="tp1">'
                    f"<gml:beginPosition>{r.temporal[0]}</gml:beginPosition><gml:endPosition>{r.temporal[1]}"
                    "</gml:endPosition></gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent>"
                    "</gmd:temporalElement>\n")
    xml = f"""<?xml version='1.0' encoding='UTF-8'?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" \
xmlns:gml="http://www.opengis.net/gml" xmlns:gmx="http://www.isotc211.org/2005/gmx" \
xmlns:xlink="http://www.w3.org/1999/xlink">
  <gmd:fileIdentifier><gco:CharacterString>{r.uid}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre\
</gmd:LanguageCode></gmd:language>
  <gmd:characterSet><gmd:MD_CharacterSetCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#\
MD_CharacterSetCode" codeListValue="utf8">utf8</gmd:MD_CharacterSetCode></gmd:characterSet>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#\
MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
  <gmd:contact>
{_party(pub.name, r.contact[1], "pointOfContact", "    ")}  </gmd:contact>
  <gmd:dateStamp><gco:DateTime>{_iso(r.modified)}</gco:DateTime></gmd:dateStamp>
  <gmd:metadataStandardName><gco:CharacterString>ISO 19115:2003/19139</gco:CharacterString></gmd:metadataStandardName>
  <gmd:metadataStandardVersion><gco:CharacterString>1.0</gco:CharacterString></gmd:metadataStandardVersion>
  <gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier><gmd:code>\
<gmx:Anchor xlink:href="http://www.opengis.net/def/crs/EPSG/0/2154">RGF93 / Lambert-93 (EPSG:2154)</gmx:Anchor>\
</gmd:code></gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation>
        <gmd:CI_Citation>
{_cs("title", r.title, "          ")}          <gmd:date><gmd:CI_Date><gmd:date><gco:Date>{r.issued.date()}</gco:Date>\
</gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#\
CI_DateTypeCode" codeListValue="publication">publication</gmd:CI_DateTypeCode></gmd:dateType></gmd:CI_Date></gmd:date>
          <gmd:date><gmd:CI_Date><gmd:date><gco:Date>{r.modified.date()}</gco:Date></gmd:date><gmd:dateType>\
<gmd:CI_DateTypeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode" \
codeListValue="revision">revision</gmd:CI_DateTypeCode></gmd:dateType></gmd:CI_Date></gmd:date>
          <gmd:identifier><gmd:MD_Identifier><gmd:code><gco:CharacterString>{escape(code)}</gco:CharacterString>\
</gmd:code></gmd:MD_Identifier></gmd:identifier>
        </gmd:CI_Citation>
      </gmd:citation>
{_cs("abstract", r.description, "      ")}{_cs("purpose", PURPOSE, "      ")}\
      <gmd:status><gmd:MD_ProgressCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#\
MD_ProgressCode" codeListValue="onGoing">onGoing</gmd:MD_ProgressCode></gmd:status>
      <gmd:pointOfContact>
{_party(r.contact[0], r.contact[1], "pointOfContact", "        ")}      </gmd:pointOfContact>
      <gmd:pointOfContact>
{_party(pub.name, f"contact@{pub.slug[:30]}.fr", "owner", "        ")}      </gmd:pointOfContact>
{frequency}      <gmd:descriptiveKeywords>
        <gmd:MD_Keywords>
{keywords}          <gmd:type><gmd:MD_KeywordTypeCode codeList="http://standards.iso.org/iso/19139/resources/\
gmxCodelists.xml#MD_KeywordTypeCode" codeListValue="theme">theme</gmd:MD_KeywordTypeCode></gmd:type>
        </gmd:MD_Keywords>
      </gmd:descriptiveKeywords>
      <gmd:resourceConstraints><gmd:MD_LegalConstraints>
        <gmd:accessConstraints><gmd:MD_RestrictionCode codeList="http://standards.iso.org/iso/19139/resources/\
gmxCodelists.xml#MD_RestrictionCode" codeListValue="otherRestrictions">otherRestrictions</gmd:MD_RestrictionCode>\
</gmd:accessConstraints>
        <gmd:useConstraints><gmd:MD_RestrictionCode codeList="http://standards.iso.org/iso/19139/resources/\
gmxCodelists.xml#MD_RestrictionCode" codeListValue="otherRestrictions">otherRestrictions</gmd:MD_RestrictionCode>\
</gmd:useConstraints>
        <gmd:otherConstraints><gco:CharacterString>{escape(licence)}</gco:CharacterString></gmd:otherConstraints>
      </gmd:MD_LegalConstraints></gmd:resourceConstraints>
      <gmd:spatialRepresentationType><gmd:MD_SpatialRepresentationTypeCode codeList="http://standards.iso.org/iso/\
19139/resources/gmxCodelists.xml#MD_SpatialRepresentationTypeCode" codeListValue="vector">vector\
</gmd:MD_SpatialRepresentationTypeCode></gmd:spatialRepresentationType>
      <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre\
</gmd:LanguageCode></gmd:language>
      <gmd:topicCategory><gmd:MD_TopicCategoryCode>{ISO_TOPICS[r.theme]}</gmd:MD_TopicCategoryCode></gmd:topicCategory>
      <gmd:extent>
        <gmd:EX_Extent>
          <gmd:geographicElement><gmd:EX_GeographicBoundingBox>
            <gmd:westBoundLongitude><gco:Decimal>{w}</gco:Decimal></gmd:westBoundLongitude>
            <gmd:eastBoundLongitude><gco:Decimal>{e}</gco:Decimal></gmd:eastBoundLongitude>
            <gmd:southBoundLatitude><gco:Decimal>{s}</gco:Decimal></gmd:southBoundLatitude>
            <gmd:northBoundLatitude><gco:Decimal>{n}</gco:Decimal></gmd:northBoundLatitude>
          </gmd:EX_GeographicBoundingBox></gmd:geographicElement>
{temporal}        </gmd:EX_Extent>
      </gmd:extent>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
  <gmd:distributionInfo>
    <gmd:MD_Distribution>
{formats}      <gmd:transferOptions>
        <gmd:MD_DigitalTransferOptions>
{"".join(online)}        </gmd:MD_DigitalTransferOptions>
      </gmd:transferOptions>
    </gmd:MD_Distribution>
  </gmd:distributionInfo>
  <gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:scope><gmd:DQ_Scope><gmd:level><gmd:MD_ScopeCode codeList="http://\
standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode>\
</gmd:level></gmd:DQ_Scope></gmd:scope>
    <gmd:lineage><gmd:LI_Lineage><gmd:statement><gco:CharacterString>Données produites par {escape(pub.name)} \
à partir de relevés de terrain et de sources administratives.</gco:CharacterString></gmd:statement></gmd:LI_Lineage>\
</gmd:lineage>
  </gmd:DQ_DataQuality></gmd:dataQualityInfo>
</gmd:MD_Metadata>
"""
    return xml.encode("utf-8")


RENDERERS: dict[str, Any] = {"ckan": ckan_package, "ods": ods_dataset, "udata": udata_dataset,
                             "dcat-us": dcat_us_dataset, "csw": iso19139_record, "schema-org": schema_org_dataset}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sources", type=int, help=f"default: one per {RECORDS_PER_SOURCE} records")
    parser.add_argument("--out", type=Path, help="write the corpus there (gzipped files, one per source)")
    args = parser.parse_args(argv)
    corpus = Corpus(args.records, seed=args.seed, sources=args.sources)
    by_type: dict[str, list[int]] = {}
    for source in corpus.sources:
        by_type.setdefault(source.type, []).append(source.size)
    print(f"{corpus.records:,} records in {len(corpus.sources):,} sources (seed {corpus.seed})")
    for kind, sizes in sorted(by_type.items()):
        print(f"  {kind:8} {len(sizes):6,} sources {sum(sizes):10,} records  largest {max(sizes):8,}  "
              f"median {sorted(sizes)[len(sizes) // 2]:6,}")
    if args.out:
        written = corpus.write(args.out)
        print(f"written to {args.out}: {sum(written.values()):,} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
