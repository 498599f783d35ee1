from __future__ import annotations

import pytest

pytest_plugins = ["tests.servers.fixtures", "tests.servers.s3_fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--repeat-test", action="append", default=[], metavar="NODEID=N",
        help="run the test NODEID (as pytest prints it) N times within this run, e.g. to show "
             "a once-flaky test holding inside the full parallel suite",
    )


def _repeats(config: pytest.Config) -> dict[str, int]:
    repeats = {}
    for spec in config.getoption("repeat_test"):
        nodeid, _, count = spec.rpartition("=")
        if not nodeid or not count.isdigit() or int(count) < 1:
            raise pytest.UsageError(f"--repeat-test {spec!r}: expected NODEID=N, N >= 1")
        repeats[nodeid] = int(count)
    return repeats


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    count = _repeats(metafunc.config).get(metafunc.definition.nodeid)
    if count:
        metafunc.fixturenames.append("repeat_round")
        metafunc.parametrize("repeat_round", range(1, count + 1), ids=lambda n: f"round{n}")


@pytest.fixture
def repeat_round(request: pytest.FixtureRequest) -> int:
    return request.param
