#!/usr/bin/env bash
# The Debian packages the tests need beyond pip: poppler's pdftotext, a CJK font (pdfium stands it in for the
# unembedded Chinese fonts of the PDFs the tests typeset and renders scans with it), and the libGL and GLib
# that OpenCV (the [ocr] extra, through rapidocr-onnxruntime) loads at import. Idempotent; logs on stderr.
set -euo pipefail
need=()
command -v pdftotext >/dev/null || need+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libGL.so.1" || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q "libgthread-2.0.so.0" || need+=(libglib2.0-0)
if [ ${#need[@]} -gt 0 ]; then
  echo "system.sh: installing ${need[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi
