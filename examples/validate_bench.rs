//! Validate throughput against a bare `csv::ByteRecord` read of the same file, in
//! one run (SPEC: `validate` ≥ 1,000,000 rows/s and ≤ 2× a bare read).
//! Used by `scripts/bench`; run: `cargo run --release --example validate_bench -- FILE`.

use std::path::PathBuf;
use std::time::Instant;

use zoombulk::cli::users::{Action, CreateDefaults, ImportArgs, UserTypeArg};
use zoombulk::jobs::users_import::UsersImport;
use zoombulk::pipeline::input::InputFile;
use zoombulk::pipeline::preflight::Preflight;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(std::env::args().nth(1).ok_or("usage: validate_bench FILE.csv")?);
    let mut best_bare = f64::MAX;
    let mut best_validate = f64::MAX;
    let mut best_input = f64::MAX;
    let mut rows = 0;
    // Alternate them, best of five each, so a noisy neighbour hurts both alike.
    for _ in 0..5 {
        let t = Instant::now();
        let mut reader = csv::ReaderBuilder::new().from_path(&path)?;
        let mut record = csv::ByteRecord::new();
        let mut n = 0u64;
        while reader.read_byte_record(&mut record)? {
            n += 1;
        }
        best_bare = best_bare.min(t.elapsed().as_secs_f64());

        // zoombulk's reader alone (BOM, sniffing, exact line numbers), no checks.
        let t = Instant::now();
        let input = InputFile::open(&path, <UsersImport as zoombulk::jobs::Job>::columns())?;
        let mut records = input.records()?;
        let mut record = csv::StringRecord::new();
        while records.read(&mut record)?.is_some() {}
        best_input = best_input.min(t.elapsed().as_secs_f64());

        let t = Instant::now();
        let input = InputFile::open(&path, <UsersImport as zoombulk::jobs::Job>::columns())?;
        let args = ImportArgs {
            file: path.clone(),
            create: CreateDefaults {
                action: Action::Create,
                user_type: UserTypeArg::Basic,
            },
            features: Vec::new(),
        };
        let job = UsersImport::new(&input, &args)?;
        let pre = Preflight::run(&job, &input)?;
        best_validate = best_validate.min(t.elapsed().as_secs_f64());
        assert_eq!(pre.rows, n, "both passes saw every row");
        rows = n;
    }
    println!("rows={rows}");
    println!("bare_read_s={best_bare:.3}");
    println!("input_read_s={best_input:.3}");
    println!("validate_s={best_validate:.3}");
    println!("validate_rows_per_s={:.0}", rows as f64 / best_validate);
    println!("validate_over_bare={:.2}", best_validate / best_bare);
    Ok(())
}
