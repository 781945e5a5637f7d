#!/usr/bin/env python3
"""Thin entry point: ``python run_stream.py run --source ...`` (same as the ``streampipe`` command)."""

import sys

from streampipe.cli import main

if __name__ == "__main__":
    sys.exit(main())
