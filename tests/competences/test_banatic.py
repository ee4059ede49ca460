"""Issue 9, item 1: the BANATIC importer, both generations, on fixtures cut from published BANATIC data
(tests/fixtures/banatic/README.md says what comes from where)."""

from datetime import date
from pathlib import Path

import pytest

from sanscouture.bodies.models import Body, BodyKind, GroupementMember
from sanscouture.bodies.selectors import body_territory
from sanscouture.competences.banatic import BanaticInvalid, mapping, read_export
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import Basis, Exercise
from sanscouture.competences.routing import disagreement, route
from sanscouture.competences.services import banatic_import

FIXTURES = Path(__file__).parents[1] / "fixtures" / "banatic"
XLSX = FIXTURES / "banatic-france-extrait.xlsx"
TSV = FIXTURES / "banatic-v5-44-extrait.tsv"
TABLE = FIXTURES / "correspondance-siren-insee-extrait.csv"
EXPORT = date(2025, 3, 12)
# The members of syndicat 253402143 (composition published by data-fair/processing-banatic).
SYNDICAT_COMMUNES = ["34023", "34024", "34095", "34108", "34113", "34159", "34333"]


def test_every_line_of_the_mapping_has_a_reason_and_a_catalogue_competence():
    m = mapping()
    codes = catalogue().competences
    lines = [*m.old.values(), *m.new_codes.values(), *m.new_labels.values()]
    assert len(m.old) >= 50 and len(m.new_labels) >= 40
    assert all(line.reason for line in lines)
    assert all(line.competence is None or line.competence in codes for line in lines)
    # The drinking water of both generations lands on the same competence.
    assert m.line("C1502", "C1502").competence == "eau-potable"
    assert m.line("4020", "Eau (production, traitement, stockage, transport, distribution)").competence == "eau-potable"
    # A header may carry the legal basis after the libellé; a code confirmed by a published header wins.
    assert m.line("9999", "Restauration scolaire (Art. L. 123 du code)").competence == "periscolaire-restauration"
    assert m.line("5510", "autre libellé").competence == "plu"


def test_reads_the_current_xlsx_export():
    export = read_export(XLSX)
    assert export.generation == "xlsx"
    assert export.rows == 12
    g = export.groupements["253402143"]
    assert g.nature == "SIVU" and g.codes == {"4020"}
    assert len(g.members) == 7 and g.members["213401086"].name == "Frontignan"
    assert [c.code for c in export.columns] == ["4020", "5500", "5510"]  # « Assainissement » is no competence


def test_reads_the_former_tsv_export_in_cp1252():
    export = read_export(TSV)
    assert export.generation == "tsv"
    assert export.groupements["200087922"].codes == {"C1502"}
    assert export.groupements["200020311"].members["200054815"].name == "Divatte-sur-Loire"
    assert {c.code: c.competence for c in export.columns}["C1505"] == "assainissement-collectif"


def test_import_makes_the_syndicat_a_body_with_its_members_and_its_water(referential):
    report = banatic_import(path=XLSX, export_date=EXPORT, communes_table=TABLE)
    assert (report.groupements, report.bodies_created, report.members) == (2, 2, 12)
    assert report.exercises_created == 1  # water of 253402143; 253401152 holds nothing the mapping keeps
    assert report.unresolved_communes == []
    syndicat = Body.objects.get(key="banatic:253402143")
    assert syndicat.kind == BodyKind.SYNDICAT and syndicat.siren == "253402143"
    assert syndicat.basis.startswith("Syndicat intercommunal à vocation unique — BANATIC, export du 12/03/2025")
    members = GroupementMember.objects.filter(groupement=syndicat)
    assert sorted(m.commune.insee_code for m in members) == SYNDICAT_COMMUNES
    territory = {referential.commune(c).pk for c in SYNDICAT_COMMUNES}
    assert body_territory(syndicat) == territory
    ex = Exercise.objects.get(body=syndicat)
    assert (ex.competence, ex.basis, ex.start, ex.end) == ("eau-potable", Basis.BANATIC, EXPORT, None)
    assert ex.reference == "BANATIC, export du 12/03/2025, code 4020"
    assert set(ex.communes.values_list("pk", flat=True)) == territory


def test_routing_names_the_syndicat_for_water_with_banatic_as_the_reason(referential):
    banatic_import(path=XLSX, export_date=EXPORT, communes_table=TABLE)
    answer = route("eau-potable", commune="34108", on=date(2026, 6, 1))  # Frontignan
    assert [b.key for b in answer.bodies] == ["banatic:253402143"]
    assert answer.reason.kind == "banatic"
    assert answer.reason.references == ("BANATIC (export du 12/03/2025, code 4020)",)
    # Frontignan's CA holds water by law since 2020: the page says so as the disagreement.
    assert disagreement(answer) == "La loi désignerait : CA Sète Agglopôle Méditerranée."
    # Before the export, BANATIC said nothing: the law answers.
    assert route("eau-potable", commune="34108", on=date(2025, 1, 1)).reason.kind == "loi"
    # A commune outside the syndicat keeps the law's answer.
    assert route("eau-potable", commune="34301", on=date(2026, 6, 1)).reason.kind == "loi"  # Sète


def test_import_of_the_former_generation_and_a_newer_export_keeps_history(referential):
    first = banatic_import(path=TSV, export_date=date(2019, 7, 1), communes_table=TABLE)
    assert first.generation == "tsv" and first.exercises_created == 2
    water = Exercise.objects.get(body__key="banatic:200087922")
    assert sorted(water.communes.values_list("insee_code", flat=True)) == ["44025", "44139", "44152"]
    assert route("eau-potable", commune="44139", on=date(2020, 1, 1)).body.key == "banatic:200087922"
    # The same export again changes nothing.
    again = banatic_import(path=TSV, export_date=date(2019, 7, 1), communes_table=TABLE)
    assert (again.exercises_created, again.exercises_ended, again.exercises_unchanged) == (0, 0, 2)
    assert not again.changed
    # A newer export without these syndicats ends their declarations the day before, deactivates them, and routing
    # at a date in between still answers as BANATIC said then.
    later = banatic_import(path=XLSX, export_date=EXPORT, communes_table=TABLE)
    assert (later.exercises_ended, later.bodies_deactivated) == (2, 2)
    assert later.deactivated == ["Syndicat 200020311 (BANATIC)", "Syndicat 200087922 (BANATIC)"]
    assert later.created == ["Syndicat 253401152 (BANATIC)", "Syndicat 253402143 (BANATIC)"]
    water.refresh_from_db()
    assert water.end == date(2025, 3, 11)
    assert not Body.objects.get(key="banatic:200087922").active
    with pytest.raises(BanaticInvalid, match="plus ancien que le dernier importé"):
        banatic_import(path=TSV, export_date=date(2019, 7, 1), communes_table=TABLE)


def test_without_the_table_communes_are_found_by_their_siren_in_the_referential(referential):
    report = banatic_import(path=XLSX, export_date=EXPORT)
    assert report.unresolved_communes == [] and report.members == 12


def _xlsx_with(tmp_path, row_edit):
    from tests.fixtures.banatic.build import XLSX_HEADER, write_xlsx

    good = ["34 - Hérault", "253402143", "Syndicat", "SIVU", "NON", "NON", "", "1", "213401086", "Frontignan"]
    good += ["commune", "", "OUI", "", "NON", "NON"]
    rows = [list(XLSX_HEADER), list(good), list(good)]
    row_edit(rows)
    path = tmp_path / "export.xlsx"
    write_xlsx(path, rows)
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[2].__setitem__(1, "25340214"), "Ligne 3, colonne « N° SIREN » : « 25340214 » n'est pas"),
        (lambda rows: rows[2].__setitem__(8, "2134x1086"), "Ligne 3, colonne « Siren membre »"),
        (lambda rows: rows[1].__setitem__(12, "PEUT-ÊTRE"), "Ligne 2, colonne « 4020 - Eau (production"),
        (lambda rows: rows[0].__setitem__(3, "Nature"), "Ligne 1 (en-tête) : la colonne « Nature juridique »"),
        (lambda rows: rows[1].__setitem__(3, ""), "Ligne 2, colonne « Nature juridique » : nature juridique vide"),
    ],
)
def test_a_malformed_file_changes_nothing_and_says_where(referential, tmp_path, edit, message):
    banatic_import(path=TSV, export_date=date(2019, 7, 1), communes_table=TABLE)
    before = (Body.objects.count(), Exercise.objects.count(), GroupementMember.objects.count())
    with pytest.raises(BanaticInvalid) as err:
        banatic_import(path=_xlsx_with(tmp_path, edit), export_date=EXPORT, communes_table=TABLE)
    assert err.value.message.startswith(message)
    assert (Body.objects.count(), Exercise.objects.count(), GroupementMember.objects.count()) == before


def test_a_file_that_is_not_an_export_is_refused(tmp_path, referential):
    path = tmp_path / "notes.txt"
    path.write_text("bonjour\tle\tmonde\n", encoding="cp1252")
    with pytest.raises(BanaticInvalid, match="Ligne 1 \\(en-tête\\) : la colonne « N° SIREN » est absente"):
        banatic_import(path=path, export_date=EXPORT)


def test_the_reader_streams_shared_strings_numbers_and_sparse_cells(tmp_path):
    """Spreadsheet programs write shared strings, numbers and skip empty cells: the streamed reader reads them."""
    import zipfile

    from sanscouture.competences.banatic import xlsx_rows
    from tests.fixtures.banatic import build

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    shared = f"<sst {ns}><si><t>N° SIREN</t></si><si><r><t>Nom du </t></r><r><t>groupement</t></r></si></sst>"
    sheet = (
        f'<worksheet {ns}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>253402143</v></c><c r="C2" t="inlineStr"><is><t>Syndicat</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    path = tmp_path / "partage.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", build.CONTENT_TYPES)
        z.writestr("_rels/.rels", build.RELS)
        z.writestr("xl/workbook.xml", build.WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", build.WORKBOOK_RELS)
        z.writestr("xl/sharedStrings.xml", shared)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    assert list(xlsx_rows(path)) == [["N° SIREN", "", "Nom du groupement"], ["253402143", "", "Syndicat"]]


def test_a_member_groupement_brings_its_communes(referential, tmp_path):
    """A groupement member of another (an EPCI in a syndicat mixte, in representation-substitution): the
    syndicat's communes include the member's. Built from the fixture's rows, the second syndicat made a member."""
    from sanscouture.competences.banatic import xlsx_rows
    from tests.fixtures.banatic.build import write_xlsx

    rows = list(xlsx_rows(XLSX))
    member = ["34 - Hérault", "253402143", "Syndicat 253402143 (BANATIC)", "SIVU", "NON", "NON", "", "8"]
    member += ["253401152", "Syndicat 253401152 (BANATIC)", "groupement", "", "OUI", "", "NON", "NON"]
    path = tmp_path / "imbrique.xlsx"
    write_xlsx(path, [*rows, member])
    report = banatic_import(path=path, export_date=EXPORT, communes_table=TABLE)
    assert report.members == 13
    link = GroupementMember.objects.get(member_siren="253401152")
    assert link.member_kind == "groupement" and link.member.key == "banatic:253401152"
    water = Exercise.objects.get(body__key="banatic:253402143")
    assert water.communes.count() == 12  # its 7 communes and the 5 of its member
    assert route("eau-potable", commune="34329", on=date(2026, 6, 1)).body.key == "banatic:253402143"  # Vendres
