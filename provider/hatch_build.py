"""Generates the sparkd.v1 gRPC stubs at build time and pins the runtimes they need.

protoc writes `from sparkd.v1 import x_pb2`, which would need a top-level `sparkd` package; the
imports are rewritten to `sparkd_provider._proto` so the stubs live inside this package only.
The generated code refuses older protobuf/grpcio runtimes, so the wheel requires at least the
versions it was generated with.
"""

from __future__ import annotations

import re
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
        generate(Path(self.root))
