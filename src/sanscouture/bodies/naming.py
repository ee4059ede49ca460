"""French names with the right linking word, from the COG 'typeLiaison' (TNCC) code."""

# TNCC: 0 "de", 1 "d'", 2 "du" (le), 3 "de la", 4 "des" (les), 5 "de l'", 6 "des" (aux), 7 "de las", 8 "de los".
_ARTICLE_FREE = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'", 6: "des ", 7: "de las ", 8: "de los "}


def of_territory(name: str, type_liaison: int) -> str:
    """'Hérault', 5 → "de l'Hérault"; 'Rhône', 2 → 'du Rhône'; 'La Réunion', 0 → 'de La Réunion'."""
    return _ARTICLE_FREE.get(type_liaison, "de ") + name


def of_commune(name: str) -> str:
    """Commune names carry their article ('Le Mans', "L'Île-d'Yeu"): 'du Mans', "de L'Île-d'Yeu"."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[:1] in "AEIOUYÉÈÊÎÏÔÂ":
        return "d'" + name
    return "de " + name
