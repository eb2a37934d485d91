"""URLs of the clearance app."""

from django.urls import path

from .choices import JobKind
from .views import (
    admin_pages, audit, board, dashboard, documents, economy, evaluation, evaluation_admin, events, jobs, ledger,
    people, periods, project_writes, projects, records, register, reuse, workspace,
)

app_name = "clearance"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="home"),
    path("towns/<int:pk>/", dashboard.TownDetailView.as_view(), name="town_detail"),
    path("towns/<int:pk>/board/", board.TownBoardView.as_view(), name="town_board"),
    path("board/", board.BoardView.as_view(), name="board"),
    path("bulletin/", dashboard.BulletinView.as_view(), name="bulletin"),
    path("bulletin.docx", documents.BulletinDocxView.as_view(), name="bulletin_docx"),
    # 换鸟: the reuse figures and the commitments (履约), for every signed-in role.
    path("reuse/", reuse.ReuseView.as_view(), name="reuse"),
    path("reuse/commitments/", reuse.CommitmentsView.as_view(), name="reuse_commitments"),
    path("sites/<int:pk>/", records.SiteDetailView.as_view(), name="site_detail"),
    path("enterprises/<int:pk>/", records.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("sites/<int:pk>/edit/", records.SiteUpdateView.as_view(), name="site_update"),
    path("sites/<int:pk>/events/new/", events.SiteEventCreateView.as_view(), name="site_event_create"),
    path("sites/<int:pk>/events/bulk/", events.SiteEventsBulkView.as_view(), name="site_events_bulk"),
    path("sites/<int:pk>/enterprises/new/", records.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/edit/", records.EnterpriseUpdateView.as_view(), name="enterprise_update"),
    path("enterprises/<int:pk>/events/new/", events.EnterpriseEventCreateView.as_view(), name="enterprise_event_create"),
    path("events/<int:pk>/edit/", events.EventUpdateView.as_view(), name="event_update"),
    path("events/<int:pk>/delete/", events.EventDeleteView.as_view(), name="event_delete"),
    # 换鸟: the projects on vacated land, their land and their stages.
    path("projects/", projects.ProjectListView.as_view(), name="project_list"),
    path("projects/new/", projects.ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:pk>/", projects.ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<int:pk>/edit/", projects.ProjectUpdateView.as_view(), name="project_update"),
    path("projects/<int:pk>/delete/", projects.ProjectDeleteView.as_view(), name="project_delete"),
    path("projects/<int:pk>/land/", project_writes.ProjectLandView.as_view(), name="project_land"),
    path("projects/<int:pk>/land/sites/", project_writes.ProjectLandSitesView.as_view(), name="project_land_sites"),
    path("projects/land/<int:pk>/remove/", project_writes.ProjectLandRemoveView.as_view(), name="project_land_remove"),
    path("projects/<int:pk>/events/new/", project_writes.ProjectEventCreateView.as_view(), name="project_event_create"),
    path("projects/events/<int:pk>/edit/", project_writes.ProjectEventUpdateView.as_view(), name="project_event_update"),
    path("projects/events/<int:pk>/delete/", project_writes.ProjectEventDeleteView.as_view(),
         name="project_event_delete"),
    # 快中求稳: the register of disputes, petitions and safety hazards.
    path("register/", register.RegisterListView.as_view(), name="register"),
    path("register/new/", register.RegisterItemCreateView.as_view(), name="register_item_create"),
    path("register/<int:pk>/edit/", register.RegisterItemUpdateView.as_view(), name="register_item_update"),
    path("workspace/", workspace.WorkspaceView.as_view(), name="workspace"),
    path("workspace/<int:town_pk>/sites/", workspace.WorkspaceSitesView.as_view(), name="workspace_sites"),
    path("workspace/<int:town_pk>/enterprises/", workspace.WorkspaceEnterprisesView.as_view(), name="workspace_enterprises"),
    path("workspace/<int:town_pk>/sites/new/", records.SiteCreateView.as_view(), name="site_create"),
    path("pairings/", admin_pages.PairingBoardView.as_view(), name="pairings"),
    path("ledger/import/", ledger.LedgerImportView.as_view(), name="ledger_import"),
    path("ledger/import/<int:pk>/", jobs.JobView.as_view(kind=JobKind.LEDGER_IMPORT, template_name="clearance/ledger_job.html"),
         name="ledger_job"),
    path("ledger/import/<int:pk>/progress/", jobs.JobProgressView.as_view(kind=JobKind.LEDGER_IMPORT),
         name="ledger_job_progress"),
    path("ledger/template.xlsx", ledger.LedgerTemplateView.as_view(), name="ledger_template"),
    path("ledger/export.xlsx", ledger.LedgerExportView.as_view(), name="ledger_export"),
    path("audit/", audit.AuditView.as_view(), name="audit"),
    # The evaluation's admin side (issue 14): schemes, adjustments, a row corrected by hand, the web import.
    path("evaluation/schemes/", evaluation_admin.SchemeListView.as_view(), name="schemes"),
    path("evaluation/schemes/<int:year>/copy/", evaluation_admin.SchemeCopyView.as_view(), name="scheme_copy"),
    path("evaluation/schemes/<int:year>/<str:size>/", evaluation_admin.SchemeUpdateView.as_view(), name="scheme_update"),
    path("evaluation/enterprises/<int:pk>/adjustments/", evaluation_admin.AdjustmentsView.as_view(),
         name="evaluation_adjustments"),
    path("evaluation/adjustments/<int:pk>/delete/", evaluation_admin.AdjustmentDeleteView.as_view(),
         name="adjustment_delete"),
    path("evaluation/rows/<int:pk>/edit/", evaluation_admin.IndicatorRowUpdateView.as_view(), name="indicator_row_update"),
    path("evaluation/import/", evaluation_admin.IndicatorsImportView.as_view(), name="indicators_import"),
    path("evaluation/import/<int:pk>/", jobs.JobView.as_view(
        kind=JobKind.INDICATORS_IMPORT, template_name="clearance/evaluation/indicators_job.html"), name="indicators_job"),
    path("evaluation/import/<int:pk>/progress/", jobs.JobProgressView.as_view(kind=JobKind.INDICATORS_IMPORT),
         name="indicators_job_progress"),
    path("evaluation/import/template.xlsx", evaluation_admin.IndicatorsTemplateView.as_view(), name="indicators_template"),
    path("periods/", periods.PeriodsView.as_view(), name="periods"),
    # 快中求稳: the economy's monthly figures, read by every signed-in role, entered and imported by admins.
    path("economy/", economy.EconomyView.as_view(), name="economy"),
    path("economy/import/", economy.EconomyImportView.as_view(), name="economy_import"),
    path("economy/template.xlsx", economy.EconomyTemplateView.as_view(), name="economy_template"),
    path("people/", people.PeopleListView.as_view(), name="people"),
    path("people/new/", people.PersonCreateView.as_view(), name="person_create"),
    path("people/<int:pk>/edit/", people.PersonUpdateView.as_view(), name="person_update"),
    path("people/<int:pk>/active/", people.PersonActiveView.as_view(), name="person_active"),
    path("people/<int:pk>/password/", people.PersonPasswordView.as_view(), name="person_password"),
    # 亩均效益评价: the pages that read the evaluation, and a clearance plan opened from it.
    path("evaluation/", evaluation.EvaluationView.as_view(), name="evaluation"),
    path("evaluation/towns/<int:pk>/", evaluation.EvaluationTownView.as_view(), name="evaluation_town"),
    path("evaluation/candidates/", evaluation.CandidatesView.as_view(), name="evaluation_candidates"),
    path("evaluation/enterprises/<int:pk>/", evaluation.EvaluationCardView.as_view(), name="evaluation_card"),
    path("evaluation/enterprises/<int:pk>/plan/", evaluation.ClearancePlanView.as_view(), name="evaluation_plan"),
]
