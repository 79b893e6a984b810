//! The demo's billing, through the billing service: the fee schedule's prices (the consultation by category, a
//! medical report, students' prices for common lab tests), the student health insurance scheme with a good
//! share of the students under it, invoices for the recent past visits issued on the visit's day, payments
//! taken at the desk on the day or a few days later (cash with change, card, transfer), some left part paid or
//! owed, one refund with a credit note, the cashier's closed days, and the scheme's monthly claims (earlier
//! months' lines submitted and some paid). Today's completed visits are billed but for the last few, which wait
//! for the cashier.
//!
//! The large size has thousands of past visits and billing one is a few queries and a transaction: it bills
//! every visit of the last few days and a sample of the weeks before, at most [`MOST_BILLED`] in all.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context;
use chrono::{Datelike, Duration as Days, NaiveDate, TimeZone};
use chrono_tz::Tz;
use rand::Rng;
use rand::rngs::StdRng;

use super::model::{self, Person, Stream};
use super::repo;
use crate::billing::model::{Category, ClaimStatus, Covers, Discount, LineKind, PaymentMethod, When};
use crate::billing::repo::SchemeInput;
use crate::billing::service::{self as billing, FeeChange, PaymentInput, RefundInput};
use crate::db::{Date, Db, Money, Timestamp};
use crate::error::ServiceError;
use crate::identity::Actor;

/// The scheme the university runs for its students.
pub const SCHEME: &str = "Student Health Insurance Scheme";
/// How far back invoices go: two months, so last month's claim is whole.
const BILLED_DAYS: i64 = 60;
/// The most visits billed (the large size has about ten thousand in two months; a bill, its payment and their
/// reads take a few milliseconds).
const MOST_BILLED: usize = 1_000;
/// Every visit of these last days is billed (but for a few left for the cashier); older ones are sampled.
const RECENT_DAYS: i64 = 3;
/// The share of students under the scheme.
const COVERED: f64 = 0.6;
/// A size with more students than this enrolls only those who visit in the billed days (one transaction each).
const ENROL_ALL_UP_TO: usize = 2_000;
/// Today's completed visits left for the cashier to bill.
const LEFT_TODAY: usize = 2;

/// Prices in major units: the consultation (its own, students', staff's), the medical report, and students'
/// prices of some lab tests.
const CONSULTATION: (i64, i64, i64) = (2_000, 0, 1_000);
const MEDICAL_REPORT: (&str, i64) = ("Medical report", 3_000);
const STUDENT_LAB_PRICES: [(&str, i64); 3] = [("Malaria parasite", 500), ("Widal test", 1_000), ("Urinalysis", 400)];

/// What billing made, for the report and the logins.
#[derive(Clone, Debug, Default)]
pub struct Billed {
    pub scheme_id: i64,
    pub members: usize,
    /// The month whose claim to look at: last month when it has lines, else this month.
    pub claim_month: String,
    /// Students with an invoice still owed (part paid first), then ones who paid, by index in the people.
    pub payers: Vec<usize>,
}

fn failed(what: String) -> impl FnOnce(ServiceError) -> anyhow::Error {
    move |err| match err {
        ServiceError::Invalid(errors) => anyhow::anyhow!("{what}: {errors:?}"),
        other => anyhow::anyhow!("{what}: {other}"),
    }
}

/// `days` after `day`, moved on to the Monday when that falls on a weekend.
fn weekday_after(day: NaiveDate, days: i64) -> NaiveDate {
    let later = day + Days::days(days);
    match later.weekday() {
        chrono::Weekday::Sat => later + Days::days(2),
        chrono::Weekday::Sun => later + Days::days(1),
        _ => later,
    }
}

/// `units` major units of the clinic's currency.
fn major(units: i64, digits: u32) -> Money {
    Money(units * 10_i64.pow(digits))
}

/// The fee schedule, the lab's student prices and the scheme, as an admin sets them up. Returns the scheme.
pub async fn fee_schedule(db: &Db, actor: &Actor, digits: u32) -> anyhow::Result<i64> {
    let fees = billing::fees(db).await?;
    let consultation = fees
        .iter()
        .find(|fee| fee.is_consultation())
        .context("the consultation fee")?;
    let (own, students, staff) = CONSULTATION;
    let change = FeeChange {
        name: consultation.name.clone(),
        price: major(own, digits),
        active: true,
        by_category: vec![
            (Category::Student, Some(major(students, digits))),
            (Category::Staff, Some(major(staff, digits))),
        ],
    };
    billing::update_fee(db, actor, consultation.id, consultation.updated_at, &change)
        .await
        .map_err(failed("pricing the consultation".into()))?;
    let (name, price) = MEDICAL_REPORT;
    billing::add_fee(db, actor, name, major(price, digits))
        .await
        .map_err(failed(format!("adding {name}")))?;
    let tests = crate::lab::service::tests(db).await?;
    for (name, price) in STUDENT_LAB_PRICES {
        let test = tests
            .iter()
            .find(|t| t.name == name)
            .with_context(|| format!("the lab test {name}"))?;
        let prices = [(Category::Student, Some(major(price, digits)))];
        billing::set_item_prices(db, actor, "lab_test", test.id, &prices)
            .await
            .map_err(failed(format!("the prices of {name}")))?;
    }
    let scheme = SchemeInput {
        name: SCHEME.to_owned(),
        percent: 80,
        covers: Covers {
            consultation: true,
            lab: true,
            drugs: true,
            ..Covers::default()
        },
        yearly_limit: major(50_000, digits),
        active: true,
    };
    billing::add_scheme(db, actor, &scheme)
        .await
        .map_err(failed("adding the scheme".into()))
}

/// A completed visit to bill.
struct ToBill {
    visit_id: i64,
    patient_id: i64,
    day: NaiveDate,
}

/// The desk at work: who takes the money, and what it made.
struct Desk<'a> {
    db: &'a Db,
    cashier: Actor,
    tax_bp: i64,
    digits: u32,
    today: NaiveDate,
    zone: Tz,
    /// The desk's clock on each past day: minutes after midnight of its last change.
    clock: BTreeMap<NaiveDate, u32>,
    rng: StdRng,
    report_fee: i64,
    /// Payments due on later days: (invoice, amount).
    later: BTreeMap<NaiveDate, Vec<(i64, Money)>>,
    /// Each day's cash in less cash out, for the close.
    cash: BTreeMap<NaiveDate, Money>,
    /// Invoices the scheme pays part of: (invoice, day issued).
    claimed: Vec<(i64, NaiveDate)>,
    refunded: bool,
    receipts: usize,
    /// Patients with an invoice left part paid, left owed, and paid.
    part_paid: Vec<i64>,
    owed: Vec<i64>,
    paid: Vec<i64>,
}

/// Bills the visits of the last two months (sampled in the large size) and today's, takes their payments day
/// by day, closes each past day's cash and marks the earlier months' claims.
pub async fn run(
    db: &Db,
    seed: u64,
    (settings, today): (&crate::settings::Settings, NaiveDate),
    reception: &Person,
    people: &[Person],
    scheme_id: i64,
) -> anyhow::Result<Billed> {
    let mut rng = model::rng(seed, Stream::Billing);
    let from = today - Days::days(BILLED_DAYS);
    let visits = repo::completed_visits(db, Date(from), Date(today)).await?;
    let chosen = choose(&mut rng, visits, today);
    let members = enrol(db, &mut rng, people, &chosen, scheme_id).await?;
    let report_fee = billing::fees(db)
        .await?
        .into_iter()
        .find(|fee| fee.name == MEDICAL_REPORT.0)
        .context("the medical report fee")?
        .id;
    let mut desk = Desk {
        db,
        cashier: reception.as_staff(),
        tax_bp: settings.billing.tax_bp,
        digits: settings.currency().minor_digits,
        today,
        zone: settings.clinic.time_zone,
        clock: BTreeMap::new(),
        rng,
        report_fee,
        later: BTreeMap::new(),
        cash: BTreeMap::new(),
        claimed: Vec::new(),
        refunded: false,
        receipts: 0,
        part_paid: Vec::new(),
        owed: Vec::new(),
        paid: Vec::new(),
    };
    let mut by_day: BTreeMap<NaiveDate, Vec<ToBill>> = BTreeMap::new();
    for visit in chosen {
        by_day.entry(visit.day).or_default().push(visit);
    }
    let mut day = from;
    while day <= today {
        for visit in by_day.remove(&day).unwrap_or_default() {
            desk.bill(&visit).await?;
        }
        desk.later_on(day).await?;
        if day < today {
            desk.close(day).await?;
        }
        day += Days::days(1);
    }
    let claim_month = desk.claims(scheme_id).await?;
    let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let payers = desk
        .part_paid
        .iter()
        .chain(&desk.owed)
        .chain(&desk.paid)
        .filter_map(|id| index.get(id).copied())
        .take(10)
        .collect();
    Ok(Billed {
        scheme_id,
        members,
        claim_month,
        payers,
    })
}

/// The visits to bill: all of the last few days' but one in twelve (left for the cashier), today's but the last
/// few, and older ones sampled to keep within [`MOST_BILLED`].
fn choose(rng: &mut StdRng, visits: Vec<(i64, i64, Date)>, today: NaiveDate) -> Vec<ToBill> {
    let recent_from = today - Days::days(RECENT_DAYS);
    let older = visits.iter().filter(|(_, _, day)| day.0 < recent_from).count();
    let recent = visits.len() - older;
    let room = MOST_BILLED.saturating_sub(recent);
    let keep_older = if older == 0 {
        1.0
    } else {
        (room as f64 / older as f64).min(0.9)
    };
    let today_count = visits.iter().filter(|(_, _, day)| day.0 == today).count();
    let mut seen_today = 0;
    let mut chosen = Vec::new();
    for (visit_id, patient_id, day) in visits {
        let keep = if day.0 == today {
            seen_today += 1;
            seen_today + LEFT_TODAY <= today_count
        } else if day.0 >= recent_from {
            !rng.random_ratio(1, 12)
        } else {
            rng.random_bool(keep_older)
        };
        if keep {
            chosen.push(ToBill {
                visit_id,
                patient_id,
                day: day.0,
            });
        }
    }
    chosen
}

/// Puts a share of the students under the scheme, each with a member number (SHIS-000123); in a large size
/// only those who visit in the billed days. Returns how many.
async fn enrol(
    db: &Db,
    rng: &mut StdRng,
    people: &[Person],
    chosen: &[ToBill],
    scheme_id: i64,
) -> anyhow::Result<usize> {
    let visiting: HashSet<i64> = chosen.iter().map(|v| v.patient_id).collect();
    let everyone = people.len() <= ENROL_ALL_UP_TO;
    let registrar = Actor::system("demo");
    let mut members = 0;
    for person in people {
        if !rng.random_bool(COVERED) || !(everyone || visiting.contains(&person.id)) {
            continue;
        }
        members += 1;
        let member = format!("SHIS-{members:06}");
        billing::set_patient_scheme(db, &registrar, person.id, Some((scheme_id, &member)))
            .await
            .map_err(failed(format!("enrolling patient {}", person.id)))?;
    }
    Ok(members)
}

impl Desk<'_> {
    /// When the desk does its next thing on `day`: now on today, and on an earlier day a few minutes after its
    /// last change, from 09:00 on (so a day's invoices and payments follow each other through its hours).
    fn when(&mut self, day: NaiveDate) -> When {
        if day >= self.today {
            return When::now(Date(day));
        }
        let step = self.rng.random_range(2..9);
        let minutes = self.clock.entry(day).or_insert(9 * 60);
        *minutes = (*minutes + step).min(17 * 60 + 59);
        let local = day.and_hms_opt(*minutes / 60, *minutes % 60, 0);
        let at = local
            .and_then(|local| self.zone.from_local_datetime(&local).earliest())
            .map_or_else(Timestamp::now, |at| Timestamp(at.timestamp_millis()));
        When { day: Date(day), at }
    }

    /// Bills a visit on its day (and now and then a medical report with it), and settles what the patient owes
    /// as the desk would.
    async fn bill(&mut self, visit: &ToBill) -> anyhow::Result<()> {
        let when = self.when(visit.day);
        let billed = billing::bill_visit(
            self.db,
            &self.cashier,
            visit.visit_id,
            (Discount::None, ""),
            self.tax_bp,
            when,
        )
        .await;
        let id = match billed {
            Ok(id) => id,
            // A free consultation with nothing else charged makes no invoice.
            Err(ServiceError::Conflict(why)) if why == billing::NOTHING_TO_BILL => return Ok(()),
            Err(e) => return Err(failed(format!("billing visit {}", visit.visit_id))(e)),
        };
        self.settle(id, visit.day).await?;
        if visit.day < self.today && self.rng.random_ratio(1, 15) {
            let report = self.medical_report(visit.patient_id, visit.day).await?;
            self.settle(report, visit.day).await?;
        }
        Ok(())
    }

    /// A medical report asked for at the visit (for missed exams, sports, a hostel), invoiced by hand.
    async fn medical_report(&mut self, patient_id: i64, day: NaiveDate) -> anyhow::Result<i64> {
        let what = || format!("a medical report for patient {patient_id}");
        let when = self.when(day);
        let id = billing::create_draft(self.db, &self.cashier, patient_id, when)
            .await
            .map_err(failed(what()))?;
        let category = billing::invoice(self.db, id)
            .await
            .map_err(failed(what()))?
            .invoice
            .category;
        let line = billing::catalogue_line(self.db, LineKind::Service, self.report_fee, 1, category)
            .await
            .map_err(failed(what()))?;
        billing::add_line(self.db, &self.cashier, id, &line, self.tax_bp, when)
            .await
            .map_err(failed(what()))?;
        billing::issue(self.db, &self.cashier, id, (Discount::None, ""), self.tax_bp, when)
            .await
            .map_err(failed(what()))?;
        Ok(id)
    }

    /// Most pay their share at once; some pay part now and the rest (or not) later, some pay a few days
    /// later, and some still owe (more of the last days' invoices). One patient paid in full for a lab test
    /// that could not be done: the money goes back the same day, with a credit note.
    async fn settle(&mut self, invoice_id: i64, day: NaiveDate) -> anyhow::Result<()> {
        let detail = billing::invoice(self.db, invoice_id)
            .await
            .map_err(failed(format!("invoice {invoice_id}")))?;
        let invoice = &detail.invoice;
        if invoice.scheme_share.0 > 0 {
            self.claimed.push((invoice_id, day));
        }
        let owed = invoice.balance();
        if owed.0 <= 0 {
            return Ok(());
        }
        let recent = (self.today - day).num_days() <= 1;
        let roll = self.rng.random_range(0..100);
        let later = weekday_after(day, self.rng.random_range(1..=5));
        let later_fits = later < self.today;
        match roll {
            _ if recent && roll < 35 => self.owed.push(invoice.patient_id),
            0..=71 => {
                let method = self.pay(invoice_id, owed, day).await?;
                self.paid.push(invoice.patient_id);
                let lab = detail.lines.iter().any(|line| line.kind == LineKind::LabTest);
                if !self.refunded && lab && day < self.today {
                    self.refunded = true;
                    self.refund(invoice_id, owed, method, day).await?;
                }
            }
            72..=83 if owed.0 >= 2 => {
                let unit = 10_i64.pow(self.digits);
                let half = owed.0 / 2 / unit * unit;
                let part = Money(if half > 0 { half } else { owed.0 / 2 });
                self.pay(invoice_id, part, day).await?;
                let rest = Money(owed.0 - part.0);
                // The first stays part paid, so the cashier always has one to finish whatever the day's dice.
                if later_fits && roll < 78 && !self.part_paid.is_empty() {
                    self.later.entry(later).or_default().push((invoice_id, rest));
                } else {
                    self.part_paid.push(invoice.patient_id);
                }
            }
            84..=91 if later_fits => self.later.entry(later).or_default().push((invoice_id, owed)),
            _ => self.owed.push(invoice.patient_id),
        }
        Ok(())
    }

    async fn refund(
        &mut self,
        invoice_id: i64,
        amount: Money,
        method: PaymentMethod,
        day: NaiveDate,
    ) -> anyhow::Result<()> {
        let input = RefundInput {
            method,
            amount,
            reason: "The sample could not be taken, so the test was not done".to_owned(),
            credit: true,
            seen: self.version(invoice_id).await?,
        };
        let when = self.when(day);
        billing::refund(self.db, &self.cashier, invoice_id, &input, when)
            .await
            .map_err(failed(format!("refunding invoice {invoice_id}")))?;
        if method == PaymentMethod::Cash {
            self.cash.entry(day).or_default().0 -= amount.0;
        }
        Ok(())
    }

    /// A payment at the desk: cash (with the notes handed over), card with the terminal's reference, or a
    /// transfer with the bank's.
    async fn pay(&mut self, invoice_id: i64, amount: Money, day: NaiveDate) -> anyhow::Result<PaymentMethod> {
        self.receipts += 1;
        let n = self.receipts;
        let roll = self.rng.random_range(0..100);
        let (method, tendered, reference) = match roll {
            0..=54 => (PaymentMethod::Cash, Some(self.tendered(amount)), String::new()),
            55..=79 => (
                PaymentMethod::Card,
                None,
                format!(
                    "POS {:06} ****{:04}",
                    self.rng.random_range(0..1_000_000),
                    self.rng.random_range(0..10_000)
                ),
            ),
            _ => (
                PaymentMethod::Transfer,
                None,
                format!("NIP/{}/{n:06}", day.format("%Y%m%d")),
            ),
        };
        let input = PaymentInput {
            method,
            amount,
            tendered,
            reference,
            seen: self.version(invoice_id).await?,
        };
        let when = self.when(day);
        billing::pay(self.db, &self.cashier, invoice_id, &input, when)
            .await
            .map_err(failed(format!("paying invoice {invoice_id}")))?;
        if method == PaymentMethod::Cash {
            self.cash.entry(day).or_default().0 += amount.0;
        }
        Ok(method)
    }

    /// The invoice as the desk sees it before taking or giving back money (`PaymentInput::seen`).
    async fn version(&self, invoice_id: i64) -> anyhow::Result<Timestamp> {
        billing::version_of(self.db, invoice_id)
            .await
            .map_err(failed(format!("invoice {invoice_id}")))
    }

    /// The notes handed over for `amount`: the next round sum above it.
    fn tendered(&mut self, amount: Money) -> Money {
        let unit = 10_i64.pow(self.digits);
        let note = [200, 500, 1_000][self.rng.random_range(0..3)] * unit;
        let rounded = (amount.0 / note + 1) * note;
        Money(if self.rng.random_ratio(1, 6) { amount.0 } else { rounded })
    }

    /// The payments due on `day` for earlier invoices.
    async fn later_on(&mut self, day: NaiveDate) -> anyhow::Result<()> {
        for (invoice_id, amount) in self.later.remove(&day).unwrap_or_default() {
            self.pay(invoice_id, amount, day).await?;
        }
        Ok(())
    }

    /// The cashier counts the drawer at the end of a day with takings: it matches but for one day a little
    /// short.
    async fn close(&mut self, day: NaiveDate) -> anyhow::Result<()> {
        let Some(expected) = self.cash.get(&day).copied() else {
            return Ok(());
        };
        let short = major(50, self.digits);
        let (counted, note) = if (self.today - day).num_days() == 3 && expected.0 >= short.0 {
            (Money(expected.0 - short.0), "Short: change given twice at the rush")
        } else {
            (expected, "")
        };
        billing::close_day(self.db, &self.cashier, (Date(day), Date(day)), counted, note)
            .await
            .map_err(failed(format!("closing {day}")))?;
        Ok(())
    }

    /// The scheme's claims: every month before this one submitted; the one before last paid, and last month's
    /// paid up to its 20th but one line rejected. Returns the month to look at.
    async fn claims(&self, scheme_id: i64) -> anyhow::Result<String> {
        let month_of = |day: NaiveDate| day.format("%Y-%m").to_string();
        let this_month = month_of(self.today);
        let last_month = month_of(self.today.with_day(1).unwrap_or(self.today) - Days::days(1));
        let mut months: BTreeMap<String, Vec<(i64, NaiveDate)>> = BTreeMap::new();
        for (id, day) in &self.claimed {
            months.entry(month_of(*day)).or_default().push((*id, *day));
        }
        for (month, lines) in months.iter().filter(|(month, _)| **month < this_month) {
            let ids: Vec<i64> = lines.iter().map(|(id, _)| *id).collect();
            self.mark((scheme_id, month), &ids, ClaimStatus::Submitted, "").await?;
            if *month == last_month {
                let mut paid: Vec<i64> = lines
                    .iter()
                    .filter(|(_, day)| day.day() <= 20)
                    .map(|(id, _)| *id)
                    .collect();
                if paid.len() > 1 {
                    let rejected = paid.remove(paid.len() / 2);
                    let reason = "The member number was not on the scheme's list for the month";
                    self.mark((scheme_id, month), &[rejected], ClaimStatus::Rejected, reason)
                        .await?;
                }
                self.mark((scheme_id, month), &paid, ClaimStatus::Paid, "").await?;
            } else {
                self.mark((scheme_id, month), &ids, ClaimStatus::Paid, "").await?;
            }
        }
        Ok(if months.contains_key(&last_month) {
            last_month
        } else {
            this_month
        })
    }

    async fn mark(&self, claim: (i64, &str), ids: &[i64], to: ClaimStatus, reason: &str) -> anyhow::Result<()> {
        if !ids.is_empty() {
            billing::mark_claim(self.db, &self.cashier, claim, ids, to, reason)
                .await
                .map_err(failed(format!("marking claim lines {}", to.as_str())))?;
        }
        Ok(())
    }
}
