//! The two migration folders describe one schema: migrated, SQLite and PostgreSQL have the
//! same tables, columns (in order, with their kind of value and nullability), primary keys,
//! foreign keys and indexes (their columns, uniqueness and conditions). A change made to one
//! folder and not the other fails here, naming what differs.

use std::collections::BTreeSet;

use sqlx::{PgPool, SqlitePool};

use crate::harness::TestDb;

/// A schema as one line per fact, so that two compare line by line.
type Facts = BTreeSet<String>;

/// The kind of value a column holds, whatever each database calls it. SQLite keeps
/// timestamps as text (RFC 3339, so that text order is time order).
fn kind_of(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "text" | "timestamp with time zone" => "text",
        "boolean" => "boolean",
        "blob" | "bytea" => "bytes",
        _ => "unknown",
    }
}

/// An index condition with the spelling differences taken out (PostgreSQL adds
/// parentheses; case and spaces vary).
fn condition(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect::<String>()
        .to_ascii_lowercase()
}

fn index_fact(table: &str, columns: &str, unique: bool, condition: Option<&str>) -> String {
    let unique = if unique { "unique " } else { "" };
    let condition = condition.map(|c| format!(" where {c}")).unwrap_or_default();
    format!("{table}: {unique}index ({columns}){condition}")
}

async fn sqlite_facts(url: &str) -> Facts {
    let pool = SqlitePool::connect(url).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut facts = Facts::new();
    for (table,) in tables {
        let columns: Vec<(i64, String, String, bool, i64)> = sqlx::query_as(
            "SELECT cid, name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut key = Vec::new();
        for (position, name, declared, not_null, pk) in columns {
            // A primary key column is never null, whether or not it says so.
            let null = if not_null || pk > 0 {
                "not null"
            } else {
                "null"
            };
            let kind = kind_of(&declared);
            facts.insert(format!("{table} #{position}: {name} {kind} {null}"));
            if pk > 0 {
                key.push((pk, name));
            }
        }
        key.sort();
        let key: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
        facts.insert(format!("{table}: primary key ({})", key.join(", ")));

        let references: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?)",
        )
        .bind(&table)
        .fetch_all(&pool)
        .await
        .unwrap();
        for (from, target, to, on_delete) in references {
            let on_delete = on_delete.to_ascii_lowercase();
            facts.insert(format!(
                "{table}: {from} references {target} ({to}) on delete {on_delete}"
            ));
        }

        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
                .bind(&table)
                .fetch_all(&pool)
                .await
                .unwrap();
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            let columns: Vec<String> = columns.into_iter().map(|(name,)| name).collect();
            let (sql,): (Option<String>,) =
                sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                    .bind(&index)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let where_clause = sql.as_deref().and_then(|sql| {
                let upper = sql.to_ascii_uppercase();
                upper.find(" WHERE ").map(|at| condition(&sql[at + 7..]))
            });
            facts.insert(index_fact(
                &table,
                &columns.join(", "),
                unique,
                where_clause.as_deref(),
            ));
        }
    }
    pool.close().await;
    facts
}

async fn postgres_facts(url: &str) -> Facts {
    let pool = PgPool::connect(url).await.unwrap();
    let mut facts = Facts::new();
    let columns: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%'
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut position = 0;
    let mut previous = String::new();
    for (table, name, declared, nullable) in columns {
        if table != previous {
            position = 0;
            previous.clone_from(&table);
        }
        let null = if nullable { "null" } else { "not null" };
        let kind = kind_of(&declared);
        facts.insert(format!("{table} #{position}: {name} {kind} {null}"));
        position += 1;
    }

    // Keys, references and indexes from the catalog; `indkey` and `conkey` list columns in
    // their order.
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text, string_agg(a.attname::text, ', ' ORDER BY k.n)
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace
         AND t.relname NOT LIKE '\\_sqlx\\_%'
         GROUP BY t.relname, c.conname",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, columns) in keys {
        facts.insert(format!("{table}: primary key ({columns})"));
    }
    let references: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, r.relname::text, ra.attname::text,
                CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null'
                     WHEN 'r' THEN 'restrict' WHEN 'd' THEN 'set default' ELSE 'no action' END
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1]
         JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, from, target, to, on_delete) in references {
        facts.insert(format!(
            "{table}: {from} references {target} ({to}) on delete {on_delete}"
        ));
    }
    let indexes: Vec<(String, String, bool, Option<String>)> = sqlx::query_as(
        "SELECT t.relname::text, string_agg(a.attname::text, ', ' ORDER BY k.n),
                ix.indisunique, pg_get_expr(ix.indpred, ix.indrelid)
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE NOT ix.indisprimary AND t.relnamespace = current_schema()::regnamespace
         AND t.relname NOT LIKE '\\_sqlx\\_%'
         GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indpred, ix.indrelid",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (table, columns, unique, predicate) in indexes {
        let predicate = predicate.as_deref().map(condition);
        facts.insert(index_fact(&table, &columns, unique, predicate.as_deref()));
    }
    pool.close().await;
    facts
}

/// Needs both databases, so it runs with the PostgreSQL tests.
mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_databases_have_one_schema() {
        let Some(postgres) = TestDb::postgres().await else {
            return;
        };
        let sqlite = TestDb::sqlite().await;
        let (on_sqlite, on_postgres) = (
            sqlite_facts(&sqlite.url()).await,
            postgres_facts(&postgres.url()).await,
        );
        for read in ["unique index", " where ", "references", "primary key"] {
            assert!(
                on_postgres.iter().any(|fact| fact.contains(read)),
                "the comparison reads {read:?}: {on_postgres:#?}"
            );
        }
        assert!(
            !on_sqlite.iter().any(|fact| fact.contains("unknown")),
            "a column type this test does not know: {on_sqlite:#?}"
        );
        let only_sqlite: Vec<&String> = on_sqlite.difference(&on_postgres).collect();
        let only_postgres: Vec<&String> = on_postgres.difference(&on_sqlite).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "the migration folders differ.\nOnly in SQLite: {only_sqlite:#?}\nOnly in PostgreSQL: {only_postgres:#?}"
        );
    }
}
