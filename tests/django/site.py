"""A real Django site, as people run it before moving to Warrant: django-oauth-toolkit,
Django REST framework's tokens and django-oauth-login, from the released packages.

    python site.py DATABASE
    python site.py DATABASE --more

migrates DATABASE (a SQLite file path or a postgres:// URL), fills it through Django itself
(users with several hashers, applications with hashed and plain secrets, tokens issued by
DOT's own token endpoint, DRF tokens, an upstream connection) and prints, as one JSON object,
what the site's clients and users hold: the credentials the import must keep working.
With --more, the site lives on after a first import: a new user logs in through DOT and
alice changes her password; it prints henry's tokens and alice's new password.
The end-to-end import test (tests/it/django_import.rs) runs it; .ci/run makes its venv.
"""

import json
import sys
import urllib.parse
from datetime import timedelta

import django
from django.conf import settings

PASSWORD = "correct horse battery staple"


def database_settings(database):
    if database.startswith("postgres"):
        url = urllib.parse.urlparse(database)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": url.username or "postgres",
            "PASSWORD": url.password or "",
            "HOST": url.hostname or "127.0.0.1",
            "PORT": url.port or 5432,
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": database}


def configure(database):
    settings.configure(
        SECRET_KEY="a-django-site-moving-to-warrant",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        DATABASES={"default": database_settings(database)},
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "oauth2_provider",
            "rest_framework",
            "rest_framework.authtoken",
            "oauthlogin",
        ],
        # The first hashes new passwords; the others verify what older releases made.
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            "django.contrib.auth.hashers.ScryptPasswordHasher",
        ],
        OAUTH2_PROVIDER={
            "SCOPES": {"read": "Read", "write": "Write"},
            "PKCE_REQUIRED": False,
        },
        OAUTH_LOGIN_PROVIDERS={},
    )
    django.setup()


urlpatterns = []


def main(database):
    configure(database)

    from django.urls import include, path

    urlpatterns.append(path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")))

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, RefreshToken
    from oauthlogin.models import OAuthConnection
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0, interactive=False)

    hashers = {}

    def user(username, hasher, email, **flags):
        hashers[username] = hasher
        made = User.objects.create(
            username=username,
            email=email,
            first_name=username.title(),
            last_name="Example",
            password=make_password(PASSWORD, hasher=hasher) if hasher else "!",
            **flags,
        )
        return made

    # A deleted user leaves a gap: Warrant must keep Django's ids, not renumber.
    user("departed", "pbkdf2_sha256", "departed@example.com").delete()
    users = [
        user("alice", "pbkdf2_sha256", "alice@example.com", is_staff=True, is_superuser=True),
        user("bob", "argon2", "bob@example.com"),
        user("carol", "bcrypt_sha256", "carol@example.com"),
        user("dave", "scrypt", "dave@example.com"),
        user("erin", "pbkdf2_sha1", ""),
        # Django allows an email twice; Warrant keeps it for the first user only.
        user("frank", "pbkdf2_sha256", "ALICE@example.com"),
        user("grace", None, "grace@example.com", is_active=False),
    ]
    alice, bob = users[0], users[1]

    def application(name, client_type, grant, hash_secret=True, **fields):
        secret = f"{name}-secret-{'x' * 40}"
        made = Application.objects.create(
            name=name,
            user=alice,
            client_type=client_type,
            authorization_grant_type=grant,
            client_secret=secret,
            hash_client_secret=hash_secret,
            **fields,
        )
        return made, secret

    password_app, password_secret = application(
        "password-app", Application.CLIENT_CONFIDENTIAL, Application.GRANT_PASSWORD
    )
    service_app, service_secret = application(
        "service", Application.CLIENT_CONFIDENTIAL, Application.GRANT_CLIENT_CREDENTIALS, hash_secret=False
    )
    web_app, web_secret = application(
        "web",
        Application.CLIENT_CONFIDENTIAL,
        Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://web.example.com/callback https://web.example.com/other",
        post_logout_redirect_uris="https://web.example.com/bye",
        allowed_origins="https://web.example.com",
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    spa_app, _ = application(
        "spa",
        Application.CLIENT_PUBLIC,
        Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://spa.example.com/cb",
    )
    device_app, _ = application("tv", Application.CLIENT_PUBLIC, Application.GRANT_DEVICE_CODE)
    implicit_app, _ = application(
        "legacy-spa",
        Application.CLIENT_PUBLIC,
        Application.GRANT_IMPLICIT,
        redirect_uris="https://legacy.example.com/cb",
    )
    hybrid_app, hybrid_secret = application(
        "hybrid",
        Application.CLIENT_CONFIDENTIAL,
        Application.GRANT_OPENID_HYBRID,
        redirect_uris="https://hybrid.example.com/cb",
        algorithm=Application.RS256_ALGORITHM,
    )

    client = Client()

    def token(app, secret, **form):
        answer = client.post("/o/token/", {"client_id": app.client_id, "client_secret": secret, **form})
        assert answer.status_code == 200, answer.content
        return answer.json()

    alices = token(password_app, password_secret, grant_type="password", username="alice", password=PASSWORD, scope="read write")
    # Bob's token is for one resource (RFC 8707, DOT 3.4's `resource`): it stays so.
    bobs = token(password_app, password_secret, grant_type="password", username="bob", password=PASSWORD, scope="read", resource="https://api.example.com/")
    service = token(service_app, service_secret, grant_type="client_credentials", scope="read")
    # Rows the import leaves behind: an expired access token and a revoked refresh token.
    stale = token(password_app, password_secret, grant_type="password", username="alice", password=PASSWORD, scope="read")
    AccessToken.objects.filter(token=stale["access_token"]).update(expires=timezone.now() - timedelta(hours=1))
    revoked = token(password_app, password_secret, grant_type="password", username="bob", password=PASSWORD, scope="read")
    RefreshToken.objects.get(token=revoked["refresh_token"]).revoke()

    # Django re-hashed the passwords of the users who logged in (the password grant) with
    # its first hasher: give them back the hashes older releases made, as on a long-lived site.
    for username, hasher in hashers.items():
        if hasher:
            User.objects.filter(username=username).update(password=make_password(PASSWORD, hasher=hasher))

    alices_drf = Token.objects.create(user=alice)
    bobs_drf = Token.objects.create(user=bob)

    for key, provider_user_id in (("github", "1001"), ("bitbucket", "2002")):
        OAuthConnection.objects.create(
            user=alice,
            provider_key=key,
            provider_user_id=provider_user_id,
            access_token=f"{key}-upstream-access-token",
            refresh_token=f"{key}-upstream-refresh-token",
            access_token_expires_at=timezone.now() + timedelta(hours=1),
        )

    print(
        json.dumps(
            {
                "password": PASSWORD,
                "users": [{"id": u.id, "username": u.username} for u in users],
                "applications": {
                    "password": {"client_id": password_app.client_id, "client_secret": password_secret},
                    "service": {"client_id": service_app.client_id, "client_secret": service_secret},
                    "web": {"client_id": web_app.client_id, "client_secret": web_secret},
                    "spa": {"client_id": spa_app.client_id},
                    "tv": {"client_id": device_app.client_id},
                    "legacy-spa": {"client_id": implicit_app.client_id},
                    "hybrid": {"client_id": hybrid_app.client_id, "client_secret": hybrid_secret},
                },
                "tokens": {"alice": alices, "bob": bobs, "service": service, "stale": stale, "revoked": revoked},
                "drf_tokens": {"alice": alices_drf.key, "bob": bobs_drf.key},
            }
        )
    )


def more(database):
    configure(database)

    from django.urls import include, path

    urlpatterns.append(path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")))

    from django.contrib.auth.models import User
    from django.test import Client
    from oauth2_provider.models import Application

    User.objects.create_user("henry", "henry@example.com", PASSWORD)
    # Rows the import reports: a password kept in clear by some old code (Django reads it
    # as unusable) and a username Django's validators would refuse, which the ORM stores.
    User.objects.create(username="ivy", password="kept-in-clear")
    User.objects.create(username="jack black", password="!")
    alice = User.objects.get(username="alice")
    alice.set_password("a new password for alice")
    alice.save()
    app = Application.objects.get(name="password-app")
    answer = Client().post(
        "/o/token/",
        {
            "grant_type": "password",
            "username": "henry",
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": f"password-app-secret-{'x' * 40}",
        },
    )
    assert answer.status_code == 200, answer.content
    print(json.dumps({"henry": answer.json(), "alices_new_password": "a new password for alice"}))


if __name__ == "__main__":
    if sys.argv[2:] == ["--more"]:
        more(sys.argv[1])
    else:
        main(sys.argv[1])
