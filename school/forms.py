"""Every form's errors reach assistive technology, allauth's included (settings.FORM_RENDERER).

Django already marks a field with errors of its own: aria-invalid="true" and
aria-describedby pointing to its error list. An error of the whole form, such
as allauth's "The email address and/or password you specified are not
correct.", belongs to no field, so a screen reader on the email field heard
nothing wrong. When a form is rendered whole ({{ form }}, as_p, as_div: how
allauth renders its forms), this renderer gives that error list an id and
ties every visible field to it. Forms whose templates lay out the fields one
by one render their own errors and need nothing from here.
"""

from django.forms import BaseForm
from django.forms.boundfield import BoundField
from django.forms.forms import NON_FIELD_ERRORS
from django.forms.utils import ErrorList

from .form_rendering import WidgetRenderer


def form_errors_field_id(form: BaseForm) -> str:
    """The form's errors as if they were a field's: Django's error list template makes it "<this>_error"."""
    return form.auto_id % form.add_prefix(NON_FIELD_ERRORS)


class AccessibleBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if getattr(self.form, "shows_form_errors", False) and not (widget or self.field.widget).is_hidden:
            attrs["aria-invalid"] = "true"
            described_by = attrs.get("aria-describedby", "").split()
            attrs["aria-describedby"] = " ".join([*described_by, f"{form_errors_field_id(self.form)}_error"])
        return attrs


class AccessibleFormRenderer(WidgetRenderer):
    bound_field_class = AccessibleBoundField

    def render(self, template_name, context, request=None):
        form, errors = context.get("form"), context.get("errors")
        if isinstance(form, BaseForm) and form.auto_id and isinstance(errors, ErrorList) and form.non_field_errors():
            # The form's template renders these errors before its fields: the
            # fields then point to them by the id they are given here.
            errors.field_id = form_errors_field_id(form)
            form.shows_form_errors = True
        return super().render(template_name, context, request)
