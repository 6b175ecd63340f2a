//! `users`: the review UI's users.

use anyhow::{Context, Result};

use super::Usage;
use super::args::UsersCmd;
use super::print::{print_json, print_table};
use needsd::app::App;

pub(super) async fn users(app: &App, cmd: UsersCmd) -> Result<()> {
    use needsd::web::auth;
    let (store, clock) = (&app.store, &*app.clock);
    match cmd {
        UsersCmd::Add { name, role } => {
            let (name, role) = auth::check_user(&name, &role).map_err(|e| Usage(e.to_string()))?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            auth::check_password(&password)
                .map_err(|e| Usage(format!("{e} (read from standard input)")))?;
            let hash = auth::hash_password_blocking(password).await?;
            let new = store.put_user(&name, role, &hash, clock.now()).await?;
            println!(
                "User {name} {} ({}).",
                if new { "added" } else { "updated" },
                role.as_str()
            );
        }
        UsersCmd::List { json } => {
            let list = store.users().await?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.role.as_str().into(),
                        if u.active { "active" } else { "inactive" }.into(),
                        needsd::clock::db_time(u.created_at),
                    ]
                })
                .collect();
            print_table(&["NAME", "ROLE", "STATE", "SINCE"], &rows)?;
        }
    }
    Ok(())
}
