//! The demo resident of a local run (development only): an empty database gets the carried-over
//! account "Erkki Esimerkki, esimerkki.erkki@example.com" without a password, as in the city's
//! user guide, and two pages of earlier transactions, so the journeys can be tried at once.

use super::ServerError;
use super::db::{Db, NewTransaction};
use crate::model::{Email, IsoDate};

/// The demo resident a local run starts with, as in the city's user guide.
const DEMO_NAME: &str = "Erkki Esimerkki";
const DEMO_EMAIL: &str = "esimerkki.erkki@example.com";
const DEMO_LEGACY_USERNAME: &str = "erkki";
/// The demo resident's example transactions, two pages of history in the services' own (Finnish)
/// words, one a line: date | service | reference | status | description.
const DEMO_HISTORY: &str = "\
2018-11-20|Rakennuslupa|RL-2018-0311|Vireillä|Autotallin rakentaminen
2018-09-04|Tilavaraus|TV-2018-1187|Hyväksytty|Liikuntahalli, sali 2, 4.10.2018 klo 18–20
2018-06-12|Pysäköintilupa|PL-2018-0456|Hyväksytty|Asukaspysäköintitunnus, vyöhyke K
2018-03-05|Maa-aineslupa|MA-2018-0007|Käsitelty|Soranotto, tila Mäkelä 5:12
2018-01-22|Tilavaraus|TV-2018-0093|Peruttu|Nuorisotalon kerhohuone 10.2.2018
2017-10-30|Rakennuslupa|RL-2017-0042|Hyväksytty|Omakotitalon laajennus
2017-08-15|Kaivulupa|KL-2017-0219|Käsitelty|Vesijohdon liitos katualueella
2017-05-09|Tilavaraus|TV-2017-0512|Hyväksytty|Kaupungintalon juhlasali 3.6.2017
2017-02-14|Toimenpidelupa|TL-2017-0025|Hylätty|Aidan rakentaminen tontin rajalle
2016-11-03|Maa-aineslupa|MA-2016-0014|Käsitelty|Luvan jatkaminen
2016-06-21|Tilavaraus|TV-2016-0688|Hyväksytty|Urheilukenttä, juhannuskisat
2016-03-10|Rakennuslupa|RL-2016-0101|Käsitelty|Saunarakennus";
/// Creates the demo account and its history when the database has no accounts at all.
pub async fn seed_if_empty(db: &Db) -> Result<(), ServerError> {
    if db.account_count().await? > 0 {
        return Ok(());
    }
    let email = Email::parse(DEMO_EMAIL).map_err(|_| ServerError::Config("demo e-mail".into()))?;
    db.import_legacy_account(DEMO_LEGACY_USERNAME, &email, DEMO_NAME)
        .await?;
    let transactions = match db.account_by_email(&email).await? {
        Some(account) => add_demo_history(db, account.id).await?,
        None => 0,
    };
    tracing::info!(
        transactions,
        "empty database: created the demo account {DEMO_EMAIL} (no password yet)"
    );
    Ok(())
}

/// The rows of [`DEMO_HISTORY`].
fn demo_history() -> Result<Vec<NewTransaction<'static>>, ServerError> {
    let bad = |line: &str| ServerError::Config(format!("demo transaction: {line}"));
    DEMO_HISTORY
        .lines()
        .map(|line| match line.split('|').collect::<Vec<_>>()[..] {
            [date, service, reference, status, description] => Ok(NewTransaction {
                occurred_on: IsoDate::parse(date).ok_or_else(|| bad(line))?,
                service,
                reference,
                status,
                description,
            }),
            _ => Err(bad(line)),
        })
        .collect()
}

/// Gives the demo account its example transactions.
async fn add_demo_history(db: &Db, account_id: i64) -> Result<usize, ServerError> {
    let transactions = demo_history()?;
    for transaction in &transactions {
        db.add_transaction(account_id, transaction).await?;
    }
    Ok(transactions.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HISTORY_PER_PAGE, page_count};

    #[test]
    fn the_demo_history_is_two_pages_newest_first() {
        let transactions = demo_history().unwrap();
        assert_eq!(page_count(transactions.len() as u64, HISTORY_PER_PAGE), 2);
        let dates: Vec<String> = transactions
            .iter()
            .map(|t| t.occurred_on.to_string())
            .collect();
        assert!(dates.windows(2).all(|pair| pair[0] > pair[1]), "{dates:?}");
        for t in &transactions {
            assert!(!t.service.is_empty() && !t.reference.is_empty() && !t.status.is_empty());
            assert!(!t.description.is_empty());
        }
    }
}
