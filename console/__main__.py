"""``python -m console [--endpoints FILE]``: the staff console on STAFF_HOST:STAFF_PORT (default 127.0.0.1:8081).

STAFF_TOKEN (at least 32 characters) is the staff's login; STAFF_REVIEW_DAYS (default 180) is the age after which a
source page is due for review. The tracker database is the one the endpoints file (default endpoints.yml) names.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from console.app import Console, create_app
from console.data import tracker_engine
from kb.store import load_kb

MIN_TOKEN_CHARS = 32
SETTINGS = (("STAFF_TOKEN", ""), ("STAFF_PORT", "8081"), ("STAFF_REVIEW_DAYS", "180"))


def main(argv: list[str]) -> int:
    """Check the settings and serve until stopped; 2 for a setting that cannot be used."""
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa's endpoints file naming the tracker store")
    args = parser.parse_args(argv)
    env = os.environ
    token, port, review = (env.get(name, default).strip() for name, default in SETTINGS)
    if len(token) < MIN_TOKEN_CHARS or not (port.isdigit() and review.isdigit() and int(review) > 0):
        print(
            f"console: STAFF_TOKEN must have at least {MIN_TOKEN_CHARS} characters (make run keeps one in "
            "var/staff.token), STAFF_PORT and STAFF_REVIEW_DAYS must be positive whole numbers",
            file=sys.stderr,
        )
        return 2
    console = Console(token, tracker_engine(Path(args.endpoints)), load_kb(), int(review))
    create_app(console).run(host=env.get("STAFF_HOST", "127.0.0.1"), port=int(port), access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
