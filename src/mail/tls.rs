//! The one rustls client configuration for mail servers: the system's trust store, plus
//! the operator's own CA certificate (`smtp.ca_file`, `imap.ca_file`) when one is named.

use std::path::Path;
use std::sync::Arc;

/// A client configuration trusting the system's roots and `ca_file`. The error is one
/// sentence about the CA file or the TLS setup, for the caller to name its key in.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsSetupError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        use rustls_pki_types::pem::PemObject;
        let ca_err = |reason: String| TlsSetupError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        for cert in rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_err(e.to_string()))?
        {
            roots
                .add(cert.map_err(|e| ca_err(e.to_string()))?)
                .map_err(|e| ca_err(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read the CA certificate {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("{0}")]
    Rustls(String),
}
