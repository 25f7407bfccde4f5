"""The escaping rule: data-derived text reaches a page as plain text in every renderer."""

import re

import pytest

from cxlab.markup import escape, escape_all

#: Payloads a client's export or settings might carry, on purpose or not.
PAYLOADS = [
    'HR <img src=x onerror="alert(42)">',
    "<script>alert(1)</script>",
    "[click me](javascript:alert(1))",
    "![pixel](http://tracker.example/p.png)",
    "<javascript:alert(1)>",
    "Costs $5 and $$x^2$$ and $\\alpha$",
    "{{< include /etc/passwd >}}",
    "{{ secret }}",
    "%%bash\nrm -rf /",
    "!ls ~",
    "Team\n# Heading\n<iframe src=x>",
    "`code` **bold** _it_ ~~strike~~",
    "@citation and [@key]",
    "a | b | c",
    "Zoë & Søn 1. item",
    "line\u2028break\rcarriage",
    "nul\x00byte\x1b[31m",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_text_renders_literally_in_pandoc_and_nbconvert(payload):
    import html

    import pypandoc
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    escaped = escape(payload)
    assert not set(escaped) & set("<>[]{}$`*_\\|\n\r")
    expected = re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", re.sub(r"[\r\n\u2028]+", " ", payload))
    for rendered in (
        pypandoc.convert_text(f"Team **{escaped}** here.", "html5", format="markdown",
                              extra_args=["--mathml"]),
        markdown2html_mistune(f"Team **{escaped}** here."),
    ):
        # One paragraph, one strong element, no other element: nothing was interpreted.
        tags = re.findall(r"<(/?[a-z][a-z0-9]*)", rendered)
        assert tags == ["p", "strong", "/strong", "/p"], rendered
        inner = rendered[rendered.index("<strong>") + 8:rendered.index("</strong>")]
        assert " ".join(html.unescape(inner).split()) == " ".join(expected.split())


def test_missing_values_and_lists():
    assert escape(None) == "-" and escape(float("nan")) == "-"
    assert escape(3) == "3"
    assert escape_all(["a<b", "c"]) == "a&#60;b, c"
