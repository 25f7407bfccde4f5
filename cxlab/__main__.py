"""``python -m cxlab``: the same as the ``cxlab`` command."""

from cxlab.cli import main

raise SystemExit(main())
