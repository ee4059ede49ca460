"""The national « qui fait quoi » dataset: its files validate against their Table Schema (frictionless), say what
routing says, are regenerated when routing changes, and are served over HTTP by the real server."""

import csv
import io
import json
import urllib.request
from datetime import date

import pyarrow.parquet as pq
import pytest
from frictionless import Resource, Schema

from sanscouture.bodies.models import Body
from sanscouture.competences.routing import route_everywhere, routing_index_invalidate
from sanscouture.opendata.services import (
    COLUMNS,
    qui_fait_quoi_edition,
    qui_fait_quoi_schema,
    qui_fait_quoi_write,
)

ON = date(2026, 6, 1)


def _validate(path, schema: dict):  # noqa: ANN001, ANN202
    return Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(schema)).validate()


@pytest.fixture(scope="module")
def edition(django_db_setup, django_db_blocker, tmp_path_factory):  # noqa: ANN001, ANN201
    """Written once for the module (read-only tests): the test referential's 2,950 communes."""
    from sanscouture.competences import routing

    with django_db_blocker.unblock():
        routing._drop_local()
        return qui_fait_quoi_write(directory=tmp_path_factory.mktemp("opendata"), on=ON)


def test_the_csv_validates_against_its_table_schema_and_says_what_routing_says(edition, referential, tmp_path):  # noqa: ANN001
    with edition.csv.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    # frictionless reads ~8,000 rows/s: it validates every row of one commune in ten (all competences, all
    # reason types of the file); the lists of allowed values are checked over the whole file below.
    cut = tmp_path / "cut.csv"
    kept = sorted({r["commune"] for r in rows})[::10]
    lines = edition.csv.read_text(encoding="utf-8").splitlines()
    cut.write_text(
        "\n".join([lines[0], *(line for line, r in zip(lines[1:], rows, strict=True) if r["commune"] in kept)]) + "\n",
        encoding="utf-8",
    )
    report = _validate(cut, qui_fait_quoi_schema())
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.tasks[0].stats["rows"] > 15_000
    fields = {f["name"]: f for f in qui_fait_quoi_schema()["fields"]}
    for name in ("competence", "raison"):
        assert {r[name] for r in rows} <= set(fields[name]["constraints"]["enum"])
    assert {r["raison"] for r in rows if r["commune"] in kept} == {r["raison"] for r in rows}
    # One row per (commune, competence, competent body); one row without a body where none is known.
    expected = sum(max(1, len(answer.bodies)) for _, _, answer in route_everywhere(on=ON))
    assert len(rows) == edition.rows == expected
    assert edition.communes == len({r["commune"] for r in rows})
    waste = [r for r in rows if r["commune"] == "34274" and r["competence"] == "dechets-menagers"]
    cc = Body.objects.get(name="CC du Grand Pic Saint-Loup")
    assert cc.siren and len(waste) == 1
    assert waste[0] | {"references": ""} == {
        "commune": "34274",
        "nom_commune": "Saint-Martin-de-Londres",
        "competence": "dechets-menagers",
        "libelle_competence": waste[0]["libelle_competence"],
        "siren": cc.siren,
        "structure": "CC du Grand Pic Saint-Loup",
        "raison": "loi",
        "references": "",
        "date_edition": "2026-06-01",
    }
    assert "CGCT" in waste[0]["references"]


def test_the_parquet_file_holds_the_same_rows_with_the_same_columns(edition):  # noqa: ANN001
    table = pq.read_table(edition.parquet)
    assert table.column_names == list(COLUMNS)
    assert table.num_rows == edition.rows
    assert str(table.schema.field("date_edition").type) == "date32[day]"
    with edition.csv.open(encoding="utf-8") as f:
        from_csv = list(csv.reader(f))[1:]
    for i in (0, len(from_csv) // 2, len(from_csv) - 1):
        row = table.slice(i, 1).to_pylist()[0]
        assert [str(row[c] or "") for c in COLUMNS] == from_csv[i]


def test_the_schema_rejects_what_is_not_the_dataset(edition, tmp_path):  # noqa: ANN001
    """The validation can fail: a wrong reason type, a malformed SIREN, an unknown competence."""
    lines = edition.csv.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    row = lines[1].split(",")
    broken = [*row]
    broken[COLUMNS.index("raison")] = "parce-que"
    broken[COLUMNS.index("siren")] = "12345"
    broken[COLUMNS.index("competence")] = "pas-une-competence"
    bad.write_text("\n".join([lines[0], lines[1], ",".join(broken)]) + "\n", encoding="utf-8")
    report = _validate(bad, qui_fait_quoi_schema())
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert {(e[1], e[2]) for e in errors} == {
        ("raison", "constraint-error"),
        ("siren", "constraint-error"),
        ("competence", "constraint-error"),
    }


def test_an_edition_is_kept_until_routing_changes(referential, settings, tmp_path):  # noqa: ANN001
    settings.DATA_DIR = tmp_path
    first = qui_fait_quoi_edition(on=ON)
    stamp = first.csv.stat().st_mtime_ns
    again = qui_fait_quoi_edition(on=ON)
    assert again == first and again.csv.stat().st_mtime_ns == stamp
    routing_index_invalidate()  # what every import of the referential, BANATIC or a declaration does
    new = qui_fait_quoi_edition(on=ON)
    assert new.version == first.version + 1 and new.rows == first.rows
    assert not first.csv.exists() and not first.parquet.exists()  # the older edition is removed
    assert sorted(p.name for p in (tmp_path / "opendata").iterdir() if not p.name.startswith(".")) == [
        f"{new.stem}.csv",
        f"{new.stem}.json",
        f"{new.stem}.parquet",
    ]


def test_a_date_outside_the_catalogue_is_refused(referential, tmp_path):  # noqa: ANN001
    from sanscouture.errors import DomainError

    with pytest.raises(DomainError, match="hors de la période"):
        qui_fait_quoi_write(directory=tmp_path, on=date(2001, 1, 1))
    assert not list(tmp_path.iterdir())


def test_export_command_and_http_over_the_real_server(server):  # noqa: ANN001
    """All of France: the command writes the edition where the server serves it, with its summary."""
    out = server.manage("export", "qui-fait-quoi", timeout=600)
    assert "Qui fait quoi — édition du" in out and "communes" in out
    status, schema = server.get("/opendata/qui-fait-quoi.schema.json")
    assert status == 200 and json.loads(schema) == qui_fait_quoi_schema()
    import pyarrow.compute as pc

    status, parquet = server.get("/opendata/qui-fait-quoi.parquet")
    assert status == 200 and parquet[:4] == b"PAR1"
    table = pq.read_table(io.BytesIO(parquet))
    assert len(pc.unique(table["commune"])) > 34_000  # every current commune of France
    waste = table.filter(
        pc.and_(pc.equal(table["commune"], "34274"), pc.equal(table["competence"], "dechets-menagers"))
    ).to_pylist()
    assert [(r["structure"], len(r["siren"])) for r in waste] == [("CC du Grand Pic Saint-Loup", 9)]
    # The CSV (≈ 650 MB for France), streamed: the same rows.
    with urllib.request.urlopen(server.url + "/opendata/qui-fait-quoi.csv", timeout=120) as resp:  # noqa: S310
        assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
        columns_line = resp.readline()
        assert columns_line.decode().strip().replace('"', "").split(",") == list(COLUMNS)
        lines = size = 0
        for chunk in iter(lambda: resp.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            size += len(chunk)
    assert lines == table.num_rows
    # The DCAT catalogue lists both files with the byte sizes actually served.
    from rdflib import Graph
    from rdflib.namespace import DCAT

    status, body = server.get("/opendata/catalogue.jsonld")
    assert status == 200
    g = Graph().parse(data=body, format="json-ld")
    sizes = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]: g.value(d, DCAT.byteSize).toPython()
             for d in g.subjects(DCAT.byteSize, None)}  # fmt: skip
    sizes = {name: size for name, size in sizes.items() if name.startswith("qui-fait-quoi")}  # not data·inclusion's
    assert sizes == {"qui-fait-quoi.csv": size + len(columns_line), "qui-fait-quoi.parquet": len(parquet)}
