"""Webhooks signés."""
