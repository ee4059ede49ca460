"""`{% contenu nodes level audience %}`: the official content tree (catalogue.parsing, CONTENT_FORMAT) as DSFR HTML.

Rendered in Python rather than by recursive template includes: a journey has a few thousand nodes. Every text
goes through `format_html` (escaped); links to other publications go to service-public.fr, glossary terms to the
page's "Définitions".
"""

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SITE_SECTIONS = {"particuliers": "particuliers", "professionnels": "professionnels-entreprises"}
STYLE_TAGS = {"emphase": "strong", "exposant": "sup", "indice": "sub", "citation": "q", "etranger": "i"}
CALLOUTS = {  # encadré kind → DSFR callout colour and the title service-public.fr gives it
    "ASavoir": ("fr-callout--blue-ecume", "À savoir"),
    "ANoter": ("", "À noter"),
    "Rappel": ("fr-callout--green-emeraude", "Rappel"),
    "Attention": ("fr-callout--orange-terre-battue", "Attention"),
    "Avertissement": ("fr-callout--orange-terre-battue", "Avertissement"),
}
LOGIN = {"oui": "compte nécessaire", "non": "sans compte"}


def fiche_url(target: str, audience: str) -> str:
    section = SITE_SECTIONS.get(audience, audience or "particuliers")
    return f"https://www.service-public.fr/{section}/vosdroits/{target}"


def _runs(runs: list[dict[str, Any]], audience: str) -> SafeString:
    parts = []
    for run in runs:
        kind = run["type"]
        if kind == "lien":
            url = run.get("url") or fiche_url(run.get("target", ""), audience)
            html = format_html(
                '<a href="{}" target="_blank" rel="noopener" title="{} — nouvelle fenêtre">{}</a>',
                url,
                run["text"],
                run["text"],
            )
        elif kind == "definition":
            html = format_html('<a class="sc-terme" href="#def-{}">{}</a>', run["ref"], run["text"])
        else:
            html = format_html("{}", run["text"])
        tag = STYLE_TAGS.get(run.get("style", ""))
        parts.append(format_html("<{}>{}</{}>", mark_safe(tag), html, mark_safe(tag)) if tag else html)  # noqa: S308
    return mark_safe("".join(parts))  # noqa: S308 (each part escaped above)


def _heading(level: int, text: str, css: str = "") -> SafeString:
    level = min(level, 6)
    return format_html('<h{} class="sc-content__title{}">{}</h{}>', level, f" {css}" if css else "", text, level)


def render_nodes(nodes: list[dict[str, Any]], level: int, audience: str) -> SafeString:
    return mark_safe("".join(_node(n, level, audience) for n in nodes))  # noqa: S308


def _node(node: dict[str, Any], level: int, audience: str) -> str:
    kind = node["type"]
    children = node.get("children") or []
    title = node.get("title", "")
    if kind == "paragraphe":
        return format_html("<p>{}</p>", _runs(node["inline"], audience))
    if kind == "liste":
        tag = "ol" if node.get("kind") == "numero" else "ul"
        items = format_html_join("", "<li>{}</li>", ((_item(i, level, audience),) for i in children))
        return format_html('<{} class="sc-content__list">{}</{}>', mark_safe(tag), items, mark_safe(tag))  # noqa: S308
    if kind in ("souschapitre", "chapitre", "situation"):
        return format_html(
            '<div class="sc-content__section">{}{}</div>',
            _heading(level, title) if title else "",
            render_nodes(children, level + 1, audience),
        )
    if kind == "bloccas":
        return format_html('<div class="sc-cases">{}</div>', render_nodes(children, level, audience))
    if kind == "cas":
        return format_html(
            '<div class="sc-case">{}{}</div>',
            _heading(level, title, "sc-case__title") if title else "",
            render_nodes(children, level + 1, audience),
        )
    if kind in ("fragment", "item", "cellule"):
        return render_nodes(children, level, audience)
    if kind == "encadre":
        colour, default = CALLOUTS.get(node.get("kind", ""), ("", ""))
        return format_html(
            '<div class="fr-callout {} sc-encadre" role="note"><p class="fr-callout__title">{}</p>'
            '<div class="fr-callout__text">{}</div></div>',
            colour,
            title or default,
            render_nodes(children, level + 1, audience),
        )
    if kind == "tableau":
        return _table(node, audience)
    if kind == "image":
        return format_html('<p class="sc-image fr-text--sm">Illustration : {}</p>', node.get("text") or title)
    if kind == "service":
        return format_html('<p class="sc-service">{}</p>', service_link(node))
    if kind == "contact":
        body = render_nodes(children, level + 1, audience) if children else ""
        return format_html(
            '<div class="sc-contact"><p class="fr-mb-1v"><strong>{}</strong>{}</p>{}</div>',
            title,
            format_html(" — {}", node["complement"]) if node.get("complement") else "",
            body,
        )
    return format_html('<p class="sc-unknown">{}</p>', node.get("text", ""))


def _item(node: dict[str, Any], level: int, audience: str) -> SafeString:
    children = node.get("children") or []
    if len(children) == 1 and children[0]["type"] == "paragraphe":  # no empty paragraph margin in a bullet
        return _runs(children[0]["inline"], audience)
    return render_nodes(children, level, audience)


def _table(node: dict[str, Any], audience: str) -> SafeString:
    columns = node.get("columns") or []
    head, body = [], []
    for row in node.get("children") or []:
        cells = []
        for i, cell in enumerate(row.get("children") or []):
            content = render_nodes(cell.get("children") or [], 6, audience)
            if row.get("header"):
                cells.append(format_html('<th scope="col">{}</th>', content))
            elif i < len(columns) and columns[i] == "header":
                cells.append(format_html('<th scope="row">{}</th>', content))
            else:
                cells.append(format_html("<td>{}</td>", content))
        (head if row.get("header") else body).append(format_html("<tr>{}</tr>", mark_safe("".join(cells))))  # noqa: S308
    return format_html(
        '<div class="fr-table sc-table"><table>{}{}<tbody>{}</tbody></table></div>',
        format_html("<caption>{}</caption>", node["title"]) if node.get("title") else "",
        format_html("<thead>{}</thead>", mark_safe("".join(head))) if head else "",  # noqa: S308
        mark_safe("".join(body)),  # noqa: S308
    )


def service_link(service: Any) -> SafeString:
    """An online service: its title as a link, its kind, and whether it needs an account."""
    get = service.get if isinstance(service, dict) else lambda k, d="": getattr(service, k, d)
    kind = get("kind", "") or get("type", "")
    notes = [kind] if kind else []
    if LOGIN.get(get("login", "")):
        notes.append(LOGIN[get("login", "")])
    title = get("title", "")
    return format_html(
        '<a href="{}" target="_blank" rel="noopener" title="{} — nouvelle fenêtre">{}</a>{}',
        get("url", ""),
        title,
        title,
        format_html(' <span class="fr-hint-text sc-inline-hint">{}</span>', " · ".join(notes)) if notes else "",
    )


@register.simple_tag
def contenu(nodes: list[dict[str, Any]], level: int = 3, audience: str = "particuliers") -> SafeString:
    return render_nodes(nodes or [], int(level), audience)


@register.simple_tag
def service_en_ligne(service: Any) -> SafeString:
    return service_link(service)
