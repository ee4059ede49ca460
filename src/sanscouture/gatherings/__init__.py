"""Saut culturel : rencontres entre agents (fête des voisins au travail) et leur effet sur le réseau."""
