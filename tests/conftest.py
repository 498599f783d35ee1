pytest_plugins = ["tests.servers.fixtures", "tests.servers.s3_fixtures"]
