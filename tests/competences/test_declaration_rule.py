"""Who may declare what, where (issue 7, finding 1): the probe's takeover, and the rule in each of its parts."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from sanscouture.bodies.selectors import body_territory
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.errors import CompetenceNotHoldable, NotAuthorised, OutsideTerritory
from sanscouture.competences.models import Exercise
from sanscouture.competences.permissions import body_levels
from sanscouture.competences.routing import route
from sanscouture.competences.services import exercise_declare

PIC = "epci:200022986"  # CC du Grand Pic Saint-Loup (36 communes, Hérault)


def declare(referential, body_key, competence, communes, actor=None, **extra):  # noqa: ANN001, ANN003, ANN201
    return exercise_declare(
        body=referential.body(body_key),
        competence=competence,
        communes=[referential.commune(c) for c in communes],
        start=extra.pop("start", date(2026, 1, 1)),
        basis="statuts",
        actor=actor or administrator(referential, body_key),
        **extra,
    )


def administrator(referential, body_key):  # noqa: ANN001, ANN201
    """The body's administrator (created once per test)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=f"agent-{body_key}-admin").first()
    return user or referential.agent(body_key)


def test_the_takeover_a_mairie_of_the_herault_declaring_etat_civil_in_paris_is_refused(referential):
    with pytest.raises(OutsideTerritory) as exc:
        declare(referential, "mairie:34274", "etat-civil", ["75056", "69123"])
    assert exc.value.code == "hors_territoire" and exc.value.status == 403
    assert exc.value.details["communes"] == ["69123", "75056"] and "Paris" not in exc.value.message
    assert not Exercise.objects.exists()
    assert route("etat-civil", commune="75056").body.key == "mairie:75056"  # routing never moved


def test_the_takeover_a_caf_declaring_every_competence_in_lyon_is_refused(referential):
    caf = administrator(referential, "caf:34")
    refused = {}
    for code in catalogue().competences:
        with pytest.raises((OutsideTerritory, CompetenceNotHoldable)) as exc:
            declare(referential, "caf:34", code, ["69123"], actor=caf)
        refused[code] = exc.value.code
    assert len(refused) == 56 and not Exercise.objects.exists()
    # Préfecture competences are not a CAF's, even on its own territory.
    for code in ("titres-sejour", "etat-civil", "colleges"):
        with pytest.raises(CompetenceNotHoldable) as exc:
            declare(referential, "caf:34", code, ["34274"], actor=caf)
        assert "CAF" in exc.value.message or "allocations" in exc.value.message
    # What a CAF holds, on its département: allowed.
    assert declare(referential, "caf:34", "prestations-familiales", ["34274"], actor=caf).pk


def test_an_epci_declares_on_its_member_communes_only(referential):
    members = [c.insee_code for c in referential.body(PIC).epci.communes.all()]
    assert len(members) == 36
    declare(referential, PIC, "petite-enfance", members)
    with pytest.raises(OutsideTerritory) as exc:
        declare(referential, PIC, "voirie-communale", ["34274", "44195"])
    assert exc.value.details["communes"] == ["44195"]
    with pytest.raises(CompetenceNotHoldable):
        declare(referential, PIC, "colleges", ["34274"])  # a département's competence


def test_a_mairie_declares_on_itself_and_a_departement_on_its_communes(referential):
    declare(referential, "mairie:34274", "voirie-communale", ["34274"])
    with pytest.raises(OutsideTerritory):
        declare(referential, "mairie:34274", "cimetieres", ["34247"])  # a neighbour
    declare(referential, "departement:34", "archives", ["34274", "34247"])
    with pytest.raises(OutsideTerritory):
        declare(referential, "departement:34", "archives", ["44195"])


def test_the_kind_of_body_is_judged_for_the_declared_period(referential):
    # Transports interurbains: département and région until 2016, région only from 2017.
    declare(
        referential,
        "departement:34",
        "transports-interurbains-ter",
        ["34274"],
        start=date(2016, 1, 1),
        end=date(2016, 12, 31),
    )
    with pytest.raises(CompetenceNotHoldable):
        declare(referential, "departement:34", "transports-interurbains-ter", ["34274"], start=date(2018, 1, 1))


def test_state_bodies_only_through_a_platform_administrator(referential):
    prefect = referential.agent("prefecture:34", role="admin")
    with pytest.raises(NotAuthorised) as exc:
        declare(referential, "prefecture:34", "titres-sejour", ["34274"], actor=prefect)
    assert "administrateur de la plateforme" in exc.value.message
    staff = referential.agent("mairie:34274", role="admin", username="plateforme")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    assert declare(referential, "prefecture:34", "titres-sejour", ["34274"], actor=staff).pk
    # The platform administrator is bound by territory and kind like anyone.
    with pytest.raises(OutsideTerritory):
        declare(referential, "prefecture:34", "permis-conduire", ["44195"], actor=staff)
    with pytest.raises(CompetenceNotHoldable):
        declare(referential, "prefecture:34", "colleges", ["34274"], actor=staff)


def test_territories_of_each_kind_of_body(referential):
    def codes(key):  # noqa: ANN001, ANN202
        from sanscouture.territories.models import Commune

        return set(
            Commune.objects.filter(pk__in=body_territory(referential.body(key))).values_list("insee_code", flat=True)
        )

    assert codes("mairie:34274") == {"34274"}
    assert codes("mairie:75056") == {"75056"}
    assert len(codes(PIC)) == 36 and "34274" in codes(PIC)
    herault = codes("departement:34")
    assert {"34274", "34247"} <= herault and "44195" not in herault
    assert codes("caf:34") == herault == codes("mdph:34") == codes("prefecture:34")
    assert {"97105", "97701", "97801"} <= codes("caf:971")  # Saint-Barthélemy and Saint-Martin: Guadeloupe's caisses
    assert "97701" not in codes("mdph:971")
    assert codes("prefecture:977-978") == {"97701", "97801"}
    corse = codes("collectivite:corse")
    assert {c[:2] for c in corse} == {"2A", "2B"}
    assert "34274" in codes("region:76") and "44195" not in codes("region:76")
    # Bodies of the special regimes (issue 9): the territory the law gives them.
    paris_92_93 = codes("bspp")
    assert {"75056", "92012"} <= paris_92_93 and {c[:2] for c in paris_92_93} == {"75", "92", "93"}
    assert codes("bmpm") == {"13055"}
    assert codes("sdis:34") == herault
    assert codes("prefecture-police") == {"75056"}
    assert "75056" in codes("idfm") and "34274" not in codes("idfm")
    assert codes("mairie_arrdt:75115") == {"75056"}
    assert codes("caf:975") and {c[:3] for c in codes("caf:975")} == {"975"}


def test_special_statuses_add_levels(referential):
    assert body_levels(referential.body("mairie:75056")) == {"commune", "departement"}
    assert body_levels(referential.body("epci:200046977")) == {"epci", "departement"}  # Métropole de Lyon
    assert body_levels(referential.body("collectivite:martinique")) == {"departement", "region"}
    assert body_levels(referential.body("collectivite:977")) == {"commune", "departement", "region"}
    assert body_levels(referential.body("departement:976")) == {"departement", "region"}
    assert body_levels(referential.body("caf:34")) == {"caf"}


def test_the_verifier_reports_existing_breaches_and_deletes_nothing(referential):
    admin = administrator(referential, "mairie:34274")
    takeover = Exercise.objects.create(
        body=referential.body("mairie:34274"),
        competence="etat-civil",
        start=date(2025, 1, 1),
        basis="statuts",
        created_by=admin,
    )
    takeover.communes.add(referential.commune("75056"))
    wrong_kind = Exercise.objects.create(
        body=referential.body("caf:34"),
        competence="titres-sejour",
        start=date(2025, 1, 1),
        basis="statuts",
        created_by=admin,
    )
    wrong_kind.communes.add(referential.commune("34274"))
    fine = declare(referential, PIC, "petite-enfance", ["34274"])
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("declarations", "verifier", stdout=out)
    assert exc.value.code == 1
    text = out.getvalue()
    assert f"#{takeover.pk}" in text and "hors_territoire" in text and "75056" in text
    assert f"#{wrong_kind.pk}" in text and "competence_interdite" in text
    assert f"#{fine.pk} " not in text and "2 déclaration(s)" in text
    assert Exercise.objects.filter(withdrawn_at__isnull=True).count() == 3  # reported, never deleted
