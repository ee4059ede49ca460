"""A CRTE of the CC du Grand Pic Saint-Loup (real bodies of the referential subset), for the contracts tests."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

CC, PREFECTURE, DEPARTEMENT, REGION = "epci:200022986", "prefecture:34", "departement:34", "region:76"
# Saint-Martin-de-Londres, Saint-Mathieu-de-Tréviers, Saint-Gély-du-Fesc: three communes of the CC.
COMMUNES = ["34274", "34276", "34255"]
NEEDS = ["mobilite-aom", "voirie-communale", "plu"]


@dataclass
class Crte:
    contract: Any
    sheet: Any
    cc_admin: Any
    dep_admin: Any
    bodies: dict[str, Any]


@pytest.fixture
def crte(referential) -> Crte:  # noqa: ANN001
    from sanscouture.contracts.services import contract_create, sheet_create

    bodies = {k: referential.body(k) for k in (CC, PREFECTURE, DEPARTEMENT, REGION)}
    cc_admin = referential.agent(CC, "admin")
    dep_admin = referential.agent(DEPARTEMENT, "admin")
    contract = contract_create(
        kind="crte",
        title="CRTE du Grand Pic Saint-Loup",
        perimeter=[f"epci:{CC.split(':')[1]}"],
        signatories=[(bodies[CC], "porteur"), (bodies[PREFECTURE], "État"), (bodies[DEPARTEMENT], "cosignataire")],
        start=date(2022, 1, 1),
        end=date(2026, 12, 31),
        axes=["Mobilités"],
        actor=cc_admin,
    )
    sheet = sheet_create(
        contract=contract,
        title="Pôle d'échanges multimodal",
        pilot=bodies[CC],
        partners=[bodies[DEPARTEMENT]],
        competences=NEEDS,
        communes=[referential.commune(c) for c in COMMUNES],
        actor=cc_admin,
    )
    return Crte(contract, sheet, cc_admin, dep_admin, bodies)
