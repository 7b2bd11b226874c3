"""``xxgk serve``: the HTTP API over the store (FastAPI + uvicorn).

Upload one or many files or a zip (multipart) to start a job, follow its counts, fetch a report's
Result as JSON and the job's exports. Jobs and their items live in the database: a background thread
of the server claims queued items (``claim_next_item``), extracts them in worker processes, saves the
results and heartbeats the items in flight (``touch_items``); on start-up, and every minute, items
whose heartbeat stopped go back in the queue (``requeue_running(older_than=…)``), so a restarted (or
a second) server finishes what another left. Every write is one store transaction, so concurrent
requests cannot corrupt a job.

Every route but ``/health`` needs the ``X-API-Key`` header (key from ``XXGK_API_KEY`` or ``--api-key``);
the server refuses to start without a key unless ``--no-auth`` on a loopback address.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from extractor._errors import ConfigError, XxgkError
from extractor.settings import settings

if TYPE_CHECKING:
    from fastapi import FastAPI

API_KEY_ENV = "XXGK_API_KEY"
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def create_app(store_url: str | None = None, api_key: str | None = None, **options: Any) -> FastAPI:
    """The FastAPI app (``extractor.api_app.build_app``; see there for the options).

    ``api_key=None`` disables the key check (the command allows that only on loopback). The store is
    opened when the app starts, so building the app (for its OpenAPI spec) touches no database.
    """
    from extractor.api_app import build_app  # lazy: start-up

    return build_app(store_url, api_key, **options)


def openapi_json(app: FastAPI | None = None) -> str:
    """The spec as committed in docs/openapi.json (stable key order, UTF-8)."""
    spec = (app or create_app(run_worker=False)).openapi()
    return json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------------------------------ command
def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL or SQLite path (default: $XXGK_DATABASE_URL, else the data directory).")
@click.option("--api-key", default=None, envvar=API_KEY_ENV, show_envvar=True,
              help="The key clients send in X-API-Key (prefer the environment variable).")
@click.option("--no-auth", is_flag=True, help="No API key (allowed only on a loopback address).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Extraction worker processes.")
@click.option("--max-file-mb", type=click.IntRange(1), default=None,
              help="MB per file [default: $XXGK_MAX_BYTES, else 100 MB].")
@click.option("--max-request-mb", type=click.IntRange(1), default=None,
              help="MB per request body, counted as it streams [default: $XXGK_API_MAX_REQUEST_MB, else 500].")
@click.option("--max-files", type=click.IntRange(1), default=None,
              help="Files per upload, zip members counted [default: $XXGK_API_MAX_FILES, else 1000].")
@click.option("--stale-after", type=click.FloatRange(1), default=120, show_default=True,
              help="Seconds without a heartbeat after which a running file is requeued (a dead server's work).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds (wall and CPU) allowed per file [default: $XXGK_MAX_SECONDS, else 300].")
@click.option("--write-openapi", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the OpenAPI spec to this file and exit.")
def serve(host: str, port: int, db_url: str | None, api_key: str | None, no_auth: bool, workers: int,
          max_file_mb: int | None, max_request_mb: int | None, max_files: int | None, stale_after: float, timeout: float | None,
          write_openapi: Path | None) -> None:
    """Run the HTTP API (uploads, jobs, results, exports; OpenAPI at /docs and /openapi.json)."""
    if write_openapi is not None:
        write_openapi.parent.mkdir(parents=True, exist_ok=True)
        write_openapi.write_text(openapi_json(), encoding="utf-8")
        click.echo(f"wrote {write_openapi}")
        return
    if no_auth:
        if not _loopback(host):
            raise click.UsageError(f"--no-auth is allowed only on a loopback address, not {host}")
        api_key = None
    elif not api_key:
        raise click.UsageError(f"no API key: set {API_KEY_ENV} (or --api-key), or use --no-auth on 127.0.0.1")
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the extras
        raise click.ClickException("xxgk serve needs the [api] extra: pip install 'xxgk[api]'") from exc
    from extractor.store import open_store  # lazy: start-up

    try:
        open_store(db_url).close()  # an unreachable or corrupt database is one line here, not a traceback later
        app = create_app(db_url, api_key, workers=workers, max_file_bytes=max_file_mb and max_file_mb * 1048576,
                         max_request_bytes=max_request_mb and max_request_mb * 1048576, max_files=max_files,
                         timeout=timeout, stale_after=stale_after)
    except (ConfigError, XxgkError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(_bind_line(host, port, api_key is not None), err=True)
    uvicorn.run(app, host=host, port=port, log_level=settings().log_level)


def _bind_line(host: str, port: int, keyed: bool) -> str:
    """What the server exposes where: said at start, so nobody exposes it by accident."""
    where = ("只在本机回环地址（其他机器无法访问；--host 0.0.0.0 对外开放）/ loopback only: other machines cannot "
             "reach it (--host 0.0.0.0 to listen on every interface)") if _loopback(host) else (
             f"对外开放：所有能访问 {host} 的机器 / listening on {host}: reachable from other machines")
    key = "需要 X-API-Key / X-API-Key required" if keyed else "无需 API key / no API key (--no-auth)"
    return f"xxgk serve: http://{host}:{port} — {where}; {key} (GET /health is open)"


__all__ = ["create_app", "openapi_json", "serve"]
