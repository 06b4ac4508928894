import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

pytest_plugins = ["tests.servers.fixtures"]


def pytest_make_parametrize_id(config, val, argname):
    """Stable test ids for long generated values (fake secrets made at collection time), so
    that every pytest-xdist worker collects the same tests; pytest numbers the repeats."""
    if isinstance(val, (str, bytes)) and len(val) > 24:
        return argname
    return None
