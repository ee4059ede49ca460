"""The DCAT catalogue of what this instance publishes (DCAT-AP, JSON-LD, Hydra pagination as data.gouv.fr harvests
it): the national « qui fait quoi » dataset and the two data·inclusion exports; each new export adds one entry to
`_DATASETS` (ADR 020)."""

from collections.abc import Callable
from math import ceil

from django.conf import settings
from django.urls import reverse

from .data_inclusion import data_inclusion_available
from .services import qui_fait_quoi_edition, qui_fait_quoi_schema

LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
FRANCE = "http://publications.europa.eu/resource/authority/country/FRA"
DAILY = "http://publications.europa.eu/resource/authority/frequency/DAILY"
IANA = "https://www.iana.org/assignments/media-types/"
DATA_INCLUSION_SCHEMA = "https://github.com/gip-inclusion/data-inclusion-schema"
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


_INCLUSION = {
    "structures": (
        "Structures publiques au schéma data·inclusion",
        "Les structures du référentiel (collectivités, intercommunalités, CAF, CPAM, MDPH, guichets de l'Annuaire "
        "de l'administration…) au schéma data·inclusion v1 : SIREN, réseaux porteurs, coordonnées.",
    ),
    "services": (
        "Compétences des structures publiques en services data·inclusion",
        "Chaque compétence ou type de guichet qu'exerce une structure, au schéma data·inclusion v1, avec sa zone "
        "d'éligibilité : les codes INSEE des communes pour lesquelles le routage de Sans Couture la désigne.",
    ),
}


def _data_inclusion(dataset: str) -> Callable[[Callable[[str], str]], dict]:
    def build(url: Callable[[str], str]) -> dict:
        export = data_inclusion_available()
        title, description = _INCLUSION[dataset]
        download = url(f"opendata:data_inclusion_{dataset}")
        api = url(f"api:data_inclusion_{dataset}")
        if export is None:  # the first edition is being written: the API distribution only, until it is
            return {
                "@id": download.removesuffix(".json"),
                "@type": "dcat:Dataset",
                "dct:identifier": f"data-inclusion-{dataset}",
                "dct:title": title,
                "dct:description": description + " Première édition en cours de préparation.",
                "dct:license": {"@id": LICENCE},
                "dct:publisher": {"@id": "#editeur"},
                "dct:conformsTo": {"@id": DATA_INCLUSION_SCHEMA},
                "dcat:distribution": [_api_distribution(api, title)],
            }
        day = export.on.isoformat()
        if dataset == "services":
            description += f" Score de qualité data·inclusion moyen : {export.score:.2f} sur 1."
        return {
            "@id": download.removesuffix(".json"),
            "@type": "dcat:Dataset",
            "dct:identifier": f"data-inclusion-{dataset}",
            "dct:title": title,
            "dct:description": description,
            "dcat:keyword": ["data·inclusion", "offre d'insertion", "structures publiques", "SIREN"],
            "dct:license": {"@id": LICENCE},
            "dct:publisher": {"@id": "#editeur"},
            "dct:spatial": {"@id": FRANCE},
            "dct:temporal": {"@type": "dct:PeriodOfTime", "dcat:startDate": _date(day), "dcat:endDate": _date(day)},
            "dct:issued": _date(day),
            "dct:modified": _date(day),
            "dct:accrualPeriodicity": {"@id": DAILY},
            "dct:conformsTo": {"@id": DATA_INCLUSION_SCHEMA},
            "dcat:distribution": [
                {
                    "@id": f"{download}#json",
                    "@type": "dcat:Distribution",
                    "dct:title": f"{title} (JSON, édition du {export.on:%d/%m/%Y})",
                    "dct:format": "JSON",
                    "dcat:mediaType": {"@id": IANA + "application/json"},
                    "dcat:byteSize": {"@value": str(export.size(dataset)), "@type": "xsd:nonNegativeInteger"},
                    "dcat:accessURL": {"@id": download},
                    "dcat:downloadURL": {"@id": download},
                    "dct:license": {"@id": LICENCE},
                    "dct:conformsTo": {"@id": DATA_INCLUSION_SCHEMA},
                },
                _api_distribution(api, title),
            ],
        }

    return build


def _api_distribution(api: str, title: str) -> dict:
    """The same rows, page by page (limite, decalage): no byte size, it is not one file."""
    return {
        "@id": f"{api}#api",
        "@type": "dcat:Distribution",
        "dct:title": f"{title} (API paginée)",
        "dct:format": "JSON",
        "dcat:mediaType": {"@id": IANA + "application/json"},
        "dcat:accessURL": {"@id": api},
        "dct:license": {"@id": LICENCE},
        "dct:conformsTo": {"@id": DATA_INCLUSION_SCHEMA},
    }


# Every dataset the instance publishes, in catalogue order.
_DATASETS: tuple[Callable[[Callable[[str], str]], dict], ...] = (
    _qui_fait_quoi,
    _data_inclusion("structures"),
    _data_inclusion("services"),
)


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
