use crate::catalog::ChangeSet;
use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::plan::Deploy;
use crate::rules::{Group, BOTH};
use crate::span::Span;
use std::path::Path;

declare_rule! {
    /// ## What it does
    /// Flags a phase written by `lockstep plan` that may deploy only once every application
    /// instance runs the new release (a contract phase, or a constraint the old release
    /// would break) when it is in the same change as an earlier phase of its plan that
    /// deploys before that release: with `--since`, both added by the change (for sqitch,
    /// both changes added to `sqitch.plan` by it); with `change_set = "folder"`, both in
    /// the folder. The phases are recognised by the header `lockstep plan` writes.
    ///
    /// ## Why is this bad?
    /// A migration tool applies every new migration of a deploy, in order: the contract
    /// phase runs right after the expand phase, while the old release, which still reads
    /// the old column, serves traffic. Its queries fail until the new release is out
    /// everywhere, and the contract phase's rollback cannot bring dropped data back.
    ///
    /// ## Example
    /// ```sql
    /// -- V8.1__expand_orders_code_to_sku.sql and, in the same pull request,
    /// -- V8.4__contract_orders_code_to_sku.sql:
    /// -- lockstep plan: rename orders.code to sku
    /// -- Phase 4 of 4, contract: drop the trigger and code
    /// -- Deploy: only after every application instance runs the new release.
    /// ALTER TABLE orders DROP COLUMN code;
    /// ```
    ///
    /// ## Use instead
    /// Ship the contract in a later change: `lockstep plan --write` keeps it in
    /// `.lockstep-pending/`, and `lockstep release <that folder>` moves it into the
    /// migrations folder once every instance runs the new release.
    pub static RULE = Rule {
        id: "contract-with-expand",
        group: Group::Meta,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a plan phase for after the new release, in the same change as the phases before it",
        lock: None,
        check: None,
    };
}

/// What the header `lockstep plan` writes at the top of a phase says.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PhaseHeader {
    /// The plan's title, as the header writes it (control characters escaped).
    plan: String,
    /// 1-based.
    position: u32,
    count: u32,
    kind: String,
    waits_for_release: bool,
}

/// The header of a phase file: `-- lockstep plan: <title>`, `-- Phase N of M, <kind>: ...`
/// and `-- Deploy: ...` among the comment lines the file opens with (after a tool's own
/// markers such as `-- +goose Up`).
fn phase_header(text: &str) -> Option<PhaseHeader> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .take_while(|line| line.is_empty() || line.starts_with("--"))
        .skip_while(|line| !line.starts_with("-- lockstep plan: "));
    let plan = lines
        .next()?
        .strip_prefix("-- lockstep plan: ")?
        .to_string();
    let (numbers, rest) = lines.next()?.strip_prefix("-- Phase ")?.split_once(", ")?;
    let (position, count) = numbers.split_once(" of ")?;
    let kind = rest.split_once(':').map_or(rest, |(kind, _)| kind);
    let deploy = lines.next()?.strip_prefix("-- Deploy: ")?;
    Some(PhaseHeader {
        plan,
        position: position.parse().ok()?,
        count: count.parse().ok()?,
        kind: kind.to_string(),
        waits_for_release: deploy.trim_end_matches('.') == Deploy::AfterAllInstances.describe(),
    })
}

/// The plan phases a set's up migrations have held so far, in file order.
#[derive(Default)]
pub struct ShippedPhases {
    seen: Vec<(PhaseHeader, ChangeSet, String)>,
}

impl ShippedPhases {
    /// Records the phase `text` (the up migration at `path`, deployed in `change_set`) is,
    /// if any; a finding when it waits for the new release and an earlier phase of its
    /// plan that does not is in the same change set.
    pub fn add(&mut self, text: &str, change_set: ChangeSet, path: &Path) -> Option<Finding> {
        let header = phase_header(text)?;
        let earlier = self
            .seen
            .iter()
            .find(|(seen, set, _)| {
                *set == change_set
                    && seen.plan == header.plan
                    && seen.count == header.count
                    && seen.position < header.position
                    && !seen.waits_for_release
            })
            .map(|(seen, _, path)| (seen.clone(), path.clone()));
        self.seen
            .push((header.clone(), change_set, path.display().to_string()));
        let (earlier, earlier_path) = earlier.filter(|_| header.waits_for_release)?;
        let message = format!(
            "phase {} of {} ({}) of the plan `{}` is in the same change as its phase {} ({}), {}: a deploy applies both, and this one runs while the old release still serves traffic",
            header.position,
            header.count,
            header.kind,
            header.plan,
            earlier.position,
            earlier.kind,
            earlier_path
        );
        let mut finding = Finding::new(&RULE, Span::default(), message).help(
            "ship it in a later change, once every application instance runs the new release: `lockstep plan --write` keeps it in `.lockstep-pending/`, and `lockstep release` moves it in",
        );
        // The title and the file names come from the repository.
        finding.escape_controls();
        Some(finding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPAND: &str = "-- +goose Up\n-- lockstep plan: rename orders.code to sku\n-- Phase 1 of 4, expand: add sku\n-- Deploy: before the application release that uses the new schema; the running release keeps working.\nBEGIN;\n";
    const CONTRACT: &str = "-- lockstep plan: rename orders.code to sku\n-- Phase 4 of 4, contract: drop the trigger and code\n-- Deploy: only after every application instance runs the new release.\nALTER TABLE orders DROP COLUMN code;\n";

    #[test]
    fn headers_are_read_after_a_tools_markers() {
        let header = phase_header(EXPAND).unwrap();
        assert_eq!(header.plan, "rename orders.code to sku");
        assert_eq!((header.position, header.count), (1, 4));
        assert_eq!(header.kind, "expand");
        assert!(!header.waits_for_release);
        assert!(phase_header(CONTRACT).unwrap().waits_for_release);
        // A header further down is a comment someone pasted, not this file's.
        assert!(phase_header(&format!("SELECT 1;\n{CONTRACT}")).is_none());
    }

    #[test]
    fn a_contract_is_flagged_only_beside_its_expand() {
        let mut phases = ShippedPhases::default();
        assert!(phases
            .add(EXPAND, ChangeSet(7), Path::new("expand.sql"))
            .is_none());
        assert!(phases
            .add(CONTRACT, ChangeSet(8), Path::new("later.sql"))
            .is_none());
        let finding = phases
            .add(CONTRACT, ChangeSet(7), Path::new("contract.sql"))
            .unwrap();
        assert!(
            finding.message.contains("phase 1 (expand), expand.sql"),
            "{}",
            finding.message
        );
        let other_plan = CONTRACT.replace("sku", "code2");
        assert!(phases
            .add(&other_plan, ChangeSet(7), Path::new("other.sql"))
            .is_none());
    }

    #[test]
    fn control_characters_of_a_header_are_not_printed() {
        let mut phases = ShippedPhases::default();
        let hostile = |text: &str| text.replace("orders.code", "orders.\u{1b}[2Jcode");
        phases.add(&hostile(EXPAND), ChangeSet(1), Path::new("e.sql"));
        let finding = phases
            .add(&hostile(CONTRACT), ChangeSet(1), Path::new("c.sql"))
            .unwrap();
        assert!(!finding.message.contains('\u{1b}'), "{}", finding.message);
    }
}
