from django.apps import AppConfig


class LiaisonsConfig(AppConfig):
    name = "liaisons"
