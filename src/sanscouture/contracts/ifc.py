"""IFC models (BIM) read with IfcOpenShell: a summary (project, sites, buildings, storeys, spaces with their areas
where given, the authoring application and the schema) and the difference between two versions."""

import re
from typing import Any

import ifcopenshell
import ifcopenshell.util.element

from .errors import FileInvalid, IfcSchemaUnsupported

# The schemas IfcOpenShell reads and that we have tested (IFC2X3 still dominates exchanges; IFC4 and IFC4X3 next).
SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3", "IFC4X3_ADD2")
_SCHEMA = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'", re.I)
# Area quantities of a space, in order of preference (Qto_SpaceBaseQuantities, then common exporters' names).
AREA_NAMES = ("NetFloorArea", "GrossFloorArea", "NetArea", "Area")


def is_ifc(content: bytes) -> bool:
    return content.lstrip()[:13] == b"ISO-10303-21;"


def _area(space: Any) -> float | None:
    for props in ifcopenshell.util.element.get_psets(space, qtos_only=True).values():
        for name in AREA_NAMES:
            value = props.get(name)
            if isinstance(value, (int, float)):
                return round(float(value), 3)
    return None


def _name(entity: Any) -> str:
    return (getattr(entity, "Name", None) or getattr(entity, "LongName", None) or "").strip()


def _parent(entity: Any) -> Any:
    return ifcopenshell.util.element.get_aggregate(entity) or ifcopenshell.util.element.get_container(entity)


def ifc_summary(content: bytes) -> dict[str, Any]:
    """Read an IFC (STEP physical file) and summarise it. Unreadable files and unsupported schemas raise errors
    people can act on."""
    if not is_ifc(content):
        raise FileInvalid("Ce fichier n'est pas une maquette IFC lisible (en-tête ISO-10303-21 absent).")
    if not content.rstrip().endswith(b"END-ISO-10303-21;"):
        raise FileInvalid("La maquette IFC est incomplète (fin de fichier ISO-10303-21 absente) : fichier tronqué ?")
    found = _SCHEMA.search(content[:4000])
    schema = found.group(1).decode("ascii", "replace").upper() if found else ""
    if schema not in SUPPORTED_SCHEMAS:
        raise IfcSchemaUnsupported(
            f"Schéma IFC « {schema[:30] or 'absent'} » non pris en charge : {', '.join(SUPPORTED_SCHEMAS)} seulement.",
            details={"schema": schema[:30]},
        )
    try:
        model = ifcopenshell.file.from_string(content.decode("latin-1"))
    except Exception as exc:  # IfcOpenShell raises plain errors on a damaged file: one clear message
        raise FileInvalid("La maquette IFC est illisible (fichier endommagé ou tronqué).") from exc
    header = model.header.file_name
    owning = [a.ApplicationFullName for a in model.by_type("IfcApplication") if getattr(a, "ApplicationFullName", None)]
    projects = model.by_type("IfcProject")
    spaces = []
    for space in model.by_type("IfcSpace"):
        storey = _parent(space)
        spaces.append(
            {
                "id": space.GlobalId,
                "nom": _name(space),
                "nom_long": (space.LongName or "").strip(),
                "etage": _name(storey) if storey is not None and storey.is_a("IfcBuildingStorey") else "",
                "surface": _area(space),
            }
        )
    buildings = []
    for building in model.by_type("IfcBuilding"):
        storeys = [s for s in ifcopenshell.util.element.get_decomposition(building) if s.is_a("IfcBuildingStorey")]
        buildings.append(
            {
                "id": building.GlobalId,
                "nom": _name(building),
                "etages": [
                    {"id": s.GlobalId, "nom": _name(s), "altitude": s.Elevation}
                    for s in sorted(storeys, key=lambda s: (s.Elevation is None, s.Elevation or 0, _name(s)))
                ],
            }
        )
    return {
        "schema": model.schema_identifier if hasattr(model, "schema_identifier") else model.schema,
        "application": owning[0] if owning else (header.originating_system or header.preprocessor_version or ""),
        "horodatage": header.time_stamp or "",
        "projet": _name(projects[0]) if projects else "",
        "sites": [_name(s) for s in model.by_type("IfcSite")],
        "batiments": buildings,
        "espaces": sorted(spaces, key=lambda s: (s["etage"], s["nom"], s["id"])),
        "surface_totale": round(sum(s["surface"] or 0 for s in spaces), 3),
    }


def ifc_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Spaces added, removed, and whose area changed, between two summaries (spaces matched by GlobalId)."""
    old = {s["id"]: s for s in before.get("espaces", [])}
    new = {s["id"]: s for s in after.get("espaces", [])}
    changed = [
        {"id": i, "nom": new[i]["nom"], "avant": old[i]["surface"], "apres": new[i]["surface"]}
        for i in old.keys() & new.keys()
        if old[i]["surface"] != new[i]["surface"]
    ]
    return {
        "ajoutes": [new[i] for i in sorted(new.keys() - old.keys(), key=lambda i: new[i]["nom"])],
        "supprimes": [old[i] for i in sorted(old.keys() - new.keys(), key=lambda i: old[i]["nom"])],
        "surfaces_modifiees": sorted(changed, key=lambda c: c["nom"]),
    }
