"""The optional compiled build of eventlib (a hatchling build hook).

By default the wheel is pure Python. With ``EVENTLIB_COMPILE=1`` in the
environment of a wheel build, the modules listed in ``eventlib/_build.py``
are compiled with Cython into extension modules and the wheel is tagged for
this interpreter and platform; the Python sources still ship beside them.
The ``.pxd`` files beside some of those modules declare their slotted
classes as extension types (the sdist carries them; the wheel does not).
Cython and setuptools (for the C compiler driver) are then build
requirements, fetched by the build front end; a C compiler and Python's
headers must be present, and a build that asked to compile fails with the
compiler's message rather than quietly producing a pure wheel.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ENV_SWITCH = "EVENTLIB_COMPILE"


def compile_requested() -> bool:
    """True if the environment asks for the compiled build; a bad value is an error."""
    value = os.environ.get(ENV_SWITCH, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(
            f"{ENV_SWITCH} must be 1 (compile) or 0 / unset (pure Python), got {value!r}"
        )
    return value == "1"


def compilable_modules(root: Path) -> tuple[str, ...]:
    """The module list of eventlib/_build.py, read without importing eventlib."""
    source = (root / "eventlib" / "_build.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        target = getattr(node, "target", None)
        if getattr(target, "id", "") == "COMPILABLE_MODULES" and isinstance(node, ast.AnnAssign):
            assert node.value is not None
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError("eventlib/_build.py defines no COMPILABLE_MODULES")


class CompiledBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        if self.target_name == "wheel" and compile_requested():
            return ["cython>=3.0", "setuptools>=77"]
        return []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or not compile_requested():
            return
        if version == "editable":
            raise RuntimeError(
                f"{ENV_SWITCH}=1 builds a regular wheel: an editable install would run "
                "extension modules that go stale as soon as a source file is edited. "
                "Install without -e (pip install . with the variable set)."
            )
        root = Path(self.root)
        build_dir = self._build_dir = Path(tempfile.mkdtemp(prefix="eventlib-compiled-"))
        for name, built in self._compile(root, build_dir).items():
            build_data["force_include"][str(built)] = (
                name.replace(".", "/") + built.name[built.name.index(".") :]
            )
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        del version, build_data, artifact_path  # the hook interface's arguments, unused here
        build_dir = getattr(self, "_build_dir", None)
        if build_dir is not None:  # the extensions are in the wheel now
            shutil.rmtree(build_dir, ignore_errors=True)
            self._build_dir = None

    def _compile(self, root: Path, build_dir: Path) -> dict[str, Path]:
        from Cython.Build import cythonize  # noqa: PLC0415 - a build requirement of this mode only
        from setuptools import Distribution, Extension  # noqa: PLC0415
        from setuptools.command.build_ext import build_ext  # noqa: PLC0415

        names = compilable_modules(root)
        extensions = [
            Extension(
                name,
                [str(root / (name.replace(".", "/") + ".py"))],
                extra_compile_args=["-g0"],  # no debug info: a tenth of the size
            )
            for name in names
        ]
        extensions = cythonize(
            extensions,
            build_dir=str(build_dir / "c"),
            include_path=[str(root)],  # for the .pxd files beside the modules
            nthreads=os.cpu_count() or 1,
            compiler_directives={
                "language_level": 3,
                "binding": True,
                # Annotations stay documentation, as in CPython: typed as C values they would
                # change which arguments are accepted and the errors bad ones raise.
                "annotation_typing": False,
            },
            quiet=True,
        )
        command = build_ext(Distribution({"ext_modules": extensions}))
        command.build_lib = str(build_dir / "lib")
        command.build_temp = str(build_dir / "temp")
        command.parallel = os.cpu_count() or 1
        command.ensure_finalized()
        command.run()
        built = {name: Path(command.get_ext_fullpath(name)) for name in names}
        missing = [name for name, path in built.items() if not path.is_file()]
        if missing:
            raise RuntimeError(f"the compiled build produced no extension for {missing}")
        self.app.display_info(
            f"eventlib: compiled {len(built)} modules with Cython for {sys.implementation.name} "
            f"{sys.version_info.major}.{sys.version_info.minor}"
        )
        return built
