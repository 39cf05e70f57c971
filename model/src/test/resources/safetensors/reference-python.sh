#!/usr/bin/env bash
# Runs /usr/bin/python3 with Hugging Face's safetensors library importable, for make_goldens.py:
#   model/src/test/resources/safetensors/reference-python.sh make_goldens.py OUT_DIR [ours.safetensors ...]
#
# If `import safetensors` already works (Debian trixie's python3-safetensors, or pip), it is used as is.
# Otherwise (Debian bookworm, which does not package it) trixie's python3-safetensors .deb is downloaded with an
# isolated apt configuration (the system's sources and package state are not touched) into <project>/.cache,
# unpacked there, and loaded into bookworm's Python 3.11 with a three-function shim for the CPython 3.13 C-API
# calls the extension makes (PyDict_GetItemRef, PyErr_GetRaisedException, PyErr_SetRaisedException).
# Needs: python3-numpy, gcc, python3-dev headers (/usr/include/python3.11), network access to Debian.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../../.." && pwd)"
py=/usr/bin/python3
if "$py" -c 'import safetensors.numpy, numpy' 2>/dev/null; then
  cd "$here" && exec "$py" "$@"
fi
cache="$root/.cache/safetensors-reference"
site="$cache/site"
if [ ! -f "$cache/libshim313.so" ] || [ ! -d "$site/safetensors" ]; then
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$site"
  echo 'deb http://deb.debian.org/debian trixie main' > "$cache/apt/sources.list"
  : > "$cache/apt/status"
  apt_opts=(-o Dir::Etc::sourcelist="$cache/apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent
            -o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt/cache"
            -o Dir::State::status="$cache/apt/status" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$cache" && apt-get "${apt_opts[@]}" download python3-safetensors)
  rm -rf "$cache/deb" && dpkg -x "$cache"/python3-safetensors_*.deb "$cache/deb"
  cp -r "$cache/deb/usr/lib/python3/dist-packages/safetensors" "$site/"
  so=$(ls "$site"/safetensors/_safetensors_rust.cpython-3*-x86_64-linux-gnu.so)
  pyver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
  [ "$so" = "$site/safetensors/_safetensors_rust.cpython-$pyver-x86_64-linux-gnu.so" ] \
    || mv "$so" "$site/safetensors/_safetensors_rust.cpython-$pyver-x86_64-linux-gnu.so"
  inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  cat > "$cache/shim313.c" <<'C'
/* CPython 3.13 C-API functions missing from 3.11, written on the 3.11 API, so a cp313 extension loads. */
#include <Python.h>
int PyDict_GetItemRef(PyObject *p, PyObject *key, PyObject **result) {
    PyObject *v = PyDict_GetItemWithError(p, key);
    if (v) { Py_INCREF(v); *result = v; return 1; }
    *result = NULL;
    return PyErr_Occurred() ? -1 : 0;
}
PyObject *PyErr_GetRaisedException(void) {
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (!t) return NULL;
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb) PyException_SetTraceback(v, tb);
    Py_XDECREF(t); Py_XDECREF(tb);
    return v;
}
void PyErr_SetRaisedException(PyObject *exc) {
    if (!exc) { PyErr_Restore(NULL, NULL, NULL); return; }
    PyObject *t = (PyObject *)Py_TYPE(exc); Py_INCREF(t);
    PyErr_Restore(t, exc, PyException_GetTraceback(exc));
}
C
  gcc -shared -fPIC -O1 -I"$inc" "$cache/shim313.c" -o "$cache/libshim313.so"
fi
cd "$here"
PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" LD_PRELOAD="$cache/libshim313.so" exec "$py" "$@"
