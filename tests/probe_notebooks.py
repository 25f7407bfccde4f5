"""Tiny notebook templates for runner tests: a parameters cell and one code cell."""

from pathlib import Path

import nbformat


def write_template(path: Path, code: str = "print(client)") -> None:
    """A template with the ``client`` and ``quarter`` parameters, then ``code``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('client = "x"\nquarter = "2026Q3"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
