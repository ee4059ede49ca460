"""Demo data of contracts (issue 14, « Done when »): a CRTE of the CC du Grand Pic Saint-Loup signed by the CC, the
State (préfecture de l'Hérault) and the Département de l'Hérault, with the action sheet « Pôle d'échanges
multimodal » in three of its communes, a budget line of the Département granted, steps and an indicator.

The bodies are the referential's real ones; the contract and its figures are a demonstration (marked « DÉMO »).
Called by `sanscouture demo` after the agents exist (cases.demo)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.owner
import ifcopenshell.api.owner.settings
import ifcopenshell.api.pset
import ifcopenshell.api.root
from django.contrib.auth import get_user_model

from sanscouture.bodies.models import Body
from sanscouture.territories.models import Commune, CommuneKind

from .models import ActionSheet, BudgetStatus, Contract, Phase, PhaseStatus
from .services import (
    budget_line_add,
    budget_line_set,
    contract_create,
    file_version_add,
    indicator_add,
    indicator_measure,
    shared_file_add,
    sheet_create,
    step_add,
)

CC, PREFECTURE, DEPARTEMENT = "epci:200022986", "prefecture:34", "departement:34"
TITLE = "DÉMO — CRTE du Grand Pic Saint-Loup"
SHEET = "Pôle d'échanges multimodal"
# Saint-Martin-de-Londres, Saint-Mathieu-de-Tréviers, Saint-Gély-du-Fesc.
COMMUNES = ["34274", "34276", "34255"]
# Mobility, voirie (communal roads and the routes départementales that serve the pole), urbanism.
NEEDS = ["mobilite-aom", "voirie-communale", "routes-departementales", "plu"]


APPLICATION = "Modeleur de démonstration (Sans Couture)"
# The station building's spaces (GlobalIds fixed so that versions compare): version 1, then version 2 where the
# waiting room gives way to a larger hall and a staff room.
SPACE_IDS = {
    "Hall": "0hallHALLhallHALLhall0",
    "Attente": "0attenteATTENTEattent0",
    "Vélos": "0velosVELOSvelosVELOS0",
    "Local agents": "0localAGENTSlocalAGEN0",
}
STATION_V1 = {"Hall": 120.5, "Attente": 35.0, "Vélos": None}
STATION_V2 = {"Hall": 140.0, "Vélos": None, "Local agents": 18.0}


def station_model(spaces: dict[str, float | None], *, schema: str = "IFC4", ids: dict[str, str] | None = None) -> bytes:
    """A station building: one site, one building, a ground floor with `spaces` (name → area or None), authored by
    a named application (IFC2X3 requires owner histories; IFC4 models carry them too)."""
    f = ifcopenshell.file(schema=schema)
    org = ifcopenshell.api.owner.add_organisation(f, identification="CCGPSL", name="CC du Grand Pic Saint-Loup")
    person = ifcopenshell.api.owner.add_person(f)
    user = ifcopenshell.api.owner.add_person_and_organisation(f, person=person, organisation=org)
    app = ifcopenshell.api.owner.add_application(
        f, application_developer=org, version="1.0", application_full_name=APPLICATION, application_identifier="SCT"
    )
    saved = ifcopenshell.api.owner.settings.get_user, ifcopenshell.api.owner.settings.get_application
    ifcopenshell.api.owner.settings.get_user = lambda _f: user
    ifcopenshell.api.owner.settings.get_application = lambda _f: app
    try:
        return _station(f, spaces, ids)
    finally:
        ifcopenshell.api.owner.settings.get_user, ifcopenshell.api.owner.settings.get_application = saved


def _station(f, spaces: dict[str, float | None], ids: dict[str, str] | None) -> bytes:  # noqa: ANN001
    project = ifcopenshell.api.root.create_entity(f, ifc_class="IfcProject", name="Pôle d'échanges multimodal")
    site = ifcopenshell.api.root.create_entity(f, ifc_class="IfcSite", name="Saint-Martin-de-Londres")
    building = ifcopenshell.api.root.create_entity(f, ifc_class="IfcBuilding", name="Gare routière")
    ground = ifcopenshell.api.root.create_entity(f, ifc_class="IfcBuildingStorey", name="Rez-de-chaussée")
    ground.Elevation = 0.0
    ifcopenshell.api.aggregate.assign_object(f, products=[site], relating_object=project)
    ifcopenshell.api.aggregate.assign_object(f, products=[building], relating_object=site)
    ifcopenshell.api.aggregate.assign_object(f, products=[ground], relating_object=building)
    for name, area in spaces.items():
        space = ifcopenshell.api.root.create_entity(f, ifc_class="IfcSpace", name=name)
        if ids and name in ids:
            space.GlobalId = ids[name]
        ifcopenshell.api.aggregate.assign_object(f, products=[space], relating_object=ground)
        if area is not None:
            qto = ifcopenshell.api.pset.add_qto(f, product=space, name="Qto_SpaceBaseQuantities")
            ifcopenshell.api.pset.edit_qto(f, qto=qto, properties={"NetFloorArea": area})
    return f.to_string().encode()


@dataclass(frozen=True)
class DemoContract:
    contract: Contract
    sheet: ActionSheet


def demo_contracts() -> DemoContract:
    """Create the demo CRTE once (by title); a second run returns it unchanged."""
    users = get_user_model().objects
    existing = Contract.objects.filter(title=TITLE).first()
    if existing is not None:
        return DemoContract(existing, existing.sheets.get(title=SHEET))
    bodies = {b.key: b for b in Body.objects.filter(key__in=[CC, PREFECTURE, DEPARTEMENT])}
    cc_admin = users.get(username="demo-cc-pic-saint-loup")
    dep_admin = users.get(username="demo-departement-34")
    contract = contract_create(
        kind="crte",
        title=TITLE,
        perimeter=["epci:200022986"],
        signatories=[
            (bodies[CC], "porteur"),
            (bodies[PREFECTURE], "État (préfet de l'Hérault)"),
            (bodies[DEPARTEMENT], "cosignataire"),
        ],
        start=date(2022, 1, 1),
        end=date(2026, 12, 31),
        axes=["Mobilités du quotidien", "Sobriété foncière", "Services au public"],
        documents=[
            {
                "titre": "Les CRTE (Agence nationale de la cohésion des territoires)",
                "url": "https://agence-cohesion-territoires.gouv.fr/crte",
            }
        ],
        actor=cc_admin,
    )
    communes = list(Commune.objects.filter(kind=CommuneKind.CURRENT, insee_code__in=COMMUNES))
    sheet = sheet_create(
        contract=contract,
        title=SHEET,
        description=(
            "Aménager autour de l'arrêt de cars un pôle d'échanges : parking relais, abri vélos sécurisé, covoiturage, "
            "cheminements piétons et traversée de la route départementale (démonstration)."
        ),
        axis="Mobilités du quotidien",
        pilot=bodies[CC],
        partners=[bodies[DEPARTEMENT]],
        competences=NEEDS,
        communes=communes,
        phase=Phase.STUDY,
        phase_status=PhaseStatus.IN_PROGRESS,
        levers=["Covoiturage", "Vélo", "Transports en commun"],
        planned_start=date(2026, 9, 1),
        planned_budget=1_200_000,
        actor=cc_admin,
    )
    step_add(
        sheet=sheet,
        title="Étude de faisabilité",
        planned_on=date(2025, 6, 30),
        done_on=date(2025, 7, 10),
        actor=cc_admin,
    )
    step_add(sheet=sheet, title="Concertation avec les communes", planned_on=date(2026, 3, 31), actor=cc_admin)
    step_add(sheet=sheet, title="Début des travaux", planned_on=date(2026, 9, 1), actor=cc_admin)
    line = budget_line_add(
        sheet=sheet,
        funder=bodies[DEPARTEMENT],
        label="Aménagement de la traversée de la route départementale",
        total=Decimal("400000"),
        amount=Decimal("150000"),
        status=BudgetStatus.REQUESTED,
        on=date(2025, 9, 15),
        actor=cc_admin,
    )
    budget_line_set(
        line=line, status=BudgetStatus.GRANTED, amount=Decimal("120000"), on=date(2026, 2, 3), actor=dep_admin
    )
    indicator = indicator_add(
        sheet=sheet, label="Places de covoiturage", unit="places", target=Decimal(60), actor=cc_admin
    )
    indicator_measure(indicator=indicator, on=date(2025, 1, 1), value=Decimal(12), actor=cc_admin)
    indicator_measure(indicator=indicator, on=date(2026, 1, 1), value=Decimal(18), actor=cc_admin)
    model = shared_file_add(
        sheet=sheet,
        title="Maquette du bâtiment voyageurs",
        name="gare-pem-v1.ifc",
        content=station_model(STATION_V1, ids=SPACE_IDS),
        actor=cc_admin,
    )
    file_version_add(
        file=model, name="gare-pem-v2.ifc", content=station_model(STATION_V2, ids=SPACE_IDS), actor=cc_admin
    )
    return DemoContract(contract, sheet)
