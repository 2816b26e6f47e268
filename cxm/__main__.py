from cxm.cli import main

raise SystemExit(main())
