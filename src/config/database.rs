//! `[database]`: where needsd keeps everything.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    #[serde(deserialize_with = "url")]
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/needsd.db".into(),
        }
    }
}

fn url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    let url = String::deserialize(d)?.trim().to_string();
    if url.starts_with("sqlite:") {
        Ok(url)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(D::Error::custom(
            "PostgreSQL is not supported by this version yet; use sqlite://PATH",
        ))
    } else {
        Err(D::Error::custom("must start with sqlite: or postgres:"))
    }
}
