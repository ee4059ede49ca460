"""Contracts between institutions (CRTE, PVD, ACV…), their action sheets, budget lines, indicators and steps."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sanscouture.bodies.models import Body
from sanscouture.territories.models import Commune


class ContractKind(models.TextChoices):
    CRTE = "crte", "CRTE (contrat pour la réussite de la transition écologique)"
    PVD = "pvd", "Petites villes de demain"
    ACV = "acv", "Action cœur de ville"
    RURALITE = "ruralite", "Contrat de ruralité"
    PACTE = "pacte", "Pacte"
    PLAN = "plan", "Contrat de plan"
    OTHER = "autre", "Autre contrat"


class ContractStatus(models.TextChoices):
    PREPARATION = "preparation", "En préparation"
    SIGNED = "signe", "Signé"
    FINISHED = "termine", "Terminé"
    TERMINATED = "resilie", "Résilié"


class Contract(models.Model):
    """A contract between public bodies on a perimeter. `perimeter` keeps the terms as given (`commune:34274`,
    `epci:200022986`, `departement:34`, `region:76`); `communes` holds the current communes they cover."""

    kind = models.CharField(max_length=10, choices=ContractKind.choices)
    title = models.CharField(max_length=250)
    perimeter = models.JSONField(default=list)
    communes = models.ManyToManyField(Commune, related_name="contracts")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    axes = models.JSONField(default=list, help_text="Axes du contrat (intitulés)")
    documents = models.JSONField(default=list, help_text="Liens : [{titre, url}]")
    status = models.CharField(max_length=12, choices=ContractStatus.choices, default=ContractStatus.SIGNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "title"]
        verbose_name = "contrat"
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="contract_end_after")
        ]

    def __str__(self) -> str:
        return self.title


class Signatory(models.Model):
    """A body that signs a contract, with its role in it (porteur, État, financeur…)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signatories")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="contract_signatures")
    role = models.CharField(max_length=100, default="signataire")

    class Meta:
        ordering = ["pk"]
        verbose_name = "signataire"
        constraints = [models.UniqueConstraint(fields=["contract", "body"], name="signatory_unique")]

    def __str__(self) -> str:
        return f"{self.body} ({self.role})"


class Phase(models.TextChoices):
    """Phases of the national schema « projets-territoire » (v0.1.0): English values, the schema's French labels."""

    IDEA = "idee", "Idée"
    STUDY = "etude", "Étude"
    OPERATION = "operation", "Opération"


class PhaseStatus(models.TextChoices):
    IN_PROGRESS = "en_cours", "En cours"
    LATE = "en_retard", "En retard"
    PAUSED = "en_pause", "En pause"
    BLOCKED = "bloque", "Bloqué"
    ABANDONED = "abandonne", "Abandonné"
    DONE = "termine", "Terminé"


class ActionSheet(models.Model):
    """An action sheet (fiche action) of a contract: who pilots it, with whom, which competences it needs, where.
    `uid` is its identifier in the projets-territoire exchanges."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sheets")
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    axis = models.CharField(max_length=250, blank=True)
    pilot = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="piloted_sheets")
    partners = models.ManyToManyField(Body, blank=True, related_name="partner_sheets")
    competences = models.JSONField(default=list, help_text="Codes du catalogue des compétences")
    communes = models.ManyToManyField(Commune, related_name="action_sheets")
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.IDEA)
    phase_status = models.CharField(max_length=10, choices=PhaseStatus.choices, default=PhaseStatus.IN_PROGRESS)
    levers = models.JSONField(default=list, help_text="Leviers de la planification écologique (liste SGPE)")
    planned_start = models.DateField(null=True, blank=True)
    planned_budget = models.PositiveBigIntegerField(null=True, blank=True, help_text="Budget prévisionnel (euros)")
    external_ids = models.JSONField(default=dict, help_text="Identifiants ailleurs : mecId, tetId, recocoId")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = "fiche action"

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    """A dated step of an action sheet (planned, and done when `done_on` is set)."""

    sheet = models.ForeignKey(ActionSheet, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=250)
    planned_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["planned_on", "pk"]
        verbose_name = "étape"

    def __str__(self) -> str:
        return self.title


class BudgetStatus(models.TextChoices):
    REQUESTED = "sollicite", "Sollicité"
    GRANTED = "accorde", "Accordé"
    PAID = "verse", "Versé"


class BudgetLine(models.Model):
    """A funder's part of an action sheet: `amount` (requested, granted or paid) out of the line's `total`."""

    sheet = models.ForeignKey(ActionSheet, on_delete=models.CASCADE, related_name="budget_lines")
    funder = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="funded_lines")
    label = models.CharField(max_length=250, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, help_text="Montant total de la ligne (euros)")
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Montant sollicité, accordé ou versé")
    status = models.CharField(max_length=10, choices=BudgetStatus.choices, default=BudgetStatus.REQUESTED)
    on = models.DateField(null=True, blank=True, help_text="Date de la demande, de la décision ou du versement")

    class Meta:
        ordering = ["pk"]
        verbose_name = "ligne budgétaire"
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0) & Q(amount__gte=0), name="budget_line_not_negative"),
            models.CheckConstraint(condition=Q(amount__lte=F("total")), name="budget_line_amount_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.funder} : {self.amount} € ({self.get_status_display()})"


class Indicator(models.Model):
    """An indicator of an action sheet, with its target; measured values over time in `IndicatorValue`."""

    sheet = models.ForeignKey(ActionSheet, on_delete=models.CASCADE, related_name="indicators")
    label = models.CharField(max_length=250)
    unit = models.CharField(max_length=50, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "indicateur"

    def __str__(self) -> str:
        return self.label


class IndicatorValue(models.Model):
    """One measured value of an indicator at a date."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    on = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=3)

    class Meta:
        ordering = ["on"]
        verbose_name = "valeur mesurée"
        constraints = [models.UniqueConstraint(fields=["indicator", "on"], name="indicator_value_unique")]

    def __str__(self) -> str:
        return f"{self.on} : {self.value}"


class FileKind(models.TextChoices):
    IFC = "ifc", "Maquette IFC (BIM)"
    OTHER = "autre", "Document"


class SharedFile(models.Model):
    """A file shared among the partners of an action sheet, with its versions over time."""

    sheet = models.ForeignKey(ActionSheet, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(max_length=250)
    kind = models.CharField(max_length=6, choices=FileKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = "fichier partagé"

    def __str__(self) -> str:
        return self.title


class FileVersion(models.Model):
    """One version of a shared file: its bytes (kept in the database, written in the same transaction as the row:
    a refused upload stores nothing), and for an IFC model its summary."""

    file = models.ForeignKey(SharedFile, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=250, help_text="Nom du fichier déposé")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    summary = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["file", "number"]
        verbose_name = "version de fichier"
        constraints = [models.UniqueConstraint(fields=["file", "number"], name="file_version_unique")]

    def __str__(self) -> str:
        return f"{self.file} v{self.number}"


class FileAction(models.TextChoices):
    UPLOAD = "depot", "Dépôt"
    VIEW = "consultation", "Consultation"
    DOWNLOAD = "telechargement", "Téléchargement"
    DIFF = "comparaison", "Comparaison de versions"


class FileAccess(models.Model):
    """Journal of every access to a shared file: who, for which body, what, when. Append-only by convention."""

    file = models.ForeignKey(SharedFile, on_delete=models.CASCADE, related_name="accesses")
    version = models.ForeignKey(FileVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    bodies = models.CharField(max_length=500, help_text="Structures de l'agent partageant la fiche")
    action = models.CharField(max_length=15, choices=FileAction.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "accès à un fichier"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"
