from django.apps import AppConfig


class CompetencesConfig(AppConfig):
    name = "sanscouture.competences"
    verbose_name = "Compétences"
