//! The exported workbook opens cleanly in the programs respondents use: LibreOffice
//! (headless, converting it to CSV) and Python's openpyxl (what many scripts use).
//! scripts/test.sh installs both; without them these tests fail and say so.

use std::path::Path;
use std::process::Command;

fn needsd(dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_needsd"))
        .args(args)
        .current_dir(dir)
        .env_remove("NEEDSD_CONFIG")
        .env_remove("NEEDSD_TOKEN_SECRET")
        .output()
        .expect("run needsd");
    assert!(
        out.status.success(),
        "needsd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn workbook(dir: &Path) -> std::path::PathBuf {
    std::fs::write(
        dir.join("c.csv"),
        "party,name,office,email,language,role,receives_matrix\nKEN,Grace,MFA,grace@mfa.ke.example.org,en,,yes\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("m.csv"),
        "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
         MN-00001,KEN,FIN,Analyst training — phase 2,High,Open,UNODC,Заметка,2026-10-14\n",
    )
    .unwrap();
    needsd(dir, &["init"]);
    needsd(dir, &["contacts", "import", "c.csv"]);
    needsd(dir, &["matrix", "import", "m.csv"]);
    needsd(
        dir,
        &[
            "matrix",
            "export",
            "--out",
            "w.xlsx",
            "--cycle",
            "2026-12",
            "--recipient",
            "grace@mfa.ke.example.org",
        ],
    );
    dir.join("w.xlsx")
}

#[test]
fn openpyxl_reads_every_sheet_and_the_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let wb = workbook(dir.path());
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
m = wb["Matrix"]
print("|".join(wb.sheetnames))
print(wb["_needsd"].sheet_state)
print("|".join(str(c.value) for c in m[2]))
print(m.freeze_panes, m.protection.sheet)
print(sorted(str(dv.formula1) for dv in m.data_validations.dataValidation))
"#;
    let out = Command::new("python3")
        .args(["-c", script, wb.to_str().unwrap()])
        .output()
        .expect("python3 is on the machine (scripts/test.sh installs what the tests need)");
    assert!(
        out.status.success(),
        "openpyxl failed (install it with `pip install openpyxl`, as scripts/test.sh does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Matrix|About|Lists|_needsd");
    assert_eq!(lines[1], "veryHidden");
    assert_eq!(
        lines[2],
        "MN-00001|KEN|FIN|Analyst training — phase 2|High|Open|UNODC|Заметка|2026-10-14 00:00:00"
    );
    assert_eq!(lines[3], "A2 True");
    assert_eq!(lines[4], "['Areas', 'Priorities', 'States', 'Statuses']");
}

#[test]
fn libreoffice_opens_and_converts_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let wb = workbook(dir.path());
    let profile = dir.path().join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(dir.path().join("out"))
        .arg(&wb)
        .output()
        .expect(
            "LibreOffice (soffice) is installed: scripts/test.sh installs libreoffice-calc-nogui",
        );
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv =
        std::fs::read_to_string(dir.path().join("out/w.csv")).expect("LibreOffice wrote the CSV");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated")
    );
    assert_eq!(
        lines.next(),
        Some("MN-00001,KEN,FIN,Analyst training — phase 2,High,Open,UNODC,Заметка,2026-10-14")
    );
}
