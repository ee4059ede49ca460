"""The access journal is append-only: the database itself refuses UPDATE and DELETE on it."""

from django.db import migrations


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    table = "cases_accesslog"
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION sanscouture_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'journal des accès : ajout seulement (%%)', TG_OP; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sanscouture_append_only();"
        )
    elif schema_editor.connection.vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'journal des accès : ajout seulement ({op})'); END;"
            )


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    table = "cases_accesslog"
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    elif schema_editor.connection.vendor == "sqlite":
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
