"""The Jobs pane: the queue and every run, one job's detail, and the actions its state allows.

The table follows `JobService.job_changed`, batched: a running job changes
with every batch of events, so changed ids are collected and re-read (in a
worker) at most five times a second. Durations and ETAs tick once a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.errors import NotFound, UserError
from app.jobs.actions import ACTIONS, BY_KEY, actions_for
from app.jobs.service import JobService
from app.jobs.states import JobStatus
from app.jobs.store import Job
from app.tasks import LONG, run_task
from views.crash_dialog import show_user_error
from views.jobs.comparison import MAX_JOBS, ComparisonDialog
from views.jobs.detail import JobDetail
from views.jobs.models import JobFilterModel, JobRole, JobTableModel
from views.jobs.table_view import JobTableView
from views.jobs.try_it import can_try, try_job
from views.jobs.wizard import NewJobWizard
from views.widgets.confirm import confirm
from views.widgets.open_folder import open_folder
from views.widgets.pane_frame import EmptyState, PaneFrame
from views.widgets.progress_delegate import ProgressDelegate

REFRESH_MS = 200
TICK_MS = 1000
STATUS_FILTERS = (
    ("All jobs", None),
    ("Running and paused", {JobStatus.RUNNING, JobStatus.PAUSED}),
    ("Queued", {JobStatus.QUEUED, JobStatus.PENDING}),
    ("Completed", {JobStatus.COMPLETED}),
    ("Failed", {JobStatus.FAILED}),
    ("Stopped and cancelled", {JobStatus.STOPPED, JobStatus.CANCELLED}),
)


class JobsPane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__(
            "Jobs",
            "Configure training runs, queue them on your GPUs, watch their curves live and "
            "compare them.",
            parent,
        )
        self._core = core
        self._service: JobService | None = None
        self._changed: set[str] = set()
        self._refreshing = False
        self._wizard: NewJobWizard | None = None

        toolbar = QToolBar()
        toolbar.setObjectName("jobs-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = QAction("New job…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_action.setToolTip("Set up a training run (Ctrl+N)")
        self.new_action.triggered.connect(self.open_wizard)
        toolbar.addAction(self.new_action)
        toolbar.addSeparator()
        self.actions_by_key: dict[str, QAction] = {}
        for row in ACTIONS:  # app/jobs/actions.py: the one table of job actions
            action = QAction(row.title, self)
            action.triggered.connect(lambda _c=False, k=row.key: self.perform(k))
            if row.in_toolbar:
                toolbar.addAction(action)
            self.actions_by_key[row.key] = action
        self.compare_action = QAction("Compare", self)
        self.compare_action.setToolTip(f"Select 2 to {MAX_JOBS} jobs to compare their curves")
        self.compare_action.triggered.connect(self.open_comparison)
        toolbar.addAction(self.compare_action)
        self.open_model_action = QAction("Open model", self)
        self.open_model_action.setToolTip("The model this job made, in the Models pane")
        self.open_model_action.triggered.connect(self.open_model)
        toolbar.addAction(self.open_model_action)
        self.try_action = QAction("Try it", self)
        self.try_action.setToolTip(
            "Try the model, or a checkpoint of a paused run, in a playground"
        )
        self.try_action.triggered.connect(self.try_selected)
        toolbar.addAction(self.try_action)
        self.addActions(list(self.actions_by_key.values()))
        self.body.addWidget(toolbar)
        # Filters get a row of their own: beside nine actions a search box shrinks to "Sea…".
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status-filter")
        for label, _statuses in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.search = QLineEdit()
        self.search.setObjectName("job-search")
        self.search.setPlaceholderText("Search names, datasets, models (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        find = QAction(self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)
        filters = QHBoxLayout()
        filters.addWidget(self.status_filter)
        filters.addWidget(self.search, 1)
        self.body.addLayout(filters)

        self.jobs = JobTableModel(self)
        self.filtered = JobFilterModel(self)
        self.filtered.setSourceModel(self.jobs)
        self.status_filter.currentIndexChanged.connect(
            lambda i: self.filtered.set_statuses(STATUS_FILTERS[i][1])
        )
        self.search.textChanged.connect(self.filtered.set_search)
        self.table = JobTableView()
        self.table.setObjectName("job-table")
        self.table.setModel(self.filtered)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(8, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(JobTableModel.PROGRESS_COLUMN, ProgressDelegate(self))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.moved.connect(self._on_moved)
        self.table.doubleClicked.connect(lambda _i: self.detail.tabs.setCurrentIndex(0))

        self.detail_holder = QVBoxLayout()
        self.detail: JobDetail | None = None
        detail_widget = QWidget()
        detail_widget.setLayout(self.detail_holder)
        self.detail_holder.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail_widget)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 520])

        self.stack = QStackedWidget()
        self.stack.addWidget(self._empty_state())
        self.stack.addWidget(splitter)
        # Until the database is open and the jobs are read, say so: "No jobs yet" would be
        # a wrong answer for the seconds a large database takes.
        self.loading = EmptyState("Opening your jobs…", "Reading the job database.")
        self.loading.setObjectName("jobs-loading")
        self.stack.addWidget(self.loading)
        self.stack.setCurrentWidget(self.loading)
        self.body.addWidget(self.stack, 1)

        self._refresh_timer = QTimer(self, interval=REFRESH_MS, singleShot=True)
        self._refresh_timer.timeout.connect(self._refresh_changed)
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self.jobs.tick)
        self._tick.start()
        self._update_actions()
        core.when_database_ready(lambda _db: self._on_database())

    def _empty_state(self) -> QWidget:
        widget = EmptyState(
            "No jobs yet",
            "Set up a training run: pick a recipe, a dataset version and a model, and watch "
            "the curves as it trains. The presets train in seconds on the CPU.",
        )
        self.empty_new_button = widget.add_action(QPushButton("New job…"))
        self.empty_new_button.clicked.connect(self.open_wizard)
        return widget

    # -- data ------------------------------------------------------------------------------

    @property
    def service(self):
        return self._service

    def _on_database(self) -> None:
        self._service = self._core.jobs
        self.detail = JobDetail(self._core)
        self.detail.resume_requested.connect(self._resume_from)
        self.detail.checkpoints_counted.connect(lambda _job, _count: self._update_actions())
        self.detail_holder.addWidget(self.detail)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self._service.job_changed.connect(self._on_job_changed)
        self.jobs.stopping = self._service.stopping
        self.jobs.not_responding = self._service.not_responding
        self._service.catching_up.connect(self.jobs.set_backlog)
        for job_id, count in self._service.backlogs.items():
            self.jobs.set_backlog(job_id, count)
        self.reload()

    def reload(self) -> None:
        service, datasets = self._service, self._core.datasets
        if service is None:
            return

        def load() -> tuple[list[Job], dict[str, str]]:
            names = {str(datasets.root / d.id): d.name for d in datasets.datasets()}
            return service.store.jobs(), names

        run_task(lambda _s: load(), on_done=self._show_jobs, context=self)

    def _show_jobs(self, result: tuple[list[Job], dict[str, str]]) -> None:
        jobs, names = result
        selected = self.selected_jobs()
        self.jobs.dataset_names = names
        if self.detail is not None:
            self.detail.dataset_names = names
        self.jobs.set_rows(jobs)
        self.stack.setCurrentIndex(1 if jobs else 0)
        if selected:
            self.select_job(selected[0].id)
        elif jobs:
            self.table.selectRow(0)
        self._update_actions()

    def _on_job_changed(self, job_id: str) -> None:
        self._changed.add(job_id)
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_changed(self) -> None:
        if self._service is None or self._refreshing:
            self._refresh_timer.start()
            return
        ids, self._changed = self._changed, set()
        store = self._service.store
        self._refreshing = True

        def load() -> tuple[list[Job], list[str]]:
            found, gone = [], []
            for job_id in ids:
                try:
                    found.append(store.get(job_id))
                except NotFound:
                    gone.append(job_id)
            return found, gone

        def arrived(result: tuple[list[Job], list[str]]) -> None:
            found, gone = result
            for job in found:
                self.jobs.update_job(job)
            for job_id in gone:
                self.jobs.remove_job(job_id)
            self.stack.setCurrentIndex(1 if self.jobs.rowCount() else 0)
            current = self.detail.job if self.detail else None
            for job in found:
                if current is not None and job.id == current.id:
                    self.detail.show_job(job)
            if current is not None and current.id in gone:
                self.detail.show_job(None)
            if not self.selected_jobs() and self.jobs.rowCount():
                self.table.selectRow(0)
            self._update_actions()

        def finished() -> None:
            self._refreshing = False

        run_task(lambda _s: load(), on_done=arrived, on_finished=finished, context=self)

    # -- selection -------------------------------------------------------------------------

    def selected_jobs(self) -> list[Job]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.filtered.index(r, 0).data(JobRole) for r in rows]

    def select_job(self, job_id: str) -> None:
        row = self.jobs.find(job_id)
        if row >= 0:
            index = self.filtered.mapFromSource(self.jobs.index(row, 0))
            if index.isValid():
                self.table.selectRow(index.row())
                self.table.scrollTo(index)

    def _on_selection(self) -> None:
        jobs = self.selected_jobs()
        if self.detail is not None:
            self.detail.show_job(jobs[0] if len(jobs) == 1 else (self.detail.job if jobs else None))
        self._update_actions()

    def _update_actions(self) -> None:
        jobs = self.selected_jobs() if self.detail is not None else []
        allowed = set(self._actions(jobs[0])) if len(jobs) == 1 else set()
        for key, action in self.actions_by_key.items():
            action.setEnabled(key in allowed)
        self.compare_action.setEnabled(2 <= len(jobs) <= MAX_JOBS)
        self.open_model_action.setEnabled(len(jobs) == 1 and jobs[0].status == JobStatus.COMPLETED)
        counts = self.detail.checkpoint_counts if self.detail is not None else {}
        self.try_action.setEnabled(len(jobs) == 1 and can_try(jobs[0], counts.get(jobs[0].id)))
        self.new_action.setEnabled(self._service is not None)
        self.empty_new_button.setEnabled(self._service is not None)

    def try_selected(self) -> None:
        jobs = self.selected_jobs()
        if len(jobs) == 1:
            try_job(self, self._core, jobs[0])

    def open_model(self) -> None:
        jobs = self.selected_jobs()
        show_pane = getattr(self.window(), "show_pane", None)
        if len(jobs) != 1 or show_pane is None:
            return
        registry = self._core.models

        def opened(model: Any) -> None:
            if model is None:
                QMessageBox.information(self, "No model", "This job's output folder is gone.")
            else:
                show_pane("models").open_model(model.id)

        run_task(lambda _s: registry.for_job(jobs[0].id), on_done=opened, context=self)

    def _actions(self, job: Job) -> tuple[str, ...]:
        counts = self.detail.checkpoint_counts if self.detail is not None else {}
        return actions_for(job.status, counts.get(job.id))

    def _context_menu(self, position) -> None:
        jobs = self.selected_jobs()
        if not jobs:
            return
        menu = QMenu(self)
        if len(jobs) == 1:
            for key in self._actions(jobs[0]):
                menu.addAction(self.actions_by_key[key])
            menu.addSeparator()
            menu.addAction("Open run folder", lambda: self._open_folder(jobs[0]))
            if jobs[0].status == JobStatus.COMPLETED:
                menu.addAction(self.open_model_action)
            if self.try_action.isEnabled():
                menu.addAction(self.try_action)
        if 2 <= len(jobs) <= MAX_JOBS:
            menu.addAction(self.compare_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _open_folder(self, job: Job) -> None:
        open_folder(self, Path(job.run_dir))

    # -- actions ---------------------------------------------------------------------------

    def perform(self, key: str) -> Any:
        jobs = self.selected_jobs()
        if len(jobs) != 1 or self._service is None:
            return None
        job, service = jobs[0], self._service
        # The actions that need a question or a dialog first; the rest are the table's.
        dialogs = {
            "cancel": self._confirm_cancel,
            "clone": self.open_wizard,
            "export": self._export,
            "delete": self._confirm_delete,
        }
        if key in dialogs:
            return dialogs[key](job)
        perform = BY_KEY[key].perform
        assert perform is not None, key
        try:
            done = perform(service, job.id, {})
        except UserError as error:
            show_user_error(self, error)
            return None
        if done is not None and done.id != job.id:  # a retry is a new job
            self._on_job_changed(done.id)
        return None

    def _confirm_cancel(self, job: Job) -> QMessageBox:
        return confirm(
            self,
            "Cancel job",
            f"Cancel {job.name}?",
            "A running job is asked to stop and is killed after five seconds; it is not "
            "resumable unless it has a checkpoint. Use Stop to keep a checkpoint.",
            "Cancel job",
            lambda: self._guarded(lambda: self._service.cancel(job.id)),
            keep="Keep it",
        )

    def _confirm_delete(self, job: Job) -> QMessageBox:
        service = self._service
        return confirm(
            self,
            "Delete job",
            f"Delete {job.name}, its curves, logs, checkpoints and output?",
            f"Its run folder {job.run_dir} is removed. This cannot be undone.",
            "Delete",
            lambda: run_task(
                lambda _s: service.delete(job.id),
                on_error=lambda error, _t: show_user_error(self, error),
                context=self,
                kind=LONG,
            ),
        )

    def _guarded(self, action) -> None:
        try:
            action()
        except UserError as error:
            show_user_error(self, error)

    def _export(self, job: Job) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the spec of {job.name}", f"{job.name}.json", "JSON (*.json)"
        )
        if path:
            self.export_spec(job.id, Path(path))

    def export_spec(self, job_id: str, path: Path) -> None:
        service = self._service
        assert service is not None
        run_task(
            lambda _s: service.export_spec_to(job_id, path),
            on_done=lambda written: self._core.notifications.notify(
                "Spec exported", f"Saved as {written}", source=f"job:{job_id}"
            ),
            context=self,
        )

    def _resume_from(self, job_id: str, checkpoint: str) -> None:
        self._guarded(lambda: self._service.resume_from_checkpoint(job_id, checkpoint))

    def _on_moved(self, job_id: str, before: str | None) -> None:
        self._guarded(lambda: self._service.move_in_queue(job_id, before))

    def open_wizard(self, template: Job | dict | None = None) -> NewJobWizard | None:
        """A new job: from scratch, from a past job, or from a spec (the Labeling pane's
        "Train on these labels" gives one naming the version just made)."""
        if self._service is None:
            return None
        if isinstance(template, dict):
            wizard = NewJobWizard(self._core, template, self)
        elif isinstance(template, Job):
            wizard = NewJobWizard(
                self._core,
                template.spec,
                self,
                name=f"{template.name} (copy)",
                gpus=template.gpus_requested,
                priority=template.priority,
            )
        else:
            wizard = NewJobWizard(self._core, None, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.submitted.connect(
            lambda job: (self._on_job_changed(job.id), self._select_later(job))
        )
        self._wizard = wizard
        wizard.open()
        return wizard

    def _select_later(self, job: Job) -> None:
        QTimer.singleShot(REFRESH_MS + 300, lambda: self.select_job(job.id))

    def open_comparison(self) -> ComparisonDialog | None:
        jobs = self.selected_jobs()
        if not 2 <= len(jobs) <= MAX_JOBS:
            return None
        dialog = ComparisonDialog(self._core, jobs, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
