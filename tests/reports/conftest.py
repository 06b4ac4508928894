import pytest

from tests.reports.project import bouclier, sample_project


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory):
    """(project dir, run dir) of a real FAIL: German cases all wrong for the candidate."""
    project = sample_project(tmp_path_factory.mktemp("failed"), regression=True)
    r = bouclier("check", "--output-dir", "run", cwd=project)
    assert r.returncode == 1, r.stderr
    return project, project / "run"


@pytest.fixture(scope="session")
def passed_run(tmp_path_factory):
    project = sample_project(tmp_path_factory.mktemp("passed"), regression=False)
    r = bouclier("check", "--output-dir", "run", cwd=project)
    assert r.returncode == 0, r.stderr
    return project, project / "run"
