from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self):
        # The ledger asks before it reverses an entry or posts a request (remittances/signals.py):
        # an approved project's match follows its contributions, releases stay within the match,
        # micro-credit grants follow their postings.
        from projects import services
        from remittances import signals

        signals.reversal_approving.connect(services.on_reversal_approving, dispatch_uid="projects-match-reversal")
        signals.posting_approving.connect(services.on_posting_approving, dispatch_uid="projects-match-posting")
