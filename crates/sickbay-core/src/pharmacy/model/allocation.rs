//! Which batches a dispense takes from: earliest expiry first, never from a batch that has expired or
//! expires within the minimum shelf life, never more than a batch holds.

use crate::db::Date;

/// A batch as the allocation sees it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchStock {
    pub id: i64,
    pub drug_id: i64,
    pub batch_number: String,
    pub expires_on: Date,
    pub quantity: i64,
}

/// Units taken from one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Take {
    pub batch_id: i64,
    pub batch_number: String,
    pub expires_on: Date,
    pub quantity: i64,
}

/// What a request for some units of a drug gets: the takes, and how many units no usable batch holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub takes: Vec<Take>,
    pub short: i64,
}

impl Allocation {
    pub fn taken(&self) -> i64 {
        self.takes.iter().map(|take| take.quantity).sum()
    }
}

/// The first expiry day a batch may have to be dispensed on `today`: a batch is usable through its expiry
/// day, and must still have `min_shelf_days` to go.
pub fn usable_from(today: Date, min_shelf_days: i64) -> Date {
    Date(Date::add_days(today.0, min_shelf_days.max(0)))
}

fn usable(batches: &[BatchStock], usable_from: Date) -> Vec<&BatchStock> {
    let mut usable: Vec<&BatchStock> = batches
        .iter()
        .filter(|batch| batch.quantity > 0 && batch.expires_on >= usable_from)
        .collect();
    usable.sort_by_key(|batch| (batch.expires_on, batch.id));
    usable
}

/// Units of `batches` that may be dispensed.
pub fn available(batches: &[BatchStock], usable_from: Date) -> i64 {
    usable(batches, usable_from).iter().map(|batch| batch.quantity).sum()
}

/// Takes `requested` units (or as many as there are) from the usable batches, earliest expiry first.
pub fn allocate(batches: &[BatchStock], requested: i64, usable_from: Date) -> Allocation {
    let mut wanted = requested.max(0);
    let mut takes = Vec::new();
    for batch in usable(batches, usable_from) {
        if wanted == 0 {
            break;
        }
        let quantity = wanted.min(batch.quantity);
        takes.push(Take {
            batch_id: batch.id,
            batch_number: batch.batch_number.clone(),
            expires_on: batch.expires_on,
            quantity,
        });
        wanted -= quantity;
    }
    Allocation { takes, short: wanted }
}

/// A request for units of a drug on behalf of something (a prescription item, a procedure's supply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub key: i64,
    pub drug_id: i64,
    pub quantity: i64,
}

/// Allocates several requests in order from one stock, so two items of one drug don't both count on the same
/// units.
pub fn plan(requests: &[Request], batches: &[BatchStock], usable_from: Date) -> Vec<(i64, Allocation)> {
    let mut left = batches.to_vec();
    requests
        .iter()
        .map(|request| {
            let of_drug: Vec<BatchStock> = left
                .iter()
                .filter(|batch| batch.drug_id == request.drug_id)
                .cloned()
                .collect();
            let allocation = allocate(&of_drug, request.quantity, usable_from);
            for take in &allocation.takes {
                if let Some(batch) = left.iter_mut().find(|batch| batch.id == take.batch_id) {
                    batch.quantity -= take.quantity;
                }
            }
            (request.key, allocation)
        })
        .collect()
}

/// A plan written as text (`item:batch:units,...`), so the confirming form can say which plan the pharmacist
/// saw and a plan that changed since is shown again instead of being dispensed.
pub fn fingerprint(plan: &[(i64, Allocation)]) -> String {
    plan.iter()
        .flat_map(|(key, allocation)| {
            allocation
                .takes
                .iter()
                .map(move |take| format!("{key}:{}:{}", take.batch_id, take.quantity))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A prescription item with units still owed, as a dispense sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owed {
    pub item_id: i64,
    pub drug_id: i64,
    pub owed: i64,
    pub label: String,
}

/// What the dispense page offers: as much of each owed item as the usable stock gives, items in the order
/// written.
pub fn offered(owed: &[Owed], batches: &[BatchStock], usable_from: Date) -> Vec<(i64, Allocation)> {
    let requests: Vec<Request> = owed
        .iter()
        .map(|item| Request {
            key: item.item_id,
            drug_id: item.drug_id,
            quantity: item.owed,
        })
        .collect();
    plan(&requests, batches, usable_from)
}

/// The plan for the units the pharmacist asked for (`asked` by item; a missing item gives none), or why it
/// can't be: more than an item owes, more than the usable stock holds, or nothing at all.
pub fn asked_plan(
    owed: &[Owed],
    asked: &[(i64, i64)],
    batches: &[BatchStock],
    usable_from: Date,
) -> Result<Vec<(i64, Allocation)>, String> {
    let units = |item_id: i64| asked.iter().find(|(id, _)| *id == item_id).map_or(0, |(_, n)| *n);
    let stray = |(id, n): &(i64, i64)| *n < 0 || (*n > 0 && owed.iter().all(|item| item.item_id != *id));
    if asked.iter().any(stray) {
        return Err("One of the quantities is not for an item still owed. Reload the page.".into());
    }
    if let Some(item) = owed.iter().find(|item| units(item.item_id) > item.owed) {
        return Err(format!("{}: only {} still owed.", item.label, item.owed));
    }
    let requests: Vec<Request> = owed
        .iter()
        .map(|item| Request {
            key: item.item_id,
            drug_id: item.drug_id,
            quantity: units(item.item_id),
        })
        .filter(|request| request.quantity > 0)
        .collect();
    if requests.is_empty() {
        return Err("Give at least one unit, or refuse what the pharmacy can't give.".into());
    }
    let planned = plan(&requests, batches, usable_from);
    if let Some((id, allocation)) = planned.iter().find(|(_, allocation)| allocation.short > 0) {
        let label = owed
            .iter()
            .find(|item| item.item_id == *id)
            .map_or("", |item| item.label.as_str());
        return Err(format!(
            "{label}: the stock that may be dispensed holds only {} for it.",
            allocation.taken()
        ));
    }
    Ok(planned)
}

/// Whether `asked` (units by item) is exactly what the plan written as `fingerprint` gives each item: the
/// pharmacist confirmed the plan as shown, so if it no longer fits, the stock or the prescription changed.
pub fn asks_as_planned(fingerprint: &str, asked: &[(i64, i64)]) -> bool {
    let mut planned: Vec<(i64, i64)> = Vec::new();
    for part in fingerprint.split(',').filter(|part| !part.is_empty()) {
        let mut fields = part.split(':').map(str::parse::<i64>);
        let (Some(Ok(key)), Some(Ok(_batch)), Some(Ok(units)), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        match planned.iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => *total += units,
            None => planned.push((key, units)),
        }
    }
    let asked_units = |key: i64| asked.iter().filter(|(k, _)| *k == key).map(|(_, n)| *n).sum::<i64>();
    planned.iter().all(|(key, units)| asked_units(*key) == *units)
        && asked
            .iter()
            .all(|(key, n)| *n == 0 || planned.iter().any(|(k, _)| k == key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn day(offset: i64) -> Date {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        Date(Date::add_days(today, offset))
    }

    fn batch(id: i64, expires_in: i64, quantity: i64) -> BatchStock {
        BatchStock {
            id,
            drug_id: 1,
            batch_number: format!("B{id}"),
            expires_on: day(expires_in),
            quantity,
        }
    }

    #[test]
    fn earliest_expiry_first_across_batches() {
        let batches = [batch(1, 200, 50), batch(2, 30, 10), batch(3, -1, 99), batch(4, 90, 5)];
        let got = allocate(&batches, 12, day(0));
        let takes: Vec<(i64, i64)> = got.takes.iter().map(|t| (t.batch_id, t.quantity)).collect();
        assert_eq!(takes, vec![(2, 10), (4, 2)]);
        assert_eq!(got.short, 0);
        assert_eq!(available(&batches, day(0)), 65);
    }

    #[test]
    fn short_stock_gives_what_there_is() {
        let got = allocate(&[batch(1, 10, 4)], 10, day(0));
        assert_eq!((got.taken(), got.short), (4, 6));
        assert_eq!(allocate(&[], 3, day(0)).short, 3);
    }

    #[test]
    fn minimum_shelf_life_skips_batches_expiring_too_soon() {
        let batches = [batch(1, 5, 10), batch(2, 40, 10)];
        assert_eq!(allocate(&batches, 3, usable_from(day(0), 30)).takes[0].batch_id, 2);
        // A batch is usable through its expiry day.
        assert_eq!(allocate(&[batch(1, 0, 2)], 1, usable_from(day(0), 0)).taken(), 1);
    }

    #[test]
    fn two_requests_for_one_drug_share_the_stock() {
        let batches = [batch(1, 10, 5), batch(2, 20, 5)];
        let requests = [
            Request {
                key: 7,
                drug_id: 1,
                quantity: 4,
            },
            Request {
                key: 8,
                drug_id: 1,
                quantity: 4,
            },
        ];
        let planned = plan(&requests, &batches, day(0));
        assert_eq!(fingerprint(&planned), "7:1:4,8:1:1,8:2:3");
    }

    fn owed(item_id: i64, owed: i64) -> Owed {
        Owed {
            item_id,
            drug_id: 1,
            owed,
            label: format!("item {item_id}"),
        }
    }

    #[test]
    fn the_offer_is_what_stock_gives_and_asking_more_is_refused() {
        let batches = [batch(1, 10, 5), batch(2, 20, 3)];
        let items = [owed(7, 6), owed(8, 4)];
        let offer = offered(&items, &batches, day(0));
        assert_eq!(fingerprint(&offer), "7:1:5,7:2:1,8:2:2");
        assert_eq!(offer[1].1.short, 2);
        let asked = asked_plan(&items, &[(7, 6), (8, 2)], &batches, day(0)).expect("fits");
        assert_eq!(fingerprint(&asked), fingerprint(&offer));
        assert!(
            asked_plan(&items, &[(7, 7)], &batches, day(0))
                .expect_err("owed")
                .contains("only 6 still owed")
        );
        assert!(
            asked_plan(&items, &[(7, 6), (8, 3)], &batches, day(0))
                .expect_err("stock")
                .contains("holds only 2")
        );
        assert!(asked_plan(&items, &[(7, 0), (8, 0)], &batches, day(0)).is_err());
        assert!(asked_plan(&items, &[(9, 1)], &batches, day(0)).is_err());
        assert!(asked_plan(&items, &[(7, -1)], &batches, day(0)).is_err());
        // Only the second item now: it takes the earliest batch.
        assert_eq!(
            fingerprint(&asked_plan(&items, &[(8, 4)], &batches, day(0)).expect("fits")),
            "8:1:4"
        );
    }

    #[test]
    fn a_form_asks_as_planned_when_its_quantities_are_the_plans() {
        assert!(asks_as_planned("7:1:5,7:2:1,8:2:2", &[(7, 6), (8, 2)]));
        assert!(asks_as_planned("7:1:5", &[(7, 5), (8, 0)]));
        assert!(!asks_as_planned("7:1:5", &[(7, 4)]));
        assert!(!asks_as_planned("7:1:5", &[(7, 5), (8, 1)]));
        assert!(!asks_as_planned("7:x:5", &[(7, 5)]));
        assert!(asks_as_planned("", &[]));
    }

    proptest! {
        #[test]
        fn allocation_keeps_every_rule(
            batches in proptest::collection::vec((-30i64..60, 0i64..40), 0..8),
            requested in 0i64..200,
            shelf in 0i64..20,
        ) {
            let batches: Vec<BatchStock> = batches
                .iter()
                .enumerate()
                .map(|(i, (expires, quantity))| batch(i as i64 + 1, *expires, *quantity))
                .collect();
            let from = usable_from(day(0), shelf);
            let got = allocate(&batches, requested, from);
            let usable_total: i64 = batches.iter().filter(|b| b.expires_on >= from).map(|b| b.quantity).sum();
            // min(requested, available), and the rest is short.
            prop_assert_eq!(got.taken(), requested.min(usable_total));
            prop_assert_eq!(got.taken() + got.short, requested);
            let mut last = None;
            for take in &got.takes {
                let source = batches.iter().find(|b| b.id == take.batch_id).expect("a batch of the list");
                // Never from an expired or too-short-dated batch, never more than it holds, never nothing.
                prop_assert!(source.expires_on >= from);
                prop_assert!(take.quantity > 0 && take.quantity <= source.quantity);
                // Earliest expiry first, each batch at most once.
                prop_assert!(last.is_none_or(|l| (source.expires_on, source.id) > l));
                last = Some((source.expires_on, source.id));
            }
            // Every batch before the last one taken from is emptied.
            if let Some(final_take) = got.takes.last() {
                for take in &got.takes[..got.takes.len() - 1] {
                    let source = batches.iter().find(|b| b.id == take.batch_id).expect("batch");
                    prop_assert_eq!(take.quantity, source.quantity);
                }
                prop_assert!(final_take.quantity > 0);
            }
            // A usable batch expiring earlier than a batch taken from is not left with units.
            if let Some(&(expiry, id)) = last.as_ref() {
                for b in batches.iter().filter(|b| b.expires_on >= from && b.quantity > 0 && (b.expires_on, b.id) < (expiry, id)) {
                    prop_assert!(got.takes.iter().any(|t| t.batch_id == b.id && t.quantity == b.quantity));
                }
            }
        }
    }
}
