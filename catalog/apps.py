from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Term
        from .selectors import forget_terms

        post_save.connect(forget_terms, sender=Term, dispatch_uid="catalog.forget_terms.save")
        post_delete.connect(forget_terms, sender=Term, dispatch_uid="catalog.forget_terms.delete")
