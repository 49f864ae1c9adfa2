//! Plan and timing probe for a cache file: `cargo run --release -p pd-bench --example sqlprobe
//! -- FILE "SQL" ["SQL" ...]` prints each statement's `EXPLAIN QUERY PLAN`, its first row and
//! its median time over 15 runs. For investigating case-list query plans by hand.

use std::time::{Duration, Instant};

use rusqlite::{types::ValueRef, Connection};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: sqlprobe FILE SQL...")?;
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;",
    )?;
    for sql in args {
        println!("== {sql}");
        let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let mut rows = plan.query([])?;
        while let Some(r) = rows.next()? {
            let detail: String = r.get(3)?;
            println!("   plan: {detail}");
        }
        let mut times: Vec<Duration> = Vec::new();
        let mut first = String::new();
        let mut count = 0;
        for i in 0..15 {
            let mut stmt = conn.prepare_cached(&sql)?;
            let started = Instant::now();
            let mut rows = stmt.query([])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                if i == 0 && n == 0 {
                    first = (0..r.as_ref().column_count())
                        .map(|c| match r.get_ref(c) {
                            Ok(ValueRef::Integer(v)) => v.to_string(),
                            Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
                            Ok(ValueRef::Real(v)) => v.to_string(),
                            _ => "?".into(),
                        })
                        .collect::<Vec<_>>()
                        .join(" | ");
                }
                n += 1;
            }
            times.push(started.elapsed());
            count = n;
        }
        times.sort();
        println!(
            "   rows {count}, first [{first}], median {:.2} ms, min {:.2} ms",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3
        );
    }
    Ok(())
}
