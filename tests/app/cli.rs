//! Drives the real `needsd` binary on a temporary folder with the embedded defaults, as an
//! operator would: init, directories, matrix import and export, and bad input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx};

struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write fixture");
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_needsd"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("NEEDSD_CONFIG")
            .env_remove("NEEDSD_TOKEN_SECRET")
            .output()
            .expect("run needsd")
    }

    /// Runs and insists on success, returning standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "needsd {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("one JSON document")
    }

    fn initialised() -> Self {
        let lab = Self::new();
        lab.ok(&["init"]);
        lab
    }
}

/// `check --json`'s changes as (kind, need_id, field, proposed).
fn changes_of(r: &serde_json::Value) -> Vec<(String, String, String, String)> {
    r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (s("kind"), s("need_id"), s("field"), s("proposed"))
        })
        .collect()
}

/// An update as [`changes_of`] gives it.
fn update(id: &str, field: &str, value: &str) -> (String, String, String, String) {
    (
        "update".to_string(),
        id.to_string(),
        field.to_string(),
        value.to_string(),
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CONTACTS: &str = "party,name,office,email,language,role,receives_matrix\n\
KEN,Grace Mutua,MFA,grace@mfa.ke.example.org,en,Focal point,yes\n\
Republic of Moldova,Ion Rusu,MFA,ion@mfa.md.example.org,ro,,\n\
moneyval,Clara Weiss,Secretariat,clara@coe.example.org,fr,Focal point,\n";

const GOOD_CONTACTS: &str = "party,name,office,email,language,role,receives_matrix\n\
KEN,Grace Mutua,MFA,grace@mfa.ke.example.org,en,Focal point,yes\n\
Republic of Moldova,Ion Rusu,MFA,ion@mfa.md.example.org,ru,,yes\n\
moneyval,Clara Weiss,Secretariat,clara@coe.example.org,fr,Focal point,\n";

const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
MN-00007,KEN,FIN,\"Training for FIU analysts, phase 2\",High,In progress,UNODC,,2026-10-14\n\
,Republic of Moldova,LEG,Législation sur le financement du terrorisme,medium,,,,\n\
MN-00003,KEN,POL,Border watch-list system,Low,Open,,Русский текст,2026-07-09\n\
,MDA,CUS,Cash courier detection,H,Assistance offered,WCO,,2026-08-01\n";

#[test]
fn init_is_safe_to_run_twice_and_seeds_every_party() {
    let lab = Lab::new();
    let first = lab.ok(&["init"]);
    assert!(first.contains("267 parties known, 267 new"), "{first}");
    let second = lab.ok(&["init"]);
    assert!(second.contains("267 parties known, 0 new"), "{second}");
    let parties = lab.json(&["parties", "list", "--json"]);
    let list = parties.as_array().expect("a list");
    assert_eq!(list.len(), 267);
    let members = list.iter().filter(|p| p["membership"] == "member").count();
    assert_eq!(members, 193);
    let moneyval = list
        .iter()
        .find(|p| p["code"] == "COE-MONEYVAL")
        .expect("Moneyval");
    assert_eq!(moneyval["kind"], "organization");
    assert_eq!(moneyval["category"], "I");
    assert_eq!(moneyval["parent"], "COE");
    let mda = list.iter().find(|p| p["code"] == "MDA").expect("Moldova");
    assert_eq!(mda["name"], "Republic of Moldova");
    assert!(lab.path("data/needsd.db").exists());
}

#[test]
fn commands_before_init_say_so() {
    let lab = Lab::new();
    for args in [
        &["contacts", "list"][..],
        &["users", "list"],
        &["cycle", "status"],
        &["deadline", "list"],
    ] {
        let out = lab.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("run `needsd init` first"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_contacts_file_with_errors_imports_nothing_and_names_every_bad_line() {
    let lab = Lab::initialised();
    let bad = lab.write(
        "bad.csv",
        &format!(
            "{CONTACTS}Narnia,Aslan,,aslan@narnia.example.org,en,,\n\
             KEN,Broken,,not-an-address,en,,\n\
             KEN,Grace twice,,GRACE@mfa.ke.example.org,en,,\n"
        ),
    );
    let out = lab.run(&["contacts", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for needle in [
        "line 3, column language",
        "line 5, column party: unknown party 'Narnia'",
        "line 6, column email: malformed address",
        "line 7, column email: duplicate",
        "nothing was imported",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(
        lab.json(&["contacts", "list", "--json"]),
        serde_json::json!([])
    );

    let out = lab.ok(&["contacts", "import", "--skip-bad", bad.to_str().unwrap()]);
    assert!(out.contains("2 contacts added"), "{out}");
    let list = lab.json(&["contacts", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn contacts_import_resolves_names_and_updates_on_reimport() {
    let lab = Lab::initialised();
    let f = lab.write("contacts.csv", GOOD_CONTACTS);
    let out = lab.ok(&["contacts", "import", f.to_str().unwrap()]);
    assert!(out.contains("3 contacts added"), "{out}");
    let list = lab.json(&["contacts", "list", "--json"]);
    let by_email = |e: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["email"] == e)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_email("ion@mfa.md.example.org")["party"], "MDA");
    assert_eq!(by_email("ion@mfa.md.example.org")["language"], "ru");
    let clara = by_email("clara@coe.example.org");
    assert_eq!(clara["party"], "COE-MONEYVAL");
    assert_eq!(
        clara["receives_matrix"], true,
        "organizations receive the matrix by default"
    );
    assert_eq!(clara["bouncing"], false);
    let changed = lab.write(
        "changed.csv",
        &GOOD_CONTACTS.replace("Ion Rusu,MFA", "Ion Rusu,Ministry of Justice"),
    );
    let again = lab.ok(&["contacts", "import", changed.to_str().unwrap()]);
    assert!(again.contains("0 contacts added, 3 updated"), "{again}");
    let list = lab.json(&["contacts", "list", "--json"]);
    let ion = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "ion@mfa.md.example.org")
        .unwrap();
    assert_eq!(
        ion["office"], "Ministry of Justice",
        "re-import updates the contact"
    );
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn bad_config_exits_2_naming_file_and_key() {
    let lab = Lab::new();
    let cfg = lab.write(
        "bad.toml",
        "[mail]\nfrom = \"a@ctc.example\"\nreply_to = \"needs@ctc.example\"\n\
         [outbox]\ndir = \"o\"\n[maildir]\ndir = \"i\"\n[schedule]\ntimezone = \"Europe/Atlantis\"\n",
    );
    let out = lab.run(&["--config", cfg.to_str().unwrap(), "init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml")
            && err.contains("schedule.timezone")
            && err.contains("Europe/Atlantis"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    let cfg = lab.write("typo.toml", "[databse]\nurl = \"sqlite://x.db\"\n");
    let out = lab.run(&["--config", cfg.to_str().unwrap(), "init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown key 'databse'"),
        "{}",
        stderr(&out)
    );
    assert!(!lab.path("x.db").exists(), "nothing was created");

    let out = lab.run(&[
        "--config",
        lab.path("missing.toml").to_str().unwrap(),
        "init",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"));
}

#[test]
fn bad_usage_exits_2() {
    let lab = Lab::initialised();
    let out = lab.run(&["matrix", "export", "--out", "x.xlsx", "--cycle", "2026-13"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2026-13"));
    let out = lab.run(&["matrix", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    // A state that does not exist is a mistake, not an empty list.
    let out = lab.run(&["review", "list", "--state", "done"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pending, quarantined, applied"),
        "{}",
        stderr(&out)
    );
}

fn read_sheet<R: std::io::Read + std::io::Seek>(wb: &mut Xlsx<R>, name: &str) -> Vec<Vec<String>> {
    let range = wb.worksheet_range(name).expect("sheet exists");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::DateTime(d) => d.as_datetime().expect("a date").date().to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("xlsx is a zip");
    let mut s = String::new();
    z.by_name(name)
        .expect("part exists")
        .read_to_string(&mut s)
        .expect("utf-8 part");
    s
}

fn import_sample(lab: &Lab) {
    let c = lab.write("contacts.csv", GOOD_CONTACTS);
    lab.ok(&["contacts", "import", c.to_str().unwrap()]);
    let m = lab.write("matrix.csv", MATRIX);
    let out = lab.ok(&["matrix", "import", m.to_str().unwrap()]);
    assert!(out.contains("4 needs added"), "{out}");
}

#[test]
fn exported_workbook_reads_back_with_every_value() {
    let lab = Lab::initialised();
    import_sample(&lab);
    lab.ok(&["matrix", "export", "--out", "out/matrix.xlsx"]);
    let bytes = std::fs::read(lab.path("out/matrix.xlsx")).unwrap();
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Matrix", "About", "Lists"],
        "no stamp without a cycle"
    );

    let rows = read_sheet(&mut wb, "Matrix");
    assert_eq!(
        rows[0],
        [
            "Need ID",
            "State",
            "Area",
            "Need",
            "Priority",
            "Status",
            "Assistance provider",
            "Notes",
            "Last updated"
        ]
    );
    // Sorted by State, then priority, then ID; blank IDs numbered after the highest given.
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["MN-00007", "MN-00003", "MN-00009", "MN-00008"]);
    assert_eq!(
        rows[1],
        [
            "MN-00007",
            "KEN",
            "FIN",
            "Training for FIU analysts, phase 2",
            "High",
            "In progress",
            "UNODC",
            "",
            "2026-10-14"
        ]
    );
    assert_eq!(rows[2][7], "Русский текст");
    assert_eq!(
        rows[3][..7],
        [
            "MN-00009",
            "MDA",
            "CUS",
            "Cash courier detection",
            "High",
            "Assistance offered",
            "WCO"
        ]
    );
    assert_eq!(rows[4][3], "Législation sur le financement du terrorisme");
    assert_eq!(rows[4][5], "Open", "blank status is Open");

    let lists = read_sheet(&mut wb, "Lists");
    assert_eq!(
        lists[0][..2],
        ["State".to_string(), "State name".to_string()]
    );
    let states: Vec<&str> = lists[1..]
        .iter()
        .map(|r| r[0].as_str())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(states.len(), 195);
    assert!(
        lists
            .iter()
            .any(|r| r[0] == "MDA" && r[1] == "Republic of Moldova")
    );
    let col = |i: usize| -> Vec<String> {
        lists[1..]
            .iter()
            .map(|r| r[i].clone())
            .filter(|s| !s.is_empty())
            .collect()
    };
    assert_eq!(
        col(3),
        ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"]
    );
    assert_eq!(col(6), ["High", "Medium", "Low"]);
    assert_eq!(
        col(8),
        [
            "Open",
            "Assistance offered",
            "In progress",
            "Met",
            "Withdrawn"
        ]
    );

    let names: Vec<(String, String)> = wb.defined_names().to_vec();
    for (name, range) in [
        ("States", "Lists!$A$2:$A$196"),
        ("Areas", "Lists!$D$2:$D$9"),
        ("Priorities", "Lists!$G$2:$G$4"),
        ("Statuses", "Lists!$I$2:$I$6"),
    ] {
        assert!(
            names.iter().any(|(n, r)| n == name && r == range),
            "{name} -> {range} in {names:?}"
        );
    }

    // Validation, locking and the frozen header live in the sheet XML.
    let sheet = zip_part(&bytes, "xl/worksheets/sheet1.xml");
    for (cols, list) in [
        ("B2:B205", "States"),
        ("C2:C205", "Areas"),
        ("E2:E205", "Priorities"),
        ("F2:F205", "Statuses"),
    ] {
        let needle = format!("sqref=\"{cols}\"><formula1>{list}</formula1>");
        assert!(sheet.contains(&needle), "validation {needle} missing");
    }
    assert!(sheet.contains("<sheetProtection"), "Matrix is protected");
    assert!(sheet.contains("state=\"frozen\""), "header is frozen");
    assert!(
        sheet.contains("<col min=\"4\" max=\"4\" width=\"60.7109375\""),
        "Need column is wide"
    );
}

#[test]
fn a_recipients_copy_is_stamped_and_reproducible() {
    let lab = Lab::initialised();
    import_sample(&lab);
    let args = [
        "matrix",
        "export",
        "--out",
        "a.xlsx",
        "--cycle",
        "2026-12",
        "--recipient",
        "ion@mfa.md.example.org",
    ];
    lab.ok(&args);
    let mut again = args;
    again[3] = "b.xlsx";
    lab.ok(&again);
    let a = std::fs::read(lab.path("a.xlsx")).unwrap();
    assert_eq!(
        a,
        std::fs::read(lab.path("b.xlsx")).unwrap(),
        "same input, same bytes"
    );

    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(a.clone())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Matrix", "About", "Lists", "_needsd"]
    );
    let vis = wb
        .sheets_metadata()
        .iter()
        .find(|s| s.name == "_needsd")
        .unwrap()
        .visible;
    assert_eq!(vis, calamine::SheetVisible::VeryHidden);
    let stamp = read_sheet(&mut wb, "_needsd");
    assert_eq!(stamp[0], ["format", "1"]);
    assert_eq!(stamp[1], ["cycle", "2026-12"]);
    assert_eq!(stamp[2], ["party", "MDA"]);
    assert_eq!(stamp[3], ["recipient", "ion@mfa.md.example.org"]);
    let token = stamp[4][1].clone();
    assert_eq!(token.len(), 20);

    let about = read_sheet(&mut wb, "About");
    let value = |k: &str| {
        about
            .iter()
            .find(|r| r[0] == k)
            .map(|r| r[1].clone())
            .unwrap_or_default()
    };
    // Ion reads Russian: his copy's About sheet is in Russian.
    assert_eq!(
        value("Ответить до"),
        "15 декабря 2026 г., 23:59 (по времени г. New York)"
    );
    assert_eq!(value("Ссылка"), format!("2026-12/MDA/{}", &token[..6]));
    assert!(value("Как ответить").contains(&format!("needs+{token}@ctc.example")));
    assert_eq!(value("В этом месяце изменений нет"), "Нет");
    assert!(value("Получатель").contains("Ion Rusu"));
    // Asked for in English, the same copy says it in English.
    let mut english = args.to_vec();
    english[3] = "en.xlsx";
    english.extend(["--lang", "en"]);
    lab.ok(&english);
    let en = std::fs::read(lab.path("en.xlsx")).unwrap();
    let mut en: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(en)).unwrap();
    let about = read_sheet(&mut en, "About");
    assert!(
        about
            .iter()
            .any(|r| r[0] == "Reply by" && r[1] == "15 December 2026, 23:59 (New York time)"),
        "{about:?}"
    );

    let core = zip_part(&a, "docProps/core.xml");
    assert!(
        core.contains("2026-12-01T00:00:00Z"),
        "created on the cycle's first day: {core}"
    );
    let custom = zip_part(&a, "docProps/custom.xml");
    assert!(
        custom.contains(&token),
        "token in the document properties too"
    );

    let out = lab.run(&[
        "matrix",
        "export",
        "--out",
        "c.xlsx",
        "--cycle",
        "2026-12",
        "--recipient",
        "nobody@x.example.org",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nobody@x.example.org is not a contact"));
    assert!(!lab.path("c.xlsx").exists());
}

#[test]
fn an_exported_workbook_imports_into_a_fresh_database_unchanged() {
    let lab = Lab::initialised();
    import_sample(&lab);
    lab.ok(&["matrix", "export", "--out", "round.xlsx"]);
    let other = Lab::initialised();
    let out = other.ok(&["matrix", "import", lab.path("round.xlsx").to_str().unwrap()]);
    assert!(out.contains("4 needs added"), "{out}");
    other.ok(&["matrix", "export", "--out", "again.xlsx"]);
    let read = |p: &Path| {
        let mut wb: Xlsx<_> = calamine::open_workbook(p).unwrap();
        read_sheet(&mut wb, "Matrix")
    };
    assert_eq!(
        read(&lab.path("round.xlsx")),
        read(&other.path("again.xlsx"))
    );
}

#[test]
fn a_bad_matrix_imports_nothing() {
    let lab = Lab::initialised();
    let m = lab.write(
        "m.csv",
        "Need ID,State,Area,Need,Priority,Status\n\
         MN-00001,KEN,FIN,Fine,High,Open\n\
         MN-00002,Narnia,FIN,Bad state,High,Open\n\
         MN-00001,KEN,FIN,Same ID,Low,Open\n",
    );
    let out = lab.run(&["matrix", "import", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("line 3, column State: unknown State 'Narnia'"),
        "{err}"
    );
    assert!(
        err.contains("line 4, column Need ID: MN-00001 is also on row 2"),
        "{err}"
    );
    lab.ok(&["matrix", "export", "--out", "e.xlsx"]);
    let mut wb: Xlsx<_> = calamine::open_workbook(lab.path("e.xlsx")).unwrap();
    assert_eq!(read_sheet(&mut wb, "Matrix").len(), 1, "only the header");

    let junk = lab.path("junk.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 this is not a workbook").unwrap();
    let out = lab.run(&["matrix", "import", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("junk.xlsx"), "{}", stderr(&out));

    // Re-importing an existing ID is refused: changes go through review.
    let ok = lab.write(
        "ok.csv",
        "Need ID,State,Area,Need,Priority\nMN-00001,KEN,FIN,x,High\n",
    );
    lab.ok(&["matrix", "import", ok.to_str().unwrap()]);
    let out = lab.run(&["matrix", "import", ok.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already in the matrix"));
}

#[test]
fn checking_an_untouched_copy_finds_no_changes() {
    let lab = Lab::initialised();
    import_sample(&lab);
    lab.ok(&[
        "matrix",
        "export",
        "--out",
        "ken.xlsx",
        "--cycle",
        "2026-12",
        "--recipient",
        "grace@mfa.ke.example.org",
    ]);
    let r = lab.json(&["check", "ken.xlsx", "--json"]);
    assert_eq!(r["cycle"], "2026-12", "the stamp names the cycle");
    assert_eq!(r["party"], "KEN", "the stamp names the party");
    assert_eq!(r["changes"], serde_json::json!([]));
    assert_eq!(r["errors"], serde_json::json!([]));
    assert_eq!(r["no_changes"], false);
}

#[test]
fn check_reports_changes_and_refusals_field_by_field() {
    let lab = Lab::initialised();
    import_sample(&lab);
    // An organization's reply as CSV: status and notes are its to set, priority is not.
    let reply = lab.write(
        "reply.csv",
        "Need ID;State;Area;Need;Priority;Status;Assistance provider;Notes\n\
         MN-00007;KEN;FIN;Training for FIU analysts, phase 2;Low;Met;UNODC;Finished\n\
         MN-00099;KEN;FIN;Unknown;High;Open;;\n\
         ;KEN;POL;New need;High;;;\n",
    );
    let r = lab.json(&[
        "check",
        reply.to_str().unwrap(),
        "--as",
        "unodc",
        "--cycle",
        "2026-12",
        "--json",
    ]);
    assert_eq!(r["party"], "UNODC");
    let changes = r["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        changes[0],
        serde_json::json!({"kind":"update","need_id":"MN-00007","row":2,"field":"status",
                           "base":"In progress","current":"In progress","proposed":"Met","conflict":false})
    );
    assert_eq!(changes[1]["field"], "notes");
    let errors: Vec<(i64, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0, 2);
    assert!(
        errors[0].1.contains("Priority is the State's to change"),
        "{errors:?}"
    );
    assert_eq!(errors[1], (3, "unknown Need ID MN-00099".to_string()));
    assert_eq!(errors[2].0, 4);
    assert!(errors[2].1.contains("only a State may propose new needs"));
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("never circulated"), "{warnings}");

    // The State itself may do all of it but the unknown ID.
    let r = lab.json(&[
        "check",
        reply.to_str().unwrap(),
        "--as",
        "Kenya",
        "--cycle",
        "2026-12",
        "--json",
    ]);
    assert_eq!(
        r["changes"].as_array().unwrap().len(),
        4,
        "{}",
        r["changes"]
    );
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);

    let out = lab.run(&["check", reply.to_str().unwrap(), "--as", "Narnia"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown party 'Narnia'"));
}

/// The reply fixtures were made by real programs (scripts/make-fixtures.sh): openpyxl
/// edited Kenya's copy; LibreOffice re-saved it as xlsx, ods and xls; Python's csv module
/// wrote it as CSV in four encodings and separators. Every one proposes the same changes.
#[test]
fn replies_saved_by_real_programs_propose_the_same_changes() {
    let lab = Lab::initialised();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks");
    let f = |n: &str| fixtures.join(n).to_str().unwrap().to_string();
    lab.ok(&["contacts", "import", &f("base-contacts.csv")]);
    lab.ok(&["matrix", "import", &f("base-matrix.csv")]);
    let expected = |notes: &str| {
        vec![
            (
                "update".to_string(),
                "MN-00001".to_string(),
                "status".to_string(),
                "Met".to_string(),
            ),
            (
                "update".into(),
                "MN-00001".into(),
                "notes".into(),
                notes.to_string(),
            ),
            (
                "update".into(),
                "MN-00003".into(),
                "priority".into(),
                "Low".into(),
            ),
            (
                "add".into(),
                String::new(),
                String::new(),
                "Forensic laboratory training".into(),
            ),
        ]
    };
    for (file, notes, stamped) in [
        ("reply-openpyxl.xlsx", "Terminé – 完成 in October", true),
        ("reply-libreoffice.xlsx", "Terminé – 完成 in October", true),
        ("reply-libreoffice.ods", "Terminé – 完成 in October", true),
        ("reply-libreoffice.xls", "Terminé – 完成 in October", true),
        ("reply-gnumeric.ods", "Terminé – 完成 in October", true),
        ("reply-utf8.csv", "Terminé – 完成 in October", false),
        (
            "reply-utf8-bom-semicolon.csv",
            "Terminé – 完成 in October",
            false,
        ),
        ("reply-utf16le-tab.csv", "Terminé – 完成 in October", false),
        ("reply-windows1252.csv", "Terminé in October", false),
    ] {
        let args: Vec<String> = if stamped {
            vec!["check".into(), f(file), "--json".into()]
        } else {
            vec![
                "check".into(),
                f(file),
                "--as".into(),
                "KEN".into(),
                "--cycle".into(),
                "2026-12".into(),
                "--json".into(),
            ]
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = lab.json(&args);
        assert_eq!(r["party"], "KEN", "{file}");
        assert_eq!(r["cycle"], "2026-12", "{file}");
        let got: Vec<(String, String, String, String)> = r["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
                let proposed = if s("kind") == "add" {
                    c["fields"]["description"].as_str().unwrap().to_string()
                } else {
                    s("proposed")
                };
                (s("kind"), s("need_id"), s("field"), proposed)
            })
            .collect();
        assert_eq!(got, expected(notes), "{file}");
        let add = r["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "add")
            .unwrap();
        assert_eq!(
            add["fields"],
            serde_json::json!({"state":"KEN","area":"POL","description":"Forensic laboratory training","priority":"High","status":"Open"}),
            "{file}"
        );
        let errors = r["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{file}: {errors:?}");
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("MN-00005 belongs to another State"),
            "{file}"
        );
    }
}

/// A respondent pasted words of other UN languages into the English copy (made by
/// openpyxl and saved by LibreOffice: scripts/make-fixtures.sh): a Russian and an Arabic
/// header, French, Russian, Chinese and Arabic statuses and priorities, a French area and a
/// priority in full-width letters. The reader takes each for what it means.
#[test]
fn a_reply_with_words_of_the_six_languages_pasted_in_is_read_for_what_it_means() {
    let lab = Lab::initialised();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks");
    let f = |n: &str| fixtures.join(n).to_str().unwrap().to_string();
    lab.ok(&["contacts", "import", &f("base-contacts.csv")]);
    lab.ok(&["matrix", "import", &f("base-matrix.csv")]);
    let r = lab.json(&["check", &f("reply-pasted-languages.xlsx"), "--json"]);
    assert_eq!(r["errors"], serde_json::json!([]), "{r}");
    let got = changes_of(&r);
    assert_eq!(
        got,
        [
            update("MN-00001", "status", "Met"),
            update("MN-00002", "priority", "High"),
            update("MN-00003", "status", "In progress"),
            update("MN-00004", "priority", "High"),
            ("add".into(), String::new(), String::new(), String::new()),
        ]
    );
    let add = &r["changes"][4]["fields"];
    assert_eq!(add["area"], "ARM", "{add}");
    assert_eq!(add["priority"], "Low", "{add}");
    assert_eq!(add["status"], "Open", "{add}");
    assert_eq!(add["description"], "Marking of small arms", "{add}");
}

/// Files that are not readable replies, each made by a real program (scripts/make-fixtures.sh):
/// one clear sentence, exit 1, and no changes.
#[test]
fn unreadable_replies_get_one_clear_sentence() {
    let lab = Lab::initialised();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks");
    for (file, says) in [
        ("bad-encrypted.xlsx", "password-protected"),
        (
            "bad-word-renamed.xlsx",
            "it is a Word document, not a spreadsheet",
        ),
        ("bad-html-table.xls", "it is an HTML page"),
        ("bad-image.xlsx", "it is a PNG image, not a spreadsheet"),
        ("bad-truncated.xlsx", "the zip container is damaged"),
        ("bad-zip-bomb.xlsx", "inflates to more than 200000000 bytes"),
        ("base-contacts.csv", "no sheet has a Matrix header"),
    ] {
        let path = fixtures.join(file);
        let out = lab.run(&["check", path.to_str().unwrap(), "--as", "KEN", "--json"]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(out.stdout.is_empty(), "{file}: no changes printed");
        let err = stderr(&out);
        assert!(err.contains(file) && err.contains(says), "{file}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{file}: one sentence: {err}");
    }
}

#[test]
fn a_reply_without_need_ids_is_refused_not_read_as_new_needs() {
    let lab = Lab::initialised();
    import_sample(&lab);
    let reply = lab.write(
        "noid.csv",
        "State,Area,Need,Priority\nKEN,FIN,Training,High\n",
    );
    let out = lab.run(&["check", reply.to_str().unwrap(), "--as", "KEN"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no Need ID column"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let lab = Lab::initialised();
    let cfg = lab.write(
        "small.toml",
        "[mail]\nfrom = \"needs@ctc.example\"\nreply_to = \"needs@ctc.example\"\ntoken_secret_file = \"data/token_secret\"\n\
         [outbox]\ndir = \"o\"\n[maildir]\ndir = \"i\"\n[limits]\nattachment_bytes = 100\n",
    );
    let big = lab.write(
        "big.csv",
        &format!("party,name,email\n{}", "KEN,x,x@y.example.org\n".repeat(20)),
    );
    let out = lab.run(&[
        "--config",
        cfg.to_str().unwrap(),
        "contacts",
        "import",
        big.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("over the limit of 100 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn demo_runs_a_month_leaves_the_web_server_up_stops_on_sigterm_and_runs_again() {
    let lab = Lab::new();
    let run = |lab: &Lab| -> (String, String) {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_needsd"))
            .args(["demo", "--dir", "d", "--listen", "127.0.0.1:0"])
            .current_dir(lab.dir.path())
            .env_remove("NEEDSD_CONFIG")
            .env_remove("NEEDSD_TOKEN_SECRET")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut said = String::new();
        // The month is simulated; the demo says so and then keeps the web server up.
        let web = loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("the demo ended early: {said}{err}");
            }
            said.push_str(&line);
            if let Some(rest) = line.strip_prefix("The review UI is running: http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        // The next line gives the demo expert's login, which opens the review UI.
        let mut login = String::new();
        out.read_line(&mut login).unwrap();
        said.push_str(&login);
        let password = login
            .split("password ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("a demo login: {said}"));
        assert!(login.contains("log in as demo"), "{login}");
        let ui = reqwest::blocking::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let form = ui
            .get(format!("http://{web}/login"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let at = form.find("name=\"csrf\" value=\"").unwrap() + 19;
        let pending = ui
            .post(format!("http://{web}/login"))
            .form(&[
                ("csrf", &form[at..at + 64]),
                ("name", "demo"),
                ("password", password),
                ("next", "/submissions?state=pending"),
            ])
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(
            pending.matches("class=\"state pending\"").count(),
            7,
            "the demo's submissions await review: {pending}"
        );
        // The demo shows the one-stop shop, and the unmet needs with their candidates.
        let directory = reqwest::blocking::get(format!("http://{web}/directory"))
            .unwrap()
            .text()
            .unwrap();
        assert!(
            directory.contains("6 of 6 active programmes"),
            "{directory}"
        );
        let unmet = ui
            .get(format!("http://{web}/unmet"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(unmet.contains("(sample)"), "{unmet}");
        // And a mission's request to receive the Matrix, for an expert to decide.
        let requests = ui
            .get(format!("http://{web}/requests"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            requests.contains("ct.desk@mission.ug.example.org")
                && requests.contains("please send us the matrix"),
            "{requests}"
        );
        let mut s = std::net::TcpStream::connect(web.as_str()).unwrap();
        use std::io::Write;
        write!(
            s,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut health = String::new();
        s.read_to_string(&mut health).unwrap();
        assert!(
            health.starts_with("HTTP/1.1 200") && health.contains("\r\n\r\nok\n"),
            "{health}"
        );
        // SIGTERM stops it cleanly.
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = child.wait().unwrap();
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert!(status.success(), "{said}{rest}");
        assert!(rest.contains("Stopped."), "{rest}");
        (said, web)
    };
    let (first, _) = run(&lab);
    assert!(first.contains("60 needs imported"), "{first}");
    assert!(first.contains("7 programmes imported"), "{first}");
    let cycle = first
        .split("The month of ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap()
        .to_string();
    assert!(
        first.contains("7 respondents reply with an edited workbook, 7 write that nothing changes, 6 stay silent"),
        "{first}"
    );
    assert!(
        first.contains("Done: 14 submissions (7 awaiting review) from 20 recipients"),
        "{first}"
    );
    let outbox = lab.path("d/data/outbox");
    let emls: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let count = |needle: &str| emls.iter().filter(|m| m.contains(needle)).count();
    // 20 circulations, 14 receipts, two reminders and the deadline alert to each of the
    // 6 silent recipients, one digest.
    assert_eq!(count(".circulation."), 20);
    assert_eq!(count(".receipt."), 14);
    assert_eq!(count(".reminder."), 12);
    assert_eq!(count(".deadline_alert."), 6);
    assert_eq!(count(".digest."), 1);
    assert_eq!(count("Message-ID: <review."), 1, "the review alert");
    assert_eq!(count("Auto-Submitted: auto-replied"), 14, "receipts");
    let digest = emls.iter().find(|m| m.contains(".digest.")).unwrap();
    let digest = mail_parser::MessageParser::default()
        .parse(digest.as_bytes())
        .unwrap();
    assert_eq!(
        digest.subject(),
        Some("[Matrix of Needs 2026-12] Digest: 14 of 20 answered, 7 awaiting review")
            .map(|s| s.replace("2026-12", &cycle))
            .as_deref()
    );
    assert_eq!(emls.len(), 20 + 14 + 18 + 1 + 1);
    // Again: the month already happened; nothing is sent twice.
    let (second, _) = run(&lab);
    assert!(second.contains("Done: 14 submissions"), "{second}");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 54);
}

#[test]
fn programmes_import_from_a_filled_in_template_and_export_again() {
    let lab = Lab::initialised();
    // With no programme yet, the export is the empty template with its headers.
    lab.ok(&["programmes", "export", "--out", "empty.xlsx"]);
    let mut wb: Xlsx<_> = calamine::open_workbook(lab.path("empty.xlsx")).unwrap();
    let rows = read_sheet(&mut wb, "Programmes");
    assert_eq!(
        rows,
        [[
            "Programme ID",
            "Provider",
            "Title",
            "Kind",
            "Areas",
            "Eligible",
            "Languages",
            "Contact",
            "Link",
            "Status",
            "Last updated"
        ]]
    );
    // A provider's office fills it in with openpyxl, two good rows and two bad ones.
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({:?})\nws = wb['Programmes']\n\
         ws.append([None, 'unodc', 'Drafting support', 'legislative drafting', 'LEG, FIN', 'Eastern Africa', 'English, fr', 'tpb@unodc.example.org', 'https://www.unodc.org/tpb', 'active'])\n\
         ws.append(['SA-00100', 'Republic of Moldova', 'Border guards course', 'Lunch', 'IMM', 'Members of the EU; ', None, None, None, 'Active'])\n\
         ws.append([None, 'France', 'A kit', 'Implementation kit', 'Nothing', None, None, None, None, 'Active'])\n\
         ws.append([None, 'France', 'Visits', 'Expert visit', 'POL', 'Narnia', None, 'not mail', None, 'Active'])\n\
         wb.save({:?})\n",
        lab.path("empty.xlsx"),
        lab.path("filled.xlsx")
    );
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success());
    let filled = lab.path("filled.xlsx");
    let filled = filled.to_str().unwrap();
    let out = lab.run(&["programmes", "import", filled]);
    assert_eq!(out.status.code(), Some(1), "bad rows: nothing imported");
    let err = stderr(&out);
    for said in [
        "line 3, column Kind: 'Lunch' is not a kind of programme",
        "line 4, column Areas: unknown area 'Nothing'",
        "line 5, column Eligible: unknown State 'Narnia'",
        "line 5, column Contact: 'not mail' is not an email address",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    lab.ok(&["programmes", "export", "--out", "still-empty.xlsx"]);
    let mut wb: Xlsx<_> = calamine::open_workbook(lab.path("still-empty.xlsx")).unwrap();
    assert_eq!(read_sheet(&mut wb, "Programmes").len(), 1);

    let said = lab.ok(&["programmes", "import", filled, "--skip-bad"]);
    assert!(said.contains("1 programmes added"), "{said}");
    // An ID already in the directory is refused: changes go through review.
    let again = lab.write(
        "again.csv",
        "Programme ID,Provider,Title,Kind,Areas,Status\nSA-00001,UNODC,x,Training,LEG,Active\n",
    );
    let out = lab.run(&["programmes", "import", again.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("SA-00001 is already in the directory"),
        "{}",
        stderr(&out)
    );

    lab.ok(&["programmes", "export", "--out", "out.xlsx"]);
    let mut wb: Xlsx<_> = calamine::open_workbook(lab.path("out.xlsx")).unwrap();
    let rows = read_sheet(&mut wb, "Programmes");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        &rows[1][..10],
        [
            "SA-00001",
            "UNODC",
            "Drafting support",
            "Legislative drafting support",
            "LEG; FIN",
            "Eastern Africa (M49 014)",
            "en; fr",
            "tpb@unodc.example.org",
            "https://www.unodc.org/tpb",
            "Active"
        ]
    );
    // A file that is no spreadsheet, or a truncated one, is one sentence naming it.
    for (name, bytes) in [
        ("junk.xlsx", &b"PK\x03\x04 this is not a workbook"[..]),
        ("picture.xlsx", &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..]),
    ] {
        let path = lab.path(name);
        std::fs::write(&path, bytes).unwrap();
        let out = lab.run(&["programmes", "import", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert!(err.contains(name) && err.lines().count() == 1, "{err}");
    }
    // A link that is not a web address never reaches the public pages.
    let script = lab.write(
        "script.csv",
        "Provider,Title,Kind,Areas,Link,Status\nUNODC,x,Training,LEG,javascript:alert(1),Active\n",
    );
    let out = lab.run(&["programmes", "import", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("column Link: 'javascript:alert(1)' is not a web address"),
        "{}",
        stderr(&out)
    );
    // A file with no Programmes header says so.
    let none = lab.write("none.csv", "Name,Colour\nx,red\n");
    let out = lab.run(&["programmes", "import", none.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no sheet has a Programmes header"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_reads_a_providers_programmes_sheet_with_its_owner_policy() {
    let lab = Lab::initialised();
    import_sample(&lab);
    let programmes = lab.write(
        "programmes.csv",
        "Provider,Title,Kind,Areas,Status\n\
         UNODC,Drafting support,Legislative drafting support,LEG,Active\n\
         WCO,Customs course,Training,CUS,Active\n",
    );
    lab.ok(&["programmes", "import", programmes.to_str().unwrap()]);
    lab.ok(&["matrix", "export", "--out", "m.xlsx"]);
    // UNODC's office adds a Programmes sheet to the workbook with openpyxl.
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({:?})\nws = wb.create_sheet('Programmes')\n\
         ws.append(['Programme ID', 'Provider', 'Title', 'Kind', 'Areas', 'Status'])\n\
         ws.append(['SA-00001', 'UNODC', 'Drafting support, in French too', 'Legislative drafting support', 'LEG', 'Active'])\n\
         ws.append(['SA-00002', 'WCO', 'Customs course', 'Training', 'CUS', 'Closed'])\n\
         ws.append([None, None, 'Guide to freezing assets', 'guidance', 'FIN', 'Active'])\n\
         ws.append([None, 'WCO', 'Not ours to add', 'Training', 'CUS', 'Active'])\n\
         wb.save({:?})\n",
        lab.path("m.xlsx"),
        lab.path("reply.xlsx")
    );
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success());
    let reply = lab.path("reply.xlsx");
    let r = lab.json(&["check", reply.to_str().unwrap(), "--as", "unodc", "--json"]);
    assert!(
        r["changes"].as_array().unwrap().is_empty(),
        "{}",
        r["changes"]
    );
    let changes = r["programme_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        changes[0],
        serde_json::json!({"kind":"update","id":"SA-00001","row":2,"field":"title",
                           "base":"Drafting support","current":"Drafting support",
                           "proposed":"Drafting support, in French too","conflict":false})
    );
    assert_eq!(changes[1]["kind"], "add");
    assert_eq!(
        changes[1]["fields"]["provider"], "UNODC",
        "a blank provider is the sender"
    );
    assert_eq!(
        changes[1]["fields"]["kind"],
        "Guidance or self-help package"
    );
    let errors: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["row"], e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            "3 Programmes sheet: SA-00002 is WCO's programme; UNODC may change only its own",
            "5 Programmes sheet: UNODC may add only its own programmes (leave Provider blank or name it)"
        ]
    );
    // WCO may close its own programme from the same file.
    let r = lab.json(&["check", reply.to_str().unwrap(), "--as", "WCO", "--json"]);
    let changes = r["programme_changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == "SA-00002" && c["proposed"] == "Closed"),
        "{changes:?}"
    );
    // The text report lists them too.
    let text = lab.ok(&["check", reply.to_str().unwrap(), "--as", "unodc"]);
    assert!(
        text.contains("Programmes:") && text.contains("SA-00001"),
        "{text}"
    );
}

/// A provider's copy of a cycle (an organization, or a State with a programme) carries
/// its Programmes sheet and the needs its programmes could meet; a State without one gets
/// neither. On that sheet a provider, a State too, offers to meet another State's need:
/// what the Matrix sheet would refuse it.
#[test]
fn a_providers_copy_lists_the_needs_it_could_meet_and_takes_its_offers() {
    let lab = Lab::initialised();
    import_sample(&lab);
    let more = lab.write(
        "providers.csv",
        "party,name,office,email,language,role,receives_matrix\n\
         UNODC,Desk,TPB,desk@unodc.example.org,en,,yes\n\
         FRA,Marie Laurent,MFA,marie@diplo.fr.example.org,fr,,yes\n",
    );
    lab.ok(&["contacts", "import", more.to_str().unwrap()]);
    let programmes = lab.write(
        "programmes.csv",
        "Provider,Title,Kind,Areas,Eligible,Status\n\
         UNODC,Drafting support,Legislative drafting support,LEG,,Active\n\
         FRA,Border guard training,Training,POL,KEN,Active\n\
         FRA,Closed course,Training,POL,,Closed\n",
    );
    lab.ok(&["programmes", "import", programmes.to_str().unwrap()]);
    let copy = |email: &str, out: &str| {
        lab.ok(&[
            "matrix",
            "export",
            "--out",
            out,
            "--cycle",
            "2026-12",
            "--recipient",
            email,
        ]);
        let bytes = std::fs::read(lab.path(out)).unwrap();
        calamine::open_workbook_from_rs::<Xlsx<_>, _>(std::io::Cursor::new(bytes)).unwrap()
    };
    let mut unodc = copy("desk@unodc.example.org", "unodc.xlsx");
    assert_eq!(
        unodc.sheet_names(),
        [
            "Matrix",
            "Programmes",
            "Needs you could meet",
            "About",
            "Lists",
            "_needsd"
        ]
    );
    let rows = read_sheet(&mut unodc, "Needs you could meet");
    assert_eq!(
        rows[0],
        [
            "Need ID",
            "State",
            "Area",
            "Need",
            "Priority",
            "Status",
            "Assistance provider",
            "Notes",
            "Your programmes",
            "Last updated"
        ]
    );
    assert_eq!(rows.len(), 2, "Moldova's open legal need alone: {rows:?}");
    assert_eq!(rows[1][1..3], ["MDA", "LEG"]);
    assert_eq!(rows[1][8], "SA-00001 Drafting support");
    let programmes = read_sheet(&mut unodc, "Programmes");
    assert_eq!(programmes.len(), 2, "{programmes:?}");
    assert_eq!(programmes[1][0], "SA-00001");

    let kenya = copy("grace@mfa.ke.example.org", "ken.xlsx");
    assert_eq!(
        kenya.sheet_names(),
        ["Matrix", "About", "Lists", "_needsd"],
        "a State with no programme gets no provider's sheets"
    );

    let mut france = copy("marie@diplo.fr.example.org", "fra.xlsx");
    let rows = read_sheet(&mut france, "Needs you could meet");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[1][0], "MN-00003",
        "Kenya's border need, by FRA's open programme"
    );
    assert_eq!(rows[1][8], "SA-00002 Border guard training");

    // France's focal point answers in the sheet with openpyxl, and also tries what the
    // sheet does not allow: a priority, and a need it did not list.
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({:?})\nws = wb['Needs you could meet']\n\
         ws['F2'] = 'Assistance offered'\nws['G2'] = 'FRA'\nws['H2'] = 'Trainers from March'\n\
         ws['E2'] = 'High'\n\
         ws.append(['MN-00007', 'KEN', 'FIN', 'Training for FIU analysts, phase 2', 'High', 'Assistance offered'])\n\
         m = wb['Matrix']\n\
         for row in m.iter_rows(min_row=2):\n    if row[0].value == 'MN-00003':\n        row[7].value = 'On the Matrix sheet'\n\
         wb.save({:?})\n",
        lab.path("fra.xlsx"),
        lab.path("fra-reply.xlsx")
    );
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success());
    let reply = lab.path("fra-reply.xlsx");
    let r = lab.json(&["check", reply.to_str().unwrap(), "--json"]);
    assert_eq!(r["party"], "FRA");
    let changes: Vec<(String, String, String)> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["need_id"].as_str().unwrap().to_string(),
                c["field"].as_str().unwrap().to_string(),
                c["proposed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "MN-00003".into(),
                "status".into(),
                "Assistance offered".into()
            ),
            ("MN-00003".into(), "provider".into(), "FRA".into()),
            (
                "MN-00003".into(),
                "notes".into(),
                "Trainers from March".into()
            ),
        ],
        "{}",
        r["errors"]
    );
    let errors: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|m| m.contains("belongs to another State")),
        "the Matrix sheet still refuses it: {errors:?}"
    );
    assert!(
        errors.iter().any(|m| m
            == "Needs you could meet sheet: here FRA may set only Status, Assistance provider and Notes"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|m| m
            == "Needs you could meet sheet: MN-00007 was not among the needs FRA's programmes could meet"),
        "{errors:?}"
    );
}

/// `needsd preview` writes a message in the language asked, for the contact named, and
/// sends nothing; a kind or contact it does not know is a usage error.
#[test]
fn preview_prints_a_message_in_the_language_asked_and_sends_nothing() {
    let lab = Lab::initialised();
    lab.write("contacts.csv", CONTACTS);
    lab.ok(&["contacts", "import", "contacts.csv", "--skip-bad"]);
    let out = lab.ok(&[
        "preview",
        "circulation",
        "--lang",
        "ru",
        "--cycle",
        "2027-03",
    ]);
    let (subject, body) = out
        .split_once("\n\n")
        .expect("a subject, a blank line, a body");
    assert!(
        subject.starts_with("Subject: [Matrix of Needs 2027-03] ")
            && subject.contains("15 марта 2027 г."),
        "{out}"
    );
    assert!(body.contains("март 2027 года"), "{body}");
    // For a contact: their party and own reply address; their language by default.
    let out = lab.ok(&["preview", "reminder", "--contact", "clara@coe.example.org"]);
    assert!(out.contains("Council of Europe"), "{out}");
    assert!(out.contains("needs+"), "{out}");
    assert!(
        out.contains("Rappel") || out.contains("Dernier jour"),
        "{out}"
    );
    let out = lab.ok(&["preview", "digest", "--lang", "zh", "--cycle", "2027-03"]);
    assert!(out.contains("2027年3月15日"), "{out}");
    // Nothing went out.
    let outbox = lab.path("data/outbox");
    let sent = std::fs::read_dir(&outbox).map_or(0, |d| d.count());
    assert_eq!(sent, 0, "preview sent nothing");
    for (args, says) in [
        (
            vec!["preview", "newsletter"],
            "no message kind 'newsletter'",
        ),
        (vec!["preview", "receipt", "--lang", "xx"], "--lang"),
        (
            vec!["preview", "receipt", "--contact", "nobody@nowhere.example"],
            "no contact nobody@nowhere.example",
        ),
    ] {
        let out = lab.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// An operator's words and templates take precedence, and a broken one stops needsd at
/// start (exit 2) naming the file and line, before anything is done.
#[test]
fn operators_words_take_precedence_and_a_bad_one_is_refused_at_start() {
    let lab = Lab::initialised();
    let defaults = include_str!("../../config/needsd.toml");
    std::fs::create_dir_all(lab.path("words")).unwrap();
    std::fs::create_dir_all(lab.path("layout")).unwrap();
    let cfg = lab.write(
        "ours.toml",
        &defaults.replace(
            "[outbox]",
            "locales_dir = \"words\"\ntemplates_dir = \"layout\"\n\n[outbox]",
        ),
    );
    let cfg = cfg.to_str().unwrap();
    lab.write("words/fr.ftl", "greeting = Chère, cher { $name },\n");
    let out = lab.ok(&["--config", cfg, "preview", "reminder", "--lang", "fr"]);
    assert!(out.contains("Chère, cher Amina Diallo,"), "{out}");

    lab.write(
        "words/ru.ftl",
        "signature-1 = Матрица\n\n# ours\ngreeting = Уважаемый { $nmae },\n",
    );
    let out = lab.run(&["--config", cfg, "preview", "reminder", "--lang", "fr"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("mail.locales_dir"), "{err}");
    assert!(err.contains("ru.ftl, line 4"), "{err}");
    assert!(err.contains("$nmae"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    std::fs::remove_file(lab.path("words/ru.ftl")).unwrap();

    lab.write(
        "layout/decision.txt",
        "{%- set subject = \"Decided\" -%}\n{{ t(\"greeting\", name=contact_name) }}\n{{ approved_count }}\n",
    );
    let out = lab.run(&["--config", cfg, "dispatch"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("mail.templates_dir")
            && err.contains("layout/decision.txt")
            && err.contains("decision.txt:3")
            && err.contains("approved_count"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(lab.path("data/outbox")).map_or(0, |d| d.count()) == 0,
        "nothing was sent"
    );
}

/// Each expert reads the team's mail in their language: `mail.experts` takes an address
/// or `{ address, language }`, and refuses a language it does not know.
#[test]
fn experts_choose_their_language_and_a_bad_one_is_refused() {
    let lab = Lab::initialised();
    let defaults = include_str!("../../config/needsd.toml");
    let cfg = lab.write(
        "experts.toml",
        &defaults.replace(
            "experts = [\"experts@ctc.example\"]",
            "experts = [\"experts@ctc.example\", { address = \"m.dupont@ctc.example\", language = \"fr\" }]",
        ),
    );
    lab.ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "parties",
        "list",
        "--json",
    ]);
    let cfg = lab.write(
        "bad-experts.toml",
        &defaults.replace(
            "experts = [\"experts@ctc.example\"]",
            "experts = [{ address = \"m.dupont@ctc.example\", language = \"klingon\" }]",
        ),
    );
    let out = lab.run(&["--config", cfg.to_str().unwrap(), "parties", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mail.experts") && stderr(&out).contains("klingon"),
        "{}",
        stderr(&out)
    );
}

/// In each of the six languages: Kenya's copy exported in its contact's language, edited
/// by openpyxl with that language's words (a priority, a status, a new need with the
/// area's name) and saved by LibreOffice, reads back as exactly those changes. The
/// Arabic copy is edited with Arabic statuses.
#[test]
fn a_copy_in_each_language_edited_and_saved_by_libreoffice_reads_back_exactly() {
    use needsd::model::Language;
    use needsd::spelling::{List, word};
    for lang in Language::ALL {
        let l = lang.as_str();
        let lab = Lab::initialised();
        lab.write(
            "contacts.csv",
            &format!(
                "party,name,office,email,language,role,receives_matrix\n\
                 KEN,Grace Mutua,MFA,grace@mfa.ke.example.org,{l},Focal point,yes\n"
            ),
        );
        lab.ok(&["contacts", "import", "contacts.csv"]);
        lab.write("matrix.csv", MATRIX);
        lab.ok(&["matrix", "import", "matrix.csv"]);
        lab.ok(&[
            "matrix",
            "export",
            "--out",
            "copy.xlsx",
            "--cycle",
            "2026-12",
            "--recipient",
            "grace@mfa.ke.example.org",
        ]);
        let w = |list, name: &str| word(list, name, lang).expect("a word");
        let (low, met, high) = (
            w(List::Priority, "low"),
            w(List::Status, "met"),
            w(List::Priority, "high"),
        );
        let area = w(List::Area, "ARM");
        let open = w(List::Status, "open");
        // The copy is in the language: its header and values say so.
        let script = format!(
            "import openpyxl\n\
             wb = openpyxl.load_workbook('copy.xlsx')\n\
             ws = wb['Matrix']\n\
             assert ws.cell(row=1, column=5).value == {priority:?}, ws.cell(row=1, column=5).value\n\
             for row in ws.iter_rows(min_row=2):\n\
             \x20   if row[0].value == 'MN-00007':\n\
             \x20       row[4].value = {low:?}\n\
             \x20   if row[0].value == 'MN-00003':\n\
             \x20       assert row[5].value == {open:?}, row[5].value\n\
             \x20       row[5].value = {met:?}\n\
             ws.append(['', 'KEN', {area:?}, 'Marking of small arms', {high:?}, {open:?}])\n\
             wb.save('edited.xlsx')\n",
            priority = w(List::Header, "priority"),
        );
        let ok = std::process::Command::new("python3")
            .args(["-c", &script])
            .current_dir(lab.dir.path())
            .status()
            .expect("python3 with openpyxl (scripts/test.sh installs it)");
        assert!(ok.success(), "{l}: openpyxl could not edit the copy");
        let profile = lab.path("lo-profile");
        let out = Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args([
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                "lo",
                "edited.xlsx",
            ])
            .current_dir(lab.dir.path())
            .output()
            .expect("LibreOffice (soffice): scripts/test.sh installs libreoffice-calc-nogui");
        assert!(out.status.success(), "{l}: {}", stderr(&out));
        let r = lab.json(&["check", "lo/edited.xlsx", "--json"]);
        assert_eq!(r["errors"], serde_json::json!([]), "{l}: {r}");
        assert_eq!(r["party"], "KEN", "{l}");
        let got = changes_of(&r);
        assert_eq!(
            got,
            [
                update("MN-00007", "priority", "Low"),
                update("MN-00003", "status", "Met"),
                ("add".into(), String::new(), String::new(), String::new()),
            ],
            "{l}"
        );
        let add = &r["changes"][2]["fields"];
        assert_eq!(
            (&add["area"], &add["priority"], &add["status"]),
            (&"ARM".into(), &"High".into(), &"Open".into()),
            "{l}: {add}"
        );
    }
}
