"""The DCAT catalogue of what this instance publishes (DCAT-AP, JSON-LD, Hydra pagination as data.gouv.fr harvests
it): the national « qui fait quoi » dataset; each new export adds one entry to `_datasets` (ADR 020)."""

from collections.abc import Callable
from math import ceil

from django.conf import settings
from django.urls import reverse

from .services import qui_fait_quoi_edition, qui_fait_quoi_schema

LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
FRANCE = "http://publications.europa.eu/resource/authority/country/FRA"
DAILY = "http://publications.europa.eu/resource/authority/frequency/DAILY"
IANA = "https://www.iana.org/assignments/media-types/"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
PAGE_SIZE = 20


def _date(value: str) -> dict:
    return {"@value": value, "@type": "xsd:date"}


def _qui_fait_quoi(url: Callable[[str], str]) -> dict:
    edition = qui_fait_quoi_edition()
    schema = qui_fait_quoi_schema()
    day = edition.on.isoformat()
    dataset = url("opendata:qui_fait_quoi_schema").removesuffix(".schema.json")
    files = (
        ("csv", "CSV", "text/csv", edition.csv.stat().st_size, "opendata:qui_fait_quoi_csv"),
        ("parquet", "Parquet", "application/vnd.apache.parquet", edition.parquet.stat().st_size,
         "opendata:qui_fait_quoi_parquet"),
    )  # fmt: skip
    return {
        "@id": dataset,
        "@type": "dcat:Dataset",
        "dct:identifier": "qui-fait-quoi",
        "dct:title": schema["title"],
        "dct:description": schema["description"],
        "dcat:keyword": ["compétences", "collectivités territoriales", "intercommunalités", "SIREN", "routage"],
        "dct:license": {"@id": LICENCE},
        "dct:publisher": {"@id": "#editeur"},
        "dct:spatial": {"@id": FRANCE},
        "dct:temporal": {"@type": "dct:PeriodOfTime", "dcat:startDate": _date(day), "dcat:endDate": _date(day)},
        "dct:issued": _date(day),
        "dct:modified": _date(day),
        "dct:accrualPeriodicity": {"@id": DAILY},
        "dct:conformsTo": {"@id": url("opendata:qui_fait_quoi_schema")},
        "dcat:distribution": [
            {
                "@id": f"{dataset}#{key}",
                "@type": "dcat:Distribution",
                "dct:title": f"{schema['title']} ({label}, édition du {edition.on:%d/%m/%Y})",
                "dct:format": label,
                "dcat:mediaType": {"@id": IANA + media},
                "dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"},
                "dcat:accessURL": {"@id": url(name)},
                "dcat:downloadURL": {"@id": url(name)},
                "dct:license": {"@id": LICENCE},
                "dct:conformsTo": {"@id": url("opendata:qui_fait_quoi_schema")},
            }
            for key, label, media, size, name in files
        ],
    }


# Every dataset the instance publishes, in catalogue order (the data·inclusion exports will join here).
_DATASETS: tuple[Callable[[Callable[[str], str]], dict], ...] = (_qui_fait_quoi,)


def dcat_pages(*, page_size: int = PAGE_SIZE) -> int:
    return max(1, ceil(len(_DATASETS) / page_size))


def dcat_catalogue(*, absolute: Callable[[str], str], page: int = 1, page_size: int = PAGE_SIZE) -> dict:
    """The catalogue's page `page` as a JSON-LD document. `absolute` turns a path into an absolute URL."""

    def url(name: str) -> str:
        return absolute(reverse(name))

    here = url("opendata:catalogue")
    pages = dcat_pages(page_size=page_size)
    datasets = [build(url) for build in _DATASETS[(page - 1) * page_size : page * page_size]]
    publisher = settings.SANSCOUTURE_OPENDATA_PUBLISHER

    def at(n: int) -> str:
        return f"{here}?page={n}&page_size={page_size}"

    view = {
        "@id": at(page),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": {"@id": at(1)},
        "hydra:last": {"@id": at(pages)},
        "hydra:totalItems": {"@value": str(len(_DATASETS)), "@type": "xsd:nonNegativeInteger"},
    }
    if page > 1:
        view["hydra:previous"] = {"@id": at(page - 1)}
    if page < pages:
        view["hydra:next"] = {"@id": at(page + 1)}
    catalogue = {
        "@id": here,
        "@type": ["dcat:Catalog", "hydra:Collection"],
        "dct:title": f"Données ouvertes de {publisher}",
        "dct:description": "Les jeux de données que publie cette instance de Sans Couture.",
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
        "dct:license": {"@id": LICENCE},
        "dct:publisher": {"@id": "#editeur"},
        "dcat:dataset": [{"@id": d["@id"]} for d in datasets],
        "hydra:view": {"@id": view["@id"]},
    }
    agent = {"@id": "#editeur", "@type": "foaf:Agent", "foaf:name": publisher}
    return {"@context": {**CONTEXT, "@base": here}, "@graph": [catalogue, agent, *datasets, view]}
