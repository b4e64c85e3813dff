import sys

from lockctl.cli.main import main

sys.exit(main())
