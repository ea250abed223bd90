//! The JSON Schema of `lockstep.toml` (`lockstep config-schema`, committed as
//! `docs/lockstep.schema.json`), so editors complete and check the file. It mirrors
//! [`crate::config::Options`]: a key that has a dashed alias accepts both spellings, and
//! `[rules]` keys are the rule and group ids of the registry.

use crate::rules::{self, Group};
use serde_json::{json, Map, Value};

fn strings(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// `name` and, when `dashed` is set, its dashed spelling, both described alike.
fn key(properties: &mut Map<String, Value>, name: &str, dashed: bool, schema: Value) {
    if dashed {
        properties.insert(name.replace('_', "-"), schema.clone());
    }
    properties.insert(name.to_string(), schema);
}

pub fn json_schema() -> Value {
    let level = strings(&["error", "warning", "note", "off", "on"]);
    let globs = json!({ "type": "array", "items": { "type": "string" } });
    let mut rule_ids: Vec<&str> = rules::ALL.iter().map(|r| r.id).collect();
    rule_ids.extend(Group::ALL.iter().map(|g| g.id()));
    rule_ids.sort_unstable();
    let mut properties = Map::new();
    let mut add = |name: &str, dashed: bool, description: &str, mut schema: Value| {
        schema["description"] = json!(description);
        key(&mut properties, name, dashed, schema);
    };
    add(
        "dialect",
        false,
        "The server the migrations run on.",
        strings(&["postgres", "mysql"]),
    );
    add(
        "target_version",
        true,
        "The server version in production, e.g. \"15\" or \"8.0.35\".",
        json!({ "type": "string" }),
    );
    add(
        "mysql_flavor",
        true,
        "Follow MariaDB where it differs from MySQL 8.0.",
        strings(&["mysql", "mariadb"]),
    );
    add(
        "paths",
        false,
        "The migration files or folders linted when none is named, relative to this file.",
        globs.clone(),
    );
    add(
        "include",
        false,
        "Globs of the files linted (default **/*.sql).",
        globs.clone(),
    );
    add("exclude", false, "Globs of the files skipped.", globs);
    add(
        "fail_on",
        true,
        "The lowest severity that fails the run.",
        strings(&["error", "warning", "note", "never"]),
    );
    add(
        "change_set",
        true,
        "\"file\": each file deploys alone; \"folder\": a folder deploys together.",
        strings(&["file", "folder"]),
    );
    add(
        "rollbacks",
        false,
        "How down files and sections are judged.",
        strings(&["relaxed", "lint", "skip"]),
    );
    add(
        "deploy",
        false,
        "online (default): migrations run beside the live application. stopped: the application is down while they run, so compatibility rules are off and locking rules are notes.",
        strings(&["online", "stopped"]),
    );
    add(
        "automation_id",
        true,
        "SARIF automationDetails.id (the code scanning category).",
        json!({ "type": "string" }),
    );
    add(
        "max_file_size",
        true,
        "Bytes; a larger migration file is skipped and reported (default 64 MiB).",
        json!({ "type": "integer", "minimum": 0 }),
    );
    add(
        "rules",
        false,
        "A rule or group id, and the level it reports at.",
        json!({
            "type": "object",
            "propertyNames": { "enum": rule_ids },
            "additionalProperties": level,
        }),
    );
    add(
        "transactions",
        false,
        "A framework name or a path glob, and whether its files run in a transaction.",
        json!({ "type": "object", "additionalProperties": strings(&["wrapped", "none"]) }),
    );
    add(
        "dialects",
        false,
        "A path glob, and the server its files run on; the first match wins.",
        json!({ "type": "object", "additionalProperties": strings(&["postgres", "mysql"]) }),
    );
    add(
        "session",
        false,
        "What the migration runner sets for every session.",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "lock_timeout": { "type": "string", "description": "PostgreSQL lock_timeout, e.g. \"2s\"." },
                "lock_wait_timeout": { "type": "string", "description": "MySQL lock_wait_timeout in seconds, e.g. \"5\"." },
            },
        }),
    );
    add(
        "flyway_undo",
        true,
        "lockstep plan writes Flyway rollbacks as U undo files, which only Flyway Teams runs (default false: .sql.rollback files beside the phases, run by hand).",
        json!({ "type": "boolean" }),
    );
    let seconds =
        |description: &str| json!({ "type": "number", "minimum": 0, "description": description });
    let rate = |description: &str| json!({ "type": "number", "exclusiveMinimum": 0, "description": description });
    add(
        "stats",
        false,
        "The stats file `lockstep stats` wrote (relative to this file), or a [stats] table with it, thresholds and rates.",
        json!({
            "oneOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "file": { "type": "string", "description": "The stats file, relative to this file." },
                        "note_below_seconds": seconds("A locking finding whose lock is held at most this long becomes a note (default 1)."),
                        "warning_below_seconds": seconds("A locking finding whose lock is held at most this long is at most a warning (default 10)."),
                        "rates": {
                            "type": "object",
                            "additionalProperties": false,
                            "description": "Rates measured on your own hardware; each replaces the built-in one.",
                            "properties": {
                                "rewrite_mb_per_s": rate("MB of heap, TOAST and indexes a table rewrite copies per second."),
                                "index_build_mb_per_s": rate("MB of heap read per second while one index is built."),
                                "validation_scan_mb_per_s": rate("MB of heap read per second while a constraint is validated."),
                                "backfill_rows_per_s": rate("Rows an UPDATE of every row changes per second."),
                            },
                        },
                    },
                },
            ],
        }),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "lockstep.toml",
        "description": "Configuration of lockstep, a linter for SQL schema migrations.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Options;
    use std::path::Path;

    /// A TOML value the schema allows for `schema`.
    fn sample(schema: &Value) -> String {
        if let Some(first) = schema["oneOf"].get(0) {
            return sample(first);
        }
        if let Some(values) = schema["enum"].as_array() {
            return values[0].to_string();
        }
        match schema["type"].as_str() {
            Some("string") => "\"15\"".to_string(),
            Some("integer") => "1024".to_string(),
            Some("number") => "2.5".to_string(),
            Some("array") => "[\"db\"]".to_string(),
            Some("object") => "{}".to_string(),
            Some("boolean") => "true".to_string(),
            other => panic!("no sample for {other:?}"),
        }
    }

    #[test]
    fn every_key_the_schema_allows_is_accepted_by_the_config_reader() {
        let schema = json_schema();
        for (name, property) in schema["properties"].as_object().unwrap() {
            let text = format!("{name} = {}\n", sample(property));
            let parsed = Options::parse(&text, Path::new("lockstep.toml"));
            assert!(parsed.is_ok(), "{text}: {parsed:?}");
        }
        let session = &schema["properties"]["session"]["properties"];
        for (name, property) in session.as_object().unwrap() {
            let text = format!("[session]\n{name} = {}\n", sample(property));
            assert!(Options::parse(&text, Path::new("x")).is_ok(), "{text}");
        }
        let stats = &schema["properties"]["stats"]["oneOf"][1]["properties"];
        for (name, property) in stats.as_object().unwrap() {
            let text = format!("[stats]\n{name} = {}\n", sample(property));
            assert!(Options::parse(&text, Path::new("x")).is_ok(), "{text}");
        }
        for (name, property) in stats["rates"]["properties"].as_object().unwrap() {
            let text = format!("[stats.rates]\n{name} = {}\n", sample(property));
            assert!(Options::parse(&text, Path::new("x")).is_ok(), "{text}");
        }
    }

    #[test]
    fn every_rule_and_group_id_is_a_rules_key() {
        let schema = json_schema();
        let ids = &schema["properties"]["rules"]["propertyNames"]["enum"];
        let ids: Vec<&str> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for id in &ids {
            let text = format!("[rules]\n{id} = \"off\"\n");
            let options = Options::parse(&text, Path::new("x")).unwrap();
            assert!(
                crate::config::RuleLevels::resolve(
                    &options.rules,
                    crate::config::DeployMode::Online,
                    Path::new("x")
                )
                .is_ok(),
                "{id}"
            );
        }
        assert_eq!(ids.len(), rules::ALL.len() + Group::ALL.len());
    }
}
