"""Rendering: the Jinja2 environment of every page, its French filters, and the one way a page answers.

Why Jinja2 with autoescape: everything a page shows comes from sources moisson does not control (titles, URLs,
descriptions); with autoescape on, a template cannot forget to escape, and a value that is already safe HTML must be
marked so explicitly (:class:`markupsafe.Markup`). Pages carry no inline script, no inline style and no style
attribute (the Content-Security-Policy allows scripts and styles from the site only): presentation lives in
``api/static/moisson.css``, behaviour in ``api/static/moisson.js``, and every page works without it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from api.pages import fr, labels

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def number(value: float | int | None, decimals: int = 0) -> str:
    """French number: narrow no-break space between thousands, decimal comma."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def percent(value: float | None, decimals: int = 0) -> str:
    return "" if value is None else f"{number(value * 100, decimals)}\u00a0%"


def size(value: int | None) -> str:
    """Bytes as people read them: 1,2 Mo."""
    if value is None:
        return ""
    for unit, factor in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if value >= factor:
            return f"{number(value / factor, 1)}\u00a0{unit}"
    return f"{value}\u00a0octets"


def _moment(value: str | None) -> date | datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text[:10])
    except ValueError:
        match = re.match(r"^(\d{4})(?:-(\d{2}))?", text)
        if not match:
            return None
        return date(int(match.group(1)), int(match.group(2) or 1), 1)


def date_fr(value: str | None, with_time: bool = False) -> str:
    """``2025-03-12`` -> "12 mars 2025"; a bare year or month stays that precise."""
    moment = _moment(value)
    if moment is None:
        return value or ""
    text = value.strip() if value else ""
    if re.fullmatch(r"\d{4}", text):
        return text
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{MONTHS[moment.month - 1]} {moment.year}"
    day = "1er" if moment.day == 1 else str(moment.day)
    out = f"{day} {MONTHS[moment.month - 1]} {moment.year}"
    if with_time and isinstance(moment, datetime):
        out += f" à {moment.hour:02d}:{moment.minute:02d}"
    return out


def iso_day(value: str | None) -> str:
    """The machine-readable date of a <time> element."""
    moment = _moment(value)
    return moment.isoformat()[:10] if moment else ""


def query_string(params: dict[str, Any] | list[tuple[str, str]]) -> str:
    items = params.items() if isinstance(params, dict) else params
    flat: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, list | tuple):
            flat += [(key, str(v)) for v in value if v not in (None, "")]
        elif value not in (None, ""):
            flat.append((key, str(value)))
    return urlencode(flat)


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links: a record's URL is the source's text, not to be trusted."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def french(text: str | None) -> Markup:
    """A scoring message in French, or as written inside a span marked lang="en" when no pattern knows it."""
    translated, known = fr.translate(text)
    if known:
        return Markup.escape(translated)
    return Markup('<span lang="en">{}</span>').format(translated)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(number=number, percent=percent, size=size, date_fr=date_fr, iso_day=iso_day,
                       qs=query_string, safe_url=safe_url, french=french, theme=labels.theme,
                       licence=labels.licence, format_name=labels.format_name, departement=labels.departement,
                       region=labels.region, commune=labels.commune, band=labels.band, schema=labels.schema,
                       frequency=labels.frequency, access_rights=labels.access_rights, language=labels.language,
                       indicator=fr.indicator, fix=fr.fix, dimension=lambda k: fr.DIMENSIONS.get(k, k),
                       status=lambda s: fr.STATUSES.get(s, s))
    env.globals.update(facet_titles=labels.FACET_TITLES, french_checks=fr.FRENCH_CHECKS)
    return env


ENV = _environment()


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


def page(template: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTMLResponse:
    """A page for people: text/html in UTF-8 from ``api/templates/<template>``."""
    return HTMLResponse(render(template, **context), status_code=status_code, headers=headers)
