"""A faster first pass over a large snapshot block: int8 rows scored by OpenVINO, then an exact re-rank.

An unfiltered scan of a million float32 rows reads 2 GB and is bounded by memory bandwidth.
The snapshot writer also stores each row as int8 with a per-row scale (a quarter of the bytes)
and the row's error ``e = ||x - x~||`` (x~ the int8 row scaled back). For a unit query p,
``|p.x~ - p.x| <= e``, so each row's exact score lies in ``[approx - b, approx + b]`` (b: e plus
the float32 rounding of both products). OpenVINO computes the approximate scores with the
lower bounds' k-th largest, L, in one graph: every row of the exact top k has a score of at
least L, so only rows whose upper bound reaches L can be in it. Those few are scored from the
float32 rows (``exact_scores``), which makes the result the exact one, not an approximation.

The int8 files are written with the snapshot (quantising a million rows takes seconds), only for
blocks of ``MIN_ROWS`` and more, and only where OpenVINO is installed. Compiling (the plugin
repacks the weights) takes about half a second, on a thread: searches until then use the
float32 rows. Checks before use: the file's CRC, and the bound on a sample of rows for one query.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from surveil.store.search_rows import dot_slack, exact_scores

logger = logging.getLogger(__name__)

MIN_ROWS = 50_000  # smaller blocks are scanned in float32: fast enough, and no compile to wait for
MAX_CANDIDATES = 0.05  # share of the rows: beyond it (dense near-ties) a float32 scan is cheaper
CHUNK = 1024  # rows quantised at a time: a few MB of temporaries
SAMPLE_STRIDE = 16  # every 16th row checked against the bound when compiled
ROWS, META = ".q8.npy", ".q8.npz"
CONFIG = {"INFERENCE_PRECISION_HINT": "f32",  # no bf16 / f16 arithmetic: the bound counts float32 rounding
          "DYNAMIC_QUANTIZATION_GROUP_SIZE": 0}  # the query stays float32 (quantising it would widen the error)


def _installed() -> bool:
    """Whether OpenVINO is installed, without importing it: the compiling thread does that, not the opening."""
    try:
        return importlib.util.find_spec("openvino") is not None
    except (ImportError, ValueError):
        return False


def wanted(rows: int) -> bool:
    """Whether a snapshot of so many rows gets int8 files."""
    return rows >= MIN_ROWS and _installed()


def write(stem: Path, rows: np.ndarray, replace) -> None:
    """``<stem>.q8.npy`` (int8 rows) and ``<stem>.q8.npz`` (scales, errors, the CRC of the int8 bytes).

    ``replace(path, write)`` writes a file the snapshot's way (temporary, synced, renamed).
    """
    n, dim = rows.shape
    scale, error, crc = np.empty(n, np.float32), np.empty(n, np.float32), 0

    def body(handle) -> None:
        nonlocal crc
        np.lib.format.write_array_header_1_0(handle, {"descr": "|i1", "fortran_order": False, "shape": (n, dim)})
        for start in range(0, n, CHUNK):
            end = min(start + CHUNK, n)
            chunk = _quantise(np.asarray(rows[start:end]), scale[start:end], error[start:end])
            handle.write(chunk.data)
            crc = zlib.crc32(chunk.data, crc)

    replace(Path(f"{stem}{ROWS}"), body)
    replace(Path(f"{stem}{META}"), lambda f: np.savez(f, scale=scale, error=error, crc=np.uint32(crc)))


def _quantise(x: np.ndarray, scale: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Rows as int8 with a symmetric per-row scale; fills ``scale`` and ``error`` (the error in float64)."""
    scale[:] = np.abs(x).max(axis=1) / np.float32(127)
    inverse = np.divide(np.float32(1), scale, out=np.zeros_like(scale), where=scale > 0)  # a zero row stays 0
    y = np.clip(np.rint(x * inverse[:, None]), -127, 127)
    q = y.astype(np.int8)
    y *= scale[:, None]  # the row as OpenVINO sees it: float32(q) * scale
    diff = x.astype(np.float64) - y
    error[:] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return q


def open_rows(stem: Path, rows: np.ndarray) -> Int8Rows | None:
    """The int8 scorer of a snapshot's rows (not compiled yet), or None: too few rows, no OpenVINO, no files."""
    if len(rows) < MIN_ROWS or not _installed():
        return None
    try:
        q = np.load(f"{stem}{ROWS}", mmap_mode="c")  # copy-on-write: OpenVINO wants a writeable array, writes none
        with np.load(f"{stem}{META}") as meta:  # zip: a damaged member fails its CRC here
            scale, error, crc = meta["scale"], meta["error"], int(meta["crc"])
    except FileNotFoundError as exc:
        logger.info("search snapshot %s has no int8 rows (%s): searching its float32 rows", stem, exc.filename)
        return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        logger.warning("the int8 rows of search snapshot %s are unusable (%s): searching its float32 rows", stem, exc)
        return None
    if q.dtype != np.int8 or q.shape != rows.shape or scale.shape != (len(rows),) or error.shape != (len(rows),) \
            or scale.dtype != np.float32 or error.dtype != np.float32:
        logger.warning("the int8 rows of search snapshot %s do not match its rows: searching its float32 rows", stem)
        return None
    return Int8Rows(stem, rows, q.view(np.ndarray), scale, error, crc)


class Int8Rows:
    """int8 rows beside their float32 rows; ``start`` compiles them on a thread, then ``candidates`` may be used."""

    def __init__(self, stem: Path, rows: np.ndarray, q: np.ndarray, scale: np.ndarray, error: np.ndarray, crc: int):
        self.stem, self.rows, self._q, self._scale, self._crc = stem, rows, q, scale, crc
        self._bound = error * np.float32(1 + 1e-5) + np.float32(3 * dot_slack(rows.shape[1]))
        self._request = None
        self._done = threading.Event()
        self._opened = time.perf_counter()
        self.ready_after: float | None = None  # seconds from opening to compiled

    @property
    def ready(self) -> bool:
        """Compiled and checked: ``candidates`` may be called."""
        return self._request is not None

    def start(self) -> None:
        """Check and compile on a thread (not a daemon: an interpreter exit mid-compile could crash)."""
        threading.Thread(target=self._prepare, name="search-int8", daemon=False).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until it is compiled or given up; whether it can be used."""
        self._done.wait(timeout)
        return self.ready

    def candidates(self, q: np.ndarray, k: int, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(exact scores, positions) of the rows that may be in the top k; None: use the float32 rows.

        ``bias``: 0 for the rows the search may return, -inf for the others (dead, filtered out).
        """
        request = self._request
        request.infer({0: q[None], 1: bias[None], 2: np.array(k, np.int64)}, share_inputs=True, share_outputs=True)
        upper = request.get_output_tensor(0).data[0]
        floor = float(request.get_output_tensor(1).data.min())  # L: the k-th largest lower bound
        if not np.isfinite(floor):  # fewer than k rows allowed
            return None
        found = np.flatnonzero(upper >= floor)
        if len(found) > MAX_CANDIDATES * len(upper):
            logger.debug("int8 search: %d candidates of %d rows, scanning the float32 rows", len(found), len(upper))
            return None
        scores = exact_scores(self.rows[found], q)
        if not _bounded(scores, upper[found], self._bound[found]):
            logger.warning("int8 scores of search snapshot %s broke their error bound: searching its float32 rows "
                           "from now on", self.stem)
            self._request = None
            return None
        return scores, found

    def _prepare(self) -> None:
        try:
            if self._checksum() != self._crc:
                logger.warning("the int8 rows of search snapshot %s are damaged (CRC): searching its float32 rows",
                               self.stem)
                return
            request = self._compile()
            q = np.random.default_rng(0).standard_normal(self.rows.shape[1]).astype(np.float32)
            q /= np.linalg.norm(q)
            request.infer({0: q[None], 1: np.zeros((1, len(self.rows)), np.float32), 2: np.array(1, np.int64)})
            sample = np.arange(0, len(self.rows), SAMPLE_STRIDE)
            upper = request.get_output_tensor(0).data[0, sample]
            if not _bounded(exact_scores(self.rows[sample], q), upper, self._bound[sample]):
                logger.warning("OpenVINO's int8 scores of search snapshot %s break their error bound: searching "
                               "its float32 rows", self.stem)
                return
            self._request = request
            self.ready_after = time.perf_counter() - self._opened
            logger.debug("int8 scorer of %s ready after %.2f s", self.stem, self.ready_after)
        except Exception as exc:  # OpenVINO failing to compile must not take searching down: float32 rows remain
            logger.warning("cannot compile the int8 rows of search snapshot %s (%s: %s): searching its float32 rows",
                           self.stem, type(exc).__name__, exc)
            logger.debug("int8 compile failure", exc_info=True)
            self._request = None
        finally:
            self._done.set()

    def _checksum(self) -> int:
        crc = 0
        for start in range(0, len(self._q), 65536):
            crc = zlib.crc32(self._q[start:start + 65536].data, crc)
        return crc

    def _compile(self):
        """OpenVINO graph: approximate scores plus bias; outputs their upper bounds and the top k lower bounds."""
        import openvino as ov
        import openvino.opset13 as ops
        n, dim = self._q.shape
        query = ops.parameter([1, dim], ov.Type.f32, name="query")
        bias = ops.parameter([1, n], ov.Type.f32, name="bias")
        k = ops.parameter([], ov.Type.i64, name="k")
        weights = ops.multiply(ops.convert(ops.constant(self._q, shared_memory=True), ov.Type.f32),
                               ops.constant(self._scale[:, None], shared_memory=True))
        approx = ops.add(ops.matmul(query, weights, False, True), bias)
        bound = ops.constant(self._bound[None, :], shared_memory=True)
        lowest = ops.topk(ops.subtract(approx, bound), k, 1, "max", "value", ov.Type.i32)
        model = ov.Model([ops.add(approx, bound).output(0), lowest.output(0)], [query, bias, k], "int8-scores")
        return ov.Core().compile_model(model, "CPU", CONFIG).create_infer_request()


def _bounded(exact: np.ndarray, upper: np.ndarray, bound: np.ndarray) -> bool:
    """Whether exact scores lie within their bounds ``[upper - 2 bound, upper]``."""
    return bool(np.all(exact <= upper) and np.all(exact >= upper - 2 * bound))
