"""harvesters.registries.reconcile: one entry per catalogue endpoint, tenants kept apart, conflicts resolved by the
most recent registry and reported, weak evidence disabled, stable ids."""

from __future__ import annotations

from harvesters.registries import Organisation, PortalRecord, read_registries, reconcile


def cdi(record_id: str, homepage: str, platform: str | None, *endpoints: tuple[str, str],
        api_status: str = "active") -> PortalRecord:
    return PortalRecord("cdi", record_id, record_id, homepage, platform, list(endpoints), api_status=api_status)


def odf(name: str, homepage: str, platform: str, *sirens: str) -> PortalRecord:
    return PortalRecord("odf-2022", name, name, homepage, platform, hosted=[Organisation(None, s) for s in sirens])


def test_records_of_one_catalogue_are_one_entry_listed_by_the_recent_registry_and_enabled() -> None:
    found = reconcile([
        odf("Data Rennes", "https://data.rennesmetropole.fr/pages/accueil/", "opendatasoft", "213500010"),
        cdi("rennes", "https://data.rennesmetropole.fr", "opendatasoft",
            ("opendatasoft", "https://data.rennesmetropole.fr/api")),
    ])
    [entry] = found.entries
    assert (entry.id, entry.catalogue.type, entry.catalogue.url) == ("data-rennesmetropole-fr", "ods",
                                                                     "https://data.rennesmetropole.fr")
    assert [r.ref for r in entry.records] == ["cdi:rennes", "odf-2022:Data Rennes"]
    assert entry.enabled and entry.notes == [] and not found.conflicts and not found.left


def test_weak_evidence_is_disabled_and_says_why() -> None:
    found = reconcile([
        odf("Data Aix", "https://aix.opendatasoft.com/pages/accueil/", "opendatasoft"),  # old, derived
        cdi("uncertain", "https://data.uncertain.fr", "ckan", ("ckan", "https://data.uncertain.fr/api/3"),
            api_status="uncertain"),
        cdi("fair", "https://data.fair.fr", "datafair"),  # derived from the platform's source code
    ])
    notes = {e.id: e.notes for e in found.entries}
    assert not any(e.enabled for e in found.entries)
    assert notes["aix-opendatasoft-com"][0].startswith("address derived, not listed")
    assert "OpenDataFrance, observatoire 2022 (2022)" in notes["aix-opendatasoft-com"][1]
    assert notes["data-uncertain-fr"][0] == "cdi:uncertain: portal active, API uncertain"
    assert "Data Fair" in notes["data-fair-fr"][0]


def test_a_host_serving_several_catalogues_keeps_them_apart() -> None:
    shares = [("5b86c057efd24fb0b88392eda9830404", "ymBu"), ("1b2b441f63e1434a9c7f03892d05826f", "H8G3")]
    records = [cdi(f"isogeo{i}", f"https://open.isogeo.com/s/{s}/{t}", "isogeo",
                   ("dcat", f"https://dcat.isogeo.com/{s}/{t}")) for i, (s, t) in enumerate(shares)]
    records.append(odf("Mapéo", f"http://open.isogeo.com/s/{shares[0][0]}/{shares[0][1]}", "isogeo", "221401185"))
    found = reconcile(records)
    assert sorted(e.id for e in found.entries) == ["dcat-isogeo-com-1b2b441f", "dcat-isogeo-com-5b86c057"]
    first = next(e for e in found.entries if e.id.endswith("5b86c057"))
    assert [r.ref for r in first.records] == ["cdi:isogeo0", "odf-2022:Mapéo"]  # the same share, one catalogue
    assert not found.conflicts


def test_registries_disagreeing_on_a_platform_keep_the_recent_one_and_report_the_conflict() -> None:
    found = reconcile([
        odf("dataNOVA", "https://datanova.laposte.fr", "opendatasoft", "356000000"),
        cdi("datanova", "https://datanova.laposte.fr", "datafair",
            ("datafairapi", "https://datanova.laposte.fr/data-fair/api/v1/datasets")),
    ])
    [entry] = found.entries
    assert entry.catalogue.url == "https://datanova.laposte.fr/data-fair/api/v1/catalog/dcat"
    assert [r.ref for r in entry.records] == ["cdi:datanova", "odf-2022:dataNOVA"]  # its bodies still count
    [conflict] = found.conflicts
    assert (conflict.site, conflict.dropped.ref, conflict.dropped_catalogue.type) == ("datanova.laposte.fr",
                                                                                       "odf-2022:dataNOVA", "ods")
    assert any(note.startswith("registries disagree") for note in entry.notes)


def test_one_registrys_two_catalogues_on_one_host_and_two_apis_of_one_platform_are_no_conflict() -> None:
    hub = "https://data-x.opendata.arcgis.com"
    found = reconcile([
        cdi("geo2france-gn", "https://www.geo2france.fr/geonetwork", "geonetwork",
            ("csw202", "https://www.geo2france.fr/geonetwork/srv/eng/csw?SERVICE=CSW")),
        odf("Geo2France", "https://www.geo2france.fr/ckan", "ckan"),
        cdi("hub", hub, "arcgishub", ("ogcrecordsapi", f"{hub}/api/search/v1")),
        odf("Hub X", hub, "arcgis"),  # "ArcGis" in 2022: the same Hub, read by its DCAT-US feed if derived
    ])
    assert sorted((e.catalogue.type, len(e.records)) for e in found.entries) == [("ckan", 1), ("csw", 1),
                                                                                 ("ogcapi-records", 2)]
    assert not found.conflicts


def test_a_record_without_an_address_joins_its_sites_entry_and_others_are_left_out_with_the_reason() -> None:
    found = reconcile([
        cdi("paris", "https://opendata.paris.fr", "opendatasoft", ("opendatasoft", "https://opendata.paris.fr/api")),
        PortalRecord("dataportals.org", "paris_fr", "Paris", "https://opendata.paris.fr", None),
        cdi("viewer", "https://x.lizmap.com/carto/", "lizmap"),
    ])
    [entry] = found.entries
    assert [r.ref for r in entry.records] == ["cdi:paris", "dataportals.org:paris_fr"]
    assert [(item.record.ref, item.exclusion.reason) for item in found.left] == [("cdi:viewer", "map-viewer")]


def test_the_shipped_registries_reconcile_into_several_hundred_enabled_sources_of_every_type() -> None:
    found = reconcile(read_registries().records)
    enabled = [e for e in found.entries if e.enabled]
    assert len(enabled) >= 400
    assert {e.catalogue.type for e in enabled} == {"ckan", "dcat", "csw", "ogcapi-records", "ods", "udata", "web"}
    ids = [e.id for e in found.entries]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    assert ids == [e.id for e in reconcile(read_registries().records).entries]  # stable
    datagouv = next(e for e in found.entries if e.id == "data-gouv-fr")
    assert datagouv.record.ref == "cdi:datagouvfr" and "cdi:ecologiedatagouvfr" in [r.ref for r in datagouv.records]
