"""Publishing the engine's notices to an MQTT broker, in the topic layout Home Assistant users know from Frigate.

``<p>`` is ``mqtt.topic_prefix``; camera ids are used as they are, rule names as ``rule_level`` makes them:

- ``<p>/available``: ``online`` while connected; ``offline`` on a clean stop and as the will (retained).
- ``<p>/events``: ``{"type": "new" | "end", "event": <the stored event>}`` when an alert starts or ends (QoS 1).
- ``<p>/<camera>/status``: the camera's state (``live``, ``reconnecting``, ...); ``<p>/<camera>/status/detail``:
  ``{"state", "reason", "retry_at", "message"}`` (both retained).
- ``<p>/<camera>/<rule>``: ``ON`` while an alert of the rule is open on the camera, else ``OFF`` (retained).
- ``<p>/notices``: every other notice as JSON ``{"time", "kind", "message", "camera", "detail"}``.

When a camera is removed (or renamed) or a rule removed, its retained topics are cleared on the
broker (an empty retained message), so Home Assistant does not keep showing what no longer exists;
an alert that ends after its rule went does not bring the topic back.

The engine calls ``notice()`` on its own threads and it only queues (bounded; a full queue counts a
drop). One thread turns notices into messages; paho's network thread connects, reconnects (1 s
doubling to 30 s) and sends the QoS 1 events kept while the broker was away (bounded too). Retained
state is not queued but republished whole on every connect, so a restarted broker is current at once.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import socket
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.watch import Watch
from surveil.redact import mask_credentials
from surveil.store.records import EventRecord, event_json

logger = logging.getLogger(__name__)

_OWN_KINDS = ("mqtt_up", "mqtt_down")  # announced by this publisher; the broker hears them by their effect
_ALERT_KINDS = ("alert_started", "alert_ended")
_RESERVED = {"status"}  # a rule's level must not take the camera's status topic


def rule_level(name: str) -> str:
    """A rule name as one topic level: lower case, runs of anything but letters, digits, '-' and '_' as '_'."""
    level = re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_") or "rule"
    return f"{level}_rule" if level in _RESERVED else level


def _level(text: str) -> str:
    return re.sub(r"[+#/\x00]", "_", text)


class MqttPublisher:
    """An engine part: start(), stop(), and notice() for every engine notice."""

    def __init__(self, config: SurveilConfig, notify: Callable[[EngineNotice], None] | None = None,
                 watch: Watch | None = None, lookup_event: Callable[[str], EventRecord | None] | None = None,
                 capacity: int = 1000, broker_queue: int = 1000, reconnect_s: tuple[float, float] = (1, 30),
                 config_now: Callable[[], SurveilConfig] | None = None):
        settings = config.mqtt
        self._config_now = config_now  # the engine's configuration after a change: new pairs start OFF
        self.prefix = "/".join(_level(part) for part in settings.topic_prefix.strip("/").split("/"))
        self.broker = mask_credentials(f"{settings.host}:{settings.port}")
        self._settings, self._notify, self._watch, self._lookup_event = settings, notify, watch, lookup_event
        self._queue: queue.Queue = queue.Queue(capacity)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connected = False
        self._up: bool | None = None  # None until the first try: each change is logged and announced once
        self._open: dict[str, EventRecord] = {}  # open alerts by event id (worker thread only)
        self._gone: set[str] = set()  # retained topics of removed cameras and rules: cleared on every connect
        self._retained = dict.fromkeys(self._rule_topics(config), "OFF")  # known from the start: no stale ON
        self.published = self.dropped = 0
        self._client = self._make_client(settings.client_id or f"surveil-{socket.gethostname()}", broker_queue,
                                         reconnect_s)

    def _make_client(self, client_id: str, broker_queue: int, reconnect_s: tuple[float, float]) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if self._settings.username:
            client.username_pw_set(self._settings.username, self._settings.password or None)
        client.will_set(self._topic("available"), "offline", qos=1, retain=True)
        client.reconnect_delay_set(*reconnect_s)
        client.max_queued_messages_set(broker_queue)
        client.on_connect, client.on_disconnect = self._on_connect, self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        return client

    # -- lifecycle (engine thread) ---------------------------------------------------------------

    def start(self) -> None:
        """Start the publishing thread and paho's network loop; the first connect happens in the background."""
        body = self._watch.target("mqtt", self._run, self._stopping.is_set) if self._watch else self._run
        self._thread = threading.Thread(target=body, name="mqtt", daemon=True)
        self._thread.start()
        self._client.connect_async(self._settings.host, self._settings.port, keepalive=30)
        self._client.loop_start()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish what is queued, then ``offline``, and disconnect; bounded by ``timeout`` (plus the goodbye)."""
        self._stopping.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:  # the thread ends when it has emptied the queue
            pass
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            connected = self._connected
        if connected:
            info = self._client.publish(self._topic("available"), "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError):  # the connection went meanwhile: the will says offline
                pass
        self._client.disconnect()
        self._client.loop_stop()

    def notice(self, notice: EngineNotice) -> None:
        """Any engine thread: queue the notice; never blocks."""
        if notice.kind in _OWN_KINDS or self._stopping.is_set():
            return
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 100 == 1:
                logger.warning("MQTT queue full: %d notice(s) dropped", self.dropped)

    def status(self) -> dict:
        """For health: connected, messages handed to paho, drops, and what waits in the queue."""
        return {"connected": self._connected, "published": self.published, "dropped": self.dropped,
                "queued": self._queue.qsize()}

    # -- the publishing thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            if notice.kind in _ALERT_KINDS:
                self._alert(notice)
            else:
                if notice.kind == "camera_status" and notice.camera_id:
                    self._camera_status(notice)
                self._follow_config(notice)
                self._publish(self._topic("notices"), {
                    "time": round(time.time(), 3), "kind": notice.kind, "message": mask_credentials(notice.message),
                    "camera": notice.camera_id, "detail": notice.detail}, qos=0)
            if self._stopping.is_set() and self._queue.empty():  # its end marker may not have fitted
                return

    def _alert(self, notice: EngineNotice) -> None:
        started = notice.kind == "alert_started"
        event_id = notice.record.event_id if notice.record is not None else notice.detail.get("event_id")
        record = notice.record or self._lookup(event_id) or self._open.get(event_id)
        if record is None:
            logger.debug("MQTT: %s without a known event (%s)", notice.kind, event_id)
            return
        if started:
            self._open[record.event_id] = record
        else:
            self._open.pop(record.event_id, None)
        self._publish(self._topic("events"), {"type": "new" if started else "end", "event": event_json(record)},
                      qos=1)
        still_open = any(r.camera_id == record.camera_id and r.rule == record.rule for r in self._open.values())
        topic = self._rule_topic(record.camera_id, record.rule)
        if started or topic not in self._gone:  # an end after its rule or camera went leaves the topic cleared
            self._state(topic, "ON" if still_open else "OFF")

    def _follow_config(self, notice: EngineNotice) -> None:
        """Clear the retained topics of a removed camera or rule; new pairs start ``OFF``.

        A camera added again publishes its status; a removed rule's topic comes back when the rule
        does (``_state`` un-clears what it sets).
        """
        subject, replaces = notice.detail.get("subject"), notice.detail.get("replaces")
        if not isinstance(subject, str):
            return
        if notice.kind == "camera_removed" or (notice.kind == "camera_updated" and replaces not in (None, subject)):
            self._forget(lambda levels: levels[0] == _level(replaces or subject))
        elif notice.kind == "rule_removed":
            self._forget(lambda levels: len(levels) == 2 and levels[1] == rule_level(subject))
        if notice.kind in ("camera_added", "camera_updated"):  # a camera of that id again: its status is live
            with self._lock:
                self._gone = {t for t in self._gone if self._levels(t)[:2] != [_level(subject), "status"]}
        if notice.kind in ("camera_added", "camera_updated", "rule_changed"):
            self._start_off()

    def _rule_topics(self, config: SurveilConfig) -> list[str]:
        """The ``<camera>/<rule>`` topic of every enabled rule and camera it watches."""
        cameras = [camera.id for camera in config.cameras]
        return [self._rule_topic(camera, rule.name) for rule in config.rules if rule.enabled
                for camera in rule.cameras or cameras]

    def _start_off(self) -> None:
        """Give the rule topics a camera or rule change brought an ``OFF``, as configured pairs have from the start."""
        if self._config_now is None:
            return
        for topic in self._rule_topics(self._config_now()):
            with self._lock:
                known = topic in self._retained
            if not known:
                self._state(topic, "OFF")

    def _forget(self, matches: Callable[[list[str]], bool]) -> None:
        """Drop the retained topics whose levels (below the prefix) match, and clear them on the broker."""
        with self._lock:
            topics = [t for t in self._retained if matches(self._levels(t))]
            for topic in topics:
                del self._retained[topic]
                self._gone.add(topic)
                if self._connected:
                    self._client.publish(topic, "", qos=0, retain=True)
        if topics:
            logger.info("MQTT: cleared %d retained topic(s): %s", len(topics), ", ".join(topics))

    def _levels(self, topic: str) -> list[str]:
        return topic[len(self.prefix) + 1:].split("/")

    def _camera_status(self, notice: EngineNotice) -> None:
        detail, camera = notice.detail, _level(notice.camera_id)
        if self._topic(camera, "status") in self._gone:  # a capture thread's last word after its camera went
            return
        self._state(self._topic(camera, "status"), str(detail.get("state") or "unknown"))
        self._state(self._topic(camera, "status", "detail"), json.dumps({
            "state": detail.get("state"), "reason": mask_credentials(str(detail.get("reason") or "")) or None,
            "retry_at": detail.get("retry_at"), "message": mask_credentials(notice.message)}, default=str))

    def _lookup(self, event_id: str | None) -> EventRecord | None:
        if self._lookup_event is None or not event_id:
            return None
        try:
            return self._lookup_event(event_id)
        except Exception as exc:  # the store is being reopened or closed: the remembered start will do
            logger.debug("MQTT: event %s not read: %s", event_id, exc)
            return None

    def _publish(self, topic: str, payload: dict, qos: int) -> None:
        info = self._client.publish(topic, json.dumps(payload, default=str), qos=qos)
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:  # the broker has been away long: paho's queue is full
            self.dropped += 1
            if self.dropped % 100 == 1:
                logger.warning("MQTT: broker away and its queue full: %d message(s) dropped", self.dropped)
        elif qos or info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:  # QoS 1 is kept for the reconnect
            self.published += 1

    def _state(self, topic: str, payload: str) -> None:
        """Retained state: remembered, and sent now only if connected (every connect sends it all)."""
        with self._lock:
            if self._retained.get(topic) == payload and self._connected:
                return
            self._retained[topic] = payload
            self._gone.discard(topic)
            if self._connected:
                self._client.publish(topic, payload, qos=0, retain=True)

    def _topic(self, *levels: str) -> str:
        return "/".join((self.prefix, *levels))

    def _rule_topic(self, camera_id: str, rule: str) -> str:
        return self._topic(_level(camera_id), rule_level(rule))

    # -- paho's network thread ---------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._went(False, f"refused: {reason_code}")
            return
        with self._lock:  # under the lock: no newer state can slip in before this older one
            self._connected = True
            client.publish(self._topic("available"), "online", qos=1, retain=True)
            for topic, payload in self._retained.items():
                client.publish(topic, payload, qos=0, retain=True)
            for topic in self._gone:  # removed while the broker was away: it may still hold them
                client.publish(topic, "", qos=0, retain=True)
        self._went(True, "")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._lock:
            self._connected = False
        if not self._stopping.is_set():
            self._went(False, f"lost: {reason_code}")

    def _on_connect_fail(self, client, userdata) -> None:
        self._went(False, "unreachable")

    def _went(self, up: bool, reason: str) -> None:
        """Log and announce a change of connection once, not every retry."""
        with self._lock:
            if self._up is up:
                return
            self._up = up
        if up:
            message = f"MQTT broker {self.broker} connected"
            logger.info(message)
        else:
            message = f"MQTT broker {self.broker} {reason}; retrying in the background"
            logger.warning(message)
        if self._notify is not None:
            self._notify(EngineNotice("mqtt_up" if up else "mqtt_down", message,
                                      detail={"broker": self.broker, "reason": reason or None}))
