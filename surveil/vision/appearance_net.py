"""The backbone part of the appearance vector as one net, run on OpenVINO where it is installed, else on torch.

``band_net`` wraps the first YOLO layers into one torch module that takes the resized crops as they
are (uint8 BGR, height x width x 3) and returns the feature map's mean over each horizontal band,
each band normalised: the channel flip, the scaling and the pooling run inside the graph, not as
numpy steps around it.

OpenVINO runs that module converted in memory (no file is read or written) and compiled once per
encoder for each batch size in ``SIZES`` (the 1 to 8 crops tracking asks for in one call), since a
fixed shape runs about a fifth faster than a dynamic batch or than chunks of other sizes; a larger
batch goes through in chunks of those (19 crops: 8 + 8 + 3). Each call runs on the calling thread
alone (one inference thread, a latency hint, no pinning): the callers are analysis threads sharing
a couple of cores with capture and detection, where a pool of waiting worker threads costs more
than it gives. The precision is pinned to float32, which the CPU plugin would otherwise lower to
bfloat16 on processors that have it, leaving the vector space; the compiled net must also match
torch's output on a test batch, or torch runs instead.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from collections.abc import Callable

import numpy as np

logger = logging.getLogger(__name__)

Forward = Callable[[np.ndarray], np.ndarray]

SIZES = tuple(range(8, 0, -1))  # batch sizes compiled, largest first
CONFIG = {
    "INFERENCE_NUM_THREADS": 1,
    "PERFORMANCE_HINT": "LATENCY",
    "INFERENCE_PRECISION_HINT": "f32",
    "ENABLE_CPU_PINNING": False,  # the cores are shared with capture, detection and the other cameras
}
ATOL = 1e-4  # largest difference from torch's band vectors allowed of OpenVINO's on the test batch


def band_net(layers: list, input_hw: tuple[int, int], bands: int):
    """The torch module: (n, h, w, 3) uint8 BGR crops to (n, bands * channels) float32, each band unit length."""
    return _band_net_class()(layers, input_hw, bands).eval()


@functools.cache
def _band_net_class() -> type:
    import torch

    class BandNet(torch.nn.Module):
        """The layers, then the map's mean over each band, normalised: one graph for torch and OpenVINO alike."""

        def __init__(self, layers: list, input_hw: tuple[int, int], bands: int):
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)
            with torch.inference_mode():
                rows = run_layers(layers, torch.zeros(1, 3, *input_hw)).shape[2]
            edges = np.linspace(0, rows, bands + 1).round().astype(int).tolist()
            self.bands = [(a, max(b, a + 1)) for a, b in zip(edges, edges[1:], strict=False)]

        def forward(self, x):
            x = x.flip(3).permute(0, 3, 1, 2).float() / 255  # the model was trained on RGB
            fmap = run_layers(list(self.layers), x)
            means = [fmap[:, :, a:b].mean(dim=(2, 3)) for a, b in self.bands]
            return torch.cat([torch.nn.functional.normalize(m, dim=1, eps=1e-12) for m in means], dim=1)

    return BandNet


def run_layers(layers: list, x):
    """Forward through the layers, following each one's ``f`` (from) index as ultralytics does."""
    outputs = []
    for layer in layers:
        if layer.f != -1:
            x = outputs[layer.f] if isinstance(layer.f, int) else [x if j == -1 else outputs[j] for j in layer.f]
        x = layer(x)
        outputs.append(x)
    return x


def fastest_forward(net, input_hw: tuple[int, int], openvino: bool = True) -> tuple[Forward, str]:
    """``net`` as a function of a uint8 batch, and its backend: "openvino" where allowed and able, else "torch"."""
    on_torch = functools.partial(torch_forward, net)
    compiled = compile_openvino(net, input_hw) if openvino else None
    if compiled is None:
        return on_torch, "torch"
    probe = np.random.default_rng(0).integers(0, 256, (3, *input_hw, 3), dtype=np.uint8)
    gap = float(np.abs(compiled(probe) - on_torch(probe)).max())
    if gap > ATOL:
        logger.warning("OpenVINO's appearance vectors differ from torch's by %.2g: using torch", gap)
        return on_torch, "torch"
    return compiled, "openvino"


def torch_forward(net, batch: np.ndarray) -> np.ndarray:
    """``net`` on a uint8 batch, through torch (the array is shared, not copied)."""
    import torch

    with torch.inference_mode():
        return net(torch.from_numpy(batch)).numpy()


def compile_openvino(net, input_hw: tuple[int, int]) -> ChunkedRunner | None:
    """``net`` compiled by OpenVINO for each of ``SIZES``.

    None where openvino is not installed (an optional extra: said at debug level only) or cannot
    convert or compile the net (a warning).
    """
    try:
        import openvino as ov
    except ImportError:
        logger.debug("openvino is not installed: appearance vectors run on torch")
        return None
    import torch

    try:
        with warnings.catch_warnings():  # the converter traces the module with torch.jit, deprecated in torch
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace", category=FutureWarning)
            model = ov.convert_model(net, example_input=torch.zeros((1, *input_hw, 3), dtype=torch.uint8))
        core = ov.Core()
        compiled = {}
        for size in SIZES:
            fixed = model.clone()
            fixed.reshape([size, *input_hw, 3])
            compiled[size] = core.compile_model(fixed, "CPU", CONFIG)
    except Exception as exc:  # conversion raises many kinds for layers it does not know
        logger.warning("the appearance net cannot run on OpenVINO (%s): using torch", " ".join(str(exc).split())[:300])
        return None
    return ChunkedRunner(compiled)


def chunks(n: int, sizes: tuple[int, ...] = SIZES) -> list[int]:
    """``n`` as a sum of ``sizes`` (largest first, the last of them 1), taking each as often as it fits."""
    out = []
    for size in sizes:
        count, n = divmod(n, size)
        out += [size] * count
    return out


class ChunkedRunner:
    """Runs a batch through models compiled for fixed batch sizes, with infer requests of its own per thread.

    An infer request serves one call at a time, so each calling thread makes its own, one per batch
    size it meets, on first use (each holds the buffers of its size: about 1 MB for 8 crops).
    """

    def __init__(self, compiled: dict):
        self._compiled = compiled
        self._local = threading.local()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """The outputs of a C-contiguous batch of any size, in order."""
        out, start = [], 0
        for size in chunks(len(batch), tuple(self._compiled)):
            out.append(self._request(size).infer({0: batch[start:start + size]}, share_inputs=True)[0])
            start += size
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _request(self, size: int):
        requests = self._local.__dict__.setdefault("requests", {})
        if size not in requests:
            requests[size] = self._compiled[size].create_infer_request()
        return requests[size]
