"""The form renderer (``FORM_RENDERER``): Django's, with the plainest templates written in Python.

Django renders every widget through templates: a ``<select>`` includes
one template per option, and each of those includes the attributes'
template. On the catalog's filter bar (three selects, 35 options) and the
login form (``as_p``, each label and error list a template too) that was a
third to a half of the worker's CPU for the page. The templates below
(inputs, selects, labels, error lists, ``as_p``) are written here with the
same escaping, localisation and whitespace as Django's, so the HTML is
identical (``school/tests/test_form_rendering.py`` renders each both ways);
any other template, or one of these that an app overrides, is rendered by
Django's templates as before.
"""

import html

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

FORM_AS_P = "django/forms/p.html"
LABEL = "django/forms/label.html"
ERRORS = {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}
INPUT = "django/forms/widgets/input.html"
SELECT = "django/forms/widgets/select.html"
SELECT_OPTION = "django/forms/widgets/select_option.html"
# Widgets whose own template only includes input.html.
INPUTS = {f"django/forms/widgets/{name}.html" for name in (
    "input", "text", "email", "password", "number", "hidden", "checkbox", "url", "search", "tel",
)}


def _value(value) -> str:
    """``{{ value }}``: localised and escaped."""
    if isinstance(value, Promise):
        value = str(value)  # a translation: text, with nothing to localise
    if isinstance(value, str):
        return _escaped(value)
    return conditional_escape(localize(template_localtime(value)))


def _string(value) -> str:
    """``{{ value|stringformat:'s' }}``: formatted with %s, escaped unless it was safe."""
    return _escaped(value if isinstance(value, str) else "%s" % (value,))  # noqa: UP031 (as the filter formats)


def _escaped(text: str) -> str:
    """``conditional_escape(text)`` without its checks for lazy text, which a str is not."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(text)


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


def _label(context: dict) -> str:
    if not context["use_tag"]:
        return f"{_value(context['label'])}\n"
    tag = _value(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_value(context['label'])}</{tag}>\n"


def _errors(context: dict) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    identifier = f' id="{_value(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_value(error)}</li>" for error in errors)
    return f'<ul class="{_value(context["error_class"])}"{identifier}>{items}</ul>'


def _form_as_p(context: dict) -> str:
    """django/forms/p.html, text node by text node."""
    errors, fields = context["errors"], context["fields"]
    hidden = "".join(str(field) for field in context["hidden_fields"])
    parts = [_value(errors), "\n"]
    if errors and not fields:
        parts.append(f"\n  <p>{hidden}</p>\n")
    parts.append("\n")
    for number, (field, field_errors) in enumerate(fields, start=1):
        classes = field.css_classes()
        parts += ["\n  ", _value(field_errors), "\n  <p", f' class="{_value(classes)}"' if classes else "", ">\n    "]
        parts += [_value(field.label_tag()) if field.label else "", "\n    ", _value(field), "\n    "]
        if field.help_text:
            identifier = f' id="{_value(field.auto_id)}_helptext"' if field.auto_id else ""
            parts.append(f'\n      <span class="helptext"{identifier}>{field.help_text}</span>\n    ')
        parts.append("\n    ")
        if number == len(fields):
            parts.append(f"\n      {hidden}\n    ")
        parts.append("\n  </p>\n")
    parts.append("\n")
    if not fields and not errors:
        parts.append(f"\n  {hidden}\n")
    parts.append("\n")
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
        # Templates rendered from their whole context (the widgets from context["widget"]).
        self.native_contexts = {
            name: function
            for names, function in (({FORM_AS_P}, _form_as_p), ({LABEL}, _label), (ERRORS, _errors))
            for name in names
            if self._is_djangos(name)
        }
        self.native_options = self._is_djangos(SELECT_OPTION)

    def _is_djangos(self, template_name: str) -> bool:
        origin = self.engine.get_template(template_name).origin.name
        return origin.replace("\\", "/").endswith(f"django/forms/templates/{template_name}")

    def render(self, template_name, context, request=None):
        if (whole := self.native_contexts.get(template_name)) is not None:
            return SafeString(whole(context).strip())
        function = self.native.get(template_name)
        if function is None or (function is _select and not self._plain_options(context["widget"])):
            return super().render(template_name, context, request)
        return SafeString(function(context["widget"]))

    def _plain_options(self, widget: dict) -> bool:
        return self.native_options and all(
            option["template_name"] == SELECT_OPTION
            for _name, options, _index in widget["optgroups"] for option in options
        )
