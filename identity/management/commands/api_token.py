"""manage.py api_token USERNAME [--name NAME]: make an API token and print its key, once (only
its digest is kept); --revoke PREFIX revokes that user's token with that prefix."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from identity.services.accounts import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Make (or revoke) an API token for a user; a new key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="API token", help="what the token is for (shown in lists)")
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the user's token whose key starts so")

    def handle(self, *args, username, name, revoke, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if revoke:
            token = user.api_tokens.filter(prefix=revoke[:8], revoked_at=None).first()
            if token is None:
                raise CommandError(f"{username} has no token starting {revoke[:8]!r} in force.")
            api_token_revoke(token=token)
            return self.stdout.write(f"Revoked {token}.")
        token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
        self.stderr.write(f"Token {token.name} for {username}: keep the key above, it is not shown again.")
