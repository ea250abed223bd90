//! Claims that change between PostgreSQL majors, shown on both sides of the change: the same
//! statement runs on each major's server, and lockstep, told that major with
//! `--target-version`, must say what that server did.

mod support;

use lockstep::config::Settings;
use lockstep::diagnostic::{TableEffect, TableLock};
use lockstep::dialect::Dialect;
use std::collections::BTreeMap;
use support::postgres::{postgres_major, Measurement, MAJORS};

const SCHEMA: &str = "\
CREATE TABLE users (id bigint PRIMARY KEY, score int);
INSERT INTO users SELECT g, g % 100 FROM generate_series(1, 2000) g;
";

/// Whether `rule_id` flags `change` (linted after `SCHEMA`) for PostgreSQL `major`.
fn flags(rule_id: &str, major: u32, change: &str) -> bool {
    let mut settings = Settings::new(Dialect::Postgres);
    settings.target.version = major.to_string().parse().expect("a version");
    !support::findings_after(SCHEMA, change, rule_id, settings).is_empty()
}

/// What `change` did on a fresh database of PostgreSQL `major`, or the server's refusal.
fn run(major: u32, change: &str) -> Option<Result<Measurement, String>> {
    let server = postgres_major(major)?;
    Some(server.fresh_db().measure(SCHEMA, change))
}

#[test]
fn a_generated_column_without_stored_is_virtual_from_18_and_refused_before() {
    let unspecified = "ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2)";
    let stored = "ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED";
    let rule = "add-serial-or-generated-column";
    for major in MAJORS {
        let Some(with_stored) = run(major, stored) else {
            continue;
        };
        let with_stored = with_stored.unwrap_or_else(|err| panic!("{major}: {stored}: {err}"));
        assert!(with_stored.rewrote("users"), "{major}: {with_stored:?}");
        assert!(
            flags(rule, major, stored),
            "{major}: STORED must be flagged"
        );

        let Some(without) = run(major, unspecified) else {
            continue;
        };
        if major >= 18 {
            let m = without.unwrap_or_else(|err| panic!("{major}: {unspecified}: {err}"));
            assert!(
                !m.rewrote("users"),
                "{major}: a virtual column rewrites nothing: {m:?}"
            );
            assert!(
                !flags(rule, major, unspecified),
                "{major}: virtual is quiet"
            );
        } else {
            let refusal = without.expect_err("before 18 only STORED exists");
            assert!(refusal.contains("syntax error"), "{major}: {refusal}");
            // Written for an older server it can only mean a stored column: still flagged.
            assert!(flags(rule, major, unspecified), "{major}");
        }
    }
}

#[test]
fn a_volatile_default_rewrites_on_every_major() {
    let change = "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()";
    let constant = "ALTER TABLE users ADD COLUMN flag boolean DEFAULT false";
    let rule = "add-column-volatile-default";
    for major in MAJORS {
        let Some(volatile) = run(major, change) else {
            continue;
        };
        let volatile = volatile.unwrap_or_else(|err| panic!("{major}: {change}: {err}"));
        assert!(volatile.rewrote("users"), "{major}: {volatile:?}");
        assert!(flags(rule, major, change), "{major}: must be flagged");
        let Some(Ok(constant_default)) = run(major, constant) else {
            panic!("{major}: {constant} failed");
        };
        assert!(!constant_default.rewrote("users"), "{major}");
        assert!(
            !flags(rule, major, constant),
            "{major}: a constant is quiet"
        );
    }
}

/// Settings of storage, vacuum, clustering and planning take SHARE UPDATE EXCLUSIVE, as
/// PostgreSQL's per-sub-command lock table says; a multi-action ALTER takes the strongest of
/// its actions. The model must agree with every major's server.
#[test]
fn alter_table_settings_take_the_lock_of_their_sub_command() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text); \
                 INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g;";
    let cases = [
        "ALTER TABLE users SET (fillfactor = 70)",
        "ALTER TABLE users SET (autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)",
        "ALTER TABLE users RESET (fillfactor)",
        "ALTER TABLE users SET (parallel_workers = 4)",
        "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500",
        "ALTER TABLE users ALTER COLUMN email SET (n_distinct = 100)",
        "ALTER TABLE users CLUSTER ON users_pkey",
        "ALTER TABLE users SET WITHOUT CLUSTER",
        "ALTER TABLE users SET (user_catalog_table = true)",
        "ALTER TABLE users SET (fillfactor = 70), ALTER COLUMN email SET STATISTICS 100",
        "ALTER TABLE users SET (fillfactor = 70), ADD COLUMN note text",
    ];
    assert_the_model_matches_every_major(setup, &cases);
}

/// Dropping a trigger takes ACCESS EXCLUSIVE on its table (reads wait too); dropping or
/// changing a column's NOT NULL or default does as well.
#[test]
fn dropping_a_trigger_or_a_column_property_locks_the_table() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, score int NOT NULL DEFAULT 0);\n\
                 INSERT INTO users SELECT g FROM generate_series(1, 1000) g;\n\
                 CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n\
                 CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n";
    let cases = [
        "DROP TRIGGER users_touch ON users",
        "DROP TRIGGER IF EXISTS users_touch ON public.users",
        "ALTER TABLE users ALTER COLUMN score DROP NOT NULL",
        "ALTER TABLE users ALTER COLUMN score DROP DEFAULT",
    ];
    assert_the_model_matches_every_major(setup, &cases);
}

/// Identity changes and constraint renames take ACCESS EXCLUSIVE and rewrite nothing.
#[test]
fn identity_changes_and_constraint_renames_lock_the_table() {
    let setup = "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n bigint NOT NULL, \
                 email text CONSTRAINT users_email_check CHECK (email <> ''));\n\
                 INSERT INTO users (n, email) SELECT g, 'u' || g FROM generate_series(1, 1000) g;\n";
    let cases = [
        "ALTER TABLE users ALTER COLUMN id SET GENERATED ALWAYS",
        "ALTER TABLE users ALTER COLUMN id DROP IDENTITY",
        "ALTER TABLE users ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE users RENAME CONSTRAINT users_email_check TO users_email_present",
        "ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_key",
    ];
    assert_the_model_matches_every_major(setup, &cases);
}

/// Runs each case after `setup` on every major's server: the table locks it holds must be
/// the ones lockstep's model gives, and it rewrites no table.
fn assert_the_model_matches_every_major(setup: &str, cases: &[&str]) {
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        for sql in cases {
            let measured = server
                .fresh_db()
                .measure(setup, sql)
                .unwrap_or_else(|err| panic!("{major}: {sql}: {err}"));
            let modelled = modelled_locks(&format!("{setup}\n{sql};"), major);
            // A table the statement creates is seen by no other session until it commits:
            // the model leaves its lock out.
            let mut visible = measured.locks.clone();
            visible.retain(|table, _| !measured.created.contains(table));
            assert_eq!(modelled, visible, "PostgreSQL {major}: {sql}");
            assert!(
                measured.rewritten.is_empty(),
                "{major}: {sql}: {measured:?}"
            );
        }
    }
}

/// Every table lock lockstep's model gives the last statement of `sql`, after replaying the
/// ones before it, by table name.
fn modelled_locks(sql: &str, major: u32) -> BTreeMap<String, String> {
    modelled_table_locks(sql, major)
        .into_iter()
        .filter_map(|lock| {
            // The harness names tables as pg_class does: without their schema.
            let table = lock
                .table
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string();
            Some((table, lock.mode.pg_locks_name()?.to_string()))
        })
        .collect()
}

/// The table locks, with their effect on rows, that lockstep's model gives the last
/// statement of `sql`, after replaying the ones before it.
fn modelled_table_locks(sql: &str, major: u32) -> Vec<TableLock> {
    let parsed = lockstep::parse::parse_text(sql, Dialect::Postgres);
    let (last, history) = parsed.statements.split_last().expect("a statement");
    let mut catalog = lockstep::catalog::Catalog::new(Dialect::Postgres);
    for statement in history {
        catalog.apply(statement, lockstep::catalog::ChangeSet(0));
    }
    let mut target = lockstep::dialect::Target::new(Dialect::Postgres);
    target.version = major.to_string().parse().expect("a version");
    lockstep::locks::statement_locks(last, &catalog, &target)
}

/// Asserts lockstep's model says `sql`, run after `setup`, scans its one table exactly when
/// the server did.
fn assert_model_scans(setup: &str, sql: &str, major: u32, scans: bool) {
    let modelled = modelled_table_locks(&format!("{setup}\n{sql};"), major);
    let effects: Vec<TableEffect> = modelled.iter().map(|lock| lock.effect).collect();
    let scan = if scans {
        TableEffect::Scan
    } else {
        TableEffect::None
    };
    assert_eq!(effects, [scan], "{major}: the model of {sql} after {setup}");
}

/// Dropping a foreign key, or a table that has one, also takes ACCESS EXCLUSIVE on the table
/// it references (its triggers live there); unnamed keys are found by PostgreSQL's name.
#[test]
fn dropping_a_foreign_key_locks_the_referenced_table_too() {
    let setup = "CREATE TABLE parents (id bigint PRIMARY KEY);\n\
                 CREATE TABLE children (id bigint PRIMARY KEY, parent_id bigint REFERENCES parents (id), \
                 other_id bigint);\n\
                 ALTER TABLE children ADD CONSTRAINT children_other_fk FOREIGN KEY (other_id) REFERENCES parents (id);\n\
                 INSERT INTO parents SELECT g FROM generate_series(1, 1000) g;\n\
                 INSERT INTO children SELECT g, g, g FROM generate_series(1, 1000) g;\n";
    let cases = [
        "ALTER TABLE children DROP CONSTRAINT children_parent_id_fkey",
        "ALTER TABLE children DROP CONSTRAINT children_other_fk",
        "DROP TABLE children",
    ];
    assert_the_model_matches_every_major(setup, &cases);
}

/// PostgreSQL 18's named NOT NULL: added `NOT VALID` it takes ACCESS EXCLUSIVE without
/// reading the table, `VALIDATE` reads it under SHARE UPDATE EXCLUSIVE, and added valid it
/// scans under ACCESS EXCLUSIVE as `SET NOT NULL` does, which lockstep flags (advising the
/// first two steps on 18); before 18 the server refuses the syntax.
#[test]
fn a_named_not_null_is_added_not_valid_and_validated_from_18() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
                 INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;\n";
    let not_valid =
        "ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID";
    let validate = "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null";
    let valid = "ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email";
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        if major < 18 {
            let refused = server.fresh_db().measure(setup, not_valid);
            assert!(refused.is_err(), "{major}: {refused:?}");
            continue;
        }
        let added = server
            .fresh_db()
            .measure(setup, not_valid)
            .unwrap_or_else(|e| panic!("{not_valid}: {e}"));
        assert!(!added.scanned("users"), "NOT VALID reads no row: {added:?}");
        let validated = server
            .fresh_db()
            .measure(&format!("{setup}{not_valid};\n"), validate)
            .unwrap_or_else(|e| panic!("{validate}: {e}"));
        assert!(validated.scanned("users"), "{validated:?}");
        let scanned = server
            .fresh_db()
            .measure(setup, valid)
            .unwrap_or_else(|e| panic!("{valid}: {e}"));
        assert!(scanned.scanned("users"), "{scanned:?}");
        for (history, sql, measured) in [
            (setup.to_string(), not_valid, &added),
            (format!("{setup}{not_valid};\n"), validate, &validated),
            (setup.to_string(), valid, &scanned),
        ] {
            let modelled = modelled_locks(&format!("{history}\n{sql};"), major);
            assert_eq!(modelled, measured.locks, "PostgreSQL {major}: {sql}");
        }
        let settings = |major: u32| {
            let mut settings = Settings::new(Dialect::Postgres);
            settings.target.version = major.to_string().parse().expect("a version");
            settings
        };
        let rule = "set-not-null-without-check";
        assert!(
            support::findings_after(setup, &format!("{not_valid};"), rule, settings(major))
                .is_empty()
        );
        assert!(
            !support::findings_after(setup, &format!("{valid};"), rule, settings(major)).is_empty()
        );
        // On 18 the rule's advice for SET NOT NULL is the two steps measured above.
        let set_not_null = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        let help = support::findings_after(setup, set_not_null, rule, settings(major))
            .first()
            .and_then(|f| f.help.clone())
            .expect("SET NOT NULL is flagged with advice");
        let advised: Vec<&str> = help.split('`').skip(1).step_by(2).collect();
        assert_eq!(
            advised,
            [format!("{not_valid};"), format!("{validate};")],
            "{major}: {help}"
        );
    }
}

/// Partitions: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent and ACCESS
/// EXCLUSIVE on the table attached and on the default partition, which are read; CREATE
/// INDEX on the parent locks every partition, ON ONLY the parent alone; a new partition
/// (CREATE TABLE ... PARTITION OF) locks the parent and the default partition ACCESS
/// EXCLUSIVE.
#[test]
fn partition_statements_lock_what_the_model_says() {
    let setup = "CREATE TABLE m (id bigint NOT NULL, v int) PARTITION BY RANGE (id);\n\
                 CREATE TABLE m_low PARTITION OF m FOR VALUES FROM (MINVALUE) TO (1000);\n\
                 CREATE TABLE m_rest PARTITION OF m DEFAULT;\n\
                 CREATE TABLE m_new (id bigint NOT NULL, v int);\n\
                 INSERT INTO m SELECT g, g FROM generate_series(1, 3000) g;\n\
                 INSERT INTO m_new SELECT g, g FROM generate_series(5000, 5999) g;\n";
    let cases = [
        "ALTER TABLE m ATTACH PARTITION m_new FOR VALUES FROM (5000) TO (6000)",
        "CREATE INDEX m_v ON m (v)",
        "CREATE INDEX m_v ON ONLY m (v)",
        "CREATE TABLE m_mid PARTITION OF m FOR VALUES FROM (9000) TO (9500)",
    ];
    assert_the_model_matches_every_major(setup, &cases);
}

/// PostgreSQL 19: REPACK without CONCURRENTLY rewrites under ACCESS EXCLUSIVE as VACUUM FULL
/// does, and MERGE PARTITIONS / SPLIT PARTITION hold ACCESS EXCLUSIVE on the parent and the
/// old partitions while they move the rows. No package of 19 can be installed yet: this runs
/// when `LOCKSTEP_PG19_BIN` names its binaries, and is skipped with that reason otherwise.
#[test]
fn repack_and_partition_reshaping_lock_what_the_model_says_on_19() {
    let Some(server) = postgres_major(19) else {
        return;
    };
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
                 INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;\n\
                 CREATE TABLE m (id bigint NOT NULL, v int) PARTITION BY RANGE (id);\n\
                 CREATE TABLE m_a PARTITION OF m FOR VALUES FROM (0) TO (1000);\n\
                 CREATE TABLE m_b PARTITION OF m FOR VALUES FROM (1000) TO (2000);\n\
                 INSERT INTO m SELECT g, g FROM generate_series(0, 1999) g;\n";
    let cases = [
        ("REPACK users", Some("users")),
        ("REPACK users USING INDEX users_pkey", Some("users")),
        ("ALTER TABLE m MERGE PARTITIONS (m_a, m_b) INTO m_ab", None),
        (
            "ALTER TABLE m SPLIT PARTITION m_a INTO (PARTITION m_a1 FOR VALUES FROM (0) TO (500), \
             PARTITION m_a2 FOR VALUES FROM (500) TO (1000))",
            None,
        ),
    ];
    for (sql, rewritten) in cases {
        let measured = server
            .fresh_db()
            .measure(setup, sql)
            .unwrap_or_else(|err| panic!("19: {sql}: {err}"));
        let mut visible = measured.locks.clone();
        visible.retain(|table, _| !measured.created.contains(table));
        assert_eq!(
            modelled_locks(&format!("{setup}\n{sql};"), 19),
            visible,
            "19: {sql}"
        );
        if let Some(table) = rewritten {
            assert!(measured.rewrote(table), "19: {sql}: {measured:?}");
        }
    }
    // 19 checks a constrained domain once against the default instead of row by row.
    let domain = "CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0)";
    let add = "ALTER TABLE users ADD COLUMN refund positive_amount";
    let measured = server
        .fresh_db()
        .measure(&format!("{setup}{domain};\n"), add)
        .unwrap_or_else(|err| panic!("19: {add}: {err}"));
    assert!(!measured.rewrote("users"), "19: {add}: {measured:?}");
    let mut settings = Settings::new(Dialect::Postgres);
    settings.target.version = "19".parse().expect("a version");
    for (sql, rule) in [
        ("REPACK users;", "repack-non-concurrently"),
        (
            "ALTER TABLE m MERGE PARTITIONS (m_a, m_b) INTO m_ab;",
            "merge-or-split-partitions",
        ),
    ] {
        assert!(
            !support::findings_after(setup, sql, rule, settings.clone()).is_empty(),
            "{rule} must flag {sql}"
        );
    }
}

/// A new column of a domain with a constraint rewrites the table on every major before 19
/// (the domain is checked row by row), with or without a default; a domain without one
/// takes the fast path like its base type. The lock model and the rule must say so.
#[test]
fn a_column_of_a_constrained_domain_rewrites_before_19() {
    let domains = "CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);\n\
                   CREATE DOMAIN code AS text;\n";
    let setup = format!("{SCHEMA}{domains}");
    let rule = "add-column-constrained-domain";
    let cases = [
        ("ALTER TABLE users ADD COLUMN refund positive_amount", true),
        (
            "ALTER TABLE users ADD COLUMN refund positive_amount DEFAULT 1",
            true,
        ),
        ("ALTER TABLE users ADD COLUMN tag code", false),
        ("ALTER TABLE users ADD COLUMN tag code DEFAULT 'x'", false),
    ];
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = major.to_string().parse().expect("a version");
        for (sql, rewrites) in cases {
            let measured = server
                .fresh_db()
                .measure(&setup, sql)
                .unwrap_or_else(|err| panic!("{major}: {sql}: {err}"));
            assert_eq!(
                measured.rewrote("users"),
                rewrites,
                "{major}: {sql}: {measured:?}"
            );
            let flagged =
                !support::findings_after(&setup, &format!("{sql};"), rule, settings.clone())
                    .is_empty();
            assert_eq!(flagged, rewrites, "{major}: {rule} on {sql}");
            let modelled = modelled_locks(&format!("{setup}\n{sql};"), major);
            assert_eq!(modelled, measured.locks, "PostgreSQL {major}: {sql}");
        }
    }
}

/// Views and sequences are relations that the statement harness (tables only) does not
/// watch: the locks a statement holds on them are read from `pg_locks` in its own open
/// transaction, by OID, so a dropped one keeps its name. Dropping, replacing or renaming a
/// view waits for its readers and blocks them until commit; `ALTER SEQUENCE ... AS bigint`
/// blocks `nextval()`. The model must say so on every major.
#[test]
fn views_and_sequences_lock_what_the_model_says() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
                 CREATE VIEW active_users AS SELECT id, email FROM users;\n\
                 CREATE MATERIALIZED VIEW user_count AS SELECT count(*) FROM users;\n\
                 CREATE SEQUENCE invoice_numbers AS integer;\n";
    let cases = [
        "DROP VIEW active_users",
        "CREATE OR REPLACE VIEW active_users AS SELECT id, email, 1 AS flag FROM users",
        "ALTER VIEW active_users RENAME TO current_users",
        "ALTER VIEW active_users RENAME COLUMN email TO mail",
        "DROP MATERIALIZED VIEW user_count",
        "ALTER SEQUENCE invoice_numbers AS bigint",
        "ALTER SEQUENCE invoice_numbers RENAME TO invoice_ids",
        "DROP SEQUENCE invoice_numbers",
    ];
    let objects = ["active_users", "user_count", "invoice_numbers"];
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        for sql in cases {
            let db = server.fresh_db();
            db.exec(setup)
                .unwrap_or_else(|err| panic!("{major}: setup: {err}"));
            let mut session = db.session("lockstep-objects").expect("a session");
            let oids = session
                .run("SELECT oid::text, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace")
                .expect("the relations");
            session.run("BEGIN").expect("BEGIN");
            session
                .run(sql)
                .unwrap_or_else(|err| panic!("{major}: {sql}: {err}"));
            let held = session
                .run("SELECT relation::text, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'")
                .expect("the locks");
            session.run("ROLLBACK").expect("ROLLBACK");
            let mut measured = BTreeMap::new();
            for row in held {
                let Some(name) = oids.iter().find(|o| o[0] == row[0]).map(|o| o[1].as_str()) else {
                    continue;
                };
                if objects.contains(&name) {
                    support::postgres::keep_strongest(&mut measured, name, &row[1]);
                }
            }
            let mut modelled = modelled_locks(&format!("{setup}\n{sql};"), major);
            modelled.retain(|name, _| objects.contains(&name.as_str()));
            assert_eq!(modelled, measured, "PostgreSQL {major}: {sql}");
        }
    }
}

/// PostgreSQL 18's `NOT ENFORCED` CHECK and FOREIGN KEY read no row (older majors refuse
/// the syntax): the model claims no scan and the constraint rules stay quiet, while the
/// enforced forms still scan and are flagged.
#[test]
fn a_not_enforced_constraint_reads_nothing_from_18() {
    let setup = "CREATE TABLE parents (id bigint PRIMARY KEY);\n\
                 INSERT INTO parents SELECT g FROM generate_series(1, 1000) g;\n\
                 CREATE TABLE items (id bigint PRIMARY KEY, amount int, parent_id bigint);\n\
                 INSERT INTO items SELECT g, g, g FROM generate_series(1, 1000) g;\n";
    let cases = [
        (
            "ALTER TABLE items ADD CONSTRAINT items_amount_positive CHECK (amount > 0) NOT ENFORCED",
            "add-check-without-not-valid",
        ),
        (
            "ALTER TABLE items ADD CONSTRAINT items_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT ENFORCED",
            "add-foreign-key-without-not-valid",
        ),
    ];
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = major.to_string().parse().expect("a version");
        for (sql, rule) in cases {
            let measured = server.fresh_db().measure(setup, sql);
            if major < 18 {
                assert!(
                    measured.is_err(),
                    "{major} refuses NOT ENFORCED: {measured:?}"
                );
                continue;
            }
            let measured = measured.unwrap_or_else(|err| panic!("{major}: {sql}: {err}"));
            assert!(
                !measured.scanned("items") && !measured.scanned("parents"),
                "{major}: {sql}: {measured:?}"
            );
            assert_eq!(
                modelled_locks(&format!("{setup}\n{sql};"), major),
                measured.locks,
                "PostgreSQL {major}: {sql}"
            );
            let quiet = support::findings_after(setup, &format!("{sql};"), rule, settings.clone());
            assert!(quiet.is_empty(), "{major}: {rule} on {sql}");
            let enforced = sql.replace(" NOT ENFORCED", "");
            let flagged =
                support::findings_after(setup, &format!("{enforced};"), rule, settings.clone());
            assert!(!flagged.is_empty(), "{major}: {rule} on {enforced}");
            let scanned = server
                .fresh_db()
                .measure(setup, &enforced)
                .unwrap_or_else(|err| panic!("{major}: {enforced}: {err}"));
            assert!(scanned.scanned("items"), "{major}: {enforced}: {scanned:?}");
        }
    }
}

/// PostgreSQL 18: turning a `NOT ENFORCED` foreign key on checks every row under ACCESS
/// EXCLUSIVE (and reads the referenced table); the advised replacement, the key added again
/// `NOT VALID` and validated apart, reads nothing under ACCESS EXCLUSIVE.
#[test]
fn enforcing_a_foreign_key_checks_every_row_under_access_exclusive_on_18() {
    let Some(server) = postgres_major(18) else {
        return;
    };
    let setup = "CREATE TABLE parents (id bigint PRIMARY KEY);\n\
                 INSERT INTO parents SELECT g FROM generate_series(1, 1000) g;\n\
                 CREATE TABLE items (id bigint PRIMARY KEY, parent_id bigint);\n\
                 INSERT INTO items SELECT g, g FROM generate_series(1, 1000) g;\n\
                 ALTER TABLE items ADD CONSTRAINT items_parent_fk FOREIGN KEY (parent_id) \
                 REFERENCES parents (id) ON DELETE CASCADE NOT ENFORCED;\n";
    let enforce = "ALTER TABLE items ALTER CONSTRAINT items_parent_fk ENFORCED";
    let measured = server
        .fresh_db()
        .measure(setup, enforce)
        .unwrap_or_else(|err| panic!("{enforce}: {err}"));
    assert!(
        measured.scanned("items") && measured.scanned("parents"),
        "{measured:?}"
    );
    assert_eq!(
        modelled_locks(&format!("{setup}{enforce};"), 18),
        measured.locks
    );
    let mut settings = Settings::new(Dialect::Postgres);
    settings.target.version = "18".parse().expect("a version");
    let rule = "add-foreign-key-without-not-valid";
    let findings = support::findings_after(setup, &format!("{enforce};"), rule, settings);
    let help = findings
        .first()
        .and_then(|f| f.help.clone())
        .expect("enforcing is flagged with advice");
    let advised: Vec<&str> = help.split('`').skip(1).step_by(2).collect();
    assert_eq!(advised.len(), 2, "{help}");
    let replaced = server
        .fresh_db()
        .measure(setup, advised[0])
        .unwrap_or_else(|err| panic!("{}: {err}", advised[0]));
    assert!(
        !replaced.scanned("items") && !replaced.scanned("parents"),
        "{replaced:?}"
    );
    let validated = server
        .fresh_db()
        .measure(&format!("{setup}{}\n", advised[0]), advised[1])
        .unwrap_or_else(|err| panic!("{}: {err}", advised[1]));
    assert_eq!(
        validated.lock_on("items"),
        Some("ShareUpdateExclusiveLock"),
        "{validated:?}"
    );
}

/// `SET EXPRESSION` (17+) computes a stored generated column again for every row; on 18 a
/// virtual one changes without a rewrite. Model and rule agree with the server.
#[test]
fn a_new_generation_expression_rewrites_a_stored_column() {
    let rule = "set-generated-expression";
    for major in MAJORS.into_iter().filter(|major| *major >= 17) {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = major.to_string().parse().expect("a version");
        let mut cases = vec![(
            "ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED;\n",
            true,
        )];
        if major >= 18 {
            cases.push((
                "ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) VIRTUAL;\n",
                false,
            ));
        }
        let change = "ALTER TABLE users ALTER COLUMN doubled SET EXPRESSION AS (score * 3)";
        for (column, rewrites) in cases {
            let setup = format!("{SCHEMA}{column}");
            let measured = server
                .fresh_db()
                .measure(&setup, change)
                .unwrap_or_else(|err| panic!("{major}: {change}: {err}"));
            assert_eq!(
                measured.rewrote("users"),
                rewrites,
                "{major}: {column}{measured:?}"
            );
            assert_eq!(
                modelled_locks(&format!("{setup}{change};"), major),
                measured.locks
            );
            let flagged =
                !support::findings_after(&setup, &format!("{change};"), rule, settings.clone())
                    .is_empty();
            assert_eq!(flagged, rewrites, "{major}: {rule} after {column}");
        }
    }
}

/// A primary key attached to an index built beforehand (`PRIMARY KEY USING INDEX`) makes its
/// columns NOT NULL: on a nullable column the server reads every row under ACCESS EXCLUSIVE,
/// as `SET NOT NULL` does. It reads nothing when the column is NOT NULL already (an identity
/// column is), or when a validated `CHECK (col IS NOT NULL)` proves it. lockstep must flag
/// exactly the first.
#[test]
fn a_primary_key_using_an_index_scans_only_a_nullable_column() {
    let table = |id: &str| {
        format!(
            "CREATE TABLE users (id {id}, email text);\n\
             INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;\n\
             CREATE UNIQUE INDEX users_id_key ON users (id);\n"
        )
    };
    let checked = format!(
        "{}ALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL);\n",
        table("bigint")
    );
    let cases = [
        (table("bigint"), true),
        (table("bigint NOT NULL"), false),
        (table("bigint GENERATED BY DEFAULT AS IDENTITY"), false),
        (checked, false),
    ];
    let attach = "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_key";
    let rule = "set-not-null-without-check";
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = major.to_string().parse().expect("a version");
        for (setup, scans) in &cases {
            let measured = server
                .fresh_db()
                .measure(setup, attach)
                .unwrap_or_else(|err| panic!("{major}: {attach}: {err}"));
            assert_eq!(
                measured.scanned("users"),
                *scans,
                "{major}: after {setup}: {measured:?}"
            );
            assert_eq!(measured.lock_on("users"), Some("AccessExclusiveLock"));
            assert_model_scans(setup, attach, major, *scans);
            let flagged =
                !support::findings_after(setup, &format!("{attach};"), rule, settings.clone())
                    .is_empty();
            assert_eq!(flagged, *scans, "{major}: {rule} after {setup}");
        }
    }
}

/// `ADD PRIMARY KEY (col)` reads the table once to build its index, and once more to check a
/// nullable column for NULLs (counted by `pg_stat_get_xact_numscans` in the statement's own
/// transaction), as add-unique-constraint-without-index's advice says: make the column NOT
/// NULL first only when it is not already.
#[test]
fn a_plain_primary_key_reads_a_nullable_column_once_more() {
    let add = "ALTER TABLE users ADD PRIMARY KEY (id)";
    let rule = "add-unique-constraint-without-index";
    for (id, reads) in [("bigint", "2"), ("bigint NOT NULL", "1")] {
        let setup = format!(
            "CREATE TABLE users (id {id}, email text);\n\
             INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;\n"
        );
        let help = support::findings_after(
            &setup,
            &format!("{add};"),
            rule,
            Settings::new(Dialect::Postgres),
        )
        .into_iter()
        .filter_map(|f| f.help)
        .collect::<String>();
        assert_eq!(help.contains("NOT NULL"), reads == "2", "{id}: {help}");
        for major in MAJORS {
            let Some(server) = postgres_major(major) else {
                continue;
            };
            let db = server.fresh_db();
            db.exec(&setup).expect("setup");
            let rows = db
                .query(&format!(
                    "BEGIN;\n{add};\nSELECT pg_stat_get_xact_numscans('users'::regclass);\nROLLBACK;"
                ))
                .unwrap_or_else(|err| panic!("{major}: {add}: {err}"));
            let counted: Vec<String> = rows.into_iter().flatten().collect();
            assert_eq!(counted, [reads], "{major}: {id}");
        }
    }
}

/// `SET NOT NULL` of a column that is NOT NULL already reads no row on any major, and
/// lockstep leaves it alone; on 18 a `NOT VALID` NOT NULL constraint on the column is
/// validated by it, reading every row, and lockstep flags it.
#[test]
fn set_not_null_of_a_not_null_column_reads_nothing() {
    let set = "ALTER TABLE users ALTER COLUMN id SET NOT NULL";
    let rule = "set-not-null-without-check";
    let table = |id: &str| {
        format!(
            "CREATE TABLE users (id {id}, email text);\n\
             INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;\n"
        )
    };
    let not_valid = format!(
        "{}ALTER TABLE users ADD CONSTRAINT users_id_not_null NOT NULL id NOT VALID;\n",
        table("bigint")
    );
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = major.to_string().parse().expect("a version");
        let mut cases = vec![(table("bigint NOT NULL"), false)];
        if major >= 18 {
            cases.push((not_valid.clone(), true));
        }
        for (setup, scans) in cases {
            let measured = server
                .fresh_db()
                .measure(&setup, set)
                .unwrap_or_else(|err| panic!("{major}: {set}: {err}"));
            assert_eq!(measured.scanned("users"), scans, "{major}: {setup}");
            let flagged =
                !support::findings_after(&setup, &format!("{set};"), rule, settings.clone())
                    .is_empty();
            assert_eq!(flagged, scans, "{major}: {rule} after {setup}");
            assert_model_scans(&setup, set, major, scans);
        }
    }
}
