"""harvesters.registries.readers: each registry's format into PortalRecord and Publishing, told apart by content."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harvesters.registries import REGISTRY_DIR, RegistryError, read_registries
from harvesters.registries.readers import iso_subdivision
from tests.conftest import SHARED

SHARED_PORTALS = SHARED / "reference" / "portals"


def cdi_line(record_id: str, country: str = "FR", subregion: str | None = "FR-OCC", **extra: object) -> str:
    owner = {"name": "Département de l'Aude", "type": "Local government",
             "location": {"country": {"id": country}, **({"subregion": {"id": subregion}} if subregion else {})}}
    row = {"id": record_id, "link": f"https://{record_id}.example.fr", "name": record_id,
           "software": {"id": "opendatasoft"}, "status": "active", "api_status": "active", "owner": owner,
           "coverage": [{"location": {"country": {"id": country}}}],
           "endpoints": [{"type": "opendatasoft", "url": f"https://{record_id}.example.fr/api"}], **extra}
    return json.dumps(row)


def test_the_shipped_registries_are_read_whole() -> None:
    registries = read_registries()
    by_kind = {}
    for _, kind, rows in registries.files:
        by_kind[kind] = by_kind.get(kind, 0) + rows
    assert by_kind == {"cdi": 885, "odf-2022": 219 + 38, "odf-organisations": 891, "dataportals.org": 23}
    assert len(registries.publishing) == 891 and all(p.organisation.siren for p in registries.publishing)
    aude = next(r for r in registries.records if r.ref == "cdi:opendataaudefr")
    assert (aude.platform, aude.region, aude.operator.name) == ("opendatasoft", "76", "Département de l'Aude")
    assert ("opendatasoft", "https://opendata.aude.fr/api") in aude.endpoints


def test_the_shipped_copy_is_the_shared_reference_unchanged() -> None:
    """config/registries/ is a copy (README: unchanged, the CDI file gzipped): same records as ../shared."""
    if not SHARED_PORTALS.is_dir():
        pytest.fail(f"{SHARED_PORTALS} is missing: tests need ../shared beside the checkout")
    shipped = gzip.decompress((REGISTRY_DIR / "commondataio-dataportals-fr.jsonl.gz").read_bytes())
    assert shipped == (SHARED_PORTALS / "dataportals-registry" / "full_FR_subset.jsonl").read_bytes()
    for name, original in [("plateformes-locales.csv", "ODF-Observatoire-plateformes.csv"),
                           ("organisations.csv", "ODF-Observatoire-organisations-221019.csv")]:
        assert (REGISTRY_DIR / "opendatafrance-2022" / name).read_bytes() == \
            (SHARED_PORTALS / "odf-observatoire" / original).read_bytes()


def test_opendatafrance_organisations_are_the_hosted_bodies_of_their_platforms() -> None:
    registries = read_registries()
    rennes = next(r for r in registries.records if r.ref == "odf-2022:Data Rennes Métropole")
    hosted = {o.siren: o for o in rennes.hosted}
    assert hosted["213500010"].name == "ACIGNE" and hosted["213500010"].region == "53"
    assert rennes.shared is True and rennes.operator is None
    aix = next(r for r in registries.records if r.ref == "odf-2022:Aix en Provence Open Data")
    assert aix.shared is False and aix.operator is not None and aix.operator.siren == "211300017" and not aix.hosted
    datagouv = next(r for r in registries.records if r.ref == "odf-2022:DataGouv")
    on_datagouv = {p.organisation.siren for p in registries.publishing if p.on_datagouv}
    assert len(on_datagouv) > 500 and on_datagouv <= {o.siren for o in datagouv.hosted}


def test_a_whole_registry_file_keeps_only_french_records_and_gzip_is_optional(tmp_path: Path) -> None:
    lines = [cdi_line("aude"), cdi_line("berlin", country="DE", subregion=None), cdi_line("pau", subregion="FR-64")]
    plain = tmp_path / "full.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    packed = tmp_path / "full.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        records = read_registries([path]).records
        assert [(r.record_id, r.departement, r.region) for r in records] == [("aude", None, "76"),
                                                                             ("pau", "64", None)]


def test_a_file_that_is_no_registry_is_an_error_that_names_it(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(RegistryError, match="other.csv: not a registry"):
        read_registries([other])
    broken = tmp_path / "broken.jsonl"
    broken.write_text(cdi_line("aude") + "\n{not json\n")
    with pytest.raises(RegistryError, match=r"broken.jsonl:2: not JSON"):
        read_registries([broken])
    with pytest.raises(RegistryError, match="no such file"):
        read_registries([tmp_path / "missing.jsonl"])


@pytest.mark.parametrize(("code", "expected"), [
    ("FR-OCC", (None, "76")), ("FR-20R", (None, "94")), ("FR-64", ("64", None)), ("FR-2A", ("2A", None)),
    ("FR-971", ("971", "01")), ("FR-75C", ("75", "11")), ("FR-NC", ("988", None)), ("DE-BE", (None, None)),
    (None, (None, None)),
])
def test_iso_3166_2_codes_become_insee_codes(code: str | None, expected: tuple[str | None, str | None]) -> None:
    assert iso_subdivision(code) == expected
