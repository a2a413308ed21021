"""The recompute schedules, created once; operators may then edit them in django-q2's admin."""

from django.db import migrations

BUSINESSES = (1, 2)


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for business in BUSINESSES:
        Schedule.objects.get_or_create(
            name=f"recompute full (business {business})",
            defaults={"func": "hotrank.tasks.recompute_full", "kwargs": f"business={business}",
                      "schedule_type": "H", "repeats": -1},
        )
        Schedule.objects.get_or_create(
            name=f"recompute incremental (business {business})",
            defaults={"func": "hotrank.tasks.recompute_incremental", "kwargs": f"business={business}",
                      "schedule_type": "I", "minutes": 1, "repeats": -1},
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(func__startswith="hotrank.tasks.recompute_").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hotrank", "0002_incremental_and_partitions"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
