"""Long imports show a rich progress bar and end with a summary table of what changed."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sanscouture.bodies.importers import AnnuaireReport, annuaire_import
from sanscouture.catalogue.importers import CatalogueReport, catalogue_load
from sanscouture.competences.routing import routing_index_invalidate
from sanscouture.competences.services import BanaticReport, ReferentialReport, banatic_import, referential_load


@contextmanager
def progress_bars(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A `progress(label, done, total)` callback drawing one bar per label (total 0: unknown)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, Any] = {}

        def step(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total or None)
            progress.update(tasks[label], completed=done, total=total or None)

        yield step


def load_referential_with_progress(
    path: Path | None, stdout: Any, *, effective: date | None = None
) -> ReferentialReport:
    console = Console(file=stdout, force_terminal=False)
    with progress_bars(console) as step:
        report = referential_load(path=path, effective=effective, progress=step)
    source = "embarqué" if report.territories.source == "bundled" else report.territories.source
    table = Table(title=f"Référentiel {source} — version {report.territories.version}")
    for col in ("objets", "créés", "modifiés", "supprimés"):
        table.add_column(col, justify="right" if col != "objets" else "left")
    for kind, counts in report.territories.changes.items():
        table.add_row(kind, *(str(counts[k]) for k in ("créés", "modifiés", "supprimés")))
    b = report.bodies
    table.add_row("structures", str(b.created), str(b.updated), str(b.deactivated))
    console.print(table)
    from sanscouture.territories.models import Commune, CommuneKind

    # "communes" counts every record of the COG; the README's figure is the current communes alone.
    kinds = {k: Commune.objects.filter(kind=k).count() for k in CommuneKind.values}
    console.print(
        f"Communes : {kinds[CommuneKind.CURRENT]:,} communes actuelles, plus {kinds[CommuneKind.DELEGATED]:,} "
        f"déléguées, {kinds[CommuneKind.ASSOCIATED]:,} associées et {kinds[CommuneKind.ARRONDISSEMENT]:,} "
        f"arrondissements municipaux ({sum(kinds.values()):,} fiches).".replace(",", " ")
    )
    if not report.territories.changed and not (b.created or b.updated or b.deactivated):
        console.print("Aucun changement : le référentiel était déjà à jour.")
    return report


def import_annuaire_with_progress(path: Path, stdout: Any, *, full: bool = True) -> AnnuaireReport:
    """Import the Annuaire in one transaction, then make routing see the new offices at once."""
    console = Console(file=stdout, force_terminal=False)
    with progress_bars(console) as step, transaction.atomic():
        report = annuaire_import(path, full=full, progress=step)
        routing_index_invalidate()
    table = Table(title=f"Annuaire de l'administration — {report.records} services lus")
    for col in ("créés", "modifiés", "inchangés", "désactivés", "avertissements"):
        table.add_column(col, justify="right")
    table.add_row(
        str(report.created),
        str(report.updated),
        str(report.unchanged),
        str(report.deactivated),
        str(len(report.warnings)),
    )
    console.print(table)
    if report.warnings:
        console.print(f"Avertissements ({len(report.warnings)}, les 10 premiers) :")
        for warning in report.warnings[:10]:
            console.print(f"  • {warning}", markup=False, highlight=False)
    if not (report.created or report.updated or report.deactivated):
        console.print("Aucun changement : l'annuaire était déjà à jour.")
    return report


def import_catalogue_with_progress(paths: list[Path] | None, audience: str | None, stdout: Any) -> CatalogueReport:
    """Import the service-public.fr catalogue (default: the bundled one) in one transaction, then summarise."""
    console = Console(file=stdout, force_terminal=False)
    with progress_bars(console) as step:
        report = catalogue_load(paths or None, audience=audience, progress=step)
    table = Table(title=f"Catalogue service-public.fr — {report.source} {report.version} ({report.files} fichiers lus)")
    table.add_column("objets")
    for col in ("ajoutés", "modifiés", "supprimés", "inchangés"):
        table.add_column(col, justify="right")
    for label, c in (("fiches", report.publications), ("moments de vie", report.life_events)):
        table.add_row(label, str(c.added), str(c.updated), str(c.removed), str(c.unchanged))
    console.print(table)
    if report.warnings:
        console.print(f"Avertissements ({len(report.warnings)}) :")
        groups = {
            "liens vers des fiches absentes": "lien de ",
            "codes pivots non classés": "code pivot non classé",
            "constructions inconnues": "construit inconnu",
        }
        for label, prefix in [*groups.items(), ("autres", "")]:
            lines = [
                w
                for w in report.warnings
                if w.startswith(prefix) and (prefix or not any(w.startswith(p) for p in groups.values()))
            ]
            if lines:
                console.print(f"  {label} : {len(lines)}" + (" (les 5 premiers)" if len(lines) > 5 else ""))
                for warning in lines[:5]:
                    console.print(f"    • {warning}", markup=False, highlight=False)
    if report.pivots:
        classes: dict[str, int] = {}
        for office_class in report.pivots.values():
            classes[office_class] = classes.get(office_class, 0) + 1
        console.print(
            f"Types de guichet cités : {len(report.pivots)} ("
            + ", ".join(f"{n} {c}" for c, n in sorted(classes.items()))
            + ")"
        )
    if report.not_kept:
        console.print("Éléments non repris (par choix, voir catalogue/parsing.py NOT_KEPT) :")
        for line in report.not_kept:
            console.print(f"  • {line}", markup=False, highlight=False)
    if report.relevance:
        console.print("Fiches que le contenu officiel montre quelle que soit la réponse :")
        for line in report.relevance:
            console.print(f"  • {line}", markup=False, highlight=False)
    if report.skipped:
        console.print(f"Fichiers ignorés : {len(report.skipped)}")
    if not report.changed:
        console.print("Aucun changement : le catalogue était déjà à jour.")
    return report


def import_banatic_with_progress(path: Path, export_date: date, communes: Path | None, stdout: Any) -> BanaticReport:
    """Import a BANATIC export in one transaction and say what changed, what was kept and what was not."""
    console = Console(file=stdout, force_terminal=False)
    with progress_bars(console) as step:
        report = banatic_import(path=path, export_date=export_date, communes_table=communes, progress=step)
    generation = "export actuel (XLSX)" if report.generation == "xlsx" else "ancien export BANATIC V5"
    table = Table(title=f"BANATIC, export du {report.export_date:%d/%m/%Y} — {generation}, {report.rows} lignes")
    table.add_column("objets")
    for col in ("créés", "modifiés", "terminés / désactivés", "inchangés"):
        table.add_column(col, justify="right")
    table.add_row(
        "structures", str(report.bodies_created), str(report.bodies_updated), str(report.bodies_deactivated), ""
    )
    table.add_row(
        "compétences exercées",
        str(report.exercises_created),
        "",
        str(report.exercises_ended),
        str(report.exercises_unchanged),
    )
    console.print(table)
    natures = ", ".join(f"{n} {k}" for k, n in sorted(report.natures.items()))
    console.print(f"{report.groupements} groupements ({natures}), {report.members} membres.")
    for label, names in (
        ("Nouveaux groupements", report.created),
        ("Groupements absents de cet export", report.deactivated),
    ):
        if names:
            console.print(f"{label} ({len(names)}, les 10 premiers) : " + ", ".join(names[:10]), markup=False)
    console.print(f"Colonnes reprises ({len(report.columns_kept)}) :")
    for line in report.columns_kept:
        console.print(f"  • {line}", markup=False, highlight=False)
    console.print(
        f"Colonnes revues et non reprises : {len(report.columns_not_kept)} (voir competences/data/banatic.yaml)"
    )
    if report.columns_unknown:
        console.print(f"Colonnes absentes du fichier de correspondance, à revoir ({len(report.columns_unknown)}) :")
        for line in report.columns_unknown[:20]:
            console.print(f"  • {line}", markup=False, highlight=False)
    if report.unresolved_communes:
        console.print(f"Communes membres introuvables ({len(report.unresolved_communes)}, les 10 premières) :")
        for line in report.unresolved_communes[:10]:
            console.print(f"  • {line}", markup=False, highlight=False)
    for warning in report.warnings[:10]:
        console.print(f"  ! {warning}", markup=False, highlight=False)
    if not report.changed:
        console.print("Aucun changement : BANATIC était déjà à jour.")
    return report
