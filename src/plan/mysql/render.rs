//! MySQL plans as migration files.
//!
//! How each framework sends a MySQL file, which decides how a trigger or procedure body
//! (with semicolons of its own) is written:
//!
//! | framework | sends | a `BEGIN ... END` body |
//! |---|---|---|
//! | Flyway | statement by statement, on one connection | between `DELIMITER //` and `DELIMITER ;` |
//! | plain (`mysql` client) | statement by statement | between `DELIMITER //` and `DELIMITER ;` |
//! | golang-migrate | the whole file as one query (DSN `multiStatements=true`); the server splits it | as is: `DELIMITER` is a client command the server rejects |
//! | dbmate | each block as one query (it sets `multiStatements` itself) | as is |
//! | goose | statement by statement, split on `;` | between `-- +goose StatementBegin` and `-- +goose StatementEnd` |
//!
//! MySQL commits every DDL statement on its own, so no file opens a transaction. A file
//! still needs one connection throughout (its `SET SESSION` lines and `LOCK TABLES` hold
//! for the session): Flyway, golang-migrate and dbmate run a file on one connection, and
//! goose does inside the transaction it opens by default, which is why the files carry no
//! `-- +goose NO TRANSACTION` (goose without a transaction takes each statement from its
//! connection pool). A framework transaction ends at the first DDL statement; the
//! backfill's `COMMIT` per batch ends whichever transaction is open.

use super::super::render::{
    nothing_to_undo, phase_file, phase_header, rollback_header, write_steps, Convention, Names,
    OutFile, PhaseContext, Role,
};
use super::super::{PlanError, Rollback, Step};
use super::{sql, LOCK_WAIT_TIMEOUT_SECS};
use std::fmt::Write;

/// Refuses the conventions MySQL plans are not written in.
pub fn check_convention(convention: Convention) -> Result<(), PlanError> {
    if matches!(
        convention,
        Convention::Sqlx | Convention::Diesel | Convention::Prisma | Convention::Sqitch
    ) {
        return Err(PlanError(
            "lockstep plan writes MySQL plans for flyway, golang-migrate, dbmate, goose and plain; use one of those with --layout".into(),
        ));
    }
    Ok(())
}

/// The files of one MySQL phase.
pub fn phase_files(
    context: &PhaseContext,
    names: &Names,
    index: usize,
) -> Result<Vec<OutFile>, PlanError> {
    let file = phase_file(index);
    let header = header(context);
    let up = statements(&context.phase.steps, context.convention);
    let down = rollback_body(context);
    let mut out = Vec::new();
    let text = match context.convention {
        Convention::Dbmate => format!("{header}\n-- migrate:up\n{up}\n-- migrate:down\n{down}"),
        Convention::Goose => format!("{header}\n-- +goose Up\n{up}\n-- +goose Down\n{down}"),
        _ => format!("{header}\n{up}"),
    };
    out.push(file(&names.up, text, Role::Up));
    if let Some(down_name) = &names.down {
        let header = rollback_header(context, names, down_name, "mysql --database=DB <");
        out.push(file(down_name, format!("{header}\n{down}"), Role::Down));
    }
    Ok(out)
}

fn header(context: &PhaseContext) -> String {
    let transaction = [
        "-- Transaction: none: MySQL commits each statement on its own; if the phase stops part-way, run its rollback, then the phase again.".to_string(),
        format!("-- Session: {}.", session_note(context.convention)),
    ];
    let lock_wait = format!("-- Lock wait: at most {LOCK_WAIT_TIMEOUT_SECS} s (lock_wait_timeout). On ERROR 1205 (Lock wait timeout exceeded) the waiting statement changed nothing: run the rollback, then the phase again, at a quieter time if it keeps timing out.");
    phase_header(context, &transaction, &lock_wait)
}

fn session_note(convention: Convention) -> &'static str {
    match convention {
        Convention::GolangMigrate => {
            "golang-migrate sends this file as one query: the database URL needs multiStatements=true"
        }
        Convention::Dbmate => "dbmate sends each block as one query on one connection",
        Convention::Goose => {
            "goose's transaction keeps the file on one connection, so the SET SESSION lines hold for every statement"
        }
        Convention::Flyway => "Flyway runs the file statement by statement on one connection",
        _ => "run the file with the mysql client, which reads the DELIMITER lines",
    }
}

fn rollback_body(context: &PhaseContext) -> String {
    match &context.phase.rollback {
        Rollback::Steps(steps) => statements(steps, context.convention),
        Rollback::Nothing(why) => nothing_to_undo(why),
        Rollback::Irreversible(why) => statements(
            &[Step::new(sql::refuse(&format!("irreversible: {why}")))],
            context.convention,
        ),
    }
}

fn statements(steps: &[Step], convention: Convention) -> String {
    let mut body = String::new();
    write_steps(&mut body, steps, &sql::lock_wait_timeout(), |body, step| {
        let _ = match convention {
            _ if !sql::is_compound(step) => writeln!(body, "{};", step.sql),
            Convention::Flyway | Convention::Plain => {
                writeln!(body, "DELIMITER //\n{}//\nDELIMITER ;", step.sql)
            }
            Convention::Goose => writeln!(
                body,
                "-- +goose StatementBegin\n{};\n-- +goose StatementEnd",
                step.sql
            ),
            _ => writeln!(body, "{};", step.sql),
        };
    });
    body
}
