"""A dataset's page (``/datasets/{id}``): everything a reuser needs to judge and download it, for people and for
search engines; machines asking for data at the same IRI get the Linked Data 303 to the API.

The description is the source's Markdown (udata, CKAN) or text, rendered by markdown-it-py with raw HTML off and
images off (a remote image would leak the reader to the source's server, and the Content-Security-Policy refuses
it anyway); only http(s) links are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from api.charts import line_chart
from api.pages import labels, maps
from api.pages.jsonld import dataset_jsonld, script
from api.pages.render import page, safe_url
from api.pages.search import publisher_url, source_names
from api.routes.deps import JSON, RDF_MEDIA_TYPES, StoreDep, negotiate, public_base
from index import stats
from index.clusters import copies_of
from index.quality import LinkVerdicts, ensure_schema
from index.store import Store
from normalise.model import DataService, Dataset

router = APIRouter(include_in_schema=False)

HTML = "text/html"
ALTERNATES = (("ttl", "text/turtle", "Turtle"), ("jsonld", "application/ld+json", "JSON-LD"),
              ("rdf", "application/rdf+xml", "RDF/XML"), ("json", "application/json", "JSON"))
LINK_WORDS = {True: "joignable", False: "injoignable", None: "pas encore vérifié"}


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"linkify": False, "typographer": False})
    md.disable(["image"])
    md.validateLink = lambda url: url.strip().lower().startswith(("http://", "https://", "mailto:"))
    return md


def description_html(text: str | None) -> Markup:
    """The source's description, safe: Markdown without raw HTML or images, links with rel=nofollow."""
    if not text or not text.strip():
        return Markup("")
    html = _markdown().render(text.strip())
    return Markup(html.replace('<a href="', '<a rel="nofollow noopener" href="'))


@dataclass
class DistributionView:
    title: str
    format: str | None
    size: int | None
    url: str | None
    access_url: str | None
    link_ok: bool | None
    link_words: str
    checked_at: str | None


def other_copies(store: Store, record_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """The other portals' copies of this dataset (duplicate clustering, index/clusters.py): source, its name, record
    id, landing page, and whether it is the cluster's primary (the publisher's own record, shown first)."""
    _, _, copies = copies_of(store, record_id)
    return [{**c, "source_name": names.get(c["source"], c["source"]), "primary": i == 0}
            for i, c in enumerate(copies) if c["record_id"] != record_id]


def places(entry: Dataset | DataService) -> list[tuple[str, str]]:
    """(name, search link) of the record's communes, départements and régions."""
    out: list[tuple[str, str]] = []
    for s in entry.spatial:
        out += [(labels.commune(c), "") for c in s.communes[:10]]
        out += [(labels.departement(c), f"/recherche?departement={c}") for c in s.departements[:10]]
        out += [(labels.region(c), f"/recherche?region={c}") for c in s.regions[:10]]
    return list(dict.fromkeys(out))


def _distributions(store: Any, entry: Dataset) -> list[DistributionView]:
    urls = [u for d in entry.distributions for u in (d.download_url, d.access_url) if u]
    verdicts = {v["url"]: v for v in LinkVerdicts(store).details(urls)} if urls else {}
    out = []
    for d in entry.distributions:
        main = d.download_url or d.access_url
        verdict = verdicts.get(main or "", {})
        out.append(DistributionView(
            title=d.title or d.format_label or labels.format_name(d.format or "") or "ressource",
            format=labels.format_name(d.format) if d.format else d.format_label, size=d.byte_size,
            url=safe_url(d.download_url), access_url=safe_url(d.access_url) if d.access_url != d.download_url
            else None, link_ok=verdict.get("ok"), link_words=LINK_WORDS[verdict.get("ok")]
            + (f" ({verdict['reason']})" if verdict.get("ok") is False else ""),
            checked_at=verdict.get("checked_at")))
    return out


def _quality(store: Any, record_id: str) -> dict[str, Any] | None:
    ensure_schema(store)
    row = store.db.execute("SELECT score, band, computed_at FROM quality WHERE record_id = ?",
                           (record_id,)).fetchone()
    return dict(row) if row else None


@router.get("/datasets/{record_id}")
async def dataset_page(request: Request, record_id: str, store: StoreDep) -> Response:
    """moisson's own dataset IRIs ({base}/datasets/{id}, see normalise.rdf) dereference, the Linked Data way: a
    browser (text/html preferred) gets the page; any other client a 303 to the record in the API, which answers JSON
    or DCAT-AP by the Accept header the client sends again. ``async``, as ``GET /api/datasets/{id}``: its ~1 ms of
    store reads and rendering cost less than a hand-off to the thread pool, and a worker then answers in arrival order
    instead of its threads taking turns under the interpreter lock (p95 four times the p50 with 32 clients)."""
    wanted = negotiate(request.headers.get("accept"), [JSON, *RDF_MEDIA_TYPES.values(), HTML])
    if wanted != HTML or "format" in request.query_params:  # ?format= asks for data, whoever asks
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/api/datasets/{record_id}{query}", status_code=303)
    found = store.entry(record_id)
    if found is None:
        return page("error.html", status_code=404, heading="Jeu de données introuvable",
                    message=f"moisson ne connaît aucun jeu de données « {record_id} ». Les adresses des jeux "
                            "ressemblent à /datasets/<portail>.<16 chiffres hexadécimaux>.")
    entry, row = found
    base = public_base(request)
    page_url = f"{base}/datasets/{record_id}"
    names = source_names(store)
    place_list = places(entry)
    boxes = [s.bbox for s in entry.spatial if s.bbox]
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes)) if boxes else None
    deps = frozenset(c for s in entry.spatial for c in s.departements)
    if not deps:  # a record about whole régions: their départements
        regions = {r for s in entry.spatial for r in s.regions}
        deps = frozenset(d.code for d in maps.departements() if d.region in regions)
    coverage = maps.france(width=300, title="Couverture géographique du jeu de données", highlight=deps, bbox=bbox,
                           outlines=False) if (bbox or deps) else Markup("")
    samples = stats.record_samples(store, record_id)
    downloads_chart = line_chart([(s.at[:10], s.value) for s in samples], title="Téléchargements cumulés, "
                                 "relevés à chaque moisson", width=460, height=200) if samples else Markup("")
    history = store.history(record_id)
    changes = store.diff(record_id, history[-2]["version"], history[-1]["version"]) if len(history) > 1 else []
    data = dataset_jsonld(entry, page_url=page_url, place_names=[n for n, _ in place_list], catalogue_url=base + "/")
    return page(
        "dataset.html", entry=entry, meta=row, is_dataset=isinstance(entry, Dataset),
        description=description_html(entry.description),
        publisher_link=publisher_url(entry.publisher.name) if entry.publisher else None,
        source_name=names.get(entry.source_id, entry.source_id), landing_page=safe_url(entry.landing_page),
        distributions=_distributions(store, entry) if isinstance(entry, Dataset) else [],
        endpoints=[u for u in (safe_url(x) for x in getattr(entry, "endpoint_urls", [])) if u],
        places=place_list, coverage=Markup(coverage), bbox=bbox, quality=_quality(store, record_id),
        downloads=samples[-1].value if samples else None, downloads_chart=Markup(downloads_chart),
        history=history, changes=changes or [], copies=other_copies(store, record_id, names),
        alternates=[(f"/api/datasets/{record_id}?format={fmt}", media, label) for fmt, media, label in ALTERNATES],
        jsonld=script(data), page_url=page_url,
        contacts=[c for c in entry.contact_points if c.name or c.email or c.url or c.phone],
    )
