mod support;
use support::postgres::postgres;

const SCHEMA: &str = include_str!("/work/main/.worktrees/PROOF_SCHEMA.sql");

#[test]
fn explore() {
    let Some(server) = postgres() else { return };
    let stmts = std::fs::read_to_string("/tmp/explore/stmts.sql").unwrap();
    for s in stmts.split("\n--\n") {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        let db = server.fresh_db();
        db.exec(SCHEMA).unwrap();
        let m = db.measure("", s);
        let scans = db.query(&format!("BEGIN; {s}; SELECT 'scan', relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE seq_scan > 0 OR idx_scan > 0; SELECT 'mv', c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND c.relkind IN ('m','i'); ROLLBACK;"));
        println!("=== {s}\n  {m:?}\n  {scans:?}");
    }
}
