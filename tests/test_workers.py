"""Worker processes (extractor/workers.py): the per-file memory budget comes on top of what a worker
forked from a large process already had mapped."""

from __future__ import annotations

import mmap

from click.testing import CliRunner

from extractor.cli import main
from tests.conftest import SEED_TXT


def test_extract_forked_from_a_process_with_a_large_address_space_still_reads_the_seed() -> None:
    # a long-running caller (a test runner, a server) may have GBs mapped; the fork inherits them
    reserved = mmap.mmap(-1, 2300 * 1024 * 1024)  # more than the default 2 GB budget, never touched
    try:
        got = CliRunner().invoke(main, ["extract", "--flat", str(SEED_TXT)])
    finally:
        reserved.close()
    assert got.exit_code == 0, got.output
    assert '"old.收到申请数": 233' in got.output
