"""`surveil --attach`: a window on a real running service; closing it leaves the service recording."""

import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from service_helpers import service_url, start_service, stop_service  # noqa: E402

from surveil.paths import app_paths  # noqa: E402
from surveil.service.client import ApiClient  # noqa: E402
from surveil.service.discovery import api_token  # noqa: E402
from surveil.service.remote import RemoteLink  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

pytestmark = pytest.mark.slow


def _recorded(config_path) -> int:
    return sum(1 for p in (config_path.parent / "recordings").rglob("*") if p.is_file())


def test_an_attached_window_shows_the_service_and_closing_it_leaves_the_service_recording(qtbot, tmp_path, request):
    home = tmp_path / "service"
    config_path, proc, log = start_service(home)
    try:
        url = service_url(config_path, proc)
        paths = app_paths({"SURVEIL_HOME": str(home)})
        link = RemoteLink.connect(url, paths)
        request.addfinalizer(link.close)
        window = MainWindow(link, QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
                            title=f"surveil — attached to {link.where}")
        qtbot.addWidget(window)
        window.show()
        assert set(window.wall.tiles) == {"walkway"}
        tile = window.wall.tiles["walkway"]
        qtbot.waitUntil(lambda: tile.view is not None, timeout=60_000)  # live frames over the API
        assert tile.view.image.shape[1] == 480 and tile.view.camera_id == "walkway"
        qtbot.waitUntil(lambda: window.alerts.list.count() >= 1, timeout=90_000)  # an alert the service raised
        assert "walkway" in window.alerts.list.item(0).text()
        assert url in window.windowTitle()
        window.close()

        client = ApiClient(url, api_token(paths.config_dir, create=False))
        frames, files = client.get("/api/health")["cameras"]["walkway"]["frames_read"], _recorded(config_path)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _recorded(config_path) <= files:
            time.sleep(0.5)
        assert proc.poll() is None, "the service outlives the window"
        assert client.get("/api/health")["cameras"]["walkway"]["frames_read"] > frames
        assert _recorded(config_path) > files, "a new recording segment after the window closed"
        client.close()
    finally:
        assert stop_service(proc, log) == 0
