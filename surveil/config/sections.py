"""Configuration for models, storage and recording.

The vision, store and media issues grow these sections; each field keeps a title
and description because the settings dialog shows them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field

from surveil.schema import StrictModel


class DetectorConfig(StrictModel):
    """The object detector."""

    weights: str = Field(
        "yolo11n.pt", title="Detector weights",
        description="A path to YOLO weights (.pt) or an OpenVINO export folder, or a file name looked up "
        "in the model cache and then in the bundled resources.",
    )
    runtime: Literal["auto", "torch", "openvino"] = Field(
        "auto", title="Runtime for .pt weights",
        description="'auto' runs .pt weights on OpenVINO when it is installed and the device is the CPU "
                    "(converted once into the model cache: about half the CPU of torch), else on torch. "
                    "An OpenVINO export folder always runs on OpenVINO.",
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
    pack_frames: bool = Field(
        True, title="Two cameras per call",
        description="With a fixed square input (an OpenVINO export with a static shape), two wide frames from "
                    "different cameras share one detector call, each at 88 % of its own scale: half the "
                    "detection work. A free input shape (torch, a converted .pt) batches frames instead.",
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
    appearance: bool = Field(
        True, title="Appearance vectors",
        description="Describe every object with the bundled detector's pretrained features, so find-similar and "
        "the operator's false alarm / correct marks work without CLIP (a few ms per object on a CPU).",
    )


class StorageConfig(StrictModel):
    """The embedded event store and how long things are kept."""

    path: Path | None = Field(
        None, title="Store folder",
        description="Folder of the RocksDB event store; empty means 'store' in the data folder.",
    )
    retention_days: float = Field(
        30, gt=0, le=3650, title="Keep events (days)",
        description="Events (with their clips) older than this are purged; locked events are kept. "
        "A camera's event_days overrides it.",
    )
    recording_days: float = Field(
        7, gt=0, le=3650, title="Keep recordings (days)",
        description="Recording segments older than this are purged, except where they overlap a locked event. "
        "A camera's recording_days overrides it.",
    )
    max_size_gb: float = Field(
        50.0, gt=0, title="Maximum size (GB)",
        description="Recordings, clips and the store together stay under this: past 85 % the oldest recordings "
        "and events go first, down to 75 %. A warning comes at 80 %.",
    )
    min_free_gb: float = Field(
        1.0, ge=0, title="Emergency free-space floor (GB)",
        description="When the disk's free space falls under this, the oldest recordings are purged at once "
        "(audited and logged like any purge), whatever their age.",
    )
    retention_every_s: float = Field(
        300, ge=10, le=86400, title="Retention interval (s)",
        description="How often the running engine applies retention; it also runs at once when a limit is reached.",
    )


class RecordingConfig(StrictModel):
    """Continuous recording of each camera's own stream, and event clips cut from it."""

    folder: Path | None = Field(
        None, title="Recordings folder",
        description="Where recording segments are written; empty means 'recordings' in the data folder.",
    )
    clips_dir: Path | None = Field(
        None, title="Clips folder",
        description="Where event clips (cuts of the recording) are written; empty means 'clips' in the data folder.",
    )
    segment_s: float = Field(
        10.0, ge=2, le=60, title="Segment length (s)",
        description="A segment closes at the first keyframe after this many seconds (a camera that sends "
        "keyframes rarely makes longer segments).",
    )
    pre_roll_s: float = Field(
        5.0, ge=0, le=60, title="Pre-roll (s)", description="Seconds of video kept before an event starts.",
    )
    post_roll_s: float = Field(
        5.0, ge=0, le=120, title="Post-roll (s)", description="Seconds of video kept after an event ends.",
    )


class ServiceConfig(StrictModel):
    """The engine's local API: the CLI and attached windows reach a running engine through it."""

    enabled: bool = Field(
        True, title="Serve the local API",
        description="While the engine runs, serve its API so that the CLI and other windows use it "
        "instead of the store (which only one process may open for writing).",
    )
    host: str = Field(
        "127.0.0.1", title="Listen address",
        description="Address the API listens on; 127.0.0.1 keeps it on this machine. Every request needs the "
        "token kept in the config folder (api-token, readable by its owner only).",
    )
    port: int = Field(
        8765, ge=0, le=65535, title="Port", description="TCP port of the API; 0 picks a free one.",
    )


class MqttConfig(StrictModel):
    """Publishing alerts, their end, camera status and availability to an MQTT broker."""

    enabled: bool = Field(False, title="Publish to MQTT", description="Publish to the broker below.")
    host: str = Field("127.0.0.1", title="Broker host", description="Host name or address of the MQTT broker.")
    port: int = Field(1883, ge=1, le=65535, title="Broker port", description="TCP port of the broker.")
    username: str | None = Field(None, title="User name", description="Broker user name; empty for none.")
    password: str | None = Field(None, title="Password", description="Broker password; empty for none.")
    topic_prefix: str = Field(
        "surveil", min_length=1, title="Topic prefix",
        description="Every topic starts with this (surveil/events, surveil/available, surveil/<camera>/status).",
    )
    client_id: str | None = Field(
        None, title="Client id", description="MQTT client id; empty means surveil-<host name>.",
    )


class NightConfig(StrictModel):
    """The hours the words "at night" and "by day" in a rule's prompt stand for, in the configured time zone."""

    start: dt.time = Field(dt.time(20, 0), title="Night from", description="When night begins (HH:MM).")
    end: dt.time = Field(dt.time(6, 0), title="Night until", description="When night ends (HH:MM), the next morning.")
