"""Contrats et projets partagés : fiches action et leviers détenus par les autres."""
