"""Builds what the provider needs from the rest of the repository, at wheel build time.

1. The sparkd.v1 gRPC stubs. protoc writes `from sparkd.v1 import x_pb2`, which would need a
   top-level `sparkd` package; the imports are rewritten to `sparkd_provider._proto` so the stubs
   live inside this package only. The generated code refuses older protobuf/grpcio runtimes, so
   the wheel requires at least the versions it was generated with.
2. `sparkd_provider._sparkd_core`, the daemon's preset and validation core as a pybind11 module,
   compiled by CMake from daemon/core (SPARKD_CORE_ONLY: no gRPC, libpq or HTTP needed). It needs
   cmake, a C++20 compiler and the headers of yaml-cpp, nlohmann-json and spdlog (Debian:
   cmake g++ libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev python3-dev). Setting
   SPARKD_PROVIDER_WITHOUT_CORE=1 builds a pure-Python wheel instead; the operator then skips
   parse-time validation and the daemon still validates every submit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

_PROTO_PACKAGE = Path("sparkd") / "v1"
_OUT = Path("sparkd_provider") / "_proto"
_IMPORT = re.compile(r"^from sparkd\.v1 import ", re.MULTILINE)
_GENCODE_VERSION = re.compile(r"^# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", re.MULTILINE)


_CORE_MODULE = "_sparkd_core"
WITHOUT_CORE_ENV = "SPARKD_PROVIDER_WITHOUT_CORE"


def _proto_root(root: Path) -> Path:
    # An sdist carries its own copy; a checkout reads the repository's proto/.
    for candidate in (root / "proto", root.parent / "proto"):
        if (candidate / _PROTO_PACKAGE).is_dir():
            return candidate
    raise RuntimeError(f"sparkd protos not found next to {root}")


def generate(root: Path) -> tuple[int, int, int]:
    """Writes the stubs into sparkd_provider/_proto; returns the protobuf gencode version."""
    from grpc_tools import protoc

    proto_root = _proto_root(root)
    well_known = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{proto_root}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *sorted(str(path) for path in (proto_root / _PROTO_PACKAGE).glob("*.proto")),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed: {' '.join(args)}")
        version: tuple[int, int, int] | None = None
        for path in sorted((Path(tmp) / "sparkd" / "v1").iterdir()):
            text = _IMPORT.sub("from sparkd_provider._proto import ", path.read_text())
            if match := _GENCODE_VERSION.search(text):
                version = (int(match[1]), int(match[2]), int(match[3]))
            (root / _OUT / path.name).write_text(text)
    if version is None:
        raise RuntimeError("protoc output carries no protobuf version")
    return version


def _cpp_root(root: Path) -> Path:
    # An sdist carries the core's sources under cpp/; a checkout builds from the repository.
    for candidate in (root / "cpp", root.parent):
        if (candidate / "daemon" / "core").is_dir() and (candidate / "CMakeLists.txt").is_file():
            return candidate
    raise RuntimeError(f"sparkd C++ sources (daemon/core) not found next to {root}")


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}\n"
            f"The provider compiles the sparkd core; it needs cmake, g++ (C++20) and the Debian "
            f"packages libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev python3-dev. "
            f"{WITHOUT_CORE_ENV}=1 builds without it (no parse-time validation)."
        )


def _remove_core_module(root: Path) -> None:
    for built in (root / "sparkd_provider").glob(f"{_CORE_MODULE}.*"):
        built.unlink()


def build_core_module(root: Path) -> Path:
    """Compiles _sparkd_core for this interpreter into sparkd_provider/; returns its path."""
    import pybind11

    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError(
            f"cmake is not on PATH: the provider compiles the sparkd core with it "
            f"(Debian: apt-get install cmake g++), or set {WITHOUT_CORE_ENV}=1"
        )
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    # Kept between builds (git-ignored), so a rebuild compiles only what changed.
    build_dir = root / "build" / f"core{suffix.removesuffix('.so')}"
    _run(
        [
            cmake,
            "-S",
            str(_cpp_root(root)),
            "-B",
            str(build_dir),
            "-DSPARKD_CORE_ONLY=ON",
            "-DCMAKE_BUILD_TYPE=Release",
            # -O2, not CMake's -O3: GCC 12 warns falsely (-Wrestrict) on string concatenation
            # at -O3, and the core is not faster for it.
            "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
            f"-DPython_EXECUTABLE={sys.executable}",
        ],
        "configuring the sparkd core (cmake)",
    )
    jobs = str(os.cpu_count() or 1)
    _run(
        [cmake, "--build", str(build_dir), "--target", _CORE_MODULE, "-j", jobs],
        "compiling the sparkd core",
    )
    built = build_dir / "daemon" / "python" / f"{_CORE_MODULE}{suffix}"
    _remove_core_module(root)
    target = root / "sparkd_provider" / built.name
    shutil.copy2(built, target)
    return target


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata_: dict[str, Any]) -> None:
        major, minor, patch = generate(Path(self.root))
        grpc_tools = metadata.version("grpcio-tools")
        metadata_["dependencies"] = [
            "apache-airflow>=2.10",
            f"grpcio>={grpc_tools}",
            f"protobuf>={major}.{minor}.{patch},<{major + 1}",
        ]


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        generate(root)
        if self.target_name != "wheel":
            return
        if os.environ.get(WITHOUT_CORE_ENV) == "1":
            _remove_core_module(root)  # a module from an earlier build must not ship
            return
        build_core_module(root)
        # A compiled module: the wheel is for this Python and platform only.
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
