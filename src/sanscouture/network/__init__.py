"""Acteur-réseau : les interactions entre structures et les mesures du réseau."""
