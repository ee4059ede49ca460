from dataclasses import dataclass
from typing import Any

import pytest

from sanscouture.bodies.models import BodyUnit
from sanscouture.shadowing.services import profile_save


@dataclass
class Cast:
    caf_agent: Any
    dep_agent: Any
    caf_admin: Any
    dep_admin: Any
    caf: Any
    dep: Any
    caf_profile: Any
    dep_profile: Any


@pytest.fixture
def cast(referential) -> Cast:  # noqa: ANN001
    caf, dep = referential.body("caf:34"), referential.body("departement:34")
    caf_agent = referential.agent("caf:34", "agent", username="vmj-caf")
    dep_agent = referential.agent("departement:34", "agent", username="vmj-dep")
    caf_admin = referential.agent("caf:34", "admin", username="vmj-caf-admin")
    dep_admin = referential.agent("departement:34", "admin", username="vmj-dep-admin")
    for user, email in ((caf_agent, "ana@exemple.fr"), (dep_agent, "ben@exemple.fr")):
        user.email = email
        user.save(update_fields=["email"])
    caf_profile = profile_save(user=caf_agent, body=caf, job="Gestionnaire conseil", can_show="L'instruction du RSA")
    pmi = BodyUnit.objects.create(body=dep, name="Protection maternelle et infantile")
    dep_profile = profile_save(
        user=dep_agent, body=dep, job="Puéricultrice", can_show="Une consultation de PMI", units=[pmi]
    )
    return Cast(caf_agent, dep_agent, caf_admin, dep_admin, caf, dep, caf_profile, dep_profile)
