from surveil.cli.main import main

raise SystemExit(main())
