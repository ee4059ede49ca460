"""Issue 14 item 5: an action declared on a competence an action sheet needs, in its communes, affects the sheet's
pilot and partners, the sheet named as the reason (issue 11's impact computation)."""

from datetime import date

from sanscouture.impacts.selectors import impacts_compute
from sanscouture.impacts.services import action_declare

from .conftest import CC, DEPARTEMENT, PREFECTURE, REGION


def test_an_action_on_a_needed_competence_names_the_sheets_partners_with_the_sheet_as_reason(crte, referential):
    region = referential.agent(REGION, "admin", "region-admin-crte")
    action = action_declare(
        actor=region,
        body=referential.body(REGION),
        kind="service",
        title="Nouvelle desserte de cars régionaux",
        start=date(2027, 1, 4),
        end=date(2027, 6, 30),
        communes=["34274"],
        territory=None,
        competences=["mobilite-aom"],
    )
    by_key = {a.body.key: a for a in impacts_compute(action=action).bodies}
    # The Préfecture holds no competence touched here: it is affected only as a signatory of the contract.
    assert {CC, DEPARTEMENT, PREFECTURE} <= set(by_key)
    reasons = by_key[PREFECTURE].reasons("Région Occitanie")
    assert reasons == [
        f"fiche action « {crte.sheet.title} » du contrat « CRTE du Grand Pic Saint-Loup », dont "
        f"{by_key[PREFECTURE].body.name} est partenaire (organisation de la mobilité (aom)), "
        "dans 1 commune : Saint-Martin-de-Londres"
    ]
    assert REGION not in by_key  # the declarant is not notified of itself


def test_an_action_on_a_competence_the_sheet_does_not_need_names_no_sheet(crte, referential):
    region = referential.agent(REGION, "admin", "region-admin-crte")
    action = action_declare(
        actor=region,
        body=referential.body(REGION),
        kind="service",
        title="Nouveaux horaires des cars scolaires",
        start=date(2027, 1, 4),
        end=date(2027, 6, 30),
        communes=["34274"],
        territory=None,
        competences=["transport-scolaire"],
    )
    by_key = {a.body.key: a for a in impacts_compute(action=action).bodies}
    assert PREFECTURE not in by_key
    assert not any("fiche action" in r for a in by_key.values() for r in a.reasons("Région Occitanie"))
