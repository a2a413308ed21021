from django.apps import AppConfig


class HotrankConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'hotrank'
