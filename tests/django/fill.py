"""Fills a Django site's database that site.py made with USERS more users and TOKENS
more tokens (half access tokens, half refresh tokens, each refresh token with its access
token, all live, for the site's password application), in a few statements: what
`cargo xtask bench-import` imports.

    python fill.py DATABASE USERS TOKENS
"""

import sys

# Above the ids site.py used.
FIRST = 1000


def statements(users, pairs, postgres):
    if postgres:
        numbers = "generate_series(1, {count}) AS n(i)"
        family = "md5(i::text)::uuid"
        rows = lambda count, insert, select: f"{insert} {select} FROM {numbers.format(count=count)}"
    else:
        family = "lower(hex(randomblob(16)))"
        rows = lambda count, insert, select: (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
            f"{insert} {select} FROM n"
        )
    return [
        rows(
            users,
            "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)",
            f"SELECT {FIRST} + i, 'pbkdf2_sha256$1000000$salt$aGFzaA==', FALSE, 'user' || i,"
            " 'First', 'Last', 'user' || i || '@example.com', FALSE, TRUE, '2026-01-01 00:00:00'",
        ),
        rows(
            pairs,
            "INSERT INTO oauth2_provider_accesstoken (id, token, token_checksum, expires, scope,"
            " application_id, user_id, created, updated, resource)",
            f"SELECT {FIRST} + i, 'access-token-' || i, 'a' || i, '2099-01-01 00:00:00', 'read',"
            f" 1, {FIRST} + 1 + (i % {users}), '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[]'",
        ),
        rows(
            pairs,
            "INSERT INTO oauth2_provider_refreshtoken (id, token, token_checksum, access_token_id,"
            " application_id, user_id, created, updated, token_family, resource)",
            f"SELECT {FIRST} + i, 'refresh-token-' || i, 'r' || i, {FIRST} + i, 1,"
            f" {FIRST} + 1 + (i % {users}), '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
            f" {family}, '[]'",
        ),
    ]


def main(database, users, tokens):
    postgres = database.startswith("postgres")
    if postgres:
        import psycopg

        connection = psycopg.connect(database)
    else:
        import sqlite3

        connection = sqlite3.connect(database)
    for statement in statements(users, tokens // 2, postgres):
        connection.execute(statement)
    connection.commit()
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
