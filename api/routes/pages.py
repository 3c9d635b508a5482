"""Two small HTML pages for people: the landing page (what moisson holds, where the API is) and search results.

Why plain HTML from f-strings: two pages do not justify a template tree; everything shown is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.routes.deps import IndexDep, StoreDep, until_commit
from index.search import SearchQuery

router = APIRouter(tags=["pages"], include_in_schema=False)

_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0b5394}input[type=search]{width:28rem;padding:.4rem}li{margin:.5rem 0}.muted{color:#666}
.facets{display:flex;flex-wrap:wrap;gap:1.5rem}.facets div{min-width:12rem}"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=fr><head><meta charset=utf-8><title>{escape(title)}</title>"
                        f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{_STYLE}</style>"
                        f"</head><body>{body}</body></html>")


def _form(q: str = "") -> str:
    return (f"<form action=/search method=get><input type=search name=q value='{escape(q, quote=True)}' "
            "placeholder='qualité de l’eau, vélo, budget…' autofocus> <button>Rechercher</button></form>")


@router.get("/", response_class=HTMLResponse)
def landing(store: StoreDep) -> HTMLResponse:
    sources = until_commit(store, ("sources",), store.sources)  # a count per source: every record read
    records = sum(s["records"] for s in sources)
    return _page("moisson", f"""<h1>moisson</h1>
<p>Catalogue agrégé des données ouvertes : {records} jeux de données de {len(sources)} sources, normalisés en
DCAT-AP 3.</p>{_form()}
<ul><li><a href=/docs>/docs</a> — l’API (OpenAPI, <a href=/openapi.json>/openapi.json</a>)</li>
<li><a href=/api/datasets>/api/datasets</a> — recherche et facettes (JSON)</li>
<li><a href=/api/catalog>/api/catalog</a> — tout l’agrégat en DCAT-AP, paginé Hydra (JSON-LD, Turtle, RDF/XML)</li>
<li><a href=/api/sources>/api/sources</a> — les sources moissonnées et leurs dernières collectes</li>
<li><a href=/obligations>/obligations</a> — l’obligation d’ouverture des collectivités : qui publie, taux, tendance</li>
<li><a href=/stats>/stats</a> — les téléchargements agrégés de tous les portails</li></ul>""")


@router.get("/search", response_class=HTMLResponse)
def search_page(index: IndexDep, q: str = "", page: Annotated[int, Query(ge=1, le=500)] = 1) -> HTMLResponse:
    result = index.search(SearchQuery(q=q, page=page, page_size=20, facet_size=8))
    items = "".join(
        f"<li><a href='/api/datasets/{escape(h['id'], quote=True)}'>{escape(h.get('title') or h['id'])}</a>"
        f"<br><span class=muted>{escape(h.get('publisher') or h.get('source') or '')}"
        f"{' · ' + escape(', '.join(h.get('formats') or [])) if h.get('formats') else ''}</span></li>"
        for h in result.hits
    )
    approx = "" if result.facets_exact else "≈ "  # counted on a sample of a very large result
    facets = "".join(
        f"<div><strong>{escape(name)}</strong><ul>"
        + "".join(f"<li><a href='/api/datasets?{escape(urlencode({'q': q, name: v.value}), quote=True)}'>"
                  f"{escape(v.value)}</a> ({approx}{v.count})</li>" for v in values)
        + "</ul></div>"
        for name, values in result.facets.items() if values
    )
    more = (f"<p><a href='/search?{escape(urlencode({'q': q, 'page': page + 1}), quote=True)}'>suite →</a></p>"
            if page * 20 < result.total else "")
    return _page(f"{q} — moisson", f"<h1><a href=/>moisson</a></h1>{_form(q)}<p>{result.total} résultats</p>"
                                   f"<ol start={(page - 1) * 20 + 1}>{items}</ol>{more}"
                                   f"<div class=facets>{facets}</div>")


@router.get("/datasets/{record_id}")
def dataset_iri(request: Request, record_id: str) -> RedirectResponse:
    """moisson's own dataset IRIs ({base}/datasets/{id}, see normalise.rdf) dereference, the Linked Data way: 303 to
    the record in the API, which answers JSON or DCAT-AP by the Accept header the client sends again."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/api/datasets/{record_id}{query}", status_code=303)
