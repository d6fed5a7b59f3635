"""The form renderer (``FORM_RENDERER``): Django's, with the plainest widgets written in Python.

Django renders every widget through templates: a ``<select>`` includes
one template per option, and each of those includes the attributes'
template. On the catalog's filter bar (three selects, 35 options) and the
login form that was a third to a half of the worker's CPU for the page. The
widgets below are written here with the same escaping and localisation as
their templates, so the HTML is identical (``school/tests/test_form_rendering.py``
renders each both ways); any other template, or one of these that an app
overrides, is rendered by Django's templates as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

INPUT = "django/forms/widgets/input.html"
SELECT = "django/forms/widgets/select.html"
SELECT_OPTION = "django/forms/widgets/select_option.html"
# Widgets whose own template only includes input.html.
INPUTS = {f"django/forms/widgets/{name}.html" for name in (
    "input", "text", "email", "password", "number", "hidden", "checkbox", "url", "search", "tel",
)}


def _value(value) -> str:
    """``{{ value }}``: localised and escaped."""
    return conditional_escape(localize(template_localtime(value)))


def _string(value) -> str:
    """``{{ value|stringformat:'s' }}``: formatted with %s, escaped unless it was safe."""
    return conditional_escape(value if isinstance(value, str) else "%s" % (value,))  # noqa: UP031 (as the filter formats)


def _attrs(attrs: dict) -> str:
    return "".join(
        f" {_value(name)}" if value is True else f' {_value(name)}="{_string(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_string(widget["value"])}"'
    return f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: dict) -> str:
    parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in options:
            parts.append(
                # The option's template ends with a newline, kept by the include.
                f'\n  <option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
                f'{_value(option["label"])}</option>\n'
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WidgetRenderer(DjangoTemplates):
    def __init__(self):
        super().__init__()
        # Only where the template is Django's own: an app may override it.
        self.native = {
            name: function
            for names, function in ((INPUTS, _input), ({SELECT}, _select))
            for name in names
            if self._is_djangos(name)
        }
        self.native_options = self._is_djangos(SELECT_OPTION)

    def _is_djangos(self, template_name: str) -> bool:
        origin = self.engine.get_template(template_name).origin.name
        return origin.replace("\\", "/").endswith(f"django/forms/templates/{template_name}")

    def render(self, template_name, context, request=None):
        function = self.native.get(template_name)
        if function is None or (function is _select and not self._plain_options(context["widget"])):
            return super().render(template_name, context, request)
        return SafeString(function(context["widget"]))

    def _plain_options(self, widget: dict) -> bool:
        return self.native_options and all(
            option["template_name"] == SELECT_OPTION
            for _name, options, _index in widget["optgroups"] for option in options
        )
