"""The lookup tables are what the official files say: the committed tables equal the generator's output, every one
records its version, and moisson's own YAML additions only point at codes the official tables hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from normalise import vocab, vocab_build
from normalise.vocab import VOCAB_DIR


@pytest.fixture(scope="module")
def built() -> dict[str, dict]:
    return vocab_build.build()


def test_committed_tables_are_the_generator_output(built: dict[str, dict]) -> None:
    for name, table in built.items():
        committed = (vocab_build.GENERATED / name).read_text(encoding="utf-8")
        assert committed == vocab_build.dumps(table), f"{name} is stale: run python -m normalise.vocab_build"
    assert {p.name for p in vocab_build.GENERATED.glob("*.json")} == set(built)


def test_the_command_writes_and_checks(tmp_path: Path) -> None:
    assert vocab_build.main(["--out", str(tmp_path)]) == 0
    assert vocab_build.main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "frequencies.json").write_text("{}", encoding="utf-8")
    assert vocab_build.main(["--out", str(tmp_path), "--check"]) == 1


def test_every_table_records_its_version_and_source(built: dict[str, dict]) -> None:
    for name, table in built.items():
        assert table["version"], name
        assert table["source"].startswith("official/"), name
    assert built["file_types.json"]["version"] == "20221214-0"
    assert built["file_types.json"]["newest_uri_list_version"] == "20260318-0"
    assert built["data_themes.json"]["version"] == "20241211-0"
    assert built["licences.json"]["version"] == "20220928-0"


def test_official_content_is_read(built: dict[str, dict]) -> None:
    formats = built["file_types.json"]["formats"]
    assert formats["CSV"]["media_type"] == "text/csv" and formats["CSV"]["mqa_machine_readable"]
    assert formats["SHP"]["mqa_machine_readable"] and not formats["SHP"]["mqa_non_proprietary"]
    assert formats["DWCA"]["only_in_newest"]  # the 2026 release's new codes are valid
    assert sum(f["mqa_machine_readable"] for f in formats.values()) == 20
    assert sum(f["mqa_non_proprietary"] for f in formats.values()) == 29
    assert built["languages.json"]["concepts"]["FRA"]["iso639_2b"] == ["fre"]
    assert built["data_themes.json"]["concepts"]["TRAN"]["labels"] == {"en": "Transport", "fr": "Transports"}
    assert built["inspire_themes.json"]["themes"]["hy"]["data_themes"] == ["ENVI", "TECH"]
    assert built["licences.json"]["concepts"]["ETALAB_2_0"]["exact_match"] == [
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"]
    assert "application/geo+json" in built["media_types.json"]["media_types"]
    assert {"AS_NEEDED", "NOT_PLANNED"} <= set(built["frequencies.json"]["concepts"])


def _yaml(name: str) -> dict:
    return yaml.safe_load((VOCAB_DIR / name).read_text(encoding="utf-8"))


def test_moisson_additions_point_at_official_codes(built: dict[str, dict]) -> None:
    formats = built["file_types.json"]["formats"]
    own = _yaml("file_types.yaml")
    assert set(own["formats"]) <= set(formats), set(own["formats"]) - set(formats)
    assert set(own["media_formats"].values()) <= set(formats)
    assert set(own["code_aliases"].values()) <= set(formats)
    registered = set(built["media_types.json"]["media_types"])
    for code, entry in own["formats"].items():
        assert entry.get("media") in (None, *registered), f"{code}: {entry.get('media')} is not registered"
    assert set(filter(None, own["media_aliases"].values())) <= registered
    for name, table in (("frequencies.yaml", "frequencies.json"), ("access_rights.yaml", "access_rights.json")):
        data = _yaml(name)
        key = name.removesuffix(".yaml")
        assert set(data[key]) <= set(built[table]["concepts"]), name
    licence_codes = set(built["licences.json"]["concepts"])
    for entry in _yaml("licences.yaml")["licences"]:
        assert "uri" in entry or entry["code"] in licence_codes, entry["code"]
    assert set(_yaml("languages.yaml")["names"]) <= set(built["languages.json"]["concepts"])
    themes = set(built["data_themes.json"]["concepts"])
    assert {c for codes in _yaml("themes.yaml")["labels"].values() for c in codes} <= themes
    assert set(_yaml("themes.yaml")["inspire_fr"]) <= set(built["inspire_themes.json"]["themes"])


def test_lookups_use_the_generated_tables() -> None:
    assert vocab.format_is_machine_readable(vocab.FILE_TYPE_BASE + "SHP")
    assert not vocab.format_is_machine_readable(vocab.FILE_TYPE_BASE + "GML")  # not on MQA's list
    assert vocab.file_format("DWCA")[0] == vocab.FILE_TYPE_BASE + "DWCA"
    assert vocab.file_format("http://publications.europa.eu/resource/authority/file-type/NOPE")[0] is None
    assert vocab.frequency("http://publications.europa.eu/resource/authority/frequency/10MIN") == \
        vocab.FREQUENCY_BASE + "10MIN"
    assert vocab.theme_label(vocab.THEME_BASE + "ECON", "fr") == "Économie et finances"
    assert vocab.licence_title(vocab.LICENCE_BASE + "EUPL_1_1") == "European Union Public Licence v. 1.1"
