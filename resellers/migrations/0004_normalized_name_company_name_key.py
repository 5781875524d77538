"""Recompute every stored normalised name with the one key names compare on
(resellers.identifiers.company_name_key), which the checks now read."""

from django.db import migrations


def recompute(apps, schema_editor):
    from resellers.identifiers import company_name_key

    Reseller = apps.get_model("resellers", "Reseller")
    changed = []
    for reseller in Reseller.objects.only("pk", "legal_name", "normalized_name"):
        key = company_name_key(reseller.legal_name)
        if reseller.normalized_name != key:
            reseller.normalized_name = key
            changed.append(reseller)
    Reseller.objects.bulk_update(changed, ["normalized_name"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("resellers", "0003_approve_reseller_and_history")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
