import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_backends import clean_environment, db_url, registry  # noqa: E402,F401  (fixtures)
