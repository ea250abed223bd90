//! Proof on a real server: every verdict of the online-DDL matrix (and every ALTER in the
//! MySQL rules' bad and good fixtures) is run against MariaDB pinned with the algorithm and
//! lock lockstep claims, so the server confirms or refutes the claim.
//!
//! For each statement lockstep judges (with `mysql-flavor = "mariadb"`):
//! - the claimed `ALGORITHM` with `LOCK=NONE` (or `LOCK=SHARED` when it claims writes are
//!   blocked) is accepted;
//! - every cheaper algorithm is refused (INSTANT for an in-place verdict, INPLACE for COPY);
//! - an in-place verdict with blocked writes refuses `LOCK=NONE`;
//! - MariaDB's `ALGORITHM=NOCOPY` (in place without a rebuild) is accepted exactly when
//!   lockstep says the table is not rebuilt.
//!
//! Where MySQL 8.0 differs from MariaDB the case names the difference, and the test checks
//! that lockstep's MySQL verdict differs in that way, so the rule follows MySQL 8.0 unless
//! `mysql-flavor = "mariadb"`.

mod support;

use lockstep::catalog::{Catalog, ChangeSet};
use lockstep::dialect::{Dialect, MysqlFlavor, Target};
use lockstep::mysql::clauses::{table_changes, TableChange};
use lockstep::mysql::online_ddl::{Algorithm, Operation, Verdict};
use lockstep::parse::parse_text;
use support::mariadb::{mariadb, MariaDb};

const SETUP: &str = "\
CREATE TABLE parent (id INT NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE t (
  id INT NOT NULL,
  email VARCHAR(60) NOT NULL,
  code VARCHAR(200) CHARACTER SET latin1,
  name VARCHAR(50),
  state ENUM('a','b') NOT NULL DEFAULT 'a',
  tags SET('x','y','z','w','v','u','t','s'),
  total INT,
  user_id INT,
  body TEXT,
  g POINT NOT NULL,
  PRIMARY KEY (id),
  KEY t_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE nopk (id INT NOT NULL, v INT) ENGINE=InnoDB;
CREATE TABLE gen (id INT NOT NULL, total INT, v INT AS (total + 1) VIRTUAL,
  s INT AS (total * 2) STORED, note INT, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE INDEX gen_note ON gen (note);
CREATE TABLE child (id INT NOT NULL, parent_id INT, PRIMARY KEY (id),
  CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB;
CREATE TABLE events (id INT NOT NULL, created DATE NOT NULL, PRIMARY KEY (id, created))
  ENGINE=InnoDB PARTITION BY RANGE (YEAR(created))
  (PARTITION p2020 VALUES LESS THAN (2021), PARTITION p2021 VALUES LESS THAN (2022));
CREATE TABLE ft (id INT NOT NULL, body TEXT, note VARCHAR(20), s INT AS (id * 2) STORED,
  PRIMARY KEY (id), FULLTEXT KEY ft_body (body)) ENGINE=InnoDB;
CREATE TABLE ftgone (id INT NOT NULL, body TEXT, note VARCHAR(20), PRIMARY KEY (id),
  FULLTEXT KEY ftgone_body (body)) ENGINE=InnoDB;
ALTER TABLE ftgone DROP INDEX ftgone_body;
CREATE TABLE ftrebuilt (id INT NOT NULL, body TEXT, PRIMARY KEY (id), FULLTEXT (body))
  ENGINE=InnoDB;
DROP INDEX body ON ftrebuilt;
ALTER TABLE ftrebuilt FORCE;
CREATE TABLE geo (id INT NOT NULL, g POINT NOT NULL, note INT, PRIMARY KEY (id),
  SPATIAL KEY geo_g (g)) ENGINE=InnoDB;
CREATE TABLE ftrenamed (id INT NOT NULL, body TEXT, PRIMARY KEY (id),
  FULLTEXT KEY ftrenamed_a (body)) ENGINE=InnoDB;
ALTER TABLE ftrenamed RENAME INDEX ftrenamed_a TO ftrenamed_b;
CREATE TABLE keyrenamed (id INT NOT NULL, note INT, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE INDEX keyrenamed_a ON keyrenamed (note);
ALTER TABLE keyrenamed RENAME KEY keyrenamed_a TO keyrenamed_b;
ALTER TABLE keyrenamed DROP INDEX keyrenamed_b;
CREATE TABLE ftcopy LIKE ft;
CREATE TABLE ftgonecopy LIKE ftgone;
CREATE TABLE fttruncated (id INT NOT NULL, body TEXT, PRIMARY KEY (id),
  FULLTEXT KEY fttruncated_body (body)) ENGINE=InnoDB;
ALTER TABLE fttruncated DROP INDEX fttruncated_body;
TRUNCATE TABLE fttruncated;
INSERT INTO parent VALUES (1), (2);
INSERT INTO t VALUES (1, 'a@example.com', 'c1', 'ann', 'a', 'x', 10, 1, 'hello world', POINT(1, 1)),
  (2, 'b@example.com', 'c2', 'bob', 'b', 'y', 20, 2, 'other words', POINT(2, 2));
INSERT INTO nopk VALUES (1, 1), (2, 2);
INSERT INTO gen (id, total) VALUES (1, 10), (2, 20);
INSERT INTO child VALUES (1, 1);
INSERT INTO events VALUES (1, '2020-05-01'), (2, '2021-05-01');
INSERT INTO ft (id, body, note) VALUES (1, 'hello world', 'a'), (2, 'other words', 'b');
INSERT INTO ftgone VALUES (1, 'hello world', 'a');
INSERT INTO ftrebuilt VALUES (1, 'hello world');
INSERT INTO geo VALUES (1, POINT(1, 1), 1), (2, POINT(2, 2), 2);
";

/// Why MySQL's verdict on a table that keeps a FULLTEXT index differs from MariaDB's.
const MYSQL_COPIES_FULLTEXT_TABLES: &str = "MySQL rebuilds a table that keeps a FULLTEXT index only by copying it (ER_INNODB_FT_LIMIT; the manual's FORCE and null-rebuild notes: ALGORITHM=INPLACE is not supported for tables with FULLTEXT indexes); MariaDB rebuilds it in place with LOCK=SHARED";

/// One matrix operation: the table, the clause, and, where MySQL 8.0 differs from MariaDB,
/// what MySQL does instead.
struct Case {
    operation: Operation,
    table: &'static str,
    clause: &'static str,
    /// Partition clauses follow the other ALTER options without a comma.
    partition: bool,
    /// MariaDB accepts `ALGORITHM=INSTANT` for this COPY-only clause (and copies anyway).
    instant_pin_ignored: bool,
    mysql_differs: Option<MysqlDiffers>,
}

/// MySQL 8.0's verdict where it differs from MariaDB's.
struct MysqlDiffers {
    why: &'static str,
    algorithm: Algorithm,
    rebuilds: bool,
}

const fn case(operation: Operation, table: &'static str, clause: &'static str) -> Case {
    Case {
        operation,
        table,
        clause,
        partition: false,
        instant_pin_ignored: false,
        mysql_differs: None,
    }
}

const fn differs(mut c: Case, why: &'static str, algorithm: Algorithm, rebuilds: bool) -> Case {
    c.mysql_differs = Some(MysqlDiffers {
        why,
        algorithm,
        rebuilds,
    });
    c
}

/// Repartitioning: MariaDB accepts `ALGORITHM=INSTANT` and still copies, while it refuses
/// `ALGORITHM=INPLACE`; MySQL 8.0 refuses both.
const fn repartition(mut c: Case) -> Case {
    c.partition = true;
    c.instant_pin_ignored = true;
    c
}

fn cases() -> Vec<Case> {
    use Algorithm::*;
    use Operation::*;
    vec![
        case(AddColumnLast, "t", "ADD COLUMN c1 INT"),
        case(AddColumnPositioned, "t", "ADD COLUMN c1 INT AFTER id"),
        case(
            AddVirtualColumn,
            "t",
            "ADD COLUMN c1 INT AS (total + 1) VIRTUAL",
        ),
        case(
            AddStoredColumn,
            "t",
            "ADD COLUMN c1 INT AS (total + 1) STORED",
        ),
        case(
            AddAutoIncrementColumn,
            "nopk",
            "ADD COLUMN c1 INT NOT NULL AUTO_INCREMENT UNIQUE",
        ),
        case(DropColumn, "t", "DROP COLUMN name"),
        differs(
            case(DropIndex, "gen", "DROP COLUMN note"),
            "an indexed column never drops instantly (its index changes); MariaDB drops it in place without a rebuild (NOCOPY), MySQL rebuilds in place",
            Inplace,
            true,
        ),
        case(DropVirtualColumn, "gen", "DROP COLUMN v"),
        differs(
            case(DropStoredColumn, "gen", "DROP COLUMN s"),
            "MariaDB 10.4+ drops any column instantly; MySQL rebuilds in place for a STORED generated column",
            Inplace,
            true,
        ),
        case(RenameColumn, "t", "RENAME COLUMN name TO full_name"),
        differs(
            case(ReorderColumn, "t", "MODIFY name VARCHAR(50) AFTER id"),
            "MariaDB 10.4+ reorders columns instantly; MySQL 8.0 rebuilds in place",
            Inplace,
            true,
        ),
        case(
            ReorderGeneratedColumn,
            "gen",
            "MODIFY v INT AS (total + 1) VIRTUAL AFTER id",
        ),
        case(
            ReorderGeneratedColumn,
            "gen",
            "MODIFY s INT AS (total * 2) STORED AFTER id",
        ),
        case(SetDefault, "t", "ALTER COLUMN total SET DEFAULT 5"),
        case(ChangeColumnType, "t", "MODIFY total BIGINT"),
        case(
            ChangeColumnCharset,
            "t",
            "MODIFY code VARCHAR(200) CHARACTER SET utf8mb4",
        ),
        differs(
            case(ExtendVarchar, "t", "MODIFY email VARCHAR(63) NOT NULL"),
            "MariaDB 10.4+ extends VARCHAR instantly within the length prefix; MySQL 8.0 in place",
            Inplace,
            false,
        ),
        case(
            ExtendVarcharPastPrefix,
            "t",
            "MODIFY email VARCHAR(64) NOT NULL",
        ),
        case(ShrinkVarchar, "t", "MODIFY email VARCHAR(50) NOT NULL"),
        case(MakeNullable, "t", "MODIFY email VARCHAR(60)"),
        case(MakeNotNull, "t", "MODIFY name VARCHAR(50) NOT NULL"),
        case(
            AppendEnumMembers,
            "t",
            "MODIFY state ENUM('a','b','c') NOT NULL DEFAULT 'a'",
        ),
        case(
            RewriteEnumMembers,
            "t",
            "MODIFY state ENUM('b','a') NOT NULL DEFAULT 'a'",
        ),
        case(
            RewriteEnumMembers,
            "t",
            "MODIFY tags SET('x','y','z','w','v','u','t','s','r')",
        ),
        case(AddIndex, "t", "ADD INDEX t_email (email)"),
        case(AddIndex, "t", "ADD UNIQUE INDEX t_email_u (email)"),
        case(AddFulltextIndex, "t", "ADD FULLTEXT INDEX t_body_ft (body)"),
        case(AddSpatialIndex, "t", "ADD SPATIAL INDEX t_g (g)"),
        case(DropIndex, "t", "DROP INDEX t_user"),
        differs(
            case(RenameIndex, "t", "RENAME INDEX t_user TO t_user_id"),
            "MariaDB renames an index instantly; MySQL 8.0 in place (metadata only)",
            Inplace,
            false,
        ),
        case(AddPrimaryKey, "nopk", "ADD PRIMARY KEY (id)"),
        case(DropPrimaryKey, "t", "DROP PRIMARY KEY"),
        case(
            ReplacePrimaryKey,
            "t",
            "DROP PRIMARY KEY, ADD PRIMARY KEY (id, email)",
        ),
        case(
            AddForeignKey,
            "t",
            "ADD CONSTRAINT t_parent_fk FOREIGN KEY (user_id) REFERENCES parent (id)",
        ),
        differs(
            case(DropConstraint, "child", "DROP FOREIGN KEY child_parent_fk"),
            "MariaDB drops a foreign key instantly; MySQL 8.0 in place (metadata only)",
            Inplace,
            false,
        ),
        case(
            AddCheckConstraint,
            "t",
            "ADD CONSTRAINT t_total_positive CHECK (total >= 0)",
        ),
        case(RowFormat, "t", "ROW_FORMAT=COMPACT"),
        differs(
            case(StatisticsOptions, "t", "STATS_PERSISTENT=0"),
            "MariaDB changes persistent-statistics options instantly; MySQL 8.0 in place",
            Inplace,
            false,
        ),
        differs(
            case(TableDefaultCharset, "t", "DEFAULT CHARSET=latin1"),
            "MariaDB changes the table default charset instantly; MySQL 8.0 in place",
            Inplace,
            false,
        ),
        case(ConvertCharset, "t", "CONVERT TO CHARACTER SET latin1"),
        case(Force, "t", "FORCE"),
        case(NullRebuild, "t", "ENGINE=InnoDB"),
        case(RenameTable, "t", "RENAME TO t_renamed"),
        differs(
            case(AutoIncrementValue, "t", "AUTO_INCREMENT = 100"),
            "MariaDB sets AUTO_INCREMENT instantly; MySQL 8.0 in place",
            Inplace,
            false,
        ),
        repartition(case(
            PartitionBy,
            "nopk",
            "PARTITION BY HASH (id) PARTITIONS 2",
        )),
        repartition(case(RemovePartitioning, "events", "REMOVE PARTITIONING")),
        // A FULLTEXT index: stored columns are never added, dropped or moved instantly.
        differs(
            case(AddColumnLast, "ft", "ADD COLUMN c1 INT"),
            MYSQL_COPIES_FULLTEXT_TABLES,
            Copy,
            true,
        ),
        differs(
            case(DropColumn, "ft", "DROP COLUMN note"),
            MYSQL_COPIES_FULLTEXT_TABLES,
            Copy,
            true,
        ),
        differs(
            case(ReorderColumn, "ft", "MODIFY note VARCHAR(20) AFTER id"),
            MYSQL_COPIES_FULLTEXT_TABLES,
            Copy,
            true,
        ),
        differs(
            case(DropStoredColumn, "ft", "DROP COLUMN s"),
            MYSQL_COPIES_FULLTEXT_TABLES,
            Copy,
            true,
        ),
        differs(case(Force, "ft", "FORCE"), MYSQL_COPIES_FULLTEXT_TABLES, Copy, true),
        // Dropping the FULLTEXT index, or its only column, in the statement: the rebuild
        // keeps no FULLTEXT index, so writes continue.
        case(DropColumn, "ft", "DROP COLUMN body"),
        case(AddColumnLast, "ft", "ADD COLUMN c1 INT, DROP INDEX ft_body"),
        case(
            AddVirtualColumn,
            "ft",
            "ADD COLUMN c1 INT AS (id + 1) VIRTUAL",
        ),
        case(RenameColumn, "ft", "RENAME COLUMN note TO remark"),
        // A second FULLTEXT index: FTS_DOC_ID exists, so no rebuild.
        case(AddFulltextIndex, "ft", "ADD FULLTEXT INDEX ft_note (note)"),
        // The last FULLTEXT index dropped: the hidden FTS_DOC_ID stays until a rebuild.
        case(AddColumnLast, "ftgone", "ADD COLUMN c1 INT"),
        case(DropColumn, "ftgone", "DROP COLUMN note"),
        case(
            AddFulltextIndex,
            "ftgone",
            "ADD FULLTEXT INDEX ftgone_note (note)",
        ),
        case(AddColumnLast, "ftrebuilt", "ADD COLUMN c1 INT"),
        // A SPATIAL index: instant changes stay instant, rebuilds block writes.
        case(AddColumnLast, "geo", "ADD COLUMN c1 INT"),
        case(Force, "geo", "FORCE"),
        case(MakeNotNull, "geo", "MODIFY note INT NOT NULL"),
        // RENAME INDEX / RENAME KEY: the index is dropped by its new name.
        case(
            AddColumnLast,
            "ftrenamed",
            "ADD COLUMN c1 INT, DROP INDEX ftrenamed_b",
        ),
        case(DropColumn, "keyrenamed", "DROP COLUMN note"),
        // CREATE TABLE ... LIKE copies the FULLTEXT index and its hidden FTS_DOC_ID, but
        // not a hidden FTS_DOC_ID left without a FULLTEXT index; TRUNCATE drops that too.
        differs(
            case(AddColumnLast, "ftcopy", "ADD COLUMN c1 INT"),
            MYSQL_COPIES_FULLTEXT_TABLES,
            Copy,
            true,
        ),
        case(AddColumnLast, "ftgonecopy", "ADD COLUMN c1 INT"),
        case(AddColumnLast, "fttruncated", "ADD COLUMN c1 INT"),
    ]
}

/// ADD / DROP / REORGANIZE PARTITION: MariaDB's grammar takes no ALGORITHM or LOCK with
/// them, so the server cannot confirm MySQL 8.0's claims (ADD and DROP PARTITION of RANGE/LIST
/// in place with concurrent DML; REORGANIZE in place with LOCK=SHARED), which follow the
/// manual. The test below proves the difference.
const PARTITION_MANAGEMENT: [&str; 3] = [
    "ADD PARTITION (PARTITION p2022 VALUES LESS THAN (2023))",
    "DROP PARTITION p2020",
    "REORGANIZE PARTITION p2021 INTO (PARTITION p2021a VALUES LESS THAN (2022))",
];

#[test]
fn mariadb_takes_no_pins_on_partition_management() {
    for clause in PARTITION_MANAGEMENT {
        let Some(db) = mariadb().map(|server| server.fresh_db()) else {
            return;
        };
        let statement = format!("ALTER TABLE events {clause}, ALGORITHM=INPLACE");
        let err = db
            .alter_is_accepted(SETUP, &statement)
            .expect_err("a syntax error, not a verdict");
        assert!(err.contains("1064"), "{statement}: {err}");
        let plain = format!("ALTER TABLE events {clause}");
        assert!(db.exec(&plain).is_ok(), "{plain} runs without a pin");
    }
}

fn target(flavor: MysqlFlavor) -> Target {
    Target {
        flavor,
        ..Target::new(Dialect::Mysql)
    }
}

/// lockstep's change for `statement` after replaying `SETUP` (and `session` statements).
fn judged(statement: &str, foreign_key_checks_off: bool) -> TableChange {
    let setup = parse_text(SETUP, Dialect::Mysql);
    let mut catalog = Catalog::new(Dialect::Mysql);
    for s in &setup.statements {
        catalog.apply(s, ChangeSet(0));
    }
    let parsed = parse_text(statement, Dialect::Mysql);
    let last = parsed.statements.last().expect("one statement");
    let mut changes = table_changes(last, &catalog, foreign_key_checks_off);
    assert_eq!(changes.len(), 1, "{statement}: {changes:?}");
    changes.remove(0)
}

/// Whether the server runs `statement` after `prelude` on a fresh copy of `SETUP`; `None`
/// when no server is available (outside CI).
fn accepted(prelude: &str, statement: &str) -> Option<bool> {
    let db: MariaDb = mariadb()?.fresh_db();
    // Session settings such as foreign_key_checks must run in the ALTER's own session.
    Some(
        db.alter_is_accepted(SETUP, &format!("{prelude}{statement}"))
            .unwrap_or_else(|err| panic!("{statement:?} failed for another reason: {err}")),
    )
}

fn pinned(case: &Case, algorithm: &str, lock: Option<&str>) -> String {
    let lock = lock.map(|l| format!(", LOCK={l}")).unwrap_or_default();
    let separator = if case.partition { " " } else { ", " };
    format!(
        "ALTER TABLE {} ALGORITHM={algorithm}{lock}{separator}{}",
        case.table, case.clause
    )
}

/// The server's answers to the pins that test `verdict`, as (pin, expected, actual) rows.
fn check_verdict(case: &Case, prelude: &str, verdict: &Verdict) -> Option<Vec<String>> {
    let mut wrong = Vec::new();
    let mut expect = |statement: String, expected: bool| -> Option<()> {
        let actual = accepted(prelude, &statement)?;
        if actual != expected {
            wrong.push(format!(
                "{statement}: lockstep expects {}, server {}",
                verb(expected),
                verb(actual)
            ));
        }
        Some(())
    };
    let claimed_lock = match verdict.algorithm {
        Algorithm::Instant => None,
        _ if verdict.concurrent_dml => Some("NONE"),
        _ => Some("SHARED"),
    };
    expect(pinned(case, verdict.algorithm.name(), claimed_lock), true)?;
    if verdict.algorithm > Algorithm::Instant {
        expect(pinned(case, "INSTANT", None), case.instant_pin_ignored)?;
    }
    if verdict.algorithm == Algorithm::Copy {
        expect(pinned(case, "INPLACE", None), false)?;
    }
    if verdict.algorithm == Algorithm::Inplace {
        expect(pinned(case, "NOCOPY", None), !verdict.rebuilds)?;
        if !verdict.concurrent_dml {
            expect(pinned(case, "INPLACE", Some("NONE")), false)?;
        }
    }
    Some(wrong)
}

fn verb(accepted: bool) -> &'static str {
    if accepted {
        "acceptance"
    } else {
        "refusal"
    }
}

#[test]
fn every_matrix_verdict_is_confirmed_by_the_server() {
    if mariadb().is_none() {
        return;
    }
    let mut wrong = Vec::new();
    for case in cases() {
        let statement = format!("ALTER TABLE {} {}", case.table, case.clause);
        let change = judged(&statement, false);
        let operations: Vec<Operation> = change.clauses.iter().map(|c| c.operation).collect();
        assert!(
            operations.contains(&case.operation),
            "{statement}: classified as {operations:?}, not {:?}",
            case.operation
        );
        let verdict = change
            .verdict(&target(MysqlFlavor::Mariadb))
            .expect("a verdict");
        let Some(found) = check_verdict(&case, "", &verdict) else {
            return;
        };
        wrong.extend(found);
        let mysql = change
            .verdict(&target(MysqlFlavor::Mysql))
            .expect("a verdict");
        match &case.mysql_differs {
            Some(d) => assert!(
                mysql.algorithm == d.algorithm
                    && mysql.rebuilds == d.rebuilds
                    && (mysql.algorithm, mysql.rebuilds) != (verdict.algorithm, verdict.rebuilds),
                "{statement}: {}; lockstep's MySQL verdict is {mysql:?}",
                d.why
            ),
            None => assert_eq!(
                (mysql.algorithm, mysql.rebuilds, mysql.concurrent_dml),
                (verdict.algorithm, verdict.rebuilds, verdict.concurrent_dml),
                "{statement}: MySQL 8.0 and MariaDB agree here"
            ),
        }
    }
    assert!(
        wrong.is_empty(),
        "the server refutes:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn foreign_keys_run_in_place_only_without_checks() {
    let statement =
        "ALTER TABLE t ADD CONSTRAINT t_parent_fk FOREIGN KEY (user_id) REFERENCES parent (id)";
    let change = judged(statement, true);
    let verdict = change
        .verdict(&target(MysqlFlavor::Mariadb))
        .expect("a verdict");
    // MariaDB adds an unchecked foreign key instantly; MySQL 8.0 in place, metadata only.
    assert_eq!(verdict.algorithm, Algorithm::Instant);
    let mysql = change
        .verdict(&target(MysqlFlavor::Mysql))
        .expect("a verdict");
    assert_eq!(
        (mysql.algorithm, mysql.rebuilds),
        (Algorithm::Inplace, false)
    );
    let case = case(
        Operation::AddForeignKeyUnchecked,
        "t",
        "ADD CONSTRAINT t_parent_fk FOREIGN KEY (user_id) REFERENCES parent (id)",
    );
    let Some(wrong) = check_verdict(&case, "SET foreign_key_checks = 0;", &verdict) else {
        return;
    };
    assert!(
        wrong.is_empty(),
        "the server refutes:\n{}",
        wrong.join("\n")
    );
}

/// `ALGORITHM=INSTANT` beside a `LOCK=` clause: MariaDB runs it, while MySQL refuses the
/// pair before looking at the clauses (error 1221, "Incorrect usage of ALGORITHM=INSTANT and
/// LOCK=NONE/SHARED/EXCLUSIVE"), which only a MySQL server could show:
/// <https://dev.mysql.com/doc/refman/8.4/en/innodb-online-ddl-operations.html>.
#[test]
fn mariadb_takes_a_lock_pin_beside_instant_and_mysql_does_not() {
    let statement = "ALTER TABLE t ADD COLUMN c1 INT, ALGORITHM=INSTANT, LOCK=NONE";
    let change = judged(statement, false);
    let mariadb_verdict = change
        .verdict(&target(MysqlFlavor::Mariadb))
        .expect("a verdict");
    assert_eq!(mariadb_verdict.refused, None);
    let mysql_verdict = change
        .verdict(&target(MysqlFlavor::Mysql))
        .expect("a verdict");
    assert!(mysql_verdict.refused.is_some(), "{mysql_verdict:?}");
    let Some(actual) = accepted("", statement) else {
        return;
    };
    assert!(actual, "MariaDB refuses {statement}");
}

/// The fixtures of the verdict rules, run on `SETUP`-like tables: every ALTER's pins as
/// written are accepted exactly when lockstep says the server honours them.
#[test]
fn fixture_pins_are_honoured_or_refused_as_the_rules_say() {
    if mariadb().is_none() {
        return;
    }
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut wrong = Vec::new();
    for rule in [
        "mysql-alter-blocks-writes",
        "mysql-alter-pin-refused",
        "mysql-alter-rebuilds-table",
        "mysql-alter-unpinned-instant",
    ] {
        for entry in std::fs::read_dir(fixtures.join(rule)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("fixture");
            for statement in parse_text(&text, Dialect::Mysql).statements {
                let sql = statement.span.text(&text);
                let has_pin = sql.to_ascii_uppercase().contains("ALGORITHM=")
                    || sql.to_ascii_uppercase().contains("LOCK=");
                if !has_pin || !sql.trim_start().to_ascii_uppercase().starts_with("ALTER") {
                    continue;
                }
                let checks_off = text.contains("foreign_key_checks = 0");
                let change = fixture_change(sql, checks_off);
                let Some(verdict) = change.verdict(&target(MysqlFlavor::Mariadb)) else {
                    continue;
                };
                let prelude = if checks_off {
                    "SET foreign_key_checks = 0;"
                } else {
                    ""
                };
                let Some(actual) = accepted_on_fixture_tables(prelude, sql) else {
                    return;
                };
                if actual != verdict.refused.is_none() {
                    wrong.push(format!(
                        "{}: {sql}: lockstep expects {}, server {}",
                        path.display(),
                        verb(verdict.refused.is_none()),
                        verb(actual)
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the server refutes:\n{}",
        wrong.join("\n")
    );
}

/// The tables the fixtures name, with the columns they use. `users` is latin1 so that its
/// `CONVERT TO CHARACTER SET utf8mb4` converts (converting to the charset a table already
/// has changes nothing, and the server then runs it in place).
const FIXTURE_TABLES: &str = "\
CREATE TABLE users (id INT NOT NULL, email VARCHAR(320) NOT NULL, bio TEXT, name VARCHAR(50),
  status VARCHAR(20), legacy_flag INT, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE orders (id INT NOT NULL, user_id INT, total DECIMAL(12,2), notes TEXT,
  created_at DATETIME, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO users VALUES (1, 'a@example.com', 'bio', 'ann', 'active', 0);
INSERT INTO orders VALUES (1, 1, 10.00, 'note', NOW());
";

fn fixture_change(statement: &str, foreign_key_checks_off: bool) -> TableChange {
    let mut catalog = Catalog::new(Dialect::Mysql);
    for s in parse_text(FIXTURE_TABLES, Dialect::Mysql).statements {
        catalog.apply(&s, ChangeSet(0));
    }
    let parsed = parse_text(statement, Dialect::Mysql);
    table_changes(&parsed.statements[0], &catalog, foreign_key_checks_off).remove(0)
}

fn accepted_on_fixture_tables(prelude: &str, statement: &str) -> Option<bool> {
    let db = mariadb()?.fresh_db();
    Some(
        db.alter_is_accepted(FIXTURE_TABLES, &format!("{prelude}{statement}"))
            .unwrap_or_else(|err| panic!("{statement:?} failed for another reason: {err}")),
    )
}
