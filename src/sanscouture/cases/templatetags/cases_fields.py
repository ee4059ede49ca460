"""How the person's data reads on screen: labels instead of keys, French dates instead of ISO ones."""

from datetime import date

from django import template

from sanscouture.cases.fields import field_labels

register = template.Library()


@register.filter
def shown(value: str, field: str) -> str:
    """A stored value as a person reads it: '1990-01-01' → '01/01/1990' for the date fields."""
    if field.startswith("date_"):
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


@register.filter
def labels(keys: list[str]) -> str:
    """Field keys as the form named them: ['adresse_arrivee'] → 'Adresse actuelle ou nouvelle adresse'."""
    known = field_labels()
    return ", ".join(known.get(k, k) for k in keys or [])
