"""Background jobs end with the window: closing it cancels and joins them (ui/worker.py)."""

import threading
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402

from surveil.service.link import LocalLink  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.worker import Job, cancel_all_and_join, running_jobs  # noqa: E402


def _gui_jobs() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "gui-job" and t.is_alive()]


def test_closing_the_window_cancels_and_joins_its_running_jobs(qtbot, fake_engine, tmp_path):
    window = MainWindow(LocalLink(fake_engine), QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    reports, failures = [], []

    def work(job):
        for i in range(100_000):  # far longer than the test: only cancel ends it
            job.progress(i, 0)
            reports.append(i)
            time.sleep(0.01)

    job = Job(work, window.review)
    job.failed.connect(failures.append)
    job.start()
    qtbot.waitUntil(lambda: len(reports) >= 3, timeout=5000)
    assert job in running_jobs()
    window.close()
    assert not job.thread.is_alive(), "close returns once the job has ended"
    assert not _gui_jobs() and not running_jobs()
    qtbot.waitUntil(lambda: failures == ["cancelled"], timeout=2000)


def test_work_that_never_reports_progress_is_left_running_after_the_timeout(qtbot):
    release = threading.Event()
    job = Job(lambda _job: release.wait(10)).start()
    assert cancel_all_and_join(timeout=0.05) == [job]
    release.set()
    assert job.join(5) and not running_jobs()
