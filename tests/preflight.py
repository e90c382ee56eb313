"""Stop `make test` early, with a clear message, when PostgreSQL or Redis is not reachable."""

import os
import sys

import psycopg
import redis


def main() -> int:
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    problems = []
    try:
        psycopg.connect(database_url, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {database_url} is not reachable: {error}".strip())
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {redis_url} is not reachable: {error}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(
            "Start them (local packages, or `docker compose up -d db redis`), or point "
            "TEST_DATABASE_URL / TEST_REDIS_URL at yours. See README.md.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
