//! Files in and out: the directory and the Matrix imported, the workbook exported, and a
//! reply checked without storing anything (the path inbound mail takes too).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use thiserror::Error;

use crate::app::App;
use crate::config::Config;
use crate::directory::{self, PartyIndex};
use crate::model::RowError;
use crate::model::{Contact, Cycle, EmailAddress, Language, Need, PartyCode, PartyKind};
use crate::store::Store;
use crate::workbook::{read, write};
use crate::workflow::matching::ProviderSheets;

/// A file was refused because of what is in it; the rows say where.
#[derive(Debug, Error)]
#[error("{file}: {} with errors; nothing was imported (fix them, or pass --skip-bad to import the good rows)", rows_phrase(.errors))]
pub struct RowsRefused {
    pub file: String,
    pub errors: Vec<RowError>,
}

/// "1 row" or "N rows": how many distinct rows the errors are on.
pub fn rows_phrase(errors: &[RowError]) -> String {
    let mut rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
    rows.dedup();
    match rows.len() {
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

pub fn parties(app: &App) -> Vec<crate::model::Party> {
    app.index.all().to_vec()
}

pub async fn contacts(app: &App) -> Result<Vec<Contact>> {
    Ok(app.store.contacts().await?)
}

/// What an import did, and the rows it left out (with `--skip-bad`).
#[derive(Debug)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub skipped: Vec<RowError>,
    pub warnings: Vec<String>,
}

/// The last part of `path`, for messages and format sniffing.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a file of at most `limit` bytes, refusing a larger one before reading it (and
/// stopping at the limit for files whose size the metadata does not tell, like pipes).
fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let too_big = || {
        anyhow::anyhow!(
            "{}: the file is over the limit of {limit} bytes (limits.attachment_bytes)",
            path.display()
        )
    };
    if file
        .metadata()
        .map(|m| m.is_file() && m.len() > limit)
        .unwrap_or(false)
    {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Loads the Directory of Contact Points from CSV.
pub async fn import_contacts(app: &App, path: &Path, skip_bad: bool) -> Result<ImportReport> {
    let (cfg, store, clock) = (&app.cfg, &app.store, &app.clock);
    let bytes = read_file(path, cfg.limits.attachment_bytes)?;
    let parsed = directory::parse_contacts_csv(&bytes, &app.index, &cfg.limits)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if !parsed.errors.is_empty() && !skip_bad {
        return Err(RowsRefused {
            file: path.display().to_string(),
            errors: parsed.errors,
        }
        .into());
    }
    let done = store
        .import_contacts(&parsed.contacts, clock.now())
        .await
        .context("storing the contacts")?;
    Ok(ImportReport {
        added: done.added,
        updated: done.updated,
        skipped: parsed.errors,
        warnings: Vec::new(),
    })
}

/// Every sheet of the file at `path` (or its one table, for CSV), read by a reader worker
/// within `[limits]`; a file that cannot be read is one sentence naming it.
async fn every_sheet(app: &App, path: &Path) -> Result<Vec<read::Grid>> {
    let bytes = read_file(path, app.cfg.limits.attachment_bytes)?;
    let (limits, file) = (app.cfg.limits, file_name(path));
    Ok(tokio::task::spawn_blocking(move || {
        crate::reader::shared().read(&bytes, &file, &limits, read::Sheets::All)
    })
    .await
    .context("the workbook reader stopped unexpectedly")?
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    .grids)
}

/// Loads an initial Matrix from a workbook or CSV; blank IDs are assigned.
pub async fn import_matrix(app: &App, path: &Path, skip_bad: bool) -> Result<ImportReport> {
    let (cfg, store, index, clock) = (&app.cfg, &app.store, &app.index, &app.clock);
    let name = file_name(path);
    let sheet = read::find_matrix(every_sheet(app, path).await?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let (rows, mut errors) = read::import_rows(&sheet, index, &cfg.areas);
    let given: Vec<_> = rows.iter().filter_map(|r| r.need.id.clone()).collect();
    let taken = store.existing_need_ids(&given).await?;
    let mut keep = Vec::with_capacity(rows.len());
    for r in rows {
        if r.need.id.as_ref().is_some_and(|id| taken.contains(id)) {
            errors.push(RowError {
                row: r.row,
                column: Some("Need ID".into()),
                message: format!(
                    "{} is already in the matrix; changes to existing needs go through review",
                    r.need
                        .id
                        .as_ref()
                        .map(|i| i.to_string())
                        .unwrap_or_default()
                ),
            });
        } else {
            keep.push(r);
        }
    }
    errors.sort_by_key(|e| e.row);
    if !errors.is_empty() && !skip_bad {
        return Err(RowsRefused {
            file: path.display().to_string(),
            errors,
        }
        .into());
    }
    let today = clock
        .now()
        .with_timezone(&cfg.schedule.timezone)
        .date_naive();
    let needs: Vec<_> = keep.into_iter().map(|r| r.need).collect();
    let ids = store
        .insert_needs(&needs, today, &format!("import {name}"), clock.now())
        .await
        .context("storing the needs")?;
    Ok(ImportReport {
        added: ids.len(),
        updated: 0,
        skipped: errors,
        warnings: sheet.warnings,
    })
}

/// Which copy of the workbook to write.
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    pub cycle: Option<Cycle>,
    pub recipient: Option<EmailAddress>,
    pub party: Option<PartyCode>,
    /// Default: the recipient's language, else English.
    pub language: Option<Language>,
}

/// Builds the Matrix workbook: the current matrix, or a cycle's copy (its base once the
/// cycle has been dispatched), optionally stamped for one recipient.
pub async fn export_matrix(app: &App, req: &ExportRequest) -> Result<Vec<u8>> {
    let (cfg, store, index, clock) = (&app.cfg, &app.store, &app.index, &app.clock);
    if req.recipient.is_some() && req.cycle.is_none() {
        bail!("--recipient needs --cycle: a recipient's copy belongs to a cycle");
    }
    let mut needs: Vec<Need> = match req.cycle {
        Some(c) => match store.cycle_base(c).await? {
            Some(base) => base,
            None => store.needs().await?,
        },
        None => store.needs().await?,
    };
    write::sort_for_workbook(&mut needs);
    let states = index.state_names();
    let tz = cfg.schedule.timezone;
    let mut language = req.language.unwrap_or(Language::En);
    let circulation = match req.cycle {
        None => None,
        Some(cycle) => {
            let recipient = match &req.recipient {
                None => None,
                Some(email) => {
                    let (r, theirs) =
                        find_recipient(store, index, cfg, cycle, email, req.party.as_ref()).await?;
                    language = req.language.unwrap_or(theirs);
                    Some(r)
                }
            };
            Some(write::Circulation {
                cycle,
                deadline: write::deadline_in(cfg.deadline_local(cycle), tz.name(), language),
                reply_to: cfg.mail.reply_to.to_string(),
                recipient,
            })
        }
    };
    // A cycle's copy is dated the cycle's first day, so it can be rebuilt byte for byte.
    let as_of = match req.cycle {
        Some(c) => c.day(1),
        None => clock.now().with_timezone(&tz).date_naive(),
    };
    // A provider's copy carries its Programmes and "Needs you could meet" sheets, as
    // dispatch sent them.
    let recipient = circulation.as_ref().and_then(|c| c.recipient.as_ref());
    let provider = match (req.cycle, recipient) {
        (Some(cycle), Some(r)) => {
            // Until the cycle is circulated, its copy carries the programmes as they are.
            let directory = match store.cycle_programmes(cycle).await? {
                Some(d) => d,
                None => store.programmes().await?,
            };
            let geo = crate::programme::Geography::shared()?;
            let kind = index
                .get(&r.party)
                .map_or(PartyKind::Organization, |p| p.kind);
            Some((
                ProviderSheets::new(&needs, directory, index, geo),
                &r.party,
                kind,
            ))
        }
        _ => None,
    };
    let sheets = provider
        .as_ref()
        .map(|(s, party, kind)| s.sheets_of(party, *kind))
        .unwrap_or_default();
    let spec = write::Spec {
        needs: &needs,
        states: &states,
        areas: &cfg.areas,
        as_of,
        circulation: circulation.as_ref(),
        sheets: &sheets,
        language,
    };
    Ok(write::write(&spec)?)
}

async fn find_recipient(
    store: &Store,
    index: &PartyIndex,
    cfg: &Config,
    cycle: Cycle,
    email: &EmailAddress,
    party: Option<&PartyCode>,
) -> Result<(write::Recipient, Language)> {
    let contacts = store.contacts().await?;
    let matches: Vec<&Contact> = contacts
        .iter()
        .filter(|c| &c.email == email && party.is_none_or(|p| &c.party == p))
        .collect();
    let c = match matches.as_slice() {
        [c] => *c,
        [] => bail!(
            "{email} is not a contact{}",
            party.map(|p| format!(" of {p}")).unwrap_or_default()
        ),
        _ => bail!("{email} is a contact of several parties; say which with --party"),
    };
    let party_name = index
        .get(&c.party)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let token = crate::token::recipient_token(&cfg.mail.token_secret, cycle, c.id);
    Ok((
        write::Recipient {
            party: c.party.clone(),
            party_name,
            contact_name: c.name.clone(),
            email: c.email.to_string(),
            reply_to: crate::token::plus_address(&cfg.mail.reply_to, &token),
            token,
        },
        c.language,
    ))
}

/// How many needs the matrix holds.
pub async fn need_count(app: &App) -> Result<usize> {
    Ok(app.store.need_count().await?)
}

/// What `check` found in a reply, in the JSON shape of DESIGN.md.
#[derive(Debug, serde::Serialize)]
pub struct CheckReport {
    pub file: String,
    /// The cycle whose base the reply was diffed against, if any.
    pub cycle: Option<Cycle>,
    /// Whose permissions were applied.
    pub party: Option<PartyCode>,
    pub stamp: Option<read::Stamp>,
    pub no_changes: Option<bool>,
    pub changes: Vec<crate::diff::Change>,
    /// What the reply's Programmes sheet proposes to the Directory of Sources of
    /// Assistance (a provider's own programmes).
    pub programme_changes: Vec<crate::register::Change>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<RowError>,
}

fn note(message: String) -> RowError {
    RowError {
        row: 0,
        column: None,
        message,
    }
}

/// Reads a reply and reports what it proposes, without storing anything. Inbound mail
/// takes the same path: the same reader, and [`assess`].
pub async fn check(
    app: &App,
    path: &Path,
    as_party: Option<&str>,
    cycle: Option<Cycle>,
) -> Result<CheckReport> {
    let bytes = read_file(path, app.cfg.limits.attachment_bytes)?;
    let sender = as_party.map(|t| resolve_party(&app.index, t)).transpose()?;
    let mut report = check_bytes(
        &app.cfg,
        &app.store,
        &app.index,
        bytes,
        &file_name(path),
        sender.as_ref(),
        cycle,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    report.file = path.display().to_string();
    Ok(report)
}

/// The reply reader, the three-way diff and the policy over a file's bytes: what a reply
/// proposes. `sender` applies that party's permissions (default: the party stamped in
/// the file); `cycle` picks the base (default: the stamped cycle).
async fn check_bytes(
    cfg: &Config,
    store: &Store,
    index: &PartyIndex,
    bytes: Vec<u8>,
    name: &str,
    sender: Option<&crate::model::Party>,
    cycle: Option<Cycle>,
) -> Result<CheckReport> {
    // Parsing overlaps with loading the matrix from the database.
    let parse = parse_reply(cfg, index, bytes, name);
    let (reply, ours) = tokio::join!(parse, store.needs());
    let bases = Bases::default();
    assess(
        cfg, store, index, &bases, reply?, &ours?, name, sender, cycle,
    )
    .await
}

/// Cycles' bases as circulated, loaded once each: a run that reads many replies for the
/// same cycle diffs them all against one copy.
#[derive(Default)]
pub struct Bases(tokio::sync::Mutex<std::collections::HashMap<Cycle, Option<Arc<[Need]>>>>);

impl Bases {
    /// `cycle`'s base, or `None` when the cycle was never circulated.
    pub async fn get(&self, store: &Store, cycle: Cycle) -> Result<Option<Arc<[Need]>>> {
        let mut cache = self.0.lock().await;
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(cycle) {
            slot.insert(store.cycle_base(cycle).await?.map(Arc::from));
        }
        Ok(cache.get(&cycle).cloned().flatten())
    }
}

/// Reads a reply workbook's bytes on a blocking thread (parsing is CPU work).
async fn parse_reply(
    cfg: &Config,
    index: &PartyIndex,
    bytes: Vec<u8>,
    name: &str,
) -> Result<read::Reply> {
    let (limits, areas, index, file) = (
        cfg.limits,
        cfg.areas.clone(),
        index.clone(),
        name.to_string(),
    );
    Ok(tokio::task::spawn_blocking(move || {
        read::read_reply_with(
            &mut |which| crate::reader::shared().read(&bytes, &file, &limits, which),
            &index,
            &areas,
        )
    })
    .await
    .context("the workbook reader stopped unexpectedly")??)
}

/// The three-way diff of a read reply against its cycle's base and the matrix now
/// (`ours`), and the policy of the sender party.
#[allow(
    clippy::too_many_arguments,
    reason = "the whole context of one judgement"
)]
pub async fn assess(
    cfg: &Config,
    store: &Store,
    index: &PartyIndex,
    bases: &Bases,
    reply: read::Reply,
    ours: &[Need],
    name: &str,
    sender: Option<&crate::model::Party>,
    cycle: Option<Cycle>,
) -> Result<CheckReport> {
    let mut warnings = reply.warnings;
    let stamp_cycle = reply
        .stamp
        .as_ref()
        .and_then(|s| s.cycle.as_deref())
        .and_then(|c| Cycle::parse(c).ok());
    let cycle = cycle.or(stamp_cycle);
    // The cycle's base as circulated; without one, the current matrix serves.
    let stored_base = match cycle {
        Some(c) => bases.get(store, c).await?,
        None => None,
    };
    if stored_base.is_none() {
        warnings.push(note(match cycle {
            Some(c) => {
                format!("cycle {c} was never circulated; the current matrix serves as the base")
            }
            None => "the file names no cycle; the current matrix serves as the base".into(),
        }));
    }
    let base = stored_base.as_deref().unwrap_or(ours);
    let stamp_party = reply.stamp.as_ref().and_then(|s| s.party.clone());
    let sender = match sender {
        Some(p) => Some(p.clone()),
        None => stamp_party
            .as_deref()
            .map(|t| resolve_party(index, t))
            .transpose()?,
    };
    if let (Some(s), Some(stamped)) = (&sender, &stamp_party)
        && s.code.as_str() != stamped
    {
        warnings.push(note(format!(
            "the workbook was circulated to {stamped} but is checked as {}; permissions follow the sender",
            s.code
        )));
    }
    // The Directory as circulated in the cycle (as it is now, without one), for the
    // provider's two sheets.
    let directory = match (&reply.programmes, &reply.offers) {
        (None, None) => None,
        _ => Some(Directory::load(store, cycle).await?),
    };
    let (programme_changes, programme_errors) = match (reply.programmes, &directory) {
        (Some(grid), Some(d)) => programme_changes(cfg, index, d, grid, sender.as_ref())?,
        _ => (Vec::new(), Vec::new()),
    };
    let offers = match (reply.offers, &sender, &directory) {
        (Some((rows, errors)), Some(p), Some(d)) => {
            let geo = crate::programme::Geography::shared()?;
            let listed = crate::offer::listed(base, &d.typed(index, geo), geo, &p.code);
            let mut offered = crate::diff::diff(base, ours, &rows);
            offered.errors.extend(errors);
            Some(crate::offer::apply(p, &listed, offered))
        }
        (Some(_), None, _) => {
            warnings.push(note(format!(
                "the {} sheet was not read: it needs a sender party (use --as)",
                crate::offer::SHEET
            )));
            None
        }
        _ => None,
    };
    let mut diff = crate::diff::diff(base, ours, &reply.rows);
    diff.errors.extend(reply.errors);
    diff.errors.extend(programme_errors);
    diff.errors.sort_by_key(|e| e.row);
    diff.warnings.extend(warnings);
    let mut diff = match &sender {
        Some(p) => crate::policy::apply(&cfg.policy, p, ours, diff),
        None => {
            let mut d = diff;
            d.warnings.push(note(
                "no sender party (use --as): the policy was not applied".into(),
            ));
            d
        }
    };
    if let Some(offered) = offers {
        crate::offer::merge(&mut diff, offered);
    }
    Ok(CheckReport {
        file: name.to_string(),
        cycle,
        party: sender.map(|p| p.code),
        stamp: reply.stamp,
        no_changes: reply.no_changes,
        changes: diff.changes,
        programme_changes,
        errors: diff.errors,
        warnings: diff.warnings,
    })
}

/// The Directory of Sources of Assistance a reply is read against: its programmes as
/// circulated in the reply's cycle (as they are now, without one) and as they are now.
struct Directory {
    base: BTreeMap<String, crate::register::Record>,
    ours: BTreeMap<String, crate::register::Record>,
}

impl Directory {
    async fn load(store: &Store, cycle: Option<Cycle>) -> Result<Self> {
        let by_id = |list: Vec<crate::register::Record>| -> BTreeMap<_, _> {
            list.into_iter().map(|r| (r.id.clone(), r)).collect()
        };
        let ours = by_id(store.programmes().await?);
        let base = match cycle {
            Some(c) => store.cycle_programmes(c).await?.map(by_id),
            None => None,
        }
        .unwrap_or_else(|| ours.clone());
        Ok(Self { base, ours })
    }

    /// The programmes as circulated, typed (one that no longer reads is left out).
    fn typed(
        &self,
        index: &PartyIndex,
        geo: &crate::programme::Geography,
    ) -> Vec<crate::programme::Programme> {
        self.base
            .values()
            .filter_map(|r| crate::programme::Programme::from_record(r, index, geo).ok())
            .collect()
    }
}

/// What a reply's Programmes sheet proposes: the three-way diff against the programmes
/// as circulated and as they are now, with the owner policy of the sender (a provider
/// changes and adds only its own programmes; a new row with no Provider is the
/// sender's). Problems are row errors naming the sheet.
fn programme_changes(
    cfg: &Config,
    index: &PartyIndex,
    directory: &Directory,
    grid: read::Grid,
    sender: Option<&crate::model::Party>,
) -> Result<(Vec<crate::register::Change>, Vec<RowError>)> {
    use crate::programme::{Geography, ProgrammeValues, SCHEMA};
    use crate::register::{self, Change};
    let sheet_error = |mut e: RowError| {
        e.message = format!("Programmes sheet: {}", e.message);
        e
    };
    let Some(sheet) = register::find_sheet(&SCHEMA, vec![grid]) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let geo = Geography::shared()?;
    let values = ProgrammeValues::new(index, &cfg.areas, geo);
    let (mut rows, mut errors) = register::read_rows(&SCHEMA, &sheet, &values);
    let Directory { base, ours } = directory;
    if let Some(p) = sender {
        for r in rows.iter_mut().filter(|r| r.id.is_none()) {
            let provider = r.fields.entry(SCHEMA.owner).or_default();
            if provider.is_empty() {
                *provider = p.code.to_string();
            }
        }
    }
    let (changes, diff_errors) = register::diff(&SCHEMA, base, ours, &rows);
    errors.extend(diff_errors);
    let mut allowed = Vec::with_capacity(changes.len());
    for c in changes {
        match sender {
            Some(p) if !register::owner_may(&SCHEMA, p.code.as_str(), ours, &c) => {
                let (row, message) = match &c {
                    Change::Update { id, row, field, .. } => (
                        *row,
                        match ours.get(id).map(|r| r.get(SCHEMA.owner)) {
                            Some(owner) if owner != p.code.as_str() => format!(
                                "{id} is {owner}'s programme; {} may change only its own",
                                p.code
                            ),
                            _ => format!(
                                "the {field} of a programme is not for its provider to change"
                            ),
                        },
                    ),
                    Change::Add { row, .. } => (
                        *row,
                        format!(
                            "{} may add only its own programmes (leave Provider blank or name it)",
                            p.code
                        ),
                    ),
                };
                errors.push(RowError {
                    row,
                    column: None,
                    message,
                });
            }
            _ => allowed.push(c),
        }
    }
    errors.sort_by_key(|e| e.row);
    Ok((allowed, errors.into_iter().map(sheet_error).collect()))
}

/// The party a code or name means, or [`UnknownParty`].
fn resolve_party(index: &PartyIndex, text: &str) -> Result<crate::model::Party> {
    index
        .resolve(text)
        .cloned()
        .ok_or_else(|| anyhow::Error::new(UnknownParty(text.to_string())))
}

/// `--as` names no known party.
#[derive(Debug, Error)]
#[error("unknown party '{0}' (give a code such as KEN or UNODC, or a name)")]
pub struct UnknownParty(pub String);

/// Loads programmes into the Directory of Sources of Assistance from a workbook or CSV
/// (its Programmes sheet); blank Programme IDs are assigned, existing ones refused (a
/// change to a programme goes through review).
pub async fn import_programmes(app: &App, path: &Path, skip_bad: bool) -> Result<ImportReport> {
    use crate::programme::{ProgrammeValues, SCHEMA};
    use crate::register;
    use crate::store::programmes::NewProgramme;
    let (cfg, store, clock) = (&app.cfg, &app.store, &app.clock);
    let name = file_name(path);
    let sheet = register::find_sheet(&SCHEMA, every_sheet(app, path).await?).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no sheet has a Programmes header (a row with Provider, Title, Kind, Areas and Status columns)",
            path.display()
        )
    })?;
    let values = ProgrammeValues::new(&app.index, &cfg.areas, app.geo);
    let (rows, mut errors) = register::read_rows(&SCHEMA, &sheet, &values);
    let mut complete = Vec::with_capacity(rows.len());
    for r in rows {
        let lacking = register::missing(&SCHEMA, &r);
        if lacking.is_empty() {
            complete.push(r);
        } else {
            errors.extend(lacking);
        }
    }
    let numbers: Vec<u64> = complete
        .iter()
        .filter_map(|r| r.id.as_deref())
        .filter_map(|id| SCHEMA.id_number(id).ok())
        .collect();
    let taken = store.existing_programme_numbers(&numbers).await?;
    let mut keep = Vec::with_capacity(complete.len());
    for r in complete {
        let number = r.id.as_deref().and_then(|id| SCHEMA.id_number(id).ok());
        if number.is_some_and(|n| taken.contains(&n)) {
            errors.push(RowError {
                row: r.row,
                column: Some(SCHEMA.id_header.into()),
                message: format!(
                    "{} is already in the directory; changes to existing programmes go through review",
                    r.id.unwrap_or_default()
                ),
            });
        } else if number.is_some_and(|n| n > MAX_IMPORTED_NUMBER) {
            errors.push(RowError {
                row: r.row,
                column: Some(SCHEMA.id_header.into()),
                message: format!("{} is too high a number", r.id.unwrap_or_default()),
            });
        } else {
            keep.push(NewProgramme {
                number,
                fields: r.fields,
            });
        }
    }
    errors.sort_by_key(|e| e.row);
    if !errors.is_empty() && !skip_bad {
        return Err(RowsRefused {
            file: path.display().to_string(),
            errors,
        }
        .into());
    }
    let ids = store
        .insert_programmes(&keep, &format!("import {name}"), clock.now())
        .await
        .context("storing the programmes")?;
    Ok(ImportReport {
        added: ids.len(),
        updated: 0,
        skipped: errors,
        warnings: sheet.warnings,
    })
}

/// The highest programme number an import may set, so that generated IDs stay valid.
const MAX_IMPORTED_NUMBER: u64 = 999_999_999;

/// The Programmes workbook: every programme, or the empty template with its headers.
pub async fn export_programmes(app: &App) -> Result<Vec<u8>> {
    let records = app
        .store
        .programmes()
        .await
        .context("reading the programmes")?;
    crate::register::workbook(&crate::programme::SCHEMA, &records)
        .context("writing the Programmes workbook")
}
