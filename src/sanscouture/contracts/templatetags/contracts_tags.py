from django import template

register = template.Library()


@register.filter
def area(value: float | None) -> str:
    """An area in m² as people write it: up to two decimals, a comma, no trailing zeros (« 120,5 », « 140 »)."""
    if value is None:
        return "non renseignée"
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
