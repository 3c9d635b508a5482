"""Labels for people: every code the index and the model hold, said in French.

Why here and from the vocabularies: the index keeps short codes (``TRAN``, ``ETALAB_2_0``, ``69``, ``84``) because
they are stable filter values in URLs; a page must never show them. Each label comes from the table moisson already
ships for that code — EU themes from ``config/vocabularies/themes.yaml`` (French labels of the EU authority table),
licences from ``licences.yaml`` through :func:`normalise.vocab.licence_title`, départements and régions from the
administrative reference (:mod:`normalise.territory`), schemas from schema.data.gouv.fr's catalogue snapshot — so a
new entry in a table is a new label here without code. What no table names keeps a readable form, never a raw
URI.
"""

from __future__ import annotations

import re
from functools import cache

from index.document import licence_code
from normalise import territory, vocab

FACET_TITLES: dict[str, str] = {
    "theme": "Thème", "publisher": "Éditeur", "source": "Portail source", "format": "Format",
    "licence": "Licence", "region": "Région", "departement": "Département", "keyword": "Mot-clé",
    "kind": "Type", "quality_band": "Qualité des métadonnées", "schema": "Schéma de données",
}

# The order facets are shown in the search page's side bar: what reusers narrow by first.
FACET_ORDER: tuple[str, ...] = ("theme", "region", "departement", "publisher", "format", "licence", "quality_band",
                                "source", "schema", "keyword", "kind")

BANDS: dict[str, str] = {"excellent": "Excellente", "good": "Bonne", "sufficient": "Suffisante", "bad": "Insuffisante"}
KINDS: dict[str, str] = {"dataset": "Jeu de données", "service": "Service de données"}

# EU "Frequency" authority table, French labels of the Publications Office.
FREQUENCIES: dict[str, str] = {
    "CONT": "en continu", "UPDATE_CONT": "mise à jour continue", "HOURLY": "toutes les heures",
    "DAILY_2": "deux fois par jour", "DAILY": "quotidienne", "WEEKLY_3": "trois fois par semaine",
    "WEEKLY_2": "deux fois par semaine", "WEEKLY": "hebdomadaire", "BIWEEKLY": "toutes les deux semaines",
    "MONTHLY_3": "trois fois par mois", "MONTHLY_2": "deux fois par mois", "MONTHLY": "mensuelle",
    "BIMONTHLY": "tous les deux mois", "QUARTERLY": "trimestrielle", "ANNUAL_3": "trois fois par an",
    "ANNUAL_2": "semestrielle", "ANNUAL": "annuelle", "BIENNIAL": "tous les deux ans",
    "TRIENNIAL": "tous les trois ans",
    "QUADRENNIAL": "tous les quatre ans", "QUINQUENNIAL": "tous les cinq ans", "DECENNIAL": "tous les dix ans",
    "IRREG": "irrégulière", "NEVER": "jamais", "NOT_PLANNED": "non planifiée", "AS_NEEDED": "selon les besoins",
    "OTHER": "autre", "UNKNOWN": "inconnue", "OP_DATPRO": "données provisoires",
}
ACCESS_RIGHTS: dict[str, str] = {"PUBLIC": "public", "RESTRICTED": "restreint", "NON_PUBLIC": "non public"}

# EU "File type" codes whose code is not the name people know.
FORMAT_NAMES: dict[str, str] = {
    "SHP": "Shapefile", "RDF_XML": "RDF/XML", "RDF_TURTLE": "Turtle", "RDF_N_TRIPLES": "N-Triples",
    "JSON_LD": "JSON-LD", "GEOJSON": "GeoJSON", "MAP_PRVW": "aperçu cartographique", "ZIP": "ZIP",
    "HTML": "page web", "WMS_SRVC": "service WMS", "WFS_SRVC": "service WFS", "WMTS_SRVC": "service WMTS",
    "WCS_SRVC": "service WCS", "SPARQLQ": "SPARQL", "OCTET": "binaire",
}


def _tail(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def theme(code: str) -> str:
    """``TRAN`` (or the theme's URI) -> "Transports"."""
    code = code.upper() if "/" not in code else _tail(code).upper()
    return vocab.theme_label(vocab.THEME_BASE + code, "fr") or code.capitalize()


@cache
def _licence_labels() -> dict[str, str]:
    """Index licence code -> title, for every licence of the table (index codes may differ from EU codes: a URI
    outside the EU table gets a code of the same style from :func:`index.document.licence_code`)."""
    labels: dict[str, str] = {}
    for uri, info in vocab._licences().info.items():
        code = licence_code(uri)
        if code and info.get("label"):
            labels.setdefault(code, info["label"])
    return labels


# Index codes no table entry yields (licence_code() writes some codes in its own style).
LICENCE_NAMES: dict[str, str] = {
    "ETALAB_1_0": "Licence Ouverte / Open Licence version 1.0", "ODBL": "Open Database License (ODbL)",
    "ODC_BY": "Open Data Commons Attribution License (ODC-By)", "PDDL": "Open Data Commons Public Domain (PDDL)",
    "CC0": "Creative Commons Zero (domaine public)", "OTHER_OPEN": "Autre licence ouverte",
    "OTHER_AT": "Autre licence avec attribution", "OTHER_CLOSED": "Autre licence, non ouverte",
    "OTHER_NC": "Autre licence, usage non commercial", "OTHER_PD": "Autre licence, domaine public",
    "NOTSPECIFIED": "Licence non précisée",
}
_CC_CODE = re.compile(r"^CC_((?:BY|SA|NC|ND)(?:_?(?:BY|SA|NC|ND))*)_(\d)_(\d)(?:_([A-Z]{2}))?$")
_CC_PARTS = {"BY": "Attribution", "SA": "Partage dans les mêmes conditions", "NC": "Pas d'utilisation commerciale",
             "ND": "Pas de modification"}


def licence(code: str) -> str:
    """``ETALAB_2_0`` -> "Licence Ouverte / Open Licence version 2.0"; a URI is reduced to its code first."""
    if "/" in code:
        code = licence_code(code) or code
    code = code.upper()
    if label := LICENCE_NAMES.get(code) or _licence_labels().get(code):
        return label
    if match := _CC_CODE.match(code):
        parts = re.findall(r"BY|SA|NC|ND", match.group(1))
        port = f" {match.group(4)}" if match.group(4) else ""
        return (f"Creative Commons {' – '.join(_CC_PARTS[p] for p in parts)} {match.group(2)}.{match.group(3)}"
                f"{port}")
    if label := vocab.licence_title(vocab.LICENCE_BASE + code):
        return label
    return code.replace("_", " ").capitalize()


def format_name(code: str) -> str:
    """``CSV`` -> "CSV", ``SHP`` -> "Shapefile"; a source's own format word is shown as it wrote it."""
    if "/" in code:
        code = _tail(code)
    return FORMAT_NAMES.get(code.upper(), code)


def departement(code: str) -> str:
    return territory.departement_name(code) or f"département {code}"


def region(code: str) -> str:
    return territory.region_name(code) or f"région {code}"


def commune(code: str) -> str:
    found = territory.commune(code)
    return found.name if found else f"commune {code}"


@cache
def _schema_titles() -> dict[str, str]:
    from scoring.french import catalogue

    return {name: schema.title for name, schema in catalogue().items() if schema.title}


def schema(name: str) -> str:
    return _schema_titles().get(name, name)


def band(name: str | None) -> str:
    return BANDS.get(name or "", "non évaluée")


def frequency(uri: str | None) -> str | None:
    return FREQUENCIES.get(_tail(uri), _tail(uri).lower()) if uri else None


def access_rights(uri: str | None) -> str | None:
    return ACCESS_RIGHTS.get(_tail(uri), _tail(uri).lower()) if uri else None


def language(uri: str) -> str:
    names = {"FRA": "français", "ENG": "anglais", "DEU": "allemand", "SPA": "espagnol", "ITA": "italien",
             "OCI": "occitan", "BRE": "breton", "COS": "corse", "EUS": "basque", "CAT": "catalan", "NLD": "néerlandais"}
    return names.get(_tail(uri).upper(), _tail(uri).lower())


class FacetLabels:
    """Labels of one page's facet values; source ids get their names from the store (passed in, one query)."""

    def __init__(self, source_names: dict[str, str] | None = None) -> None:
        self.source_names = source_names or {}

    def __call__(self, facet: str, value: str) -> str:
        if facet == "theme":
            return theme(value)
        if facet == "licence":
            return licence(value)
        if facet == "format":
            return format_name(value)
        if facet == "departement":
            return f"{departement(value)} ({value})"
        if facet == "region":
            return region(value)
        if facet == "quality_band":
            return band(value)
        if facet == "kind":
            return KINDS.get(value, value)
        if facet == "schema":
            return schema(value)
        if facet == "source":
            return self.source_names.get(value, value)
        return value
