"""The "operators" group: exactly the permissions curation needs (data migration)."""

from django.db import migrations

GROUP = "operators"
PERMISSIONS = {
    "videos": ["view_videoinfo", "change_videoinfo", "view_videostat", "change_videostat", "view_region",
               "change_region"],
    "hotrank": ["view_academyarchive", "change_academyarchive", "add_academyarchive", "view_recomputerun",
                "view_dirtyarchive", "run_recompute"],
}  # fmt: skip


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations (post_migrate); make sure these exist now.
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for label, codenames in PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"permissions not found: {label}.{sorted(missing)}")
        wanted += found
    group.permissions.set(wanted)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hotrank", "0004_selected_runs_and_run_permission"),
        ("videos", "0002_region"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, remove)]
