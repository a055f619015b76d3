import sys

from duetgraph.cli import main

sys.exit(main())
