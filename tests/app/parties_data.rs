//! The committed States list (config/parties/states.toml, generated from Debian's
//! iso-codes and CLDR by scripts/gen-parties.py) agrees with a second maintained source,
//! the keshvar crate's UN-member flag.

use std::collections::BTreeSet;

use needsd::directory::seed_parties;
use needsd::model::PartyKind;

#[test]
fn un_members_agree_with_keshvar() {
    let parties = seed_parties().expect("committed party data parses");
    let ours: BTreeSet<String> = parties
        .iter()
        .filter(|p| p.kind == PartyKind::State && p.membership.as_deref() == Some("member"))
        .map(|p| p.code.to_string())
        .collect();
    let theirs: BTreeSet<String> = keshvar::CountryIterator::new()
        .filter(|c| c.un_member())
        .map(|c| c.alpha3().to_string())
        .collect();
    assert_eq!(ours.len(), 193);
    assert_eq!(
        ours, theirs,
        "states.toml and keshvar disagree on UN membership"
    );

    let observers: BTreeSet<String> = parties
        .iter()
        .filter(|p| p.membership.as_deref() == Some("observer"))
        .map(|p| p.code.to_string())
        .collect();
    assert_eq!(
        observers,
        BTreeSet::from(["PSE".to_string(), "VAT".to_string()])
    );
    for code in &observers {
        let c = keshvar::Country::try_from(code.as_str()).expect("keshvar knows the observers");
        assert!(!c.un_member(), "{code} is an observer, not a member");
    }
}
