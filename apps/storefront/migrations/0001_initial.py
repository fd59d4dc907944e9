from django.db import migrations, models


def first_version(apps, schema_editor):
    apps.get_model("storefront", "CatalogueVersion").objects.using(
        schema_editor.connection.alias
    ).create(id=1, version=1)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalogue", "0032_category_exclude_from_menu_category_long_description"),
        ("offer", "0013_range_excluded_categories"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=1)),
            ],
            options={
                "verbose_name": "catalogue version",
                "verbose_name_plural": "catalogue version (kept by the database)",
            },
        ),
        # The triggers are (re)installed after every migrate: apps.storefront.triggers.
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
