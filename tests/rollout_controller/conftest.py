from tests.registry.registry_backends import clean_environment, db_url, registry  # noqa: F401  (fixtures)
