"""MQTT against a real Mosquitto broker on 127.0.0.1: availability, events, retained state, a broker restart."""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from store_factory import event

from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.service.mqtt import MqttPublisher, rule_level

MOSQUITTO = shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto",) if Path(p).exists()), None)
PREFIX = "site1"


class Broker:
    """A Mosquitto on a free port that can be stopped and started again on the same port.

    Persistence is on so that the test's subscriber keeps its session across a restart and gets
    the QoS 1 messages it missed; the publisher under test must not rely on it.
    """

    def __init__(self, folder: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        # As root, mosquitto would switch to its own user, which cannot write here; as anyone else this is ignored.
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
                               f"persistence true\npersistence_location {folder}/\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "mosquitto.log", "ab")  # noqa: SIM115 -- the broker writes it while it runs
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError((self.folder / "mosquitto.log").read_text()) from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)


class Subscriber:
    """A paho client that records every message under the prefix: (topic, payload, retained)."""

    def __init__(self, port: int, client_id: str | None = None):
        persistent = client_id is not None
        self.messages: list[tuple[str, str, bool]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or "", clean_session=not persistent)
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_connect = lambda client, *_: client.subscribe(f"{PREFIX}/#", qos=1)
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, client, userdata, message) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def payloads(self, topic: str) -> list[str]:
        with self.lock:
            return [payload for t, payload, _ in self.messages if t == f"{PREFIX}/{topic}"]

    def events(self) -> list[dict]:
        return [json.loads(payload) for payload in self.payloads("events")]

    def wait(self, condition, what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                with self.lock:
                    raise AssertionError(f"waited {timeout} s for {what}; got {self.messages}")
            time.sleep(0.02)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def retained(port: int, topics: dict[str, str]) -> Subscriber:
    """A reader that connects now and must be handed ``topics`` (name: payload) as retained messages."""
    reader = Subscriber(port)
    try:
        reader.wait(lambda: all((f"{PREFIX}/{t}", p, True) in reader.messages for t, p in topics.items()),
                    f"retained {topics}")
    finally:
        reader.close()
    return reader


@pytest.fixture
def broker(tmp_path):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (Debian: apt-get install mosquitto)")
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def subscriber(broker):
    subscriber = Subscriber(broker.port, client_id="surveil-test-reader")
    subscriber.wait(lambda: subscriber.client.is_connected(), "the test's subscriber")
    time.sleep(0.1)  # its subscription is acknowledged
    yield subscriber
    subscriber.close()


def _config(port: int) -> SurveilConfig:
    return SurveilConfig.model_validate({
        "mqtt": {"enabled": True, "port": port, "topic_prefix": PREFIX},
        "cameras": [{"id": "gate", "source": "rtsp://127.0.0.1:1/none"}],
        "rules": [{"name": "Fence climber", "classes": ["person"]}],
    })


def _alert(i: int, ended: bool = False) -> EngineNotice:
    record = event(i, rule="Fence climber", end=event(i).start + 5 if ended else None)
    kind = "alert_ended" if ended else "alert_started"
    return EngineNotice(kind, f"{kind} {i}", record if not ended or i % 2 else None, "gate",
                        {"event_id": record.event_id} if ended else {})


def _status(state: str) -> EngineNotice:
    return EngineNotice("camera_status", f"gate: {state}", camera_id="gate",
                        detail={"state": state, "reason": "timed out" if state != "live" else None, "retry_at": None})


def _publisher(port: int, notices: list) -> MqttPublisher:
    records = {event(i).event_id: event(i, rule="Fence climber", end=event(i).start + 5) for i in range(10)}
    publisher = MqttPublisher(_config(port), notices.append, lookup_event=records.get, reconnect_s=(0.2, 1))
    publisher.start()
    return publisher


def test_alerts_status_and_availability_follow_the_engine(broker, subscriber):
    notices: list[EngineNotice] = []
    publisher = _publisher(broker.port, notices)
    rule = f"gate/{rule_level('Fence climber')}"
    assert rule == "gate/fence_climber"
    try:
        subscriber.wait(lambda: "online" in subscriber.payloads("available"), "online")
        retained(broker.port, {"available": "online", rule: "OFF"})  # a known state from the start
        publisher.notice(_status("live"))
        publisher.notice(_alert(1))
        subscriber.wait(lambda: subscriber.payloads(rule)[-1:] == ["ON"], "the rule ON")
        publisher.notice(_alert(1, ended=True))
        publisher.notice(_alert(2))
        publisher.notice(_alert(2, ended=True))  # no record on the notice: read from the store
        subscriber.wait(lambda: len(subscriber.events()) == 4, "four events")
        events = subscriber.events()
        assert [(e["type"], e["event"]["event_id"]) for e in events] == [
            ("new", event(1).event_id), ("end", event(1).event_id), ("new", event(2).event_id),
            ("end", event(2).event_id)]
        assert events[0]["event"]["end"] is None and events[1]["event"]["end"] == event(1).start + 5
        assert events[3]["event"]["end_utc"] is not None and events[0]["event"]["rule"] == "Fence climber"
        subscriber.wait(lambda: subscriber.payloads(rule)[-1:] == ["OFF"], "the rule OFF")
        reader = retained(broker.port, {"gate/status": "live", rule: "OFF"})
        detail = json.loads(reader.payloads("gate/status/detail")[0])
        assert detail == {"state": "live", "reason": None, "retry_at": None, "message": "gate: live"}
        assert [json.loads(p)["kind"] for p in subscriber.payloads("notices")] == ["camera_status"]
    finally:
        publisher.stop()
    subscriber.wait(lambda: subscriber.payloads("available")[-1:] == ["offline"], "offline on stop")
    retained(broker.port, {"available": "offline"})
    assert [n.kind for n in notices] == ["mqtt_up"]


def test_the_publisher_rides_out_a_broker_restart_without_blocking(broker, subscriber):
    notices: list[EngineNotice] = []
    publisher = _publisher(broker.port, notices)
    try:
        subscriber.wait(lambda: "online" in subscriber.payloads("available"), "online")
        publisher.notice(_status("live"))
        subscriber.wait(lambda: subscriber.payloads("gate/status") == ["live"], "the camera live")
        retained(broker.port, {"gate/status": "live"})
        broker.stop()
        subscriber.wait(lambda: not publisher.status()["connected"], "the publisher to see the broker go")
        slowest = 0.0
        for notice in (_status("reconnecting"), _alert(3), *[_status("reconnecting")] * 20):
            started = time.perf_counter()
            publisher.notice(notice)
            slowest = max(slowest, time.perf_counter() - started)
        assert slowest < 0.05, f"notice() blocked {slowest * 1000:.0f} ms while the broker was away"
        time.sleep(0.3)  # a retry or two fails meanwhile: announced once, not per retry
        broker.start()
        subscriber.wait(lambda: subscriber.payloads("available").count("online") >= 2, "online again", 10)
        subscriber.wait(lambda: [e["event"]["event_id"] for e in subscriber.events()] == [event(3).event_id],
                        "the alert raised while the broker was away")
        # The restarted broker kept the old retained "live": the publisher's state on reconnect replaces it.
        retained(broker.port, {"gate/status": "reconnecting", "gate/fence_climber": "ON", "available": "online"})
        publisher.notice(_alert(3, ended=True))
        subscriber.wait(lambda: [e["type"] for e in subscriber.events()] == ["new", "end"], "an alert after")
        assert publisher.status()["dropped"] == 0
    finally:
        publisher.stop()
    assert [n.kind for n in notices] == ["mqtt_up", "mqtt_down", "mqtt_up"], [n.message for n in notices]
    assert "lost" in notices[1].message and str(broker.port) in notices[1].message


class NoDetector:
    names = {0: "person"}

    def detect(self, images):
        return []


def test_an_engine_with_mqtt_enabled_publishes_every_notice(broker, subscriber, tmp_path):
    config = SurveilConfig.model_validate({
        "mqtt": {"enabled": True, "port": broker.port, "topic_prefix": PREFIX},
        "storage": {"path": str(tmp_path / "store")},
        "recording": {"folder": str(tmp_path / "recordings"), "clips_dir": str(tmp_path / "clips")},
    })
    engine = Engine(config, app_paths(), detector=NoDetector(), clip_reason="test: no CLIP")
    engine.start()
    try:
        subscriber.wait(lambda: "online" in subscriber.payloads("available"), "online")
        engine.update_rule({"name": "Fence climber", "classes": ["person"]})
        subscriber.wait(lambda: any(json.loads(p)["kind"] == "rule_changed" for p in subscriber.payloads("notices")),
                        "the rule change on <prefix>/notices")
    finally:
        engine.stop()
    subscriber.wait(lambda: subscriber.payloads("available")[-1:] == ["offline"], "offline when the engine stops")


def _change(kind: str, subject: str, replaces: str | None = None) -> EngineNotice:
    return EngineNotice(kind, f"{kind}: {subject}", detail={"subject": subject, "effects": [], "replaces": replaces})


def _retained_now(port: int) -> dict[str, str]:
    """Every retained message under the prefix a new reader is handed (it waits for availability, always held)."""
    reader = Subscriber(port)
    try:
        reader.wait(lambda: any(t == f"{PREFIX}/available" for t, _, _ in reader.messages), "availability")
        time.sleep(0.2)  # the rest of the retained set comes in the same burst
        with reader.lock:
            return {t[len(PREFIX) + 1:]: p for t, p, kept in reader.messages if kept}
    finally:
        reader.close()


def test_a_removed_rule_or_camera_leaves_no_retained_topic_behind(broker, subscriber):
    publisher = _publisher(broker.port, [])
    rule = f"gate/{rule_level('Fence climber')}"
    try:
        publisher.notice(_status("live"))
        publisher.notice(_alert(1))
        subscriber.wait(lambda: subscriber.payloads(rule)[-1:] == ["ON"] and subscriber.payloads("gate/status"),
                        "the rule ON and the camera's status")
        assert {rule: "ON", "gate/status": "live"}.items() <= _retained_now(broker.port).items()
        publisher.notice(_change("rule_removed", "Fence climber"))
        publisher.notice(_alert(1, ended=True))  # its open alert ends after the rule went
        subscriber.wait(lambda: len(subscriber.events()) == 2, "the alert's end")
        held = _retained_now(broker.port)
        assert rule not in held and held["gate/status"] == "live", held
        publisher.notice(_change("camera_updated", "yard", replaces="gate"))  # renamed
        subscriber.wait(lambda: all(subscriber.payloads(t)[-1:] == [""] for t in ("gate/status", "gate/status/detail")),
                        "the old id's status cleared")
        publisher.notice(_status("stopped"))  # the old capture thread's last word, after the rename
        publisher.notice(_alert(3, ended=True))
        subscriber.wait(lambda: len(subscriber.events()) == 3, "a later event")
        held = _retained_now(broker.port)
        assert not [t for t in held if t.startswith("gate/")], held
        publisher.notice(_change("camera_added", "gate"))
        publisher.notice(_alert(5))  # the same names again: their topics are live once more
        publisher.notice(_status("live"))
        subscriber.wait(lambda: subscriber.payloads(rule)[-1:] == ["ON"], "the re-added rule ON")
        subscriber.wait(lambda: subscriber.payloads("gate/status")[-1:] == ["live"], "the re-added camera's status")
    finally:
        publisher.stop()


def test_a_camera_added_at_run_time_has_its_rule_topics_off_at_once(broker, subscriber):
    before = _config(broker.port)
    yard = before.cameras[0].model_copy(update={"id": "yard"})
    after = before.model_copy(update={"cameras": [*before.cameras, yard]})
    current = [before]
    publisher = MqttPublisher(before, None, reconnect_s=(0.2, 1), config_now=lambda: current[0])
    publisher.start()
    try:
        retained(broker.port, {"gate/fence_climber": "OFF"})
        current[0] = after  # the engine saves the change, then announces it
        publisher.notice(_change("camera_added", "yard"))
        retained(broker.port, {"gate/fence_climber": "OFF", "yard/fence_climber": "OFF"})
    finally:
        publisher.stop()
