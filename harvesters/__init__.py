"""Harvesters: fetch source catalogs page by page, politely, and yield raw records with their provenance.

The registry maps each source type of sources.yaml to its harvester class, imported only when used so that a
deployment harvesting only CKAN never loads Scrapy or OWSLib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harvesters.base import Harvester

HARVESTERS: dict[str, str] = {
    "ckan": "harvesters.ckan:CkanHarvester",
    "dcat": "harvesters.dcat:DcatHarvester",
    "csw": "harvesters.csw:CswHarvester",
    "ogcapi-records": "harvesters.ogcapi_records:OgcApiRecordsHarvester",
    "ods": "harvesters.ods:OdsHarvester",
    "udata": "harvesters.udata:UdataHarvester",
    "web": "harvesters.web:WebHarvester",
}


def harvester_class(source_type: str) -> type[Harvester]:
    module_name, _, class_name = HARVESTERS[source_type].partition(":")
    return getattr(import_module(module_name), class_name)
