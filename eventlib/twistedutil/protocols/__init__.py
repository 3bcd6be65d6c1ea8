"""Green transports over Twisted's ready-made protocols (see :mod:`.basic`)."""

__all__: list[str] = []
