"""Conventions turned into tests (see ARCHITECTURE.md and STYLE.md)."""

import importlib
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

import sanscouture
from sanscouture.bodies.services import pivot_labels
from sanscouture.competences.catalogue import LEVELS, catalogue

SRC = Path(sanscouture.__file__).parent
APPS = [
    "territories",
    "bodies",
    "accounts",
    "competences",
    "catalogue",
    "journeys",
    "contracts",
    "impacts",
    "shadowing",
    "web",
]

# Every URL of the product, and who may open it. A new URL missing here fails: decide its access first.
PUBLIC = {
    "healthz",
    "api/docs",
    "",
    "communes/suggestions",
    "connexion/",
    "deconnexion/",
    "connexion/code/",
    "connexion/double-authentification/",
    "connexion/proconnect/",
    "connexion/proconnect/retour/",
    "invitation/<str:token>/",
    "accessibilite/",
    "mentions-legales/",
    "moments-de-vie/",
    "moments-de-vie/<str:slug>/",
    "moments-de-vie/<str:slug>/parcours",
    # Guichet unique, the person: the declaration, and the follow-up reached by its private link only.
    "declarer/<str:slug>/",
    "declarer/<str:slug>/confirmation",
    "suivi/<str:token>/",
    "suivi/<str:token>/messages",
    "suivi/<str:token>/bilan",
    "suivi/<str:token>/consentements/<int:body_id>/retrait",
    "suivi/<str:token>/consentements/<int:body_id>/donner",
    "suivi/<str:token>/journal/",
    # Responsabilité collective: public feeds of the published actions.
    "flux/communes/<str:code>/actions.atom",
    "flux/communes/<str:code>/actions.ics",
    "flux/epci/<str:siren>/actions.atom",
    "flux/epci/<str:siren>/actions.ics",
    # Open data (issue 15, ADR 020): public, read-only, the same files for everyone.
    "donnees-ouvertes/",
    "opendata/catalogue.jsonld",
    "opendata/qui-fait-quoi.csv",
    "opendata/qui-fait-quoi.parquet",
    "opendata/qui-fait-quoi.schema.json",
    "opendata/data-inclusion/structures.json",
    "opendata/data-inclusion/services.json",
    # Open311 GeoReport v2 (issue 15): public reads as the spec says; the POST needs a body's api_key (docs/adr/023).
    "open311/v2/discovery.<o311fmt:format>",
    "open311/v2/services.<o311fmt:format>",
    "open311/v2/services/<str:service_code>.<o311fmt:format>",
    "open311/v2/requests.<o311fmt:format>",
    "open311/v2/requests/<str:service_request_id>.<o311fmt:format>",
    "open311/v2/tokens/<str:open311_token>.<o311fmt:format>",
    "open311/v2/servicerequestupdates.<o311fmt:format>",
    "open311/<path:rest>",
    # Gatherings (issue 13): the invitation's private link answers without a login (its token is the access).
    "rencontres/invitation/<str:token>/",
}
AGENTS_ONLY = {
    "declarations/",
    "declarations/<int:pk>/retirer",
    "etapes-locales/",
    "etapes-locales/<int:step_id>/retirer",
    "structures/<int:body_id>/agents/",
    "structures/<int:body_id>/agents/<int:membership_id>/role",
    "structures/<int:body_id>/validation-actions",
    "structures/<int:body_id>/agents/<int:membership_id>/retirer",
    "structures/<int:body_id>/jetons/",
    "structures/<int:body_id>/jetons/<int:token_id>/revoquer",
    # Guichet unique, agents.
    "taches/",
    "dossiers/<uuid:public_id>/",
    "dossiers/<uuid:public_id>/journal/",
    "dossiers/<uuid:public_id>/taches/<int:task_id>/statut",
    "dossiers/<uuid:public_id>/taches/<int:task_id>/orientation",
    "dossiers/<uuid:public_id>/orientations/<int:handover_id>/decision",
    "dossiers/<uuid:public_id>/messages",
    "dossiers/<uuid:public_id>/notes",
    "dossiers/<uuid:public_id>/taches/<int:task_id>/avis",
    "dossiers/<uuid:public_id>/avis/<int:avis_demande_id>/reponse",
    "structures/recherche",
    # Notifications of the agent (own only).
    "notifications/",
    "notifications/<int:pk>/lue",
    "notifications/tout-lire",
    # Acteur-réseau (issue 12).
    "reseau/",
    "reseau/evaluations/<int:handover_id>",
    "structures/<int:body_id>/reseau-interne/",
    "structures/<int:body_id>/services/",
    # Responsabilité collective: actions, notices, opinions.
    "actions/",
    "actions/nouvelle",
    "actions/<int:action_id>/",
    "actions/<int:action_id>/publication",
    "actions/<int:action_id>/correction",
    "actions/<int:action_id>/retrait",
    "actions/<int:action_id>/opinions",
    "actions/<int:action_id>/opinions/<int:opinion_id>/reponse",
    "avis/",
    "avis/<int:notice_id>/",
    # Contracts and action sheets.
    "contrats/",
    "contrats/<int:contrat_id>/",
    "fiches/<int:fiche_id>/",
    "structures/<int:body_id>/leviers/",
    "fiches/<int:fiche_id>/fichiers",
    "lignes-budgetaires/<int:ligne_id>/statut",
    "contrats/<int:contrat_id>/projets-territoire.<str:fmt>",
    "contrats/<int:contrat_id>/projets-territoire",
    "fichiers/<int:file_id>/",
    "fichiers/<int:file_id>/versions",
    "fichiers/<int:file_id>/versions/<int:number>/telecharger",
    # Vis mon job (issue 13).
    "vis-mon-job/",
    "vis-mon-job/inscription/",
    "vis-mon-job/suggestions/",
    "vis-mon-job/proposer",
    "vis-mon-job/<int:pair_id>/",
    "vis-mon-job/<int:pair_id>/action",
    "vis-mon-job/<int:pair_id>/convention/",
    "vis-mon-job/<int:pair_id>/retour/",
    # Gatherings (issue 13).
    "rencontres/",
    "rencontres/nouvelle",
    "rencontres/effet/",
    "rencontres/<int:rencontre_id>/",
    "rencontres/<int:rencontre_id>/modifier",
    "rencontres/<int:rencontre_id>/annuler",
    "rencontres/<int:rencontre_id>/reponse",
    "rencontres/<int:rencontre_id>/presences",
    "rencontres/<int:rencontre_id>/invitation.ics",
    # Webhooks of a body (issue 15).
    "structures/<int:body_id>/webhooks/",
    "structures/<int:body_id>/webhooks/<uuid:webhook_id>/",
    "structures/<int:body_id>/webhooks/<uuid:webhook_id>/secret",
    "structures/<int:body_id>/webhooks/<uuid:webhook_id>/desactiver",
    "structures/<int:body_id>/webhooks/<uuid:webhook_id>/reactiver",
    "structures/<int:body_id>/webhooks/<uuid:webhook_id>/livraisons/<str:livraison_id>/rejouer",
}
ADMIN_PREFIX = "admin/"
API_PREFIX = "api/v1/"


def _patterns(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def test_every_url_has_a_declared_access():
    unknown = [
        p
        for p in _patterns(get_resolver())
        if not p.startswith((ADMIN_PREFIX, API_PREFIX)) and p not in PUBLIC | AGENTS_ONLY
    ]
    assert unknown == [], f"URL sans règle d'accès déclarée dans tests/test_consistency.py : {unknown}"


@pytest.mark.parametrize(
    "path",
    [
        "/declarations/",
        "/declarations/1/retirer",
        "/etapes-locales/",
        "/etapes-locales/1/retirer",
        "/structures/1/agents/",
        "/structures/1/agents/1/role",
        "/structures/1/validation-actions",
        "/structures/1/agents/1/retirer",
        "/structures/1/jetons/",
        "/structures/1/jetons/1/revoquer",
        "/taches/",
        "/rencontres/",
        "/rencontres/nouvelle",
        "/rencontres/effet/",
        "/rencontres/1/",
        "/rencontres/1/presences",
        "/structures/1/webhooks/",
        "/dossiers/00000000-0000-0000-0000-000000000000/",
        "/dossiers/00000000-0000-0000-0000-000000000000/journal/",
        "/dossiers/00000000-0000-0000-0000-000000000000/taches/1/statut",
        "/dossiers/00000000-0000-0000-0000-000000000000/taches/1/orientation",
        "/dossiers/00000000-0000-0000-0000-000000000000/orientations/1/decision",
        "/dossiers/00000000-0000-0000-0000-000000000000/messages",
        "/dossiers/00000000-0000-0000-0000-000000000000/notes",
        "/dossiers/00000000-0000-0000-0000-000000000000/taches/1/avis",
        "/dossiers/00000000-0000-0000-0000-000000000000/avis/1/reponse",
        "/structures/recherche",
        "/notifications/",
        "/notifications/1/lue",
        "/notifications/tout-lire",
        "/reseau/",
        "/reseau/evaluations/1",
        "/structures/1/reseau-interne/",
        "/structures/1/services/",
        "/actions/",
        "/actions/nouvelle",
        "/actions/1/",
        "/actions/1/publication",
        "/actions/1/correction",
        "/actions/1/retrait",
        "/actions/1/opinions",
        "/actions/1/opinions/1/reponse",
        "/avis/",
        "/avis/1/",
        "/contrats/",
        "/contrats/1/",
        "/fiches/1/",
        "/structures/1/leviers/",
        "/fiches/1/fichiers",
        "/lignes-budgetaires/1/statut",
        "/contrats/1/projets-territoire.csv",
        "/contrats/1/projets-territoire",
        "/fichiers/1/",
        "/fichiers/1/versions",
        "/fichiers/1/versions/1/telecharger",
        "/vis-mon-job/",
        "/vis-mon-job/inscription/",
        "/vis-mon-job/suggestions/",
        "/vis-mon-job/proposer",
        "/vis-mon-job/1/",
        "/vis-mon-job/1/action",
        "/vis-mon-job/1/convention/",
        "/vis-mon-job/1/retour/",
    ],
)
def test_agent_pages_redirect_anonymous_people_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("app", [a for a in APPS if (SRC / a / "services.py").exists()])
def test_services_take_keyword_only_arguments(app):
    module = importlib.import_module(f"sanscouture.{app}.services")
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ != module.__name__ or name.startswith("_"):
            continue
        positional = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        assert not positional, f"{module.__name__}.{name} : arguments positionnels {positional}"


def test_every_model_has_a_docstring():
    for model in apps.get_models():
        if model.__module__.startswith("sanscouture."):
            assert (model.__doc__ or "").strip() and not model.__doc__.startswith(model.__name__ + "("), model


def test_every_data_folder_says_its_source():
    folders = list(SRC.glob("*/data"))
    assert len(folders) >= 3
    for folder in folders:
        assert (folder / "SOURCE.md").exists(), folder


def test_catalogue_is_consistent():
    cat = catalogue()
    assert len(cat.competences) >= 40
    pivots = pivot_labels()
    for comp in cat.competences.values():
        assert comp.references, comp.code
        assert all(p in pivots for p in comp.pivots), comp.code
        periods = sorted(((r.since or cat.valid_from), r.until) for r in comp.rules)
        for (_, until), (next_since, _) in zip(periods, periods[1:], strict=False):
            assert until is not None and until < next_since, comp.code
        for rule in comp.rules:
            assert set(rule.holders) <= set(LEVELS)
            assert ("epci" in rule.holders) == bool(rule.epci), comp.code


def test_fiche_competence_mapping_names_real_competences():
    from sanscouture.journeys.selectors import fiche_competences

    codes = set(catalogue().competences)
    for fiche, entry in fiche_competences().items():
        assert fiche[0] in "FNR" and entry["competence"] in codes, fiche


def test_api_schema_names_are_unique_across_apps():
    """django-ninja names OpenAPI components after their classes: two schemas of one name overwrite each other
    (the network's StructureOut once replaced competences' in the OpenAPI, found by schemathesis)."""
    from ninja import Schema

    known = {"StrictIn"}  # a base class, no component of its own
    seen: dict[str, str] = {}
    clashes = []
    apps = sorted({p.parent.name for p in [*SRC.glob("*/schemas.py"), *SRC.glob("*/api.py")]})
    assert "network" in apps and "cases" in apps
    for app in apps:
        for module_name in ("schemas", "api"):
            if not (SRC / app / f"{module_name}.py").exists():
                continue
            module = importlib.import_module(f"sanscouture.{app}.{module_name}")
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__ or not issubclass(cls, Schema):
                    continue
                if name in seen and seen[name] != module.__name__ and name not in known:
                    clashes.append(f"{name} : {seen[name]} et {module.__name__}")
                seen.setdefault(name, module.__name__)
    assert clashes == [], f"schémas d'API de même nom : {clashes}"
