from django.core.management.base import BaseCommand, CommandError

from mybili.services import DEMO_ADMIN, NotInDebug, demo_admin_ensure


class Command(BaseCommand):
    help = "DEBUG only: create the demo superuser `admin` with a random password, or reset it; prints the password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEMO_ADMIN)

    def handle(self, *args, username, **options):
        try:
            password, created = demo_admin_ensure(username=username)
        except NotInDebug as exc:
            raise CommandError(str(exc)) from exc
        verb = "created" if created else "password reset"
        self.stdout.write(f"demo admin {verb}: user {username}, password {password}")
