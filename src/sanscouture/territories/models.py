"""The national territorial referential (COG / DGCL), keyed by official codes."""

from django.db import models


class Zone(models.TextChoices):
    METRO = "metro", "France métropolitaine"
    DROM = "drom", "Département ou région d'outre-mer"
    COM = "com", "Collectivité d'outre-mer"


class Edition(models.Model):
    """One loaded edition of the referential (source, version, when it was loaded)."""

    source = models.CharField(max_length=200)
    version = models.CharField(max_length=40)
    loaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.version}"


class Region(models.Model):
    """A région (or, for the COM, the collectivity code used as such by the COG)."""

    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=120)
    type_liaison = models.PositiveSmallIntegerField(default=0)
    zone = models.CharField(max_length=5, choices=Zone.choices)
    chef_lieu = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    """A département (DROM included; the COM appear with their 3-digit code)."""

    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")
    type_liaison = models.PositiveSmallIntegerField(default=0)
    zone = models.CharField(max_length=5, choices=Zone.choices)
    chef_lieu = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EpciKind(models.TextChoices):
    CC = "CC", "Communauté de communes"
    CA = "CA", "Communauté d'agglomération"
    CU = "CU", "Communauté urbaine"
    METRO = "METRO", "Métropole"
    MET69 = "MET69", "Métropole de Lyon"


# The Métropole du Grand Paris is a METRO with its own legal regime (CGCT L5219-1).
GRAND_PARIS_SIREN = "200054781"


class Epci(models.Model):
    """An établissement public de coopération intercommunale à fiscalité propre."""

    siren = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=5, choices=EpciKind.choices)
    financing = models.CharField(max_length=10, blank=True)
    population = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "EPCI"

    def __str__(self) -> str:
        return self.name

    @property
    def legal_regime(self) -> str:
        """The key under which the law allocates competences to this EPCI (MGP has its own)."""
        return "MGP" if self.siren == GRAND_PARIS_SIREN else self.kind


class Ept(models.Model):
    """An établissement public territorial of the Métropole du Grand Paris."""

    siren = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=200)
    population = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "EPT"

    def __str__(self) -> str:
        return self.name


class CommuneKind(models.TextChoices):
    CURRENT = "current", "Commune"
    DELEGATED = "delegated", "Commune déléguée"
    ASSOCIATED = "associated", "Commune associée"
    ARRONDISSEMENT = "arrondissement", "Arrondissement municipal"


class CommuneQuerySet(models.QuerySet):
    def current(self) -> "CommuneQuerySet":
        return self.filter(kind=CommuneKind.CURRENT)


class Commune(models.Model):
    """A commune of the COG. Delegated, associated and arrondissements point to their current commune.

    The INSEE code is not unique across kinds (a commune déléguée may share its parent's code),
    hence the surrogate key and the (insee_code, kind) constraint.
    """

    insee_code = models.CharField(max_length=5, db_index=True)
    kind = models.CharField(max_length=14, choices=CommuneKind.choices)
    name = models.CharField(max_length=120)
    search_name = models.CharField(max_length=120, db_index=True)
    type_liaison = models.PositiveSmallIntegerField(default=0)
    zone = models.CharField(max_length=5, choices=Zone.choices)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    epci = models.ForeignKey(Epci, on_delete=models.SET_NULL, null=True, blank=True, related_name="communes")
    ept = models.ForeignKey(Ept, on_delete=models.SET_NULL, null=True, blank=True, related_name="communes")
    siren = models.CharField(max_length=9, blank=True)
    population = models.PositiveIntegerField(null=True)
    postcodes = models.JSONField(default=list)
    arrondissement = models.CharField("arrondissement (COG)", max_length=4, blank=True)  # ressort d'une sous-préfecture

    objects = CommuneQuerySet.as_manager()

    class Meta:
        ordering = ["insee_code", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["insee_code", "kind"], name="commune_code_kind_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="current", parent__isnull=True)
                | (~models.Q(kind="current") & models.Q(parent__isnull=False)),
                name="commune_parent_iff_not_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"


class Postcode(models.Model):
    """One postcode of a current commune (a commune may have several, a postcode several communes)."""

    code = models.CharField(max_length=5, db_index=True)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="postcode_set")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "commune"], name="postcode_commune_unique")]

    def __str__(self) -> str:
        return self.code


class FormerCode(models.Model):
    """An INSEE code that no longer designates a current commune (anciensCodes) and where it went."""

    code = models.CharField(max_length=5, db_index=True)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="former_codes")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "commune"], name="former_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} → {self.commune_id}"
