"""`sanscouture declarations verifier`: the declarations in force that break the rule « who may declare what,
where » (docs/adr/013). Reports them; deletes and withdraws nothing. Exit status 1 when there are any."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sanscouture.competences.selectors import declarations_breaking_the_rule


class Command(BaseCommand):
    help = "Vérifie les déclarations d'exercice en vigueur au regard de la règle (territoire, type de structure)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verifier", help="Liste les déclarations en vigueur qui enfreignent la règle (rien n'est modifié)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        found = declarations_breaking_the_rule()
        if not found:
            self.stdout.write("Aucune déclaration en vigueur n'enfreint la règle.")
            return
        self.stdout.write(f"{len(found)} déclaration(s) en vigueur enfreignent la règle (rien n'a été modifié) :")
        for item in found:
            ex = item.exercise
            self.stdout.write(
                f"  #{ex.pk} {ex.body.name} ({ex.body.key}) — {ex.competence} depuis le {ex.start:%d/%m/%Y}"
            )
            for breach in item.breaches:
                self.stdout.write(f"      {breach.code} : {breach.message}")
        self.stdout.write("Retirez-les ou corrigez-les depuis /declarations/ ou l'administration.")
        sys.exit(1)
