"""Vis mon job."""
