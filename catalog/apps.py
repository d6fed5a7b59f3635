from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Course, Term
        from .selectors import forget_prerequisites, forget_terms

        post_save.connect(forget_terms, sender=Term, dispatch_uid="catalog.forget_terms.save")
        post_delete.connect(forget_terms, sender=Term, dispatch_uid="catalog.forget_terms.delete")
        # A course's code and title show in the prerequisites of others.
        post_save.connect(forget_prerequisites, sender=Course, dispatch_uid="catalog.forget_prerequisites.save")
        post_delete.connect(forget_prerequisites, sender=Course, dispatch_uid="catalog.forget_prerequisites.delete")
        # Django sends no save or delete signal for the link table itself:
        # links change through the relation (admin, import), which sends this.
        m2m_changed.connect(
            forget_prerequisites, sender=Course.prerequisites.through, dispatch_uid="catalog.forget_prerequisites.links"
        )
