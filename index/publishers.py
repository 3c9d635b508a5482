"""Link each harvested publisher (the records' publisher Agent: name, SIREN) to a public body.

Rules, in order; the first that applies wins, with its confidence (0-1) and its name kept on the match:

1. ``override`` (1.0): ``config/publishers.yaml`` names the body (or ``none``) for this publisher name or SIREN.
2. ``siren`` (1.0): the metadata carries a SIREN/SIRET (udata organisations, DCAT identifiers, CKAN extras — the
   normalisers put it in ``publisher.siren``) that is a commune's or an EPCI's in the reference.
3. Names, folded (accents, case, articles, "Communauté d'agglomération" = "CA"...). A name that announces another
   kind of body (a CCAS, a syndicat, a State service: :data:`OTHER_BODY_WORDS`) is not matched at all.
   - ``name:<type>`` (0.9): a name with its kind of body — "Ville de Lyon", "Mairie de X", "Commune de X",
     "Département du Rhône", "Conseil départemental de X", "Région Bretagne", "Conseil régional X" — and one body of
     that kind bears the name; an EPCI's full name ("CC du Y", "Métropole de Lyon", "Toulouse Métropole") (0.95);
   - ``name+territory`` (0.8): several bodies bear the name (homonym communes) and one lies in the département
     where the publisher's records are, or where the source's publisher is;
   - ``epci-short`` (0.75): an EPCI name without its legal form ("Grand Annecy");
   - ``bare-name`` (0.7, or 0.6 with territory): a bare place name ("Vanves") naming one commune, or a région or
     département and nothing else.
   A SIREN the reference does not know does not stop name matching (départements' and régions' SIRENs are not in
   it), but a name match on a commune or EPCI whose SIREN differs is refused (``siren-mismatch``): a commune's
   other bodies (its CCAS, a régie) have their own SIREN and the commune's name.

Unmatched publishers keep the reason (no body of that name, ambiguous with its candidates, another kind of body).
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from index.bodies import Registry, registry
from index.store import Store
from normalise import vocab
from normalise.territory import name_key

DEFAULT_OVERRIDES = Path(__file__).resolve().parent.parent / "config" / "publishers.yaml"

# Words that say the publisher is another kind of body than a commune, EPCI, département or région (folded keys).
OTHER_BODY_WORDS = (
    "ccas", "cias", "centre communal", "syndicat", "sivu", "sivom", "sdis", "office", "tourisme", "ddt", "ddtm",
    "dreal", "draaf", "dgfip", "direction departementale", "direction regionale", "prefecture", "agence", "universite",
    "institut", "ecole", "college", "lycee", "musee", "chambre", "parc naturel", "epf", "gip", "association",
    "observatoire", "hopital", "chu", "port", "aeroport", "regie", "sem", "spl", "etablissement public", "insee",
    "ign", "cerema", "ademe", "ministere", "caisse", "crous",
)
_OTHER = re.compile(r"\b(" + "|".join(re.escape(w) for w in OTHER_BODY_WORDS) + r")\b")

# name key prefixes that announce the kind of body (after name_key: accents, case and articles gone)
_KIND_PREFIXES: list[tuple[str, str]] = [
    (r"(?:ville|mairie|commune|municipalite|cite)\s+", "commune"),
    (r"(?:departement|conseil departemental|conseil general|cd)\s+", "departement"),
    (r"(?:region|conseil regional|collectivite territoriale|collectivite)\s+", "region"),
]


@dataclass
class Match:
    """A publisher and the body it is linked to (body_id None: unmatched, ``reason`` says why)."""

    name: str
    siren: str | None
    body_id: str | None
    confidence: float
    rule: str
    reason: str = ""
    candidates: list[str] = field(default_factory=list)
    datasets: int = 0
    sources: list[str] = field(default_factory=list)
    obligated: bool = False

    def as_dict(self, reg: Registry | None = None) -> dict[str, Any]:
        body = (reg or registry()).get(self.body_id)
        return {"publisher": self.name, "siren": self.siren, "body": self.body_id,
                "body_name": body.name if body else None, "body_type": body.type if body else None,
                "obligated": self.obligated, "confidence": self.confidence, "rule": self.rule, "reason": self.reason,
                "candidates": self.candidates, "datasets": self.datasets, "sources": self.sources}


@dataclass
class Override:
    body_id: str | None  # None: "this publisher is no body"
    name: str | None = None
    siren: str | None = None


def overrides_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path``, else ``MOISSON_PUBLISHERS``, else config/publishers.yaml."""
    return Path(path or os.environ.get("MOISSON_PUBLISHERS") or DEFAULT_OVERRIDES)


class OverrideError(ValueError):
    """The overrides file is malformed or names a body that does not exist."""


def load_overrides(path: str | os.PathLike[str] | None = None, reg: Registry | None = None) -> list[Override]:
    """The hand-made matches of the overrides file (none if it does not exist); a bad entry is an error that names
    it, not a silent skip: an override nobody sees applied is worse than none."""
    file = overrides_path(path)
    if not file.exists():
        return []
    reg = reg or registry()
    data = yaml.safe_load(file.read_text("utf-8")) or {}
    entries = data.get("overrides") or [] if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise OverrideError(f"{file}: expected a mapping with an 'overrides' list")
    out = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not (entry.get("publisher") or entry.get("siren")) or "body" not in entry:
            raise OverrideError(f"{file}: override #{number} needs 'publisher' (a name) or 'siren', and 'body'")
        body = entry["body"]
        body_id = None if body in (None, "none", "") else str(body)
        if body_id is not None and reg.get(body_id) is None:
            raise OverrideError(f"{file}: override #{number}: no body {body_id!r} (ids look like commune:69123, "
                                f"epci:200046977, departement:69, region:84)")
        siren = vocab.siren(str(entry["siren"])) if entry.get("siren") else None
        if entry.get("siren") and siren is None:
            raise OverrideError(f"{file}: override #{number}: {entry['siren']!r} is not a SIREN or SIRET")
        out.append(Override(reg.aliases.get(body_id, body_id) if body_id else None,
                            str(entry["publisher"]) if entry.get("publisher") else None, siren))
    return out


@dataclass
class Context:
    """What helps tell homonyms apart: the départements of the publisher's records, and of its sources' owners."""

    departements: Counter[str] = field(default_factory=Counter)


class Matcher:
    def __init__(self, reg: Registry | None = None, overrides: list[Override] | None = None) -> None:
        self.reg = reg or registry()
        self.by_name = {fold_name(o.name): o for o in overrides or [] if o.name}
        self.by_siren = {o.siren: o for o in overrides or [] if o.siren}

    def match(self, name: str, siren: str | None = None, context: Context | None = None) -> Match:
        context = context or Context()
        override = self.by_name.get(fold_name(name)) or (self.by_siren.get(siren) if siren else None)
        if override is not None:
            return self._done(Match(name, siren, override.body_id, 1.0, "override",
                                    "" if override.body_id else "marked as no body by hand"))
        if siren and (body_id := self.reg.by_siren.get(siren)):
            return self._done(Match(name, siren, body_id, 1.0, "siren"))
        found = self._by_name(name, context)
        body = self.reg.get(found.body_id)
        if body is not None and siren and body.siren and body.siren != siren:
            return Match(name, siren, None, 0.0, "siren-mismatch",
                         f"named like {body.name} ({body.id}) but its SIREN {siren} is not that body's "
                         f"({body.siren}): another body of the same place", [body.id])
        found.siren = siren
        return self._done(found)

    def _done(self, match: Match) -> Match:
        body = self.reg.get(match.body_id)
        match.body_id = body.id if body else None
        match.obligated = bool(body and body.obligated)
        return match

    def _by_name(self, name: str, context: Context) -> Match:
        key = name_key(name)
        if not key:
            return Match(name, None, None, 0.0, "none", "no name")
        other = _OTHER.search(key)
        if other:
            return Match(name, None, None, 0.0, "other-body", f"'{other.group(1)}': not a commune, EPCI, "
                                                                f"département or région")
        epci = self.reg.by_name["epci"].get(key)
        if epci:
            return self._pick(name, epci, context, 0.95, "name:epci")
        for pattern, kind in _KIND_PREFIXES:
            m = re.match(pattern, key)
            if m and key[m.end():]:
                rest = key[m.end():]
                ids = self.reg.by_name[kind].get(rest, [])
                if ids:
                    return self._pick(name, ids, context, 0.9, f"name:{kind}")
        stripped = _strip_epci_form(key)
        if stripped and (short := self.reg.epci_short.get(stripped)):
            return self._pick(name, short, context, 0.75, "epci-short")
        territories = self.reg.by_name["region"].get(key, []) + self.reg.by_name["departement"].get(key, [])
        communes = self.reg.by_name["commune"].get(key, [])
        if territories and communes and set(territories) != set(communes):
            return Match(name, None, None, 0.0, "ambiguous", "a bare name of a territory and of a commune",
                         sorted(set(territories + communes)))
        if territories or communes:
            return self._pick(name, list(dict.fromkeys(territories or communes)), context, 0.7, "bare-name")
        if short := self.reg.epci_short.get(key):  # "Grand Annecy": an EPCI's name without its legal form
            return self._pick(name, short, context, 0.75, "epci-short")
        return Match(name, None, None, 0.0, "none", "no body of that name")

    def _pick(self, name: str, ids: list[str], context: Context, confidence: float, rule: str) -> Match:
        ids = list(dict.fromkeys(self.reg.aliases.get(i, i) for i in ids))
        if len(ids) == 1:
            return Match(name, None, ids[0], confidence, rule)
        bodies = [b for i in ids if (b := self.reg.get(i))]
        for dep, _ in context.departements.most_common():
            here = [b for b in bodies if b.departement == dep]
            if len(here) == 1:
                return Match(name, None, here[0].id, round(confidence - 0.1, 2),
                             "name+territory" if rule != "bare-name" else "bare-name+territory")
        return Match(name, None, None, 0.0, "ambiguous", f"{len(ids)} bodies bear this name", sorted(ids))


def fold_name(name: str) -> str:
    return " ".join(vocab.fold(name).split())


def _strip_epci_form(key: str) -> str:
    """A publisher's name key without an EPCI legal form ("ca ", "communaute ", "... agglo"), or ""."""
    for prefix in ("ca ", "cc ", "cu ", "communaute ", "agglomeration ", "agglo ", "intercommunalite ", "metropole "):
        if key.startswith(prefix):
            return key[len(prefix):]
    for suffix in (" agglomeration", " agglo", " communaute", " metropole"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return ""


# -- the publishers of a store ----------------------------------------------------------------------------------


def publisher_contexts(store: Store) -> dict[tuple[str, str], Context]:
    """(name, siren) -> the départements its active records are about, counted; plus those of the body that owns
    each source it is harvested from (the source's ``publisher`` hint), counted once per record."""
    contexts: dict[tuple[str, str], Context] = defaultdict(Context)
    rows = store.db.execute(
        """SELECT json_extract(record_json(r.data), '$.publisher.name') AS name,
                  COALESCE(json_extract(record_json(r.data), '$.publisher.siren'), '') AS siren, d.value AS dep,
                  COUNT(*) AS n
           FROM records r, json_each(record_json(r.data), '$.spatial') sp, json_each(sp.value, '$.departements') d
           WHERE r.status = 'active' AND json_extract(record_json(r.data), '$.publisher.name') IS NOT NULL
           GROUP BY 1, 2, 3""")
    for row in rows:
        contexts[(row["name"], row["siren"])].departements[row["dep"]] += row["n"]
    return contexts


def harvested_publishers(store: Store) -> list[dict[str, Any]]:
    """Distinct publishers (name, SIREN) of active records, with their record counts and sources."""
    rows = store.db.execute(
        """SELECT json_extract(record_json(data), '$.publisher.name') AS name,
                  COALESCE(json_extract(record_json(data), '$.publisher.siren'), '') AS siren, source_id, COUNT(*) AS n
           FROM records WHERE status = 'active' AND json_extract(record_json(data), '$.publisher.name') IS NOT NULL
           GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        item = out.setdefault((row["name"], row["siren"]), {"name": row["name"], "siren": row["siren"] or None,
                                                             "datasets": 0, "sources": []})
        item["datasets"] += row["n"]
        item["sources"].append(row["source_id"])
    return list(out.values())


def source_owner_contexts(store: Store, matcher: Matcher) -> dict[str, str]:
    """source id -> département of the body its ``publisher`` hint names (when it names one)."""
    out = {}
    for source in store.sources():
        hint = (orjson.loads(source["config"]) or {}).get("publisher") or {}
        if not (hint.get("name") or hint.get("siren")):
            continue
        body = matcher.reg.get(matcher.match(hint.get("name") or "", hint.get("siren")).body_id)
        if body is not None and body.departement:
            out[source["id"]] = body.departement
    return out


def match_publishers(store: Store, overrides: list[Override] | None = None,
                     reg: Registry | None = None) -> list[Match]:
    """Every publisher of the store, matched; overrides default to the overrides file."""
    reg = reg or registry()
    matcher = Matcher(reg, load_overrides(reg=reg) if overrides is None else overrides)
    contexts = publisher_contexts(store)
    owners = source_owner_contexts(store, matcher)
    out = []
    for pub in harvested_publishers(store):
        context = contexts.get((pub["name"], pub["siren"] or ""), Context())
        for source in pub["sources"]:
            if source in owners:
                context.departements[owners[source]] += 1
        match = matcher.match(pub["name"], pub["siren"], context)
        match.datasets, match.sources = pub["datasets"], pub["sources"]
        out.append(match)
    return out
