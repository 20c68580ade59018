import sys

from guardllm.cli import main

sys.exit(main())
