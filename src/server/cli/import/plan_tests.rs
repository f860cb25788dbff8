//! Row outcomes of the plan, against an in-memory "database".

use super::*;
use crate::server::db::ExistingState;

fn table(text: &str) -> Table {
    Table::read(text.as_bytes()).unwrap()
}

fn outcomes(rows: &[RowOutcome]) -> Vec<(u64, Outcome)> {
    rows.iter().map(|r| (r.line, r.outcome)).collect()
}

/// One account already there: `erkki` (first username) and `erkki2` (merged), erkki@example.com.
fn existing() -> ExistingState {
    let mut state = ExistingState::default();
    state.accounts.insert(
        7,
        ImportedAccount {
            email: Some("erkki@example.com".into()),
            full_name: "Erkki".into(),
            phone: None,
            language: Some("fi".into()),
            legacy_username: Some("erkki".into()),
        },
    );
    state.by_email.insert("erkki@example.com".into(), 7);
    state.by_legacy_username.insert("erkki".into(), 7);
    state.by_legacy_username.insert("erkki2".into(), 7);
    state
}

#[test]
fn user_rows_get_one_outcome_each() {
    let users = table(
        "legacy_username,email,full_name,phone,language\n\
         erkki,erkki@example.com,Erkki,,fi\n\
         erkki2,erkki@example.com,Toinen Nimi,,\n\
         uusi,Uusi@Example.com,Uusi,,\n\
         uusi_b,uusi@example.com,Uusi B,,\n\
         vanha_osoite,ERKKI@example.com,Vanha,,\n\
         eiosoitetta,,Ei Osoitetta,,\n\
         ,x@example.com,X,,\n\
         uusi,y@example.com,Y,,\n\
         nimeton,z@example.com,,,\n\
         kieli,k@example.com,K,,no\n",
    );
    let mut plan = Plan::default();
    let accounts = plan_users(&users, &existing(), &mut plan).unwrap();
    use Outcome::*;
    assert_eq!(
        outcomes(&plan.users),
        [
            (2, Unchanged),
            (3, Unchanged),
            (4, Created),
            (5, Merged),
            (6, Merged),
            (7, Unreachable),
            (8, Rejected),
            (9, Rejected),
            (10, Rejected),
            (11, Rejected),
        ]
    );
    assert_eq!(
        plan.writes.new_accounts.len(),
        2,
        "uusi and the unreachable one"
    );
    assert_eq!(
        plan.writes.new_accounts[0].email.as_deref(),
        Some("uusi@example.com")
    );
    assert_eq!(plan.writes.new_accounts[1].email, None);
    assert_eq!(
        plan.merges,
        [
            Merge {
                email: "uusi@example.com".into(),
                usernames: vec!["uusi".into(), "uusi_b".into()]
            },
            Merge {
                email: "erkki@example.com".into(),
                usernames: vec!["erkki".into(), "vanha_osoite".into()]
            },
        ]
    );
    assert_eq!(
        accounts.by_username.get("uusi_b"),
        Some(&AccountRef::New(0))
    );
    assert_eq!(
        accounts.by_username.get("vanha_osoite"),
        Some(&AccountRef::Existing(7))
    );
    assert!(!accounts.by_username.contains_key("nimeton"));
}

#[test]
fn changed_details_are_an_update() {
    let users = table(
        "legacy_username,email,full_name,phone,language\nerkki,erkki@example.com,Erkki E,040 1,SV\n",
    );
    let mut plan = Plan::default();
    plan_users(&users, &existing(), &mut plan).unwrap();
    assert_eq!(outcomes(&plan.users), [(2, Outcome::Updated)]);
    let (id, details) = &plan.writes.updates[0];
    assert_eq!(
        (
            *id,
            details.full_name.as_str(),
            details.phone.as_deref(),
            details.language.as_deref()
        ),
        (7, "Erkki E", Some("040 1"), Some("sv"))
    );
}

#[test]
fn history_rows_get_one_outcome_each() {
    let accounts = Accounts {
        by_username: [("erkki".to_owned(), AccountRef::Existing(7))].into(),
    };
    let known: HashSet<u128> = [transaction_key(
        AccountRef::Existing(7),
        ["2018-03-05", "S", "OLD", "T", ""],
    )]
    .into();
    let history = table(
        "legacy_username;date;service;reference;status\n\
         erkki;5.3.2018;S;OLD;T\n\
         erkki;2018-03-06;S;NEW;T\n\
         erkki;6.3.2018;S;NEW;T\n\
         muu;2018-03-06;S;X;T\n\
         erkki;2018-02-30;S;X;T\n\
         erkki;2018-03-06;S;;T\n\
         ;2018-03-06;S;X;T\n",
    );
    let mut plan = Plan::default();
    plan_history(&history, &accounts, &known, &mut plan).unwrap();
    use Outcome::*;
    assert_eq!(
        outcomes(&plan.history),
        [
            (2, Unchanged),
            (3, Created),
            (4, Rejected),
            (5, Rejected),
            (6, Rejected),
            (7, Rejected),
            (8, Rejected)
        ]
    );
    assert_eq!(plan.writes.transactions.len(), 1);
    assert_eq!(plan.writes.transactions[0].occurred_on, "2018-03-06");
    assert!(plan.history[2].reason.contains("repeats line 3"));
    assert!(plan.history[4].reason.contains("cannot be read"));
}

#[test]
fn a_missing_column_fails_the_whole_file() {
    let mut plan = Plan::default();
    let users = table("legacy_username,email\na,a@example.com\n");
    assert!(plan_users(&users, &ExistingState::default(), &mut plan).is_err());
}
