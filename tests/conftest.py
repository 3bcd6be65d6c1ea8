"""Shared test configuration: eventlib's own pytest plugin provides the green fixtures."""

pytest_plugins = ["pytester"]
