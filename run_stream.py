#!/usr/bin/env python3
"""Thin entry point: ``python run_stream.py run --source ...`` (same as the ``streampipe`` command)."""

from streampipe.cli import entry

if __name__ == "__main__":
    entry()
