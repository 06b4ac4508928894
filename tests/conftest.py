"""Suite-wide fixtures: real HTTP test servers (see tests/servers/fixtures.py)."""

pytest_plugins = ["servers.fixtures"]
