"""service-public.fr "Vos droits et démarches" (VDD) publications and "Comment faire si" life events.

Read-only reference data, replaced as a whole by `importers.catalogue_load`; the nested parts (links, online
services, contacts, questionnaire, content) are compact JSON read in one go, never queried inside.
"""

from django.db import models
from django.db.models import Q


class Audience(models.TextChoices):
    PARTICULIERS = "particuliers", "Particuliers"
    PROFESSIONNELS = "professionnels", "Professionnels"
    ASSOCIATIONS = "associations", "Associations"


class PublicationQuerySet(models.QuerySet):
    def for_audience(self, audience: str) -> "PublicationQuerySet":
        # `audiences` is a short JSON list; a containment lookup is not portable to SQLite.
        return self.filter(audiences__icontains=f'"{audience}"')


class Publication(models.Model):
    """One VDD publication (fiche F…, dossier/thème N…, resource R…), keyed by its official id.

    `links`: `[{"target": "F1168", "kind": "LienInterne"|"Fiche"|"Dossier"|"QuestionReponse"|"VoirAussi"|
    "CommentFaireSi"|"FicheLiee"|"NoticeLiee"|"SousTheme", "text"}]`;
    `online_services`: `[{"id", "url", "type", "title", "cerfa", "source", "login": "oui" | "non" | ""}]`;
    `contacts` ("Où s'adresser", `OuSAdresser` in 3.3, `QuiPeutMAider` in 3.4+):
    `[{"id", "title", "pivot": <PivotLocal code> | null, "url": <RessourceWeb> | null, "type"}]`;
    `legal_references`: `[{"id", "url", "title"}]`; `more_info` ("Pour en savoir plus"):
    `[{"id", "url", "title", "source"}]`.
    """

    id = models.CharField("identifiant", max_length=20, primary_key=True)
    kind = models.CharField("type", max_length=80)
    title = models.CharField("titre", max_length=500)
    description = models.TextField(blank=True)
    audiences = models.JSONField("publics", default=list, blank=True)
    theme_id = models.CharField("thème (identifiant)", max_length=20, blank=True)
    theme_title = models.CharField("thème", max_length=300, blank=True)
    dossier_id = models.CharField("dossier", max_length=20, blank=True)
    url = models.URLField("adresse sur service-public.fr", max_length=500, blank=True)
    modified = models.DateField("modifiée le", null=True, blank=True)
    important_modified = models.DateField("dernière modification importante", null=True, blank=True)
    schema_version = models.CharField("version du schéma", max_length=10, blank=True)
    links = models.JSONField("liens", default=list, blank=True)
    online_services = models.JSONField("services en ligne", default=list, blank=True)
    contacts = models.JSONField("où s'adresser", default=list, blank=True)
    legal_references = models.JSONField("références juridiques", default=list, blank=True)
    more_info = models.JSONField("pour en savoir plus", default=list, blank=True)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        verbose_name = "fiche"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(id__startswith="F") | Q(id__startswith="N") | Q(id__startswith="R"),
                name="catalogue_publication_official_id",
            ),
            models.CheckConstraint(condition=~Q(kind=""), name="catalogue_publication_kind_required"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.title}"

    @property
    def pivots(self) -> list[str]:
        """Pivot codes of the "Où s'adresser" entries, in order, without repeats."""
        return list(dict.fromkeys(c["pivot"] for c in self.contacts if c.get("pivot")))


class LifeEventQuerySet(models.QuerySet):
    def for_audience(self, audience: str) -> "LifeEventQuerySet":
        return self.filter(audience=audience)


class LifeEvent(models.Model):
    """A "Comment faire si" publication as a life event: questionnaire and conditioned content.

    `questionnaire` and `content` formats: `sanscouture.catalogue.parsing` (module docstring); conditions:
    `sanscouture.catalogue.conditions`. `warnings`: constructs the import did not know, links to publications
    missing from the catalogue (French, one line each).
    """

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, primary_key=True, related_name="life_event", verbose_name="fiche"
    )
    slug = models.SlugField("identifiant stable", max_length=120, unique=True)
    audience = models.CharField("public", max_length=20, choices=Audience.choices)
    questionnaire = models.JSONField(default=list, blank=True)
    content = models.JSONField("contenu", default=dict, blank=True)
    warnings = models.JSONField("avertissements", default=list, blank=True)

    objects = LifeEventQuerySet.as_manager()

    class Meta:
        verbose_name = "moment de vie"
        verbose_name_plural = "moments de vie"
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="catalogue_lifeevent_slug_required"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="catalogue_lifeevent_audience"),
        ]

    def __str__(self) -> str:
        return self.slug


class CatalogueVersion(models.Model):
    """One row, bumped by every catalogue import: each process drops what it kept of the catalogue (journeys)."""

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "version du catalogue"

    def __str__(self) -> str:
        return f"version {self.version}"
