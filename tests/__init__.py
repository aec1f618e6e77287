"""The test suite (tests/README.md). Every folder is a package, so test files of the same name
in different folders import as different modules (``tests.api.test_x``, ``tests.cli.test_x``)."""
