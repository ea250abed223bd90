//! Parsing check on a generated corpus of realistic MySQL migration folders: a Flyway folder
//! and a golang-migrate folder (up and down files), written the way teams and mysqldump
//! write them: backticks, `#` comments, `/*!...*/` conditional comments, `DELIMITER` blocks
//! with procedures, functions and triggers, generated JSON columns, multi-valued indexes,
//! `CREATE TABLE ... ENGINE=... DEFAULT CHARSET=...`, partitions, views, upserts.
//!
//! The whole corpus is linted as MySQL: no panic, every statement neither parser nor fallback
//! understood is an `unparsed-statement` note, and the parse-failure rate stays under 1%.
//! The files are generated here (deterministically), not committed, to keep the repository
//! small.

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::check;
use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (64-bit LCG): the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

const ENTITIES: [&str; 12] = [
    "users",
    "orders",
    "order_items",
    "products",
    "invoices",
    "payments",
    "sessions",
    "audit_log",
    "tenants",
    "shipments",
    "coupons",
    "webhooks",
];
const COLUMNS: [&str; 10] = [
    "status",
    "note",
    "external_ref",
    "priority",
    "region",
    "label",
    "score",
    "source",
    "channel",
    "owner_email",
];
const TYPES: [&str; 8] = [
    "VARCHAR(64)",
    "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "INT UNSIGNED",
    "BIGINT",
    "DECIMAL(12,2)",
    "TINYINT(1) NOT NULL DEFAULT '0'",
    "ENUM('new','paid','shipped')",
    "DATETIME(6) NULL DEFAULT CURRENT_TIMESTAMP(6)",
];

/// One realistic snippet for `table` (and `other`, a table it may reference).
fn snippet(rng: &mut Rng, table: &str, other: &str, n: usize) -> String {
    let column = rng.pick(&COLUMNS);
    let ty = rng.pick(&TYPES);
    match rng.next() % 26 {
        0 => format!(
            "CREATE TABLE IF NOT EXISTS `{table}` (\n  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  `{other}_id` bigint unsigned DEFAULT NULL,\n  `{column}` {ty},\n  `doc` json DEFAULT NULL,\n  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,\n  `updated_at` timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `uq_{table}_{n}` (`{column}`),\n  KEY `idx_{table}_{other}` (`{other}_id`),\n  CONSTRAINT `fk_{table}_{other}_{n}` FOREIGN KEY (`{other}_id`) REFERENCES `{other}` (`id`) ON DELETE CASCADE\n) ENGINE=InnoDB AUTO_INCREMENT=1 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci COMMENT='{table} of the shop';\n"
        ),
        1 => format!(
            "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\nDROP TABLE IF EXISTS `{table}_archive`;\n/*!40101 SET @saved_cs_client     = @@character_set_client */;\nCREATE TABLE `{table}_archive` (\n  `id` int(11) NOT NULL,\n  `payload` longtext COLLATE utf8mb4_bin,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n/*!40101 SET character_set_client = @saved_cs_client */;\nLOCK TABLES `{table}_archive` WRITE;\n/*!40000 ALTER TABLE `{table}_archive` DISABLE KEYS */;\nINSERT INTO `{table}_archive` VALUES (1,'{{\"a\": 1}}'),(2,'it''s');\n/*!40000 ALTER TABLE `{table}_archive` ENABLE KEYS */;\nUNLOCK TABLES;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
        ),
        2 => format!(
            "DELIMITER $$\nDROP PROCEDURE IF EXISTS `backfill_{table}_{n}`$$\nCREATE PROCEDURE `backfill_{table}_{n}`(IN batch_size INT)\nBEGIN\n  DECLARE done INT DEFAULT 0;\n  REPEAT\n    UPDATE `{table}` SET `{column}` = NULL WHERE `{column}` IS NULL LIMIT batch_size;\n    SET done = ROW_COUNT() = 0;\n  UNTIL done END REPEAT;\nEND$$\nDELIMITER ;\n"
        ),
        3 => format!(
            "DELIMITER //\nCREATE TRIGGER `trg_{table}_{n}_bi` BEFORE INSERT ON `{table}`\nFOR EACH ROW\nBEGIN\n  IF NEW.`{column}` IS NULL THEN\n    SET NEW.`{column}` = 'n/a';\n  END IF;\nEND //\nDELIMITER ;\n"
        ),
        4 => format!(
            "# derived columns for reporting\nALTER TABLE `{table}` ADD COLUMN `doc_name_{n}` VARCHAR(100) GENERATED ALWAYS AS (`doc`->>'$.name') VIRTUAL, ALGORITHM=INSTANT;\nALTER TABLE `{table}` ADD COLUMN `doc_total_{n}` DECIMAL(10,2) AS (JSON_UNQUOTE(JSON_EXTRACT(`doc`, '$.total'))) STORED;\n"
        ),
        5 => format!(
            "CREATE INDEX `idx_{table}_tags_{n}` ON `{table}` ((CAST(`doc`->'$.tags' AS CHAR(64) ARRAY)));\nALTER TABLE `{table}` ADD INDEX `idx_{table}_zips_{n}` ((CAST(doc->'$.zips' AS UNSIGNED ARRAY)));\n"
        ),
        6 => format!(
            "-- add {column}\nALTER TABLE {table}\n  ADD COLUMN {column}_{n} {ty} AFTER id,\n  ADD INDEX idx_{table}_{column}_{n} ({column}_{n}),\n  ALGORITHM=INPLACE, LOCK=NONE;\n"
        ),
        7 => format!(
            "ALTER TABLE `{table}` MODIFY COLUMN `{column}` VARCHAR(191) NOT NULL DEFAULT '' COMMENT 'was {ty}';\nALTER TABLE `{table}` CHANGE `{column}` `{column}_old` {ty};\n"
        ),
        8 => format!(
            "ALTER TABLE `{table}` RENAME INDEX `idx_{table}_{other}` TO `idx_{table}_{other}_id`;\nALTER TABLE `{table}` ALTER INDEX `uq_{table}_{n}` INVISIBLE;\n"
        ),
        9 => format!(
            "INSERT INTO `{table}` (`id`, `{column}`) VALUES (1, 'a'), (2, 'b')\n  ON DUPLICATE KEY UPDATE `{column}` = VALUES(`{column}`);\nINSERT IGNORE INTO `{table}` SET `id` = 3, `{column}` = 'c';\nREPLACE INTO `{table}` (`id`) VALUES (4);\n"
        ),
        10 => format!(
            "UPDATE `{table}` t JOIN `{other}` o ON o.id = t.`{other}_id` SET t.`{column}` = o.`{column}` WHERE t.id BETWEEN 1 AND 5000;\nDELETE FROM `{table}` WHERE created_at < NOW() - INTERVAL 90 DAY ORDER BY id LIMIT 1000;\n"
        ),
        11 => format!(
            "CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `v_{table}_{n}` AS\n  SELECT t.id, t.`{column}` FROM `{table}` t WHERE t.`{column}` IS NOT NULL;\n"
        ),
        12 => format!(
            "SET SESSION lock_wait_timeout = 5;\nSET @rows := 0;\nSTART TRANSACTION;\nUPDATE `{table}` SET `{column}` = UPPER(`{column}`) WHERE id < 100;\nCOMMIT;\n"
        ),
        13 => format!(
            "DELIMITER $$\nCREATE FUNCTION `fn_{table}_{n}`(p_id BIGINT) RETURNS varchar(64) CHARSET utf8mb4\n    READS SQL DATA\n    DETERMINISTIC\nBEGIN\n  DECLARE v VARCHAR(64);\n  SELECT `{column}` INTO v FROM `{table}` WHERE id = p_id;\n  RETURN v;\nEND$$\nDELIMITER ;\n"
        ),
        14 => format!(
            "CREATE TABLE `{table}_by_month_{n}` (\n  `id` bigint NOT NULL,\n  `created` date NOT NULL,\n  PRIMARY KEY (`id`,`created`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\nPARTITION BY RANGE (YEAR(`created`)) (\n  PARTITION p2023 VALUES LESS THAN (2024),\n  PARTITION p2024 VALUES LESS THAN (2025),\n  PARTITION pmax VALUES LESS THAN MAXVALUE\n);\nALTER TABLE `{table}_by_month_{n}` REORGANIZE PARTITION pmax INTO (PARTITION p2025 VALUES LESS THAN (2026), PARTITION pmax VALUES LESS THAN MAXVALUE);\n"
        ),
        15 => format!(
            "ALTER TABLE `{table}` ADD CONSTRAINT `chk_{table}_{n}` CHECK (`id` > 0);\nALTER TABLE `{table}` DROP CHECK `chk_{table}_{n}`;\n"
        ),
        16 => format!(
            "CREATE TABLE `{table}_copy_{n}` LIKE `{table}`;\nCREATE TABLE `{table}_snap_{n}` AS SELECT * FROM `{table}` WHERE 1 = 0;\n"
        ),
        17 => format!(
            "ALTER TABLE `{table}` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\nALTER TABLE `{table}` ENGINE=InnoDB, ROW_FORMAT=DYNAMIC;\nOPTIMIZE TABLE `{table}`;\n"
        ),
        18 => format!(
            "ALTER TABLE {table} ADD COLUMN `{column}_{n}` {ty}, ALGORITHM=INSTANT;\n# keep old readers working\nALTER TABLE {table} ALTER COLUMN `{column}_{n}` SET DEFAULT NULL;\n"
        ),
        19 => format!(
            "CREATE UNIQUE INDEX uq_{table}_ref_{n} USING BTREE ON {table} (external_ref(32), tenant_id) ALGORITHM=INPLACE LOCK=NONE;\nDROP INDEX uq_{table}_ref_{n} ON {table};\n"
        ),
        20 => format!(
            "CREATE TABLE IF NOT EXISTS {table}_tags_{n} (\n  {table}_id BIGINT UNSIGNED NOT NULL,\n  tag VARCHAR(32) NOT NULL,\n  PRIMARY KEY ({table}_id, tag),\n  FULLTEXT KEY ft_tag (tag),\n  CONSTRAINT fk_{table}_tags_{n} FOREIGN KEY ({table}_id) REFERENCES {table} (id)\n) ENGINE = InnoDB CHARACTER SET = utf8mb4;\n"
        ),
        22 => format!(
            "DELIMITER ;;\nCREATE DEFINER=`app`@`%` EVENT `ev_purge_{table}_{n}` ON SCHEDULE EVERY 1 DAY DO BEGIN\n  DELETE FROM `{table}` WHERE created_at < NOW() - INTERVAL 1 YEAR LIMIT 10000;\nEND ;;\nDELIMITER ;\n"
        ),
        23 => format!(
            "GRANT SELECT, INSERT ON `shop`.`{table}` TO 'app'@'%';\nALTER TABLE `{table}` ADD COLUMN IF NOT EXISTS `{column}_{n}` INT NOT NULL DEFAULT 0 COMMENT 'counter' FIRST;\n"
        ),
        24 => format!(
            "ALTER TABLE `{table}` DROP FOREIGN KEY `fk_{table}_{other}_{n}`, DROP INDEX `idx_{table}_{other}`;\nCREATE TABLE `{table}_cold_{n}` (`id` bigint NOT NULL PRIMARY KEY) ENGINE=InnoDB ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8 STATS_PERSISTENT=1;\n"
        ),
        25 => format!(
            "INSERT INTO `{table}_archive` (id, payload) SELECT id, JSON_OBJECT('v', `{column}`) FROM `{table}` WHERE id < 1000;\nCREATE VIEW `v_{table}_tags_{n}` AS SELECT t.id, j.tag FROM `{table}` t, JSON_TABLE(t.doc, '$.tags[*]' COLUMNS (tag VARCHAR(32) PATH '$')) AS j;\n"
        ),
        _ => format!(
            "/*!50003 CREATE*/ /*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER `trg_{table}_{n}_au` AFTER UPDATE ON `{table}` FOR EACH ROW INSERT INTO audit_log (entity, entity_id) VALUES ('{table}', NEW.id) */;\nRENAME TABLE `{table}_old_{n}` TO `{table}_older_{n}`;\n"
        ),
    }
}

/// A migration file of 3 to 6 snippets on one table.
fn migration(rng: &mut Rng, n: usize) -> String {
    let table = rng.pick(&ENTITIES);
    let other = rng.pick(&ENTITIES);
    let mut text = String::new();
    let _ = writeln!(text, "-- migration {n}: {table}");
    for k in 0..3 + rng.next() % 4 {
        text.push_str(&snippet(rng, table, other, n * 10 + k));
        text.push('\n');
    }
    text
}

/// 150 Flyway files and 80 golang-migrate up/down pairs: 310 files.
fn write_corpus(root: &Path) {
    let mut rng = Rng(0x010c_57e9);
    let flyway = root.join("flyway/db/migration");
    let golang = root.join("golang/migrations");
    std::fs::create_dir_all(&flyway).unwrap();
    std::fs::create_dir_all(&golang).unwrap();
    for n in 1..=150 {
        let name = format!("V{n}__change_{n}.sql");
        std::fs::write(flyway.join(name), migration(&mut rng, n)).unwrap();
    }
    for n in 1..=80 {
        let stem = format!("{:06}_change_{n}", 20240000 + n);
        std::fs::write(
            golang.join(format!("{stem}.up.sql")),
            migration(&mut rng, n),
        )
        .unwrap();
        let table = rng.pick(&ENTITIES);
        let down = format!(
            "# revert {n}\nDROP TABLE IF EXISTS `{table}_tags_{n}`;\nALTER TABLE `{table}` DROP COLUMN `note_{n}`, DROP INDEX `idx_{table}_note_{n}`;\n"
        );
        std::fs::write(golang.join(format!("{stem}.down.sql")), down).unwrap();
    }
}

#[test]
fn generated_mysql_migrations_lint_with_parse_failures_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_corpus(dir.path());
    let mut settings = Settings::new(Dialect::Mysql);
    settings.paths = vec![dir.path().to_path_buf()];
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.files.len(), 310);
    let statements: usize = report.files.iter().map(|f| f.statements).sum();
    let unparsed: usize = report.files.iter().map(|f| f.unparsed).sum();
    let notes: Vec<String> = report
        .findings()
        .filter(|(_, f)| f.rule.id == "unparsed-statement")
        .map(|(file, f)| format!("{}: {}", f.message, f.statement.text(&file.source)))
        .collect();
    let (failures, partial): (Vec<String>, Vec<String>) = notes
        .into_iter()
        .partition(|n| n.starts_with("could not parse"));
    assert_eq!(
        failures.len(),
        unparsed,
        "every unparsed statement is reported as a note"
    );
    let rate = unparsed as f64 / statements as f64;
    println!(
        "MySQL corpus: {} files, {statements} statements, {unparsed} unparsed ({:.2}%), {} partly understood ALTERs",
        report.files.len(),
        rate * 100.0,
        partial.len()
    );
    let mut by_rule = std::collections::BTreeMap::new();
    for (_, finding) in report.findings() {
        *by_rule.entry(finding.rule.id).or_insert(0) += 1;
    }
    println!("findings by rule: {by_rule:?}");
    for note in failures.iter().chain(&partial) {
        println!("  {note}");
    }
    assert!(
        rate < 0.01,
        "parse-failure rate {:.2}% over 1%:\n{}",
        rate * 100.0,
        failures.join("\n")
    );
}
