"""Configuration for models, storage and recording.

The vision, store and media issues grow these sections; each field keeps a title
and description because the settings dialog shows them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from surveil.schema import StrictModel


class DetectorConfig(StrictModel):
    """The object detector."""

    weights: str = Field(
        "yolo11n.pt", title="Detector weights",
        description="A path to YOLO weights (.pt) or an OpenVINO export folder, or a file name looked up "
        "in the model cache and then in the bundled resources.",
    )
    device: str = Field(
        "auto", title="Device",
        description="'auto' picks a GPU when one is present, else the CPU; or name one: 'cpu', 'cuda:0'.",
    )
    confidence: float = Field(
        0.35, ge=0.01, le=1.0, title="Confidence", description="Detections below this score are dropped.",
    )
    classes: list[str] = Field(
        default_factory=list, title="Classes",
        description="Class names to keep (for example person, car); empty keeps every class the model knows.",
    )
    image_size: int = Field(
        640, ge=128, le=1920, multiple_of=32, title="Input size (px)",
        description="The side of the square the detector sees; smaller is faster, larger finds small objects.",
    )


class ClipConfig(StrictModel):
    """The CLIP model that scores crops against a rule's words."""

    model: str = Field("ViT-B-32", title="CLIP architecture", description="An open_clip model name.")
    pretrained: str = Field(
        "laion2b_s34b_b79k", title="Pretrained tag",
        description="The open_clip pretrained tag to download into the model cache.",
    )
    checkpoint: Path | None = Field(
        None, title="Checkpoint file",
        description="A local checkpoint to load instead of downloading; overrides the pretrained tag.",
    )


class ModelsConfig(StrictModel):
    """Every model the engine loads."""

    detector: DetectorConfig = Field(
        default_factory=DetectorConfig, title="Detector", description="Object detection settings.",
    )
    clip: ClipConfig = Field(
        default_factory=ClipConfig, title="CLIP", description="Text-to-image matching settings.",
    )


class StorageConfig(StrictModel):
    """The embedded event store."""

    path: Path | None = Field(
        None, title="Store folder",
        description="Folder of the RocksDB event store; empty means 'store' in the data folder.",
    )
    retention_days: int = Field(
        30, ge=1, le=3650, title="Keep events (days)",
        description="Events older than this are purged (locked events are kept), and every purge is audited.",
    )
    max_size_gb: float = Field(
        50.0, gt=0, title="Maximum size (GB)",
        description="Oldest unlocked events are purged when the store and its clips grow past this size.",
    )


class RecordingConfig(StrictModel):
    """Event clips."""

    clips_dir: Path | None = Field(
        None, title="Clips folder",
        description="Where event clips are written; empty means 'clips' in the data folder.",
    )
    pre_roll_s: float = Field(
        5.0, ge=0, le=60, title="Pre-roll (s)", description="Seconds of video kept before an event starts.",
    )
    post_roll_s: float = Field(
        5.0, ge=0, le=120, title="Post-roll (s)", description="Seconds of video kept after an event ends.",
    )
    continuous: bool = Field(
        False, title="Continuous recording",
        description="Also record every camera at a low rate, with its own retention.",
    )
