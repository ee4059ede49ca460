"""`sanscouture qui <commune> [<competence>] [--json]`: who is competent, and why."""

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.routing import Routing, disagreement, route, route_all, routing_code
from sanscouture.errors import DomainError
from sanscouture.territories.selectors import commune_find


def as_dict(r: Routing) -> dict[str, Any]:
    return {
        "competence": r.subject,
        "libelle": r.label,
        "structures": [{"cle": b.key, "nom": b.name, "type": b.kind} for b in r.bodies],
        "raison": {
            "type": r.reason.kind,
            "explication": r.reason.text,
            "references": list(r.reason.references),
            "references_verifiees": r.reason.verified,
            "desaccord": disagreement(r),
        },
    }


class Command(BaseCommand):
    help = "Qui fait quoi : la structure compétente pour chaque compétence dans une commune, et pourquoi."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("commune", help="Code INSEE, code postal ou nom (« Savenay », « Saint-Denis (93) »)")
        parser.add_argument("competence", nargs="?", help="Code de compétence (voir --liste)")
        parser.add_argument("--date", type=date.fromisoformat, help="Date de la situation (AAAA-MM-JJ)")
        parser.add_argument("--json", action="store_true", help="Sortie JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            res = commune_find(options["commune"])
            code = routing_code(res.requested_code, res.commune.insee_code, options["date"])
            if options["competence"]:
                answers = [route(catalogue().get(options["competence"]), commune=code, on=options["date"])]
            else:
                answers = route_all(commune=code, on=options["date"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        c = res.commune
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "commune": c.insee_code,
                        "nom": c.name,
                        "message": res.message,
                        "competences": [as_dict(a) for a in answers],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        console = Console(file=self.stdout, width=160)
        if res.message:
            console.print(res.message)
        table = Table(title=f"Qui fait quoi à {c.name} ({c.insee_code}) ?", show_lines=True)
        table.add_column("Compétence")
        table.add_column("Structure compétente")
        table.add_column("Pourquoi", max_width=90)
        for a in answers:
            why = a.reason.text + (f"\n{disagreement(a)}" if a.others else "")
            table.add_row(a.label, "\n".join(b.name for b in a.bodies) or "non déterminée", why)
        console.print(table)
