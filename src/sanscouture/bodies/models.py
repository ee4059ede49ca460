"""Public bodies (acteurs): derived from the referential and the law, enriched by the Annuaire."""

from django.db import models

from sanscouture.territories.models import Commune, Departement, Epci, Ept, Region


class BodyKind(models.TextChoices):
    MAIRIE = "mairie", "Mairie"
    EPCI = "epci", "Intercommunalité"
    EPT = "ept", "Établissement public territorial"
    DEPARTEMENT = "departement", "Conseil départemental"
    REGION = "region", "Conseil régional"
    COLLECTIVITE = "collectivite", "Collectivité à statut particulier"
    PREFECTURE = "prefecture", "Représentant de l'État"
    CAF = "caf", "Caisse d'allocations familiales"
    CPAM = "cpam", "Assurance maladie"
    MDPH = "mdph", "Maison départementale des personnes handicapées"
    OFFICE = "office", "Guichet (Annuaire de l'administration)"
    MAIRIE_ARRDT = "mairie_arrdt", "Mairie d'arrondissement"
    MOBILITE = "mobilite", "Autorité organisatrice de la mobilité"
    SECOURS = "secours", "Incendie et secours"
    SECU_SOCIALE = "secu_sociale", "Organisme de sécurité sociale"
    SYNDICAT = "syndicat", "Syndicat ou groupement de collectivités"


# Bodies of the State (and, later, national bodies): only a platform administrator acts for them in the referential
# (competence declarations), never their own members (docs/adr/013).
STATE_KINDS = frozenset({BodyKind.PREFECTURE})


class BodyQuerySet(models.QuerySet):
    def active(self) -> "BodyQuerySet":
        return self.filter(active=True)


class Body(models.Model):
    """A public body that acts. `key` is stable across imports ('mairie:34274', 'caf:34', 'annuaire:<uuid>').

    The anchor fields say which territory the body serves; offices from the Annuaire list their communes
    explicitly in `served_communes`. Contact fields left empty are unknown, never guessed.
    """

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=14, choices=BodyKind.choices)
    name = models.CharField(max_length=250)
    siren = models.CharField(max_length=9, blank=True)
    pivots = models.JSONField(default=list, help_text="Types de guichet service-public.fr auxquels répond la structure")
    basis = models.CharField(max_length=300, blank=True, help_text="Pourquoi cette structure existe (texte de loi)")
    commune = models.ForeignKey(Commune, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    epci = models.ForeignKey(Epci, on_delete=models.SET_NULL, null=True, blank=True, related_name="bodies")
    ept = models.ForeignKey(Ept, on_delete=models.SET_NULL, null=True, blank=True, related_name="bodies")
    departement = models.ForeignKey(
        Departement, on_delete=models.SET_NULL, null=True, blank=True, related_name="bodies"
    )
    region = models.ForeignKey(Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="bodies")
    served_communes = models.ManyToManyField(Commune, blank=True, related_name="offices")
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offices",
        help_text="Structure dont ce guichet est une implantation",
    )
    # Contact details, from the Annuaire de l'administration when imported.
    addresses = models.JSONField(default=list)
    phones = models.JSONField(default=list)
    emails = models.JSONField(default=list)
    websites = models.JSONField(default=list)
    opening_hours = models.JSONField(default=list)
    annuaire_id = models.CharField(max_length=64, blank=True, db_index=True)
    annuaire_url = models.URLField(blank=True)
    source = models.CharField(max_length=20, default="referentiel")
    active = models.BooleanField(default=True)
    # Issue 11: an agent's declared action waits for an administrator or référent unless the body says otherwise.
    actions_need_validation = models.BooleanField(
        "validation des actions requise",
        default=True,
        help_text="Les actions qu'un agent publie attendent la validation d'un administrateur ou d'un référent",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = BodyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "structure"

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    DIRECTION = "direction", "Direction"
    SERVICE = "service", "Service"


class BodyUnit(models.Model):
    """A direction or a service inside a body (Département → Direction des solidarités → PMI), described by the
    body's administrator. It lives here, under cases, because a case's task can be assigned to one (docs/adr/018).
    Access stays per body: a service sees what its body sees."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    kind = models.CharField(max_length=10, choices=UnitKind.choices, default=UnitKind.SERVICE)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["body", "name"]
        verbose_name = "service d'une structure"
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="body_unit_name_unique"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="body_unit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.body})"


class MemberKind(models.TextChoices):
    COMMUNE = "commune", "Commune"
    GROUPEMENT = "groupement", "Groupement"
    AUTRE = "autre", "Autre organisme"


class GroupementMember(models.Model):
    """A member of a groupement (syndicat, PETR, EPCI…) as BANATIC lists it at `as_of` (the export's date).

    A member is a commune (resolved through the SIREN ↔ INSEE table), another groupement (an EPCI that joined a
    syndicat, in representation-substitution of its communes or not), or another organisme (département,
    chambre…). Replaced as a whole by each BANATIC import."""

    groupement = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="members")
    member_siren = models.CharField(max_length=9)
    member_name = models.CharField(max_length=250)
    member_kind = models.CharField(max_length=10, choices=MemberKind.choices)
    commune = models.ForeignKey(Commune, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    member = models.ForeignKey(Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="member_of")
    substitution = models.BooleanField(default=False, help_text="Représentation-substitution de ses communes")
    as_of = models.DateField()

    class Meta:
        ordering = ["groupement", "member_name"]
        verbose_name = "membre d'un groupement"
        constraints = [
            models.UniqueConstraint(fields=["groupement", "member_siren"], name="groupement_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_name} ∈ {self.groupement}"
