"""`sanscouture parcours <moment de vie> --commune <code> --choix … [--json]`: the journey of a life event."""

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from sanscouture.catalogue.selectors import life_event_get, life_events
from sanscouture.errors import DomainError
from sanscouture.journeys.api import journey_out
from sanscouture.journeys.selectors import journey_compute
from sanscouture.territories.selectors import commune_find


class Command(BaseCommand):
    help = "Le parcours d'un moment de vie dans une commune : les étapes et les structures compétentes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("moment", nargs="?", help="Moment de vie : identifiant (je-demenage) ou fiche (F14128)")
        parser.add_argument("--commune", help="Code INSEE, code postal ou nom de la commune")
        parser.add_argument("--choix", nargs="*", default=[], help="Identifiants des choix (voir --questions)")
        parser.add_argument("--date", type=date.fromisoformat, help="Date de la situation (AAAA-MM-JJ)")
        parser.add_argument("--questions", action="store_true", help="Afficher le questionnaire et ses choix")
        parser.add_argument("--json", action="store_true", help="Sortie JSON (même forme que l'API)")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout, width=140)
        try:
            if not options["moment"]:
                for le in life_events():
                    console.print(f"{le.slug:60} {le.publication_id:8} {le.publication.title}")
                return
            if options["questions"] or not options["commune"]:
                self._questions(console, life_event_get(options["moment"]))
                if not options["commune"]:
                    console.print("Indiquez la commune avec --commune pour obtenir le parcours.")
                return
            res = commune_find(options["commune"])
            journey = journey_compute(
                life_event=options["moment"],
                choices=options["choix"],
                commune=res.commune.insee_code,
                on=options["date"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(journey_out(journey).dict(), ensure_ascii=False, indent=2, default=str))
            return
        console.print(
            f"[bold]{journey.life_event.publication.title}[/bold] — {journey.commune.name} "
            f"({journey.commune.insee_code}), au {journey.on:%d/%m/%Y}"
        )
        if journey.commune_message:
            console.print(journey.commune_message)
        for question, choice in journey.answers:
            console.print(f"  {question} : {choice}")
        phase = None
        for step in journey.steps:
            if step.phase != phase and step.phase:
                console.print(f"\n[bold]{step.phase}[/bold]")
            phase = step.phase
            console.print(f"\n[bold]{step.number}. {step.title}[/bold]")
            for fiche in step.fiches:
                console.print(f"   • {fiche.title} ({fiche.id}) {fiche.url}")
            for office in step.offices:
                where = ", ".join(b.name for b in office.bodies) or f"{office.class_label} — {office.link_url}"
                console.print(f"   → {office.label} : {where}")
            for comp in step.competent:
                if comp.differs_from_pivot:
                    console.print(
                        f"   ℹ {comp.label} : {', '.join(b.name for b in comp.bodies)} "
                        f"(la fiche nomme : {comp.named_by_fiche})"
                    )
            for linked in step.linked_journeys:
                console.print(f"   ↗ Voir aussi le moment de vie « {linked.title} » ({linked.slug})")
            if step.local_body:
                console.print(f"   Étape ajoutée par {step.local_body.name}. {' '.join(step.paragraphs)} {step.url}")
        for warning in journey.warnings:
            console.print(f"[yellow]Avertissement : {warning}[/yellow]")

    def _questions(self, console: Console, event: Any) -> None:
        console.print(f"[bold]{event.publication.title}[/bold] ({event.slug})")
        if not event.questionnaire:
            console.print("Pas de questionnaire : seule la commune est demandée.")
        for q in event.questionnaire:
            console.print(f"\n{q['title']}")
            for c in q["choices"]:
                console.print(f"   --choix {c['id']:35} {c['title']}")
