"""The FastAPI application behind ``xxgk serve`` (see :mod:`extractor.api_server` for the command).

Kept apart from the command so that every other ``xxgk`` command starts without importing FastAPI.
Routes, limits, the API key and the background job runner are described in ``api_server``'s docstring.
"""

from __future__ import annotations

import hmac
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractor import years
from extractor.batch import (
    STALE_AFTER,
    Input,
    JobRunner,
    add_inputs,
    inputs_from_bytes,
    job_failures,
    job_layout,
    job_reports,
    summarize,
)
from extractor.exports import FILE_NAMES, MEDIA_TYPES, confirmed_export, failed_csv, iter_rows, write_exports
from extractor.settings import settings
from extractor.similar import similar_in_store, to_csv, to_json
from extractor.sketch import COPIED
from extractor.store import JobCounts, NotFoundError, open_store

if TYPE_CHECKING:
    from extractor.store import Store

KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="the server's API key")
ExportKind = Literal["jsonl", "csv", "xlsx", "parquet", "findings", "failed"]
DocumentId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1, description="a document's id")]
JobId = Annotated[str, FastApiPath(min_length=1, max_length=64, description="a job's id")]


# ------------------------------------------------------------------------------------------ models
class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code: unauthorized, too_large, too_many_files, not_found …")
    message: str = Field(description="中文 / English, one line")
    limit: int | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    database: str


class Failure(BaseModel):
    file: str
    reason: str


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    extractor: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    counts: JobCounts
    duplicates: int = Field(description="files whose bytes another file of the job already has (processed once)")
    findings_by_rule: dict[str, int] = Field(default_factory=dict, description="over the job's extracted reports")
    failures: list[Failure] = Field(default_factory=list)


class ItemOut(BaseModel):
    id: int
    file_name: str
    status: Literal["queued", "running", "done", "failed", "skipped"]
    error: str | None = Field(description="why it failed, or why it was skipped (duplicate, already extracted)")
    document_id: int | None
    document_sha: str | None
    extraction_id: int | None
    attempts: int


class ItemsOut(BaseModel):
    job_id: str
    items: list[ItemOut]


class ApiError(Exception):
    """An error answered as ``{"error", "message"}`` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.limit = status, code, message, limit


def _error_response(err: ApiError) -> JSONResponse:
    body = ErrorOut(error=err.code, message=err.message, limit=err.limit).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=err.status)


# ------------------------------------------------------------------------------------------ the door
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
UNAUTHORIZED = ApiError(401, "unauthorized", "缺少或错误的 API key / missing or wrong X-API-Key header")


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"请求过大 / the request is larger than {limit // 1048576} MB", limit)


class Guard:
    """ASGI middleware in front of everything: the API key is checked before one byte of the body is
    read, and the body is counted as it streams (chunked uploads included) and cut at the limit.

    FastAPI parses a multipart body into temporary files before any dependency runs, so a key check
    in a dependency comes too late (a client without a key could fill the disk); here a request
    without the key is answered 401 from its headers alone.
    """

    def __init__(self, app: Any, api_key: str | None, max_request_bytes: int) -> None:
        self.app, self.max = app, max_request_bytes
        self.key = api_key.encode() if api_key is not None else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.key is not None and scope.get("path") not in OPEN_PATHS:
            given = headers.get(b"x-api-key", b"")
            if not hmac.compare_digest(given, self.key):
                await _error_response(UNAUTHORIZED)(scope, receive, send)
                return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max:
            await _error_response(_too_large(self.max))(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counted() -> dict[str, Any]:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max:  # stop reading: the app sees a client that went away
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            if over:  # whatever the app makes of the cut body, the answer is 413
                return
            started = True
            await send(message)

        await self.app(scope, counted, sending)
        if over and not started:
            await _error_response(_too_large(self.max))(scope, receive, send)


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut, "description": "missing or wrong X-API-Key"}}


# ------------------------------------------------------------------------------------------ the app
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xxgk")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0"


def build_app(store_url: str | None = None, api_key: str | None = None, *, workers: int = 1,
              max_file_bytes: int | None = None, max_request_bytes: int | None = None, max_files: int | None = None,
              run_worker: bool = True, timeout: float | None = None, stale_after: float | None = None) -> FastAPI:
    """The FastAPI app. ``api_key=None`` disables the key check (the CLI allows that only on loopback).

    Limits left None come from the settings (``XXGK_MAX_BYTES``, ``XXGK_API_MAX_REQUEST_MB``,
    ``XXGK_API_MAX_FILES``).

    ``stale_after``: seconds after which a running item whose heartbeat stopped is requeued (default
    ``batch.STALE_AFTER``); every server sharing a database must use a value well above the heartbeat.

    The store is opened (and migrated) when the app starts, not here, so that building the app
    (for its OpenAPI spec) touches no database.
    """
    conf = settings()
    max_file_bytes = max_file_bytes or conf.limits.file_bytes
    max_request_bytes = max_request_bytes or conf.api_max_request_bytes
    max_files = max_files or conf.api_max_files
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from datetime import timedelta

        stale = STALE_AFTER if stale_after is None else timedelta(seconds=stale_after)
        store = open_store(store_url)
        store.requeue_running(older_than=stale)
        state["store"] = store
        thread = None
        if run_worker:
            runner = JobRunner(store, workers=workers, timeout=timeout, job_id=None, kinds=("api",),
                               stale_after=stale)
            thread = threading.Thread(target=runner.run, name="xxgk-jobs", daemon=True)
            state["runner"] = runner
            thread.start()
        try:
            yield
        finally:
            if thread is not None:
                state["runner"].stop()
                thread.join(30)
            store.close()

    app = FastAPI(
        title="xxgk API", version=_version(), lifespan=lifespan,
        description="政府信息公开工作年度报告 → 经过校验的结构化数据. Upload reports, follow the batch job, "
                    "fetch results and exports. Every route but /health needs the X-API-Key header.",
    )

    _error_handlers(app)
    app.add_middleware(Guard, api_key=api_key, max_request_bytes=max_request_bytes)

    def require_key(key: Annotated[str | None, Depends(KEY_HEADER)]) -> None:
        """The key again, per route (Guard has checked it already): it also puts the key in the spec."""
        if api_key is not None and not hmac.compare_digest((key or "").encode(), api_key.encode()):
            raise UNAUTHORIZED

    def store() -> Store:
        s = state.get("store")
        if s is None:  # pragma: no cover - only before start-up
            raise ApiError(503, "starting", "服务正在启动 / the server is starting")
        return s

    auth = [Depends(require_key)]

    @app.get("/health", response_model=Health, tags=["service"], summary="Liveness (no key needed)")
    def health() -> Health:
        return Health(version=_version(), database=store().backend)

    @app.post("/jobs", response_model=JobOut, status_code=201, dependencies=auth, tags=["jobs"],
              summary="Upload files or zip archives and start a batch job",
              responses={**ERRORS, 413: {"model": ErrorOut, "description": "too large or too many files"},
                         422: {"model": ErrorOut, "description": "no usable file"}})
    def create_job(
        files: Annotated[list[UploadFile], File(description="report files (PDF, DOCX, HTML, TXT, MD) or zip archives")],
        extractor: Annotated[Literal["rules", "llm", "hybrid"], Form()] = "rules",
        force: Annotated[bool, Form(description="extract again files already extracted")] = False,
    ) -> JobOut:
        inputs = _uploads(files, max_files=max_files, max_file_bytes=max_file_bytes,
                          max_request_bytes=max_request_bytes)
        s = store()
        items = add_inputs(s, None, inputs, extractor=extractor, force=force, who="api")
        options = {"extractor": extractor, "force": force, "files": [f.filename or "" for f in files]}
        job = s.create_job(options, items, kind="api", created_by="api")
        s.finish_job_if_complete(job.id)  # every file settled at upload (all duplicates or unreadable)
        return _job_out(s, job.id)

    @app.get("/jobs", response_model=list[JobOut], dependencies=auth, tags=["jobs"], summary="Recent jobs",
             responses=ERRORS)
    def list_jobs(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[JobOut]:
        s = store()
        return [_job_out(s, j.id, details=False) for j in s.list_jobs(limit=limit) if j.kind == "api"]

    @app.get("/jobs/{job_id}", response_model=JobOut, dependencies=auth, tags=["jobs"],
             summary="A job's status and counts (poll this to follow progress)",
             responses={**ERRORS, 404: {"model": ErrorOut}})
    def get_job(job_id: JobId) -> JobOut:
        return _job_out(store(), job_id)

    @app.get("/jobs/{job_id}/items", response_model=ItemsOut, dependencies=auth, tags=["jobs"],
             summary="Every file of a job with its status and reason", responses={**ERRORS, 404: {"model": ErrorOut}})
    def job_items(job_id: JobId) -> ItemsOut:
        s = store()
        _job(s, job_id)
        return ItemsOut(job_id=job_id, items=[ItemOut.model_validate(it, from_attributes=True)
                                              for it in s.job_items(job_id)])

    @app.get("/jobs/{job_id}/exports/{kind}", dependencies=auth, tags=["results"],
             summary="An export of the job's reports (what is extracted so far)",
             responses={**ERRORS, 404: {"model": ErrorOut},
                        200: {"description": "the file", "content": {
                            "text/csv": {}, "application/x-ndjson": {}, "application/vnd.apache.parquet": {},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
    def export(job_id: JobId, kind: ExportKind,
               labels: Annotated[bool, Query(description="Chinese labels as headers (csv, xlsx)")] = False) -> Response:
        s = store()
        job = _job(s, job_id)
        name = FILE_NAMES[kind]
        headers = {"Content-Disposition": f'attachment; filename="{job_id}-{name}"', "X-Job-Status": job.status}
        if kind == "failed":
            return Response(failed_csv(job_failures(s.job_items(job_id))), media_type=MEDIA_TYPES[kind],
                            headers={**headers, "X-Skipped-Rows": "0"})
        # written row by row to a temporary file and sent from there: a job of any size in flat memory
        unreadable: list[tuple[str, str]] = []
        folder = tempfile.mkdtemp(prefix="xxgk-export-")
        try:
            rows = iter_rows(job_reports(s, job_id, text=kind == "jsonl"), unreadable, keep_text=kind == "jsonl")
            path = write_exports(rows, folder, kinds=[kind],
                                 layout=job_layout(s, job_id, labels=labels))[kind]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(path, media_type=MEDIA_TYPES[kind], headers={**headers, "X-Skipped-Rows": str(len(unreadable))},
                            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))

    @app.get("/documents/{document_id}/result", dependencies=auth, tags=["results"],
             summary="The latest Result of a report (values with evidence, findings, usage)",
             responses={**ERRORS, 404: {"model": ErrorOut},
                        200: {"description": "schemas.results.Result as JSON",
                              "content": {"application/json": {"schema": {"type": "object"}}}}})
    def result(document_id: DocumentId) -> Response:
        s = store()
        try:
            s.get_document(document_id)
        except NotFoundError:
            raise ApiError(404, "not_found", f"没有这个文档 / no document {document_id}") from None
        ext = s.latest_extraction(document_id)
        if ext is None:
            raise ApiError(404, "not_extracted", f"文档 {document_id} 尚未提取 / document {document_id} has no result yet")
        return Response(ext.result_json, media_type="application/json")

    @app.get("/confirmed", dependencies=auth, tags=["results"],
             summary="The confirmed data: every report a reviewer confirmed, the values as confirmed",
             responses={**ERRORS, 200: {
                 "description": "a row per confirmed report (json: the report, the extraction confirmed, who and "
                                "when, its values; csv, xlsx, parquet: as the review page's download)",
                 "content": {"application/json": {"schema": {"type": "array"}}, "text/csv": {},
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                             "application/vnd.apache.parquet": {}}}})
    def confirmed(
        agency: Annotated[str | None, Query(description="Only this agency's reports")] = None,
        year: Annotated[int | None, Query(description="Only the reports of this year")] = None,
        template: Annotated[Literal["2008", "2019", "2021"] | None, Query(description="Only this template")] = None,
        format: Annotated[Literal["json", "csv", "xlsx", "parquet"], Query(description="json, csv, xlsx or parquet")]
        = "json",
        labels: Annotated[bool, Query(description="Chinese labels as headers (csv, xlsx)")] = False,
    ) -> Response:
        rows = store().confirmed_values(agency=agency, year=year, template=template)
        if format == "json":
            return JSONResponse([r.model_dump(mode="json") for r in rows])
        return Response(confirmed_export(format, rows, labels=labels), media_type=MEDIA_TYPES[format],
                        headers={"Content-Disposition": f'attachment; filename="xxgk-confirmed.{format}"'})

    @app.get("/years", dependencies=auth, tags=["results"],
             summary="Each agency's reports in the store against its report of the year before (cross-year rules)",
             responses={**ERRORS, 200: {"description": "pairs of consecutive years with their findings, and the "
                                                       "reports that could not be paired (json); or one row per "
                                                       "finding (csv)",
                                        "content": {"application/json": {"schema": {"type": "object"}},
                                                    "text/csv": {}}}})
    def years_check(
        agency: Annotated[str | None, Query(description="Only this agency (full/half width and spaces ignored)")] = None,
        format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
    ) -> Response:
        s = store()
        ids = None if agency is None else {r.document_id for r in s.list_reports()
                                           if years.agency_key(r.agency) == years.agency_key(agency)}
        report = years.check_store(s, ids)
        if format == "csv":
            return Response(years.to_csv(report), media_type="text/csv; charset=utf-8")
        return JSONResponse(years.to_json(report))

    @app.get("/similar", dependencies=auth, tags=["results"],
             summary="Reports of different agencies in the store whose narratives are nearly the same (copied)",
             responses={**ERRORS, 200: {"description": "pairs, most alike first (json), or one row per pair (csv)",
                                        "content": {"application/json": {"schema": {"type": "array"}},
                                                    "text/csv": {}}}})
    def similar(
        threshold: Annotated[float, Query(ge=0.5, le=1.0, description="Share of the narratives' 4-grams in common")]
        = COPIED,
        format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
    ) -> Response:
        pairs = similar_in_store(store(), threshold=threshold)
        if format == "csv":
            return Response(to_csv(pairs), media_type="text/csv; charset=utf-8")
        return JSONResponse(to_json(pairs))

    return app


def _error_handlers(app: FastAPI) -> None:
    """Every error answered as ``{"error", "message"}``: no traceback, no path, whatever the id or parameter."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error_response(err)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        first = (err.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error_response(ApiError(422, "invalid_request",
                                        f"请求参数无效 / invalid request: {where}: {first.get('msg', '')}"[:300]))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, f"http_{err.status_code}")
        text = {404: "没有这个地址 / no such route", 405: "不支持的请求方法 / method not allowed"}.get(
            err.status_code, f"请求错误 / request error {err.status_code}")
        return _error_response(ApiError(err.status_code, code, text))

    @app.exception_handler(Exception)
    async def _internal(_request: Request, err: Exception) -> JSONResponse:
        from sqlalchemy.exc import DBAPIError

        if isinstance(err, DBAPIError):
            return _error_response(ApiError(503, "database_unavailable",
                                            "数据库暂时不可用，请稍后重试 / the database is unavailable; retry later"))
        return _error_response(ApiError(500, "internal", "内部错误 / internal error (see the server log)"))


def _uploads(files: list[UploadFile], *, max_files: int, max_file_bytes: int, max_request_bytes: int) -> list[Any]:
    """The uploads as batch inputs (zip archives expanded), with the limits enforced (413)."""
    if len(files) > max_files:
        raise ApiError(413, "too_many_files", f"文件过多 / more than {max_files} files in one request", max_files)
    inputs: list[Input] = []
    total = 0
    for up in files:
        name = Path(up.filename or "upload").name
        data = up.file.read(max_file_bytes + 1)
        if len(data) > max_file_bytes:
            raise ApiError(413, "too_large", f"文件过大 / {name} is larger than {max_file_bytes // 1048576} MB",
                           max_file_bytes)
        total += len(data)
        if total > max_request_bytes:
            raise ApiError(413, "too_large", f"请求过大 / the upload is larger than {max_request_bytes // 1048576} MB",
                           max_request_bytes)
        for item in inputs_from_bytes(data, name):  # the batch's intake: archives, nested ones, budgets
            inputs.append(item)
            if len(inputs) > max_files:
                raise ApiError(413, "too_many_files",
                               f"文件过多 / more than {max_files} files (archives counted by member)", max_files)
    if not inputs:
        raise ApiError(422, "no_files", "没有可处理的文件 / no files in the upload")
    return inputs


def _job(s: Any, job_id: str) -> Any:
    try:
        job = s.get_job(job_id)
    except NotFoundError:
        raise ApiError(404, "not_found", f"没有这个任务 / no job {job_id}") from None
    if job.kind != "api":
        raise ApiError(404, "not_found", f"没有这个任务 / no job {job_id}")
    return job


def _job_out(s: Any, job_id: str, *, details: bool = True) -> JobOut:
    job = _job(s, job_id)
    out = JobOut(id=job.id, status=job.status, extractor=str(job.options.get("extractor", "rules")),
                 created_at=job.created_at, updated_at=job.updated_at, finished_at=job.finished_at,
                 counts=job.counts, duplicates=0)
    if details:
        summ = summarize(s, job_id)
        out.duplicates = summ.duplicates
        out.findings_by_rule = summ.findings_by_rule
        out.failures = [Failure(file=f, reason=r) for f, r in summ.failures]
    return out


__all__ = ["ApiError", "ErrorOut", "ItemOut", "JobOut", "build_app"]
