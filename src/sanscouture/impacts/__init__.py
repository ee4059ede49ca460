"""Responsabilité collective : actions déclarées, leurs impacts sur les autres et les avis."""
