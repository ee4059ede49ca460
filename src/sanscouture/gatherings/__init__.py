"""Saut culturel : vis mon job et rencontres entre agents."""
