"""Read an HTML form as a browser would submit it unchanged (inputs, ticked boxes, the selected
option of each select, textareas), so a test can save a row exactly as it was shown."""
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_index):
        super().__init__(convert_charrefs=True)
        self.form_index, self.seen_forms, self.inside = form_index, -1, False
        self.fields: list[tuple[str, str]] = []
        self.inputs: list[dict] = []  # every input/select as its attributes (for `required`)
        self._select, self._options, self._textarea, self._text = None, [], None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.seen_forms += 1
            self.inside = self.seen_forms == self.form_index
            return
        if not self.inside:
            return
        if tag == "input":
            self.inputs.append({"tag": tag, **attrs})
            kind = (attrs.get("type") or "text").lower()
            name = attrs.get("name")
            if not name or kind in ("submit", "button", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            else:
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select":
            self.inputs.append({"tag": tag, **attrs})
            self._select, self._options = attrs.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((attrs.get("value"), "selected" in attrs, []))
        elif tag == "textarea":
            self.inputs.append({"tag": tag, **attrs})
            self._textarea, self._text = attrs.get("name"), []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        elif self._select is not None and self._options:
            self._options[-1][2].append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            options = [(v if v is not None else "".join(text).strip(), sel)
                       for v, sel, text in self._options]
            chosen = [v for v, sel in options if sel] or [v for v, _ in options[:1]]
            if self._select and chosen:
                self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def read_form(html: str, index: int = 0):
    """(fields as [(name, value)], inputs as [attrs]) of the index-th form of the page."""
    reader = _FormReader(index)
    reader.feed(html)
    return reader.fields, reader.inputs


def main_form(html: str):
    """The page's form that has a csrf_token and is not the navbar's (FAB's add/edit form)."""
    index = 0
    while True:
        fields, inputs = read_form(html, index)
        if not fields and not inputs:
            raise AssertionError("no form with fields on the page")
        names = {name for name, _ in fields}
        if "csrf_token" in names and len(names) > 1:
            return fields, inputs
        index += 1
