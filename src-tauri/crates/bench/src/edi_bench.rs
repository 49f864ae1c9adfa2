//! `edi-bench`: recognition throughput of `pd-edi` on a file of many interchanges (X12 and
//! EDIFACT, 100 MB each by default), written to disk and read back like a dropped file; the
//! time counted is recognition alone (envelopes, references, trailer checks), best and median
//! of a few runs.

use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

/// What to run.
#[derive(Debug, Clone)]
pub struct EdiBenchConfig {
    /// Size of each generated file in MB (10^6 bytes).
    pub megabytes: usize,
    /// Timed runs per file.
    pub runs: usize,
}

impl Default for EdiBenchConfig {
    fn default() -> Self {
        EdiBenchConfig {
            megabytes: 100,
            runs: 5,
        }
    }
}

/// One file's figures.
#[derive(Debug, Clone)]
pub struct EdiBenchReport {
    /// X12 or EDIFACT.
    pub standard: &'static str,
    /// File size.
    pub bytes: usize,
    /// Interchanges recognized.
    pub interchanges: usize,
    /// Transaction sets / messages recognized.
    pub transactions: usize,
    /// Fastest run.
    pub best: Duration,
    /// Median run.
    pub median: Duration,
}

impl EdiBenchReport {
    /// MB/s (10^6 bytes) of a run time.
    pub fn mb_per_s(&self, d: Duration) -> f64 {
        self.bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
    }

    /// One Markdown table row.
    pub fn to_markdown_row(&self) -> String {
        format!(
            "| {} | {:.1} MB, {} interchanges, {} sets | {:.0} MB/s (best {:.0} ms) | {:.0} MB/s (median {:.0} ms) |",
            self.standard,
            self.bytes as f64 / 1e6,
            self.interchanges,
            self.transactions,
            self.mb_per_s(self.best),
            self.best.as_secs_f64() * 1e3,
            self.mb_per_s(self.median),
            self.median.as_secs_f64() * 1e3,
        )
    }
}

fn isa(n: usize) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*{:<15}*ZZ*{:<15}*240105*0930*U*00401*{n:09}*0*P*>~\r\n",
        format!("PARTNER{}", n % 97),
        "ACME"
    )
}

/// One X12 interchange (850, 810, 856 or 997 in turn), CRLF after each segment.
fn x12_interchange(n: usize) -> String {
    let (gs, body) = match n % 4 {
        0 => {
            let mut b = format!("ST*850*{n:04}~\r\nBEG*00*SA*PO{n}**20240105~\r\nN1*ST*ACME DC*92*0004~\r\n");
            for line in 1..=20 {
                b.push_str(&format!("PO1*{line}*10*EA*9.95**VP*ITEM-{line}-{n}~\r\n"));
            }
            b.push_str(&format!("CTT*20~\r\nSE*25*{n:04}~\r\n"));
            ("PO", b)
        }
        1 => {
            let mut b = format!("ST*810*{n:04}~\r\nBIG*20240106*INV{n}**PO{}~\r\n", n - 1);
            for line in 1..=20 {
                b.push_str(&format!("IT1*{line}*10*EA*9.95**VP*ITEM-{line}~\r\n"));
            }
            b.push_str(&format!("TDS*199000~\r\nSE*24*{n:04}~\r\n"));
            ("IN", b)
        }
        2 => {
            let mut b = format!("ST*856*{n:04}~\r\nBSN*00*SHP{n}*20240106*1015~\r\nHL*1**S~\r\nHL*2*1*O~\r\nPRF*PO{}~\r\n", n - 2);
            for line in 1..=10 {
                b.push_str(&format!("HL*{}*2*I~\r\nLIN*{line}*VP*ITEM-{line}~\r\nSN1*{line}*10*EA~\r\n", line + 2));
            }
            b.push_str(&format!("SE*36*{n:04}~\r\n"));
            ("SH", b)
        }
        _ => (
            "FA",
            format!("ST*997*{n:04}~\r\nAK1*PO*{}~\r\nAK2*850*{:04}~\r\nAK5*A~\r\nAK9*A*1*1*1~\r\nSE*6*{n:04}~\r\n", n - 3, n - 3),
        ),
    };
    format!(
        "{}GS*{gs}*PARTNER*ACME*20240105*0930*{n}*X*004010~\r\n{body}GE*1*{n}~\r\nIEA*1*{n:09}~\r\n",
        isa(n)
    )
}

/// One EDIFACT interchange (ORDERS, INVOIC or DESADV in turn).
fn edifact_interchange(n: usize) -> String {
    let (kind, doc, lines) = match n % 3 {
        0 => ("ORDERS", "220", 20),
        1 => ("INVOIC", "380", 20),
        _ => ("DESADV", "351", 10),
    };
    let mut m = format!(
        "UNH+M{n}+{kind}:D:96A:UN'BGM+{doc}+DOC{n}+9'DTM+137:20240105:102'RFF+ON:PO{n}'NAD+BY+4012345000009::9'"
    );
    for line in 1..=lines {
        m.push_str(&format!(
            "LIN+{line}++ITEM-{line}:SA'QTY+21:10:PCE'PRI+AAA:9.95'FTX+AAA+++Release ?+ text ?'quoted'"
        ));
    }
    let segments = 5 + lines * 4 + 1;
    m.push_str(&format!("UNT+{segments}+M{n}'"));
    format!(
        "UNA:+.? 'UNB+UNOC:3+PARTNER{}:14+ACME:ZZ+240105:0930+IC{n}'\n{m}\nUNZ+1+IC{n}'\n",
        n % 97
    )
}

/// A file of at least `bytes` bytes of X12 interchanges.
pub fn x12_file(bytes: usize) -> Vec<u8> {
    build(bytes, x12_interchange)
}

/// A file of at least `bytes` bytes of EDIFACT interchanges.
pub fn edifact_file(bytes: usize) -> Vec<u8> {
    build(bytes, edifact_interchange)
}

fn build(bytes: usize, one: fn(usize) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 4096);
    let mut n = 4;
    while out.len() < bytes {
        out.extend_from_slice(one(n).as_bytes());
        n += 1;
    }
    out
}

fn measure(standard: &'static str, file: &[u8], runs: usize) -> Result<EdiBenchReport> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("drop.edi");
    std::fs::write(&path, file)?;
    let bytes = std::fs::read(&path)?;
    let mut times = Vec::new();
    let mut counts = (0, 0);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let found = pd_edi::recognize(&bytes);
        let took = start.elapsed();
        let edi = found
            .edi
            .ok_or_else(|| BenchError::Check(format!("{standard} file not recognized as EDI")))?;
        if let Some(err) = edi.error {
            return Err(BenchError::Check(format!("{standard} file invalid: {err}")));
        }
        counts = (edi.interchanges.len(), edi.transactions().count());
        times.push(took);
    }
    times.sort();
    Ok(EdiBenchReport {
        standard,
        bytes: bytes.len(),
        interchanges: counts.0,
        transactions: counts.1,
        best: times[0],
        median: times[times.len() / 2],
    })
}

/// Generates both files and times recognition.
pub fn run(config: &EdiBenchConfig) -> Result<Vec<EdiBenchReport>> {
    let bytes = config.megabytes * 1_000_000;
    Ok(vec![
        measure("X12", &x12_file(bytes), config.runs)?,
        measure("EDIFACT", &edifact_file(bytes), config.runs)?,
    ])
}
