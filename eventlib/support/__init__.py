"""The classic ``eventlib.support`` package: :mod:`eventlib.support.greenlets`."""

__all__: list[str] = []
