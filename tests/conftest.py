"""Shared test configuration: eventlib's own pytest plugin provides the fixtures."""
