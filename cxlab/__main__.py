from cxlab.cli import main

raise SystemExit(main())
