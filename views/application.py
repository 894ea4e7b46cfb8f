"""Starting the GUI: one instance, the core services, the window and its helpers."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QMenu

from app import APP_ID, APP_NAME, __version__, crash
from app.core import AppCore
from app.credentials import redaction
from app.logsetup import configure_logging
from app.paths import DataPaths, data_paths
from app.runtime.location import RuntimeStatus
from app.single_instance import SingleInstance, send_message
from app.tasks import run_task
from views.crash_dialog import ErrorPresenter, show_user_error
from views.first_frame import FirstFrameWatcher, process_start_time
from views.icons import app_icon
from views.jobs.tray import RunningJobsMenu
from views.main_window import MainWindow
from views.notifications import NotificationPresenter
from views.panes import PANE_KEYS
from views.platform_check import report_missing_libraries
from views.theme import ThemeController

log = logging.getLogger(__name__)

SMOKE_DATABASE_TIMEOUT_MS = 60_000
QUIT_WAIT_MS = 5_000
"""How long quitting waits for cancelled background tasks to end."""


def ensure_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        # X11 names the window's class after argv[0]: the desktop file's StartupWMClass
        # (sparktrainer) then matches however the app was started (python main.py too).
        app = QApplication(argv if argv is not None else [APP_ID])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    return app


class GuiSession(QObject):
    """Everything the running GUI owns; tests build one directly, `run_gui` from argv."""

    def __init__(
        self,
        app: QApplication,
        paths: DataPaths,
        *,
        verbose: bool = False,
        offer_runtime: bool = True,
    ) -> None:
        super().__init__()
        self.app = app
        self.paths = paths
        self._verbose = verbose
        self.offer_runtime = offer_runtime
        self.instance = SingleInstance(paths.root, self)
        self.core: AppCore | None = None
        self.window: MainWindow | None = None
        self.first_frame: FirstFrameWatcher | None = None

    def start(self) -> bool:
        """Build and show the window; False when another instance runs (it was told)."""
        if not self.instance.acquire():
            return False
        configure_logging(self.paths.app_log, stderr=self._verbose)
        redaction.install()
        self.errors = ErrorPresenter(self.paths.app_log, self)
        crash.install(self.paths.crash_log)
        crash.set_presenter(self.errors.present)

        core = self.core = AppCore(self.paths, self)
        self.theme = ThemeController(self.app, core.settings)
        window = self.window = MainWindow(core)
        self.errors.window = window
        window.theme_toggle_requested.connect(self.theme.toggle)
        tray_menu = QMenu(window)
        tray_menu.addAction(f"Show {APP_NAME}", window.bring_to_front)
        tray_menu.addAction("Quit", window.close)
        self.tray_jobs = RunningJobsMenu(
            tray_menu,
            lambda: core.jobs.running_jobs() if core.has_jobs else [],
            self._open_job,
        )
        self.notifications = NotificationPresenter(
            window, core.notifications, core.settings, tray_menu
        )
        window.statusBar().addPermanentWidget(self.notifications.bell)
        self.instance.message_received.connect(self._on_instance_message)
        core.database_failed.connect(self._on_database_failed)
        core.database_ready.connect(self.notifications.reload)
        core.database_ready.connect(self._start_jobs)
        self.instance.handler = self._answer
        core.database_ready.connect(
            lambda: window.status_label.setText(f"Ready · data in {self.paths.root}")
        )
        window.status_label.setText("Opening the database…")

        self.first_frame = FirstFrameWatcher(window)
        # The database opens after the first frame: the window appears as fast as Qt allows.
        self.first_frame.painted.connect(lambda _t: core.open_database_async())
        self.first_frame.painted.connect(lambda _t: core.start_hardware())
        self.first_frame.painted.connect(lambda _t: core.probe_credentials_async())
        if self.offer_runtime:
            self.first_frame.painted.connect(lambda _t: self._offer_runtime())
        window.show()
        return True

    def _offer_runtime(self) -> None:
        """A build without PyTorch asks to set it up once the window is up (never modal
        over the first frame); Later leaves it to Hardware ▸ Install PyTorch…"""
        from app.runtime.service import current_status

        def offer(status: RuntimeStatus) -> None:
            if status.ready or self.window is None:
                return
            from views.runtime.dialog import RuntimeDialog

            dialog = RuntimeDialog(parent=self.window)
            dialog.open()
            if dialog.offline_bundle:  # nothing to choose or download: unpack it now
                dialog.start()

        run_task(lambda _s: current_status(), on_done=offer, context=self)

    def _start_jobs(self) -> None:
        """The queue runs from the start (and engines left running are reattached)."""
        # What start-up made (modules, Qt wrappers, the ORM's metadata) lives as long as
        # the app: frozen, Python's full collections skip it. Without this, catching up
        # with a backlog paused the window ~100 ms every 2 s in gen-2 collections alone
        # (measured by the ingestion benchmark; worst lateness 111 ms → 21 ms).
        gc.freeze()
        if self.core is not None:  # None: the session closed while the database opened
            # A job needing a token from a locked store: the window asks once, off the
            # scheduler's call (a dialog there would run the scheduler inside itself).
            self.core.jobs.secrets.ask = lambda: QTimer.singleShot(0, self._ask_for_secret)

    def _ask_for_secret(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        from app.errors import UserError

        core = self.core
        if core is None:
            return
        passphrase, ok = QInputDialog.getText(
            self.window,
            "Secret store",
            "A queued job needs a token from the encrypted secret store.\n"
            "Passphrase of the secret store:",
            QLineEdit.EchoMode.Password,
        )
        if not ok or not passphrase:
            core.jobs.secret_refused(
                UserError(
                    "The job needs a token from the secret store, which stayed locked.",
                    "Unlock it in Settings → Accounts and tokens, then retry the job.",
                )
            )
            return
        credentials = core.credentials

        def refused(error: BaseException, _text: str) -> None:
            if isinstance(error, UserError):
                core.jobs.secret_refused(error)
                show_user_error(self.window, error, "Secret store")

        run_task(  # scrypt takes a moment: not on the GUI thread
            lambda _s: credentials.unlock(passphrase),
            on_done=lambda _r: core.jobs.secret_ready(),
            on_error=refused,
            context=self,
        )

    def _open_job(self, job_id: str) -> None:
        """From the tray: bring the window up on the job."""
        if self.window is None:
            return
        self.window.bring_to_front()
        pane = self.window.show_pane("jobs")
        pane.select_job(job_id)

    def _answer(self, message: dict[str, Any]) -> Any:
        """`job …` from a terminal: the window's scheduler does it (DESIGN.md §1)."""
        from app.jobs.remote import handle_message

        core = self.core
        service = core.jobs if core is not None and core.has_jobs else None
        return handle_message(service, message, later=True)

    def close(self) -> bool:
        """Close the window and the core; False when some thread would not end in time
        (a call stuck in a driver or D-Bus): the process must then exit without it."""
        stop_jobs = False
        clean = True
        if self.window is not None:
            self.window.stop_jobs_on_quit_decided = True  # asked already, or not asked at all
            self.window.close()
            stop_jobs = self.window.stop_jobs_on_quit
            self.window.deleteLater()
            self.window = None
        if self.core is not None:
            clean = self.core.shutdown(stop_jobs=stop_jobs, wait_ms=QUIT_WAIT_MS)
            self.core = None
        crash.set_presenter(None)
        self.instance.release()
        return clean

    def _on_instance_message(self, message: dict) -> None:
        log.info("Message from another launch: %s", message.get("command"))
        if message.get("command") == "activate" and self.window is not None:
            self.window.bring_to_front()

    def _on_database_failed(self, text: str) -> None:
        from app.errors import UserError

        if self.window is not None:
            self.window.status_label.setText("The database could not be opened")
        show_user_error(self.window, UserError(text), "Database problem")


class SmokeTour(QObject):
    """`--smoke-test`: first frame, every pane, database ready; then exit with a verdict."""

    def __init__(self, session: GuiSession) -> None:
        super().__init__(session)
        self._session = session
        self.failures: list[str] = []
        assert session.first_frame is not None and session.core is not None
        session.errors.present = self._on_error  # type: ignore[method-assign]
        crash.set_presenter(self._on_error)
        session.first_frame.painted.connect(self._on_first_frame)
        session.core.database_failed.connect(lambda text: self.failures.append(text))

    def _on_error(self, error: BaseException, details: str) -> None:
        self.failures.append(details)
        print(details, file=sys.stderr)

    def _on_first_frame(self, painted_at: float) -> None:
        elapsed_ms = (painted_at - process_start_time()) * 1000
        print(f"first frame: {elapsed_ms:.0f} ms after process start", flush=True)
        window = self._session.window
        assert window is not None
        for key in PANE_KEYS:
            window.show_pane(key)
            window.grab()  # paints the pane now, so a broken paint fails here
        print(f"panes visited: {', '.join(PANE_KEYS)}", flush=True)
        core = self._session.core
        assert core is not None
        core.when_database_ready(lambda _db: self._finish())
        self._deadline = QTimer(self, singleShot=True, interval=SMOKE_DATABASE_TIMEOUT_MS)
        self._deadline.timeout.connect(lambda: self._finish("the database did not open in time"))
        self._deadline.start()
        core.database_failed.connect(lambda _t: self._finish())

    def _finish(self, failure: str = "") -> None:
        if failure:
            self.failures.append(failure)
        print("database: " + ("failed" if self.failures else "ok"), flush=True)
        self._session.app.exit(1 if self.failures else 0)


def run_gui(args: argparse.Namespace) -> int:
    if report_missing_libraries():
        return 1
    paths = data_paths()
    started = time.time()
    app = ensure_application()
    session = GuiSession(app, paths, verbose=args.verbose, offer_runtime=not args.smoke_test)
    if not session.start():
        if send_message(session.instance.name, {"command": "activate"}):
            print(f"{APP_NAME} is already running; its window was brought to the front.")
            return 0
        print(
            f"Another {APP_NAME} holds {paths.lock_file} but does not answer. "
            "If it hangs, end it and start again.",
            file=sys.stderr,
        )
        return 1
    log.info(
        "%s %s started in %.0f ms (data: %s)",
        APP_NAME,
        __version__,
        (time.time() - started) * 1000,
        paths.root,
    )
    if args.smoke_test:
        SmokeTour(session)
    code = 1
    try:
        code = app.exec()
    finally:
        if not session.close():
            # A worker stuck in a library call would hold the interpreter's exit for ever
            # (Qt waits for pool threads at teardown). Everything of ours is saved: the
            # database is closed and engines run on by themselves; leave now.
            log.warning("Leaving without waiting for background threads that did not end")
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return code
