"""``python -m tests.servers.peak_rss REPORT -- COMMAND…``: run COMMAND, then write its peak
resident memory (in KiB, its own and its children's) to the file REPORT; exit with its code.

A child's ``ru_maxrss`` is not its own peak alone: Linux starts it at the high-water mark of
the memory it replaced at ``exec``, and Python starts children with ``vfork``, whose memory
is the parent's. Measured straight from a pytest worker that once held 2 GB, a 115 MB crawl
reads as 2 GB. Started from this small process instead, the figure is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    report, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m tests.servers.peak_rss REPORT -- COMMAND…", file=sys.stderr)
        return 2
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    Path(report).write_text(str(usage.ru_maxrss), encoding="ascii")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
