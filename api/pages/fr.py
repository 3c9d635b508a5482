"""The quality reports' words in French: MQA indicators, FAIR dimensions, statuses, French rules, SHACL messages.

Why a table here and not in :mod:`scoring`: the scoring layer writes English for the JSON API and the CLI (API field
names and values stay English); people read the pages in French. Keys are the stable indicator and check keys, so
the JSON and the page cannot drift apart; a message the patterns below do not know is shown as written, marked as
English (``lang="en"``) for screen readers.
"""

from __future__ import annotations

import re

# MQA indicator key -> (label, what to do), same order and meaning as scoring.mqa.INDICATORS.
INDICATORS: dict[str, tuple[str, str]] = {
    "keywords": ("mots-clés", "ajoutez des mots-clés (dcat:keyword) qu'un réutilisateur taperait pour trouver le jeu"),
    "themes": ("thèmes", "classez le jeu dans un thème du vocabulaire européen des thèmes (dcat:theme)"),
    "spatial": ("couverture géographique",
                "dites quel territoire couvrent les données (dct:spatial : une commune, un département ou une "
                "emprise)"),
    "temporal": ("couverture temporelle",
                 "dites quelle période couvrent les données (dct:temporal avec une date de début et de fin)"),
    "access_url_reachable": ("lien d'accès joignable",
                             "réparez les liens d'accès cassés des ressources (ils ne répondent pas HTTP 200)"),
    "download_url": ("lien de téléchargement présent",
                     "donnez à chaque ressource un lien direct de téléchargement du fichier (dcat:downloadURL)"),
    "download_url_reachable": ("lien de téléchargement joignable",
                               "faites répondre les liens de téléchargement (HTTP 200), et donnez-en un là où il "
                               "manque"),
    "format": ("format", "indiquez le format de fichier de chaque ressource (dct:format)"),
    "media_type": ("type de média", "indiquez le type de média de chaque ressource (dcat:mediaType, ex. text/csv)"),
    "format_vocabulary": ("format issu d'un vocabulaire",
                          "utilisez un format du vocabulaire européen des types de fichiers ou un type de média "
                          "IANA, pas du texte libre"),
    "non_proprietary": ("format non propriétaire",
                        "publiez au moins une ressource dans un format ouvert (CSV plutôt que XLS, GeoJSON plutôt "
                        "que SHP)"),
    "machine_readable": ("format lisible par une machine",
                         "publiez au moins une ressource lisible par une machine (CSV, JSON, XML…) et pas seulement "
                         "du PDF ou des images"),
    "dcat_ap_compliance": ("conformité DCAT-AP",
                           "corrigez les écarts à DCAT-AP listés pour le jeu (propriétés obligatoires, types de "
                           "valeurs)"),
    "licence": ("licence", "indiquez la licence des données (Licence Ouverte 2.0 ou ODbL pour une administration)"),
    "licence_vocabulary": ("licence issue d'un vocabulaire",
                           "nommez la licence par son identifiant ou son URL de référence plutôt qu'en texte libre"),
    "access_rights": ("droits d'accès", "dites si l'accès est public, restreint ou non public (dct:accessRights)"),
    "access_rights_vocabulary": ("droits d'accès issus d'un vocabulaire",
                                 "utilisez le vocabulaire européen des droits d'accès (PUBLIC, RESTRICTED, "
                                 "NON_PUBLIC)"),
    "contact_point": ("point de contact",
                      "donnez un point de contact (une adresse électronique de service où écrire)"),
    "publisher": ("éditeur", "nommez l'organisme éditeur (dct:publisher), idéalement avec son SIREN"),
    "rights": ("droits", "indiquez les droits attachés à chaque ressource (dct:rights)"),
    "byte_size": ("taille", "donnez la taille en octets de chaque fichier (dcat:byteSize)"),
    "issued": ("date de publication", "donnez la date de première publication (dct:issued)"),
    "modified": ("date de modification", "donnez la date de dernière modification (dct:modified)"),
}

DIMENSIONS: dict[str, str] = {
    "findability": "Trouvabilité", "accessibility": "Accessibilité", "interoperability": "Interopérabilité",
    "reusability": "Réutilisabilité", "contextuality": "Contexte",
}

STATUSES: dict[str, str] = {
    "met": "atteint", "partly met": "en partie", "missed": "manqué", "not checked": "pas encore vérifié",
    "not validated": "pas encore validé", "ok": "conforme", "fail": "non conforme", "n/a": "sans objet",
}

FRENCH_CHECKS: dict[str, str] = {
    "licence_french_admin": "licence permise aux administrations (décret 2017-638)",
    "schema_known": "schéma déclaré connu de schema.data.gouv.fr",
    "schema_version_known": "version du schéma déclaré publiée",
}

_CLASSES = {
    "the dataset": "le jeu de données", "the dataset series": "la série de jeux de données",
    "a distribution": "une ressource", "a data service": "un service de données", "the catalogue": "le catalogue",
    "an agent": "un agent", "a contact point": "un point de contact", "a location": "un lieu",
    "a period of time": "une période", "a checksum": "une somme de contrôle", "an identifier": "un identifiant",
    "a concept": "un concept", "a licence": "une licence", "a catalogue record": "une fiche de catalogue",
}
_WHAT = "|".join(re.escape(k) for k in sorted(_CLASSES, key=len, reverse=True))

# Patterns of scoring.shacl's plain-words messages and scoring.french's evidence, with their French.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(?P<what>{_WHAT}) has no (?P<prop>.+): DCAT-AP requires at least (?P<n>\d+)\.$", re.I),
     "{What} n'a pas de {prop} : DCAT-AP en exige au moins {n}."),
    (re.compile(rf"^(?P<what>{_WHAT}) has too many values for (?P<prop>.+): DCAT-AP allows at most (?P<n>\d+)\.$",
                re.I),
     "{What} a trop de valeurs pour {prop} : DCAT-AP en permet au plus {n}."),
    (re.compile(rf"^(?P<what>{_WHAT}) points with (?P<prop>.+) to (?P<value>\S+), described in another record: "
                r"the check that it is a (?P<cls>\S+) needs both records together\.$", re.I),
     "{What} renvoie par {prop} à {value}, décrit dans une autre fiche : vérifier que c'est un {cls} demande les "
     "deux fiches ensemble."),
    (re.compile(rf"^(?P<what>{_WHAT}) has (?P<prop>.+) = (?P<value>\S+), which is not declared a (?P<cls>\S+) as "
                r"DCAT-AP requires\.$", re.I),
     "{What} a {prop} = {value}, qui n'est pas déclaré comme {cls} ainsi que DCAT-AP l'exige."),
    (re.compile(rf"^(?P<what>{_WHAT}) has (?P<prop>.+) = (?P<value>.+); DCAT-AP wants a literal \(text, date, "
                r"number\) there\.$", re.I),
     "{What} a {prop} = {value} ; DCAT-AP attend là un littéral (texte, date, nombre)."),
    (re.compile(rf"^(?P<what>{_WHAT}) has (?P<prop>.+) = (?P<value>.+); DCAT-AP wants a resource \(an IRI\) "
                r"there\.$", re.I),
     "{What} a {prop} = {value} ; DCAT-AP attend là une ressource (une IRI)."),
    (re.compile(rf"^(?P<what>{_WHAT}) has (?P<prop>.+) = (?P<value>.+); DCAT-AP wants a value typed "
                r"(?P<cls>\S+)\.$", re.I),
     "{What} a {prop} = {value} ; DCAT-AP attend une valeur de type {cls}."),
    (re.compile(r"^no licence is stated$"), "aucune licence n'est indiquée"),
    (re.compile(r"^(?P<value>.+) is not in the list of décret 2017-638$"),
     "{value} n'est pas dans la liste du décret 2017-638"),
    (re.compile(r"^no schema\.data\.gouv\.fr schema is declared$"),
     "aucun schéma de schema.data.gouv.fr n'est déclaré"),
    (re.compile(r"^(?P<value>.+) is not in schema\.data\.gouv\.fr's catalogue$"),
     "{value} n'est pas au catalogue de schema.data.gouv.fr"),
    (re.compile(r"^(?P<value>.+) is declared without a version$"), "{value} est déclaré sans version"),
    (re.compile(r"^(?P<value>.+) has no version (?P<n>.+)$"), "{value} n'a pas de version {n}"),
    (re.compile(r"^the declared schema is not known$"), "le schéma déclaré n'est pas connu"),
    (re.compile(r"^use Licence Ouverte / Etalab 2\.0 or ODbL.*$"),
     "utilisez la Licence Ouverte / Etalab 2.0 ou l'ODbL, licences que le décret 2017-638 permet aux "
     "administrations sans homologation"),
    (re.compile(r"^name the schema exactly as schema\.data\.gouv\.fr does(?: \(did you mean (?P<value>.+)\?\))?$"),
     "nommez le schéma exactement comme schema.data.gouv.fr{hint}"),
    (re.compile(r"^state the version of (?P<value>\S+) the file follows \(latest: (?P<n>.+)\)$"),
     "indiquez la version de {value} que suit le fichier (dernière : {n})"),
    (re.compile(r"^declare one of the published versions of (?P<value>\S+) \((?P<n>.+)\)$"),
     "déclarez une des versions publiées de {value} ({n})"),
    (re.compile(r"^ok$"), "joignable"),
    (re.compile(r"^not checked yet$"), "pas encore vérifié"),
    (re.compile(r"^unreachable: (?P<value>.+)$"), "injoignable : {value}"),
    (re.compile(r"^timed out after (?P<value>.+)$"), "pas de réponse après {value}"),
    (re.compile(r"^too many redirects$"), "trop de redirections"),
]


def translate(text: str | None) -> tuple[str, bool]:
    """(French text, True) when a pattern knows the message; (the message as written, False) otherwise."""
    if not text:
        return "", True
    for pattern, french in _PATTERNS:
        if match := pattern.match(text.strip()):
            groups = {k: v or "" for k, v in match.groupdict().items()}
            what = _CLASSES.get((groups.get("what") or "").lower(), "")
            hint = f" (vouliez-vous dire {groups['value']} ?)" if groups.get("value") and "{hint}" in french else ""
            return french.format(What=what[:1].upper() + what[1:], hint=hint, **groups), True
    return text, False


def indicator(key: str) -> str:
    return INDICATORS.get(key, (key, ""))[0]


def fix(key: str) -> str:
    return INDICATORS.get(key, ("", ""))[1]


def shacl_summary(validated: bool, conforms: bool | None, own_violations: int, external: int) -> str:
    if not validated:
        return ("pas encore validé selon les formes DCAT-AP 3.0.1 (0 point en conformité DCAT-AP en attendant)")
    if not own_violations:
        extra = (f" ; {external} renvoi(s) à des ressources décrites dans d'autres fiches ne peuvent pas être "
                 "vérifiés sur cette seule fiche" if external else "")
        return "conforme aux formes DCAT-AP 3.0.1" + extra
    return f"{own_violations} écart(s) à DCAT-AP 3.0.1 à corriger"
