from django.apps import AppConfig


class TransformationConfig(AppConfig):
    name = "transformation"
    label = "transformation"
    verbose_name = "Transformation models"
