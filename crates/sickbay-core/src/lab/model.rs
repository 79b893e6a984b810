//! The lab's rules: the test catalogue and its ranges by sex, the life of an order (ordered, resulted,
//! released, or cancelled before a result), the flag a result gets from its range, and the screening record
//! a lab attendant keeps for a student.

use crate::tone::Tone;
use serde::Deserialize;

use crate::db::{Money, Timestamp};
use crate::patients::model::Sex;
use crate::text_enum;
use crate::validation::{FieldErrors, forbidden_character, forbidden_message, one_line};

/// The longest test name, specimen, unit, result value and eye reading, in characters.
pub const NAME_MAX: usize = 80;
pub const SPECIMEN_MAX: usize = 40;
pub const UNIT_MAX: usize = 20;
/// How many days a result released to the patient and not yet opened by them counts as new (their home's
/// figure, their visits' marks): one left unopened longer is no longer news.
pub const NEW_RESULT_DAYS: i64 = 14;

/// From when a result released to the patient and not yet opened counts as new, as of `now`.
pub fn new_results_since(now: Timestamp) -> Timestamp {
    Timestamp(now.0 - NEW_RESULT_DAYS * 24 * 3_600_000)
}
pub const VALUE_MAX: usize = 60;
/// How many answers a test read in words may list.
pub const ANSWERS_MAX: usize = 12;
pub const EYE_MAX: usize = 12;
/// The longest comment, order note or screening note.
pub const TEXT_MAX: usize = 2_000;
/// The longest plain account of what a test looks for.
pub const ABOUT_MAX: usize = 300;
/// The longest note of whom the lab told of a critical result, and of what the doctor did about it.
const TOLD_MAX: usize = 200;
/// The largest value a range bound may take (ranges are read as decimals, never money).
const BOUND_MAX: f64 = 1.0e9;

/// A test of the catalogue.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LabTest {
    pub id: i64,
    pub name: String,
    pub specimen: String,
    pub unit: String,
    pub male_low: Option<f64>,
    pub male_high: Option<f64>,
    pub female_low: Option<f64>,
    pub female_high: Option<f64>,
    /// Beyond these a result is critical: a danger to the patient, phoned to the doctor at once.
    pub critical_low: Option<f64>,
    pub critical_high: Option<f64>,
    pub price: Money,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    /// For a test read in words, the answers its result is chosen from ("Negative, Positive"); empty: any words.
    pub answers: String,
    /// Which of the answers are normal; a result outside them is flagged abnormal. Empty: none is flagged.
    pub normal_answers: String,
    /// What the test looks for, in plain words for the patient (empty: nothing is said).
    pub about: String,
}

/// A usual range: either bound may be open ("< 5.6").
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Range {
    pub fn is_empty(&self) -> bool {
        self.low.is_none() && self.high.is_none()
    }

    /// The smallest range holding both: the lower low and the higher high, open on a side either is open on.
    pub fn span(self, other: Range) -> Range {
        let join = |a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64| Some(pick(a?, b?));
        Range {
            low: join(self.low, other.low, f64::min),
            high: join(self.high, other.high, f64::max),
        }
    }

    /// `13.0–17.0`, `< 5.6`, `> 40`, or empty.
    pub fn label(&self) -> String {
        match (self.low, self.high) {
            (Some(low), Some(high)) => format!("{}–{}", number(low), number(high)),
            (Some(low), None) => format!("≥ {}", number(low)),
            (None, Some(high)) => format!("≤ {}", number(high)),
            (None, None) => String::new(),
        }
    }
}

/// A result's value with its unit, when it has one: `13.5 g/dL`, `Negative`.
pub fn with_unit(value: &str, unit: &str) -> String {
    match unit.is_empty() {
        true => value.to_owned(),
        false => format!("{value} {unit}"),
    }
}

/// A decimal as people write it: `13.5`, `150`, never `150.0` or `1e2`.
pub fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

impl LabTest {
    pub fn male(&self) -> Range {
        Range {
            low: self.male_low,
            high: self.male_high,
        }
    }

    pub fn female(&self) -> Range {
        Range {
            low: self.female_low,
            high: self.female_high,
        }
    }

    /// The critical limits (either may be open): a result below the low one or above the high one is critical.
    pub fn critical(&self) -> Range {
        Range {
            low: self.critical_low,
            high: self.critical_high,
        }
    }

    /// The critical limits as the catalogue shows them: `< 2.5 or > 6.5`; empty when there are none.
    pub fn critical_label(&self) -> String {
        match (self.critical_low, self.critical_high) {
            (Some(low), Some(high)) => format!("< {} or > {}", number(low), number(high)),
            (Some(low), None) => format!("< {}", number(low)),
            (None, Some(high)) => format!("> {}", number(high)),
            (None, None) => String::new(),
        }
    }

    /// The answers a result is chosen from, in the catalogue's order; none for a number or free words.
    pub fn answer_list(&self) -> Vec<&str> {
        list_items(&self.answers)
    }

    pub fn normal_answer_list(&self) -> Vec<&str> {
        list_items(&self.normal_answers)
    }

    /// The answers as the catalogue shows them: `Negative (normal), Positive`; empty for a number or free words.
    pub fn answers_label(&self) -> String {
        let normal = self.normal_answer_list();
        let marked = |answer: &str| match normal.contains(&answer) {
            true => format!("{answer} (normal)"),
            false => answer.to_owned(),
        };
        self.answer_list()
            .into_iter()
            .map(marked)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the test is read against a range (its result is a number), rather than in words.
    pub fn is_numeric(&self) -> bool {
        !self.male().is_empty() || !self.female().is_empty()
    }

    /// The range a patient's result is read against: their sex's, or, when their sex is not recorded, the span
    /// of both sexes' ranges: a result outside it is out of range whichever their sex. A limit one sex lacks
    /// leaves that side open.
    pub fn range_for(&self, sex: Option<Sex>) -> Range {
        match sex {
            Some(Sex::Male) => self.male(),
            Some(Sex::Female) => self.female(),
            None => self.male().span(self.female()),
        }
    }

    /// Whether a patient of `sex` is read against a range that both sexes' ranges were joined into.
    fn joins_ranges(&self, sex: Option<Sex>) -> bool {
        sex.is_none() && self.male() != self.female()
    }

    /// What the lab is told beside a number's field: its unit, and the range it will be read against.
    pub fn value_help(&self, sex: Option<Sex>) -> String {
        let unit = match self.unit.is_empty() {
            true => String::new(),
            false => format!(" in {}", self.unit),
        };
        let read = match self.range_for(sex) {
            range if range.is_empty() => {
                format!("A number{unit}. No range applies (the patient's sex is not recorded).")
            }
            range if self.joins_ranges(sex) => format!(
                "A number{unit}. The patient's sex is not recorded: read against {}, the men's and women's \
                 ranges together, so only a value outside both is flagged.",
                range.label()
            ),
            range => format!("A number{unit}. Read against {} for the patient's sex.", range.label()),
        };
        match self.critical_label() {
            limits if limits.is_empty() => read,
            limits => format!("{read} Critical {limits}: phone the doctor at once."),
        }
    }
}

/// The catalogue form as typed (add and edit).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LabTestForm {
    #[serde(default)]
    pub form_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub specimen: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub male_low: String,
    #[serde(default)]
    pub male_high: String,
    #[serde(default)]
    pub female_low: String,
    #[serde(default)]
    pub female_high: String,
    #[serde(default)]
    pub critical_low: String,
    #[serde(default)]
    pub critical_high: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub active: Option<String>,
    #[serde(default)]
    pub answers: String,
    #[serde(default)]
    pub normal_answers: String,
    #[serde(default)]
    pub about: String,
}

/// A catalogue test as it will be stored.
#[derive(Clone, Debug, PartialEq)]
pub struct TestDetails {
    pub name: String,
    pub specimen: String,
    pub unit: String,
    pub male: Range,
    pub female: Range,
    pub critical: Range,
    pub price: Money,
    pub active: bool,
    /// The answers and the normal ones, each list written "Negative, Positive".
    pub answers: String,
    pub normal_answers: String,
    pub about: String,
}

/// The items of a list written with commas: `Negative, Positive`.
fn list_items(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).filter(|item| !item.is_empty()).collect()
}

/// Whether two answers are the same one, written in any case: `positive` is `Positive`.
pub fn same_answer(one: &str, other: &str) -> bool {
    one.trim().to_lowercase() == other.trim().to_lowercase()
}

/// A list of answers as typed, checked: each one line, none twice, at most [`ANSWERS_MAX`]; written back
/// with ", " between them.
fn parse_answers(text: &str, what: &str) -> Result<Vec<String>, String> {
    let mut answers: Vec<String> = Vec::new();
    for item in list_items(text) {
        let answer = one_line(item, what, VALUE_MAX, true)?;
        if answers.iter().any(|a| same_answer(a, &answer)) {
            return Err(format!("{answer} is written twice."));
        }
        answers.push(answer);
    }
    match answers.len() {
        0 | 2..=ANSWERS_MAX => Ok(answers),
        1 => Err("List at least two answers, separated by commas, or leave it empty.".to_owned()),
        _ => Err(format!("List at most {ANSWERS_MAX} answers.")),
    }
}

/// The answers and the normal ones, checked together: a test read against a range takes none, and every
/// normal answer is one of the answers.
fn answers_of(form: &LabTestForm, numeric: bool, errors: &mut FieldErrors) -> Option<(String, String)> {
    let answers = errors.check("answers", parse_answers(&form.answers, "An answer"))?;
    let normal = errors.check("normal_answers", parse_normal_answers(&form.normal_answers))?;
    if numeric && !answers.is_empty() {
        errors.add(
            "answers",
            "A test with a usual range is read as a number: leave the answers empty, or the range.",
        );
        return None;
    }
    let stray = normal.iter().find(|n| !answers.iter().any(|a| same_answer(a, n)));
    if let Some(stray) = stray {
        errors.add("normal_answers", format!("{stray} is not one of the answers."));
        return None;
    }
    let canonical = |n: &String| answers.iter().find(|a| same_answer(a, n)).cloned();
    let normal: Vec<String> = normal.iter().filter_map(canonical).collect();
    Some((answers.join(", "), normal.join(", ")))
}

/// The normal answers: one is enough.
fn parse_normal_answers(text: &str) -> Result<Vec<String>, String> {
    match list_items(text).as_slice() {
        [one] => Ok(vec![one_line(one, "A normal answer", VALUE_MAX, true)?]),
        _ => parse_answers(text, "A normal answer"),
    }
}

impl LabTestForm {
    /// The form of an existing test, for its edit page.
    pub fn of(test: &LabTest, minor_digits: u32) -> Self {
        let bound = |value: Option<f64>| value.map(number).unwrap_or_default();
        LabTestForm {
            form_id: String::new(),
            name: test.name.clone(),
            specimen: test.specimen.clone(),
            unit: test.unit.clone(),
            male_low: bound(test.male_low),
            male_high: bound(test.male_high),
            female_low: bound(test.female_low),
            female_high: bound(test.female_high),
            critical_low: bound(test.critical_low),
            critical_high: bound(test.critical_high),
            price: test.price.format_major(minor_digits).replace(',', ""),
            active: test.active.then(|| "1".to_owned()),
            answers: test.answers.clone(),
            normal_answers: test.normal_answers.clone(),
            about: test.about.clone(),
        }
    }

    /// The test, or a message beside each bad field. `minor_digits` is the clinic currency's.
    pub fn validate(&self, minor_digits: u32) -> Result<TestDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", one_line(&self.name, "The name", NAME_MAX, true));
        let specimen = errors.check("specimen", one_line(&self.specimen, "The specimen", SPECIMEN_MAX, true));
        let unit = errors.check("unit", one_line(&self.unit, "The unit", UNIT_MAX, false));
        let about = errors.check("about", one_line(&self.about, "What it looks for", ABOUT_MAX, false));
        let male = range(&self.male_low, &self.male_high, ("male_low", "male_high"), &mut errors);
        let female = range(
            &self.female_low,
            &self.female_high,
            ("female_low", "female_high"),
            &mut errors,
        );
        let price = match self.price.trim() {
            "" => Some(Money(0)),
            text => match crate::validation::parse_money(text, minor_digits) {
                Ok(price) => Some(price),
                Err(crate::validation::MoneyError::NotAnAmount) => {
                    let example = if minor_digits == 0 { "2500" } else { "2500.00" };
                    errors.add("price", format!("Write the price as an amount, such as {example}."));
                    None
                }
                Err(err) => {
                    errors.add("price", err.message(minor_digits));
                    None
                }
            },
        };
        let numeric = male.is_some_and(|r| !r.is_empty()) || female.is_some_and(|r| !r.is_empty());
        let answers = answers_of(self, numeric, &mut errors);
        let critical = range(
            &self.critical_low,
            &self.critical_high,
            ("critical_low", "critical_high"),
            &mut errors,
        )
        .and_then(|critical| critical_beyond_usual(critical, [male, female], numeric, &mut errors));
        match (name, specimen, unit, male, female, price, answers, critical, about) {
            (
                Some(name),
                Some(specimen),
                Some(unit),
                Some(male),
                Some(female),
                Some(price),
                Some(answers),
                Some(critical),
                Some(about),
            ) if errors.is_empty() => Ok(TestDetails {
                name,
                specimen,
                unit,
                male,
                female,
                critical,
                price,
                active: self.active.is_some(),
                answers: answers.0,
                normal_answers: answers.1,
                about,
            }),
            _ => Err(errors),
        }
    }
}

/// The critical limits, checked against the usual ranges: only a test read against a range has them, and each
/// lies beyond the usual range on its side (a critical low below every usual low, a critical high above every
/// usual high).
fn critical_beyond_usual(
    critical: Range,
    usual: [Option<Range>; 2],
    numeric: bool,
    errors: &mut FieldErrors,
) -> Option<Range> {
    if critical.is_empty() {
        return Some(critical);
    }
    if !numeric {
        let field = if critical.low.is_some() {
            "critical_low"
        } else {
            "critical_high"
        };
        errors.add(field, "Only a test read against a usual range has critical limits.");
        return None;
    }
    let usual: Vec<Range> = usual.into_iter().flatten().collect();
    if let Some(low) = critical.low
        && usual
            .iter()
            .any(|r| r.low.is_some_and(|l| low >= l) || r.high.is_some_and(|h| low >= h))
    {
        errors.add("critical_low", "The critical low must be below the usual range.");
        return None;
    }
    if let Some(high) = critical.high
        && usual
            .iter()
            .any(|r| r.high.is_some_and(|h| high <= h) || r.low.is_some_and(|l| high <= l))
    {
        errors.add("critical_high", "The critical high must be above the usual range.");
        return None;
    }
    Some(critical)
}

/// Whether a number crosses a test's critical limits (`LabTest::critical`).
pub fn is_critical(value: f64, limits: Range) -> bool {
    limits.low.is_some_and(|low| value < low) || limits.high.is_some_and(|high| value > high)
}

/// Text on several lines (a comment, a note): may be empty.
pub fn multi_line(text: &str, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > TEXT_MAX {
        return Err(format!("{what} holds at most {TEXT_MAX} characters."));
    }
    if let Some(c) = forbidden_character(text, true) {
        return Err(forbidden_message(what, c));
    }
    Ok(text.to_owned())
}

/// A decimal typed in a form: `13.5`, `-2`, `0.25` (a comma as the decimal point is accepted).
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    let valid = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn bound(text: &str, field: &'static str, errors: &mut FieldErrors) -> Result<Option<f64>, ()> {
    match text.trim() {
        "" => Ok(None),
        text => match parse_decimal(text) {
            Some(value) if value.abs() <= BOUND_MAX => Ok(Some(value)),
            Some(_) => {
                errors.add(field, "That number is too large for a range.");
                Err(())
            }
            None => {
                errors.add(field, "Write a number, such as 13.5 (or leave it empty).");
                Err(())
            }
        },
    }
}

fn range(low: &str, high: &str, fields: (&'static str, &'static str), errors: &mut FieldErrors) -> Option<Range> {
    let low = bound(low, fields.0, errors);
    let high = bound(high, fields.1, errors);
    let (Ok(low), Ok(high)) = (low, high) else {
        return None;
    };
    if let (Some(l), Some(h)) = (low, high)
        && l > h
    {
        errors.add(fields.1, "The high end of the range must not be below the low end.");
        return None;
    }
    Some(Range { low, high })
}

text_enum! {
    pub enum OrderStatus {
        Ordered => "ordered",
        Resulted => "resulted",
        Released => "released",
        Cancelled => "cancelled",
    }
}

/// What may be done to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderMove {
    /// The doctor takes it back (no result yet).
    Cancel,
    /// The lab takes the sample (once, before the result).
    Collect,
    /// The lab records its result, or corrects it before release.
    Record,
    /// The lab releases the result to the patient.
    Release,
}

/// Where an order stands for the people who wait on it: an ordered test waits for its sample, then for its
/// result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStage {
    AwaitingSample,
    SampleTaken,
    Resulted,
    Released,
    Cancelled,
}

impl OrderStage {
    pub fn of(status: OrderStatus, collected_at: Option<Timestamp>) -> Self {
        match (status, collected_at) {
            (OrderStatus::Ordered, None) => OrderStage::AwaitingSample,
            (OrderStatus::Ordered, Some(_)) => OrderStage::SampleTaken,
            (OrderStatus::Resulted, _) => OrderStage::Resulted,
            (OrderStatus::Released, _) => OrderStage::Released,
            (OrderStatus::Cancelled, _) => OrderStage::Cancelled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStage::AwaitingSample => "Awaiting sample",
            OrderStage::SampleTaken => "Sample taken",
            OrderStage::Resulted => OrderStatus::Resulted.label(),
            OrderStage::Released => OrderStatus::Released.label(),
            OrderStage::Cancelled => OrderStatus::Cancelled.label(),
        }
    }

    /// Where a test still to come stands, in the patient's words; none once released (or cancelled).
    pub fn for_patient(self) -> Option<&'static str> {
        match self {
            OrderStage::AwaitingSample => Some("Your sample is still to be taken at the lab"),
            OrderStage::SampleTaken => Some("At the lab"),
            OrderStage::Resulted => Some("With your doctor, who releases it to you"),
            OrderStage::Released | OrderStage::Cancelled => None,
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            // The patient waits for the lab to take it: worth a look before the orders under way.
            OrderStage::AwaitingSample => Tone::Warn,
            OrderStage::SampleTaken | OrderStage::Resulted => Tone::Info,
            OrderStage::Released => Tone::Good,
            OrderStage::Cancelled => Tone::Quiet,
        }
    }

    pub fn is_awaiting_sample(self) -> bool {
        self == OrderStage::AwaitingSample
    }

    /// What the lab does next with an order at this stage, as its worklist's button says it; none once released
    /// or cancelled.
    pub fn next_step(self) -> Option<&'static str> {
        match self {
            OrderStage::AwaitingSample => Some("Take sample"),
            OrderStage::SampleTaken => Some("Record result"),
            OrderStage::Resulted => Some("Release"),
            OrderStage::Released | OrderStage::Cancelled => None,
        }
    }
}

text_enum! {
    /// Which of the orders waiting for the lab its worklist shows (`?show=`): all of them, the tests still to be
    /// done (a sample to take or a result to record), or the results to release.
    pub enum WorklistShow {
        All => "all",
        Take => "take",
        Release => "release",
    }
}

impl WorklistShow {
    /// From the worklist's address: anything else shows all that waits.
    pub fn from_query(show: &str) -> Self {
        show.trim().parse().unwrap_or(WorklistShow::All)
    }

    pub fn label(self) -> &'static str {
        match self {
            WorklistShow::All => "All waiting",
            WorklistShow::Take => "Tests to run",
            WorklistShow::Release => "Results to release",
        }
    }

    /// The statuses of the orders shown.
    pub fn statuses(self) -> &'static [OrderStatus] {
        match self {
            WorklistShow::All => &[OrderStatus::Ordered, OrderStatus::Resulted],
            WorklistShow::Take => &[OrderStatus::Ordered],
            WorklistShow::Release => &[OrderStatus::Resulted],
        }
    }
}

impl OrderStatus {
    pub fn can(self, mv: OrderMove) -> bool {
        match mv {
            OrderMove::Cancel | OrderMove::Collect => self == OrderStatus::Ordered,
            OrderMove::Record => matches!(self, OrderStatus::Ordered | OrderStatus::Resulted),
            OrderMove::Release => self == OrderStatus::Resulted,
        }
    }

    /// Whether the order has a result to show.
    pub fn has_result(self) -> bool {
        matches!(self, OrderStatus::Resulted | OrderStatus::Released)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Ordered => "Ordered",
            OrderStatus::Resulted => "Resulted, not released",
            OrderStatus::Released => "Released",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            OrderStatus::Ordered | OrderStatus::Resulted => Tone::Info,
            OrderStatus::Released => Tone::Good,
            OrderStatus::Cancelled => Tone::Quiet,
        }
    }
}

text_enum! {
    /// How a result reads against its range.
    pub enum ResultFlag {
        Low => "low",
        Normal => "normal",
        High => "high",
        Abnormal => "abnormal",
    }
}

impl ResultFlag {
    pub fn label(self) -> &'static str {
        match self {
            ResultFlag::Low => "Low",
            ResultFlag::Normal => "Normal",
            ResultFlag::High => "High",
            ResultFlag::Abnormal => "Abnormal",
        }
    }

    pub fn is_abnormal(self) -> bool {
        self != ResultFlag::Normal
    }

    /// The flag as the patient reads it.
    pub fn plain_words(self) -> &'static str {
        match self {
            ResultFlag::Low => "lower than usual",
            ResultFlag::Normal => "normal",
            ResultFlag::High => "higher than usual",
            ResultFlag::Abnormal => "not the usual result",
        }
    }
}

/// The flag of a result: a number is low, normal or high against its range (no flag without a range); a value
/// in words gets none, unless the attendant marked it abnormal.
pub fn flag(value: &ResultValue, range: Range, marked_abnormal: bool) -> Option<ResultFlag> {
    match value {
        ResultValue::Number(n) => {
            if range.is_empty() {
                return marked_abnormal.then_some(ResultFlag::Abnormal);
            }
            if range.low.is_some_and(|low| *n < low) {
                Some(ResultFlag::Low)
            } else if range.high.is_some_and(|high| *n > high) {
                Some(ResultFlag::High)
            } else {
                Some(ResultFlag::Normal)
            }
        }
        ResultValue::Text(_) => marked_abnormal.then_some(ResultFlag::Abnormal),
    }
}

/// The flag of an answer of a test that names its normal answers: normal when it is one of them, abnormal
/// otherwise; none for a test that names none (or a number).
pub fn answer_flag(value: &ResultValue, normal: &[&str]) -> Option<ResultFlag> {
    match value {
        ResultValue::Text(text) if !normal.is_empty() => Some(match normal.contains(&text.as_str()) {
            true => ResultFlag::Normal,
            false => ResultFlag::Abnormal,
        }),
        _ => None,
    }
}

/// A result as typed: a number for a test read against a range, words ("negative", "O+") otherwise.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultValue {
    Number(f64),
    Text(String),
}

impl ResultValue {
    /// What is stored: the number as people write it, or the words.
    pub fn stored(&self) -> String {
        match self {
            ResultValue::Number(n) => number(*n),
            ResultValue::Text(text) => text.clone(),
        }
    }
}

/// The result form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResultForm {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub abnormal: Option<String>,
    /// The version of the order's result the form was filled against ([`OrderView::result_version`]); empty:
    /// not checked.
    #[serde(default)]
    pub seen: String,
    /// Set once the attendant confirmed a number far outside its range ([`far_outside`]).
    #[serde(default)]
    pub sure: Option<String>,
    /// For a critical result: whom the lab told, and how ("Dr Ibrahim, by phone").
    #[serde(default)]
    pub told: String,
}

impl ResultForm {
    /// The form of an order as it stands: its result (if any), comment and abnormal mark.
    pub fn of(order: &OrderView) -> Self {
        ResultForm {
            value: order.result_value.clone().unwrap_or_default(),
            comment: order.result_comment.clone(),
            abnormal: (order.flag == Some(ResultFlag::Abnormal)).then(|| "1".into()),
            seen: order.result_version().to_string(),
            sure: None,
            told: order.critical_told.clone(),
        }
    }

    /// Whether the form asks whom the lab told of a critical result (it did, or it was answered).
    pub fn asks_whom_told(&self, errors: &FieldErrors) -> bool {
        errors.get("told").is_some() || !self.told.trim().is_empty()
    }

    /// Whether the form asks to confirm a number far outside its range (it did, or it was confirmed).
    pub fn asks_if_sure(&self, errors: &FieldErrors) -> bool {
        errors.get("sure").is_some() || self.sure.is_some()
    }

    /// Whether a result was typed (a blank one on a visit's results sheet is left for later).
    pub fn is_typed(&self) -> bool {
        !self.value.trim().is_empty()
    }

    /// Whether the order's result was saved by someone else since the form was filled.
    pub fn is_stale(&self, order: &OrderView) -> bool {
        !self.seen.trim().is_empty() && self.seen.trim() != order.result_version().to_string()
    }
}

/// The results sheet of a visit as sent: each order's fields are named after it (`value_12`, `comment_12`,
/// `abnormal_12`), so its radio buttons stay a group of their own. In the order of the orders' value fields.
pub fn result_sheet(fields: &[(String, String)]) -> Vec<(i64, ResultForm)> {
    let field = |name: String| {
        fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let mut sheet: Vec<(i64, ResultForm)> = Vec::new();
    for (key, value) in fields {
        let Some(id) = key.strip_prefix("value_").and_then(crate::validation::parse_id) else {
            continue;
        };
        if sheet.iter().any(|(seen, _)| *seen == id) {
            continue;
        }
        let form = ResultForm {
            value: value.clone(),
            comment: field(format!("comment_{id}")).unwrap_or_default(),
            abnormal: field(format!("abnormal_{id}")),
            seen: field(format!("seen_{id}")).unwrap_or_default(),
            sure: field(format!("sure_{id}")),
            told: field(format!("told_{id}")).unwrap_or_default(),
        };
        sheet.push((id, form));
    }
    sheet
}

/// Whether a number is far outside its range, more likely a slip than a reading: above five times its top, or
/// below a fifth of its bottom (haemoglobin 140 typed for 14.0; a true 4.2 is low, not far outside).
pub fn far_outside(value: f64, range: Range) -> bool {
    range.high.is_some_and(|high| high > 0.0 && value > high * 5.0)
        || range.low.is_some_and(|low| low > 0.0 && value < low / 5.0)
}

/// What the doctor did about a critical result, as they mark it seen: required, one line.
pub fn acted_on(text: &str) -> Result<String, String> {
    match one_line(text, "What you did", TOLD_MAX, false)? {
        acted if acted.is_empty() => {
            Err("A critical result: write what you did about it (\"Phoned the patient, coming in now\"), then mark it seen.".into())
        }
        acted => Ok(acted),
    }
}

/// Whom the lab told of a critical result: required, one line.
fn whom_told(text: &str, test: &LabTest, errors: &mut FieldErrors) -> Option<String> {
    match one_line(text, "Whom you told", TOLD_MAX, false) {
        Ok(told) if told.is_empty() => {
            errors.add(
                "told",
                format!(
                    "A critical value (critical {}): phone the doctor now, then write whom you told.",
                    test.critical_label()
                ),
            );
            None
        }
        Ok(told) => Some(told),
        Err(message) => {
            errors.add("told", message);
            None
        }
    }
}

/// A result ready to store: its value, the unit and range copied from the catalogue, the flag and comment.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultDetails {
    pub value: String,
    pub unit: String,
    pub range: Range,
    pub flag: Option<ResultFlag>,
    pub comment: String,
    /// The number crossed the test's critical limits; `told` says whom the lab told.
    pub critical: bool,
    pub told: String,
}

impl ResultDetails {
    /// The result as the ordering doctor's notice names it: the test, with its value when critical or its flag
    /// when it needs a look.
    pub fn noticed(&self, test: &str) -> String {
        match self.flag {
            _ if self.critical => format!("{test} CRITICAL {}", with_unit(&self.value, &self.unit)),
            Some(flag) if flag.is_abnormal() => format!("{test} ({})", flag.label()),
            _ => test.to_owned(),
        }
    }

    /// Whether `order` holds this result already (a sheet sent again changes nothing).
    pub fn is_stored_in(&self, order: &OrderView) -> bool {
        order.status.has_result()
            && order.result_value.as_deref() == Some(self.value.as_str())
            && order.result_comment == self.comment
            && order.flag == self.flag
            && order.critical == self.critical
            && order.critical_told == self.told
    }
}

impl ResultForm {
    /// The result of `test` for a patient of `sex`, or messages beside the fields.
    pub fn validate(&self, test: &LabTest, sex: Option<Sex>) -> Result<ResultDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let value = match one_line(&self.value, "The result", VALUE_MAX, true) {
            Err(message) => {
                errors.add("value", message);
                None
            }
            Ok(text) if test.is_numeric() => match parse_decimal(&text) {
                Some(n) if n.abs() <= BOUND_MAX => Some(ResultValue::Number(n)),
                _ => {
                    errors.add("value", format!("{} is read as a number, such as 13.5.", test.name));
                    None
                }
            },
            Ok(text) => match test.answer_list() {
                answers if answers.is_empty() => Some(ResultValue::Text(text)),
                answers => match answers.iter().find(|a| same_answer(a, &text)) {
                    Some(answer) => Some(ResultValue::Text((*answer).to_owned())),
                    None => {
                        errors.add("value", format!("Choose one of: {}.", answers.join(", ")));
                        None
                    }
                },
            },
        };
        let comment = errors.check("comment", multi_line(&self.comment, "The comment"));
        let range = test.range_for(sex);
        if let Some(ResultValue::Number(n)) = &value
            && self.sure.is_none()
            && far_outside(*n, range)
        {
            let unit = match test.unit.is_empty() {
                true => String::new(),
                false => format!(" {}", test.unit),
            };
            errors.add(
                "value",
                format!(
                    "{}{unit} is far outside the usual {}{unit}: check the value (a slip of the decimal point?).",
                    number(*n),
                    range.label()
                ),
            );
            errors.add("sure", "Tick this if the value is right, then save again.");
            return Err(errors);
        }
        let critical = matches!(value, Some(ResultValue::Number(n)) if is_critical(n, test.critical()));
        let told = match critical {
            false => Some(String::new()),
            true => whom_told(&self.told, test, &mut errors),
        };
        match (value, comment, told) {
            (Some(value), Some(comment), Some(told)) => Ok(ResultDetails {
                flag: answer_flag(&value, &test.normal_answer_list())
                    .or_else(|| flag(&value, range, self.abnormal.is_some())),
                value: value.stored(),
                unit: test.unit.clone(),
                range,
                comment,
                critical,
                told,
            }),
            _ => Err(errors),
        }
    }
}

text_enum! {
    /// Who sends a result to the patient (the clinic's setting, `lab::settings`): the lab when it releases it;
    /// the lab for a normal result and the doctor who ordered it for one flagged low, high or abnormal (when they
    /// mark it seen); or the ordering doctor for every result (the patient then never reads a result before their
    /// doctor).
    pub enum Releaser {
        Lab => "lab",
        DoctorIfAbnormal => "abnormal",
        OrderingDoctor => "doctor",
    }
}

impl Releaser {
    /// The setting's choice in the clinic's words.
    pub fn label(self) -> &'static str {
        match self {
            Releaser::Lab => "The lab, when it releases them",
            Releaser::DoctorIfAbnormal => {
                "The lab for normal results; the ordering doctor for low, high or abnormal ones"
            }
            Releaser::OrderingDoctor => "The ordering doctor, once they have seen them",
        }
    }

    /// Whether a result (`abnormal`: flagged low, high or abnormal) waits for the ordering doctor before it goes
    /// to the patient.
    /// A critical result waits for the doctor whatever the setting.
    pub fn waits_for_doctor(self, abnormal: bool, critical: bool) -> bool {
        match self {
            _ if critical => true,
            Releaser::Lab => false,
            Releaser::DoctorIfAbnormal => abnormal,
            Releaser::OrderingDoctor => true,
        }
    }

    /// What a doctor's "Mark seen" does besides taking a result off their list, where it sends results on.
    pub fn what_seen_does(self) -> Option<&'static str> {
        match self {
            Releaser::Lab => Some("A critical result not yet released goes to the patient when you mark it seen."),
            Releaser::DoctorIfAbnormal => Some(
                "A low, high, abnormal or critical result not yet released goes to the patient when you mark it seen.",
            ),
            Releaser::OrderingDoctor => Some("A result not yet released goes to the patient when you mark it seen."),
        }
    }

    /// `waits_for_doctor` as a condition on `lab_order o`, with the doctor not having seen it yet.
    pub fn waits_for_doctor_sql(self) -> &'static str {
        match self {
            Releaser::Lab => "(o.seen_at IS NULL AND o.critical = 1)",
            Releaser::DoctorIfAbnormal => {
                "(o.seen_at IS NULL AND (o.critical = 1 OR (o.flag IS NOT NULL AND o.flag <> 'normal')))"
            }
            Releaser::OrderingDoctor => "o.seen_at IS NULL",
        }
    }
}

/// An order as the visit's lab section and the patient's chart show it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderView {
    pub id: i64,
    pub visit_id: i64,
    pub test_id: i64,
    pub test_name: String,
    pub specimen: String,
    pub status: OrderStatus,
    pub note: String,
    pub ordered_at: Timestamp,
    pub result_value: Option<String>,
    pub result_unit: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub flag: Option<ResultFlag>,
    pub result_comment: String,
    pub collected_at: Option<Timestamp>,
    pub resulted_at: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
    /// When the doctor who ordered it marked its result seen.
    pub seen_at: Option<Timestamp>,
    /// The result crossed the test's critical limits; whom the lab told.
    #[sqlx(try_from = "crate::db::Flag")]
    pub critical: bool,
    pub critical_told: String,
    /// What the doctor did about a critical result, written as they marked it seen.
    pub acted_on: String,
    /// What the test looks for, for the patient.
    pub test_about: String,
    /// When the patient first opened the released result (their list of results, or its visit).
    pub read_by_patient_at: Option<Timestamp>,
}

impl OrderView {
    /// Released to the patient lately and not opened by them yet.
    pub fn is_new_to_patient(&self, now: Timestamp) -> bool {
        self.status == OrderStatus::Released
            && self.read_by_patient_at.is_none()
            && self.released_at.is_some_and(|at| at >= new_results_since(now))
    }

    pub fn stage(&self) -> OrderStage {
        OrderStage::of(self.status, self.collected_at)
    }

    pub fn range(&self) -> Range {
        Range {
            low: self.range_low,
            high: self.range_high,
        }
    }

    pub fn can(&self, mv: OrderMove) -> bool {
        match mv {
            OrderMove::Collect => self.stage() == OrderStage::AwaitingSample,
            _ => self.status.can(mv),
        }
    }

    /// Whether the lab may release the result now: a result not released yet, which the clinic lets the lab
    /// release, or the doctor has seen already (the result of a clinic that waits for the doctor, seen before
    /// it started waiting).
    pub fn lab_may_release(&self, releaser: Releaser) -> bool {
        self.can(OrderMove::Release)
            && (!releaser.waits_for_doctor(self.is_abnormal(), self.critical) || self.seen_at.is_some())
    }

    /// Whether the lab may make `mv` now: as `can`, a release also as `lab_may_release`.
    pub fn lab_can(&self, mv: OrderMove, releaser: Releaser) -> bool {
        match mv {
            OrderMove::Release => self.lab_may_release(releaser),
            _ => self.can(mv),
        }
    }

    /// Whether the result waits for the ordering doctor to see it before it goes to the patient.
    pub fn awaits_doctor(&self, releaser: Releaser) -> bool {
        self.can(OrderMove::Release) && !self.lab_may_release(releaser)
    }

    /// The value with its unit: `14.2 g/dL`, `Negative`.
    pub fn value_with_unit(&self) -> String {
        match &self.result_value {
            Some(value) => with_unit(value, self.result_unit.as_deref().unwrap_or_default()),
            None => String::new(),
        }
    }

    pub fn is_abnormal(&self) -> bool {
        self.flag.is_some_and(ResultFlag::is_abnormal)
    }

    /// Which result the order holds: when it was last saved, in milliseconds (0 before any); each save moves it
    /// forward (`repo::record_result`).
    pub fn result_version(&self) -> i64 {
        self.resulted_at.map_or(0, Timestamp::millis)
    }
}

text_enum! {
    /// The outcome of a screening.
    pub enum Outcome {
        Fit => "fit",
        NotFit => "not_fit",
    }
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Fit => "Fit",
            Outcome::NotFit => "Not fit",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Outcome::Fit => Tone::Good,
            Outcome::NotFit => Tone::Warn,
        }
    }
}

/// The screening form as typed: the vitals (the consultation's fields), the eye test, notes and outcome.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct HealthRecordForm {
    #[serde(default)]
    pub form_id: String,
    #[serde(default)]
    pub systolic: String,
    #[serde(default)]
    pub diastolic: String,
    #[serde(default)]
    pub temperature: String,
    #[serde(default)]
    pub pulse: String,
    #[serde(default)]
    pub respiratory_rate: String,
    #[serde(default)]
    pub spo2: String,
    #[serde(default)]
    pub weight: String,
    #[serde(default)]
    pub height: String,
    #[serde(default)]
    pub unusual_ok: String,
    #[serde(default)]
    pub eye_left: String,
    #[serde(default)]
    pub eye_right: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub outcome: String,
}

/// A screening ready to store; its vitals are optional (a screening may record none).
#[derive(Clone, Debug, PartialEq)]
pub struct ScreeningDetails {
    pub vitals: Option<crate::consult::model::Vitals>,
    pub eye_left: String,
    pub eye_right: String,
    pub notes: String,
    pub outcome: Outcome,
}

impl HealthRecordForm {
    /// Whether the form asks to confirm unusual readings, as the vitals form does.
    pub fn asks_about_unusual(&self, errors: &FieldErrors) -> bool {
        self.vitals_form().asks_about_unusual(errors)
    }

    pub fn vitals_form(&self) -> crate::consult::model::VitalsForm {
        crate::consult::model::VitalsForm {
            systolic: self.systolic.clone(),
            diastolic: self.diastolic.clone(),
            temperature: self.temperature.clone(),
            pulse: self.pulse.clone(),
            respiratory_rate: self.respiratory_rate.clone(),
            spo2: self.spo2.clone(),
            weight: self.weight.clone(),
            height: self.height.clone(),
            unusual_ok: self.unusual_ok.clone(),
            form_id: String::new(),
        }
    }

    pub fn validate(&self) -> Result<ScreeningDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let form = self.vitals_form();
        let any_vitals = [
            &form.systolic,
            &form.diastolic,
            &form.temperature,
            &form.pulse,
            &form.respiratory_rate,
            &form.spo2,
            &form.weight,
            &form.height,
        ]
        .iter()
        .any(|text| !text.trim().is_empty());
        let vitals = match any_vitals {
            false => Some(None),
            true => match form.validate() {
                Ok(vitals) => Some(Some(vitals)),
                Err(vitals_errors) => {
                    errors = errors.merged(vitals_errors);
                    None
                }
            },
        };
        let eye_left = errors.check("eye_left", eye(&self.eye_left, "The left eye's reading"));
        let eye_right = errors.check("eye_right", eye(&self.eye_right, "The right eye's reading"));
        let notes = errors.check("notes", multi_line(&self.notes, "The notes"));
        let outcome = match self.outcome.trim().parse::<Outcome>() {
            Ok(outcome) => Some(outcome),
            Err(_) => {
                errors.add("outcome", "Choose the outcome: fit or not fit.");
                None
            }
        };
        match (vitals, eye_left, eye_right, notes, outcome) {
            (Some(vitals), Some(eye_left), Some(eye_right), Some(notes), Some(outcome)) if errors.is_empty() => {
                Ok(ScreeningDetails {
                    vitals,
                    eye_left,
                    eye_right,
                    notes,
                    outcome,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A visual acuity as written on the chart: `6/6`, `6/12`, `20/20`, `CF` (empty when not tested).
fn eye(text: &str, what: &str) -> Result<String, String> {
    let text = one_line(text, what, EYE_MAX, false)?;
    let fine = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | ' ' | '-' | '+'));
    if !fine {
        return Err(format!("{what} is written like 6/6 or 6/12."));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patient_reads_a_flag_in_plain_words() {
        assert_eq!(ResultFlag::Low.plain_words(), "lower than usual");
        assert_eq!(ResultFlag::High.plain_words(), "higher than usual");
        assert_eq!(ResultFlag::Normal.plain_words(), "normal");
        assert_eq!(ResultFlag::Abnormal.plain_words(), "not the usual result");
    }

    #[test]
    fn the_worklist_says_the_next_step_of_each_stage() {
        assert_eq!(OrderStage::AwaitingSample.next_step(), Some("Take sample"));
        assert_eq!(OrderStage::SampleTaken.next_step(), Some("Record result"));
        assert_eq!(OrderStage::Resulted.next_step(), Some("Release"));
        assert_eq!(OrderStage::Released.next_step(), None);
        assert_eq!(OrderStage::Cancelled.next_step(), None);
    }

    #[test]
    fn the_worklist_shows_all_that_waits_unless_asked_for_a_part() {
        assert_eq!(WorklistShow::from_query(" take "), WorklistShow::Take);
        assert_eq!(WorklistShow::from_query("release"), WorklistShow::Release);
        assert_eq!(WorklistShow::from_query("released"), WorklistShow::All);
        assert_eq!(WorklistShow::from_query(""), WorklistShow::All);
        let all = WorklistShow::All.statuses();
        for part in [WorklistShow::Take, WorklistShow::Release] {
            assert!(part.statuses().iter().all(|status| all.contains(status)));
        }
        assert!(!all.contains(&OrderStatus::Released) && !all.contains(&OrderStatus::Cancelled));
    }

    fn test(male: (Option<f64>, Option<f64>), female: (Option<f64>, Option<f64>)) -> LabTest {
        LabTest {
            id: 1,
            name: "Haemoglobin".into(),
            specimen: "Blood".into(),
            unit: "g/dL".into(),
            male_low: male.0,
            male_high: male.1,
            female_low: female.0,
            female_high: female.1,
            critical_low: None,
            critical_high: None,
            price: Money(150_000),
            active: true,
            answers: String::new(),
            normal_answers: String::new(),
            about: String::new(),
        }
    }

    fn worded(answers: &str, normal: &str) -> LabTest {
        LabTest {
            unit: String::new(),
            answers: answers.into(),
            normal_answers: normal.into(),
            ..test((None, None), (None, None))
        }
    }

    fn result_of(test: &LabTest, value: &str, abnormal: bool) -> Result<ResultDetails, FieldErrors> {
        let form = ResultForm {
            value: value.into(),
            abnormal: abnormal.then(|| "1".into()),
            ..ResultForm::default()
        };
        form.validate(test, None)
    }

    #[test]
    fn a_result_is_chosen_from_the_tests_answers_and_flagged_by_the_normal_ones() {
        let malaria = worded("Not seen, Seen", "Not seen");
        let seen = result_of(&malaria, "seen", false).expect("an answer");
        assert_eq!((seen.value.as_str(), seen.flag), ("Seen", Some(ResultFlag::Abnormal)));
        let clear = result_of(&malaria, " NOT SEEN ", true).expect("an answer");
        assert_eq!(
            (clear.value.as_str(), clear.flag),
            ("Not seen", Some(ResultFlag::Normal))
        );
        let other = result_of(&malaria, "Maybe", false).expect_err("not an answer");
        assert_eq!(other.get("value"), Some("Choose one of: Not seen, Seen."));
        // Without normal answers nothing is flagged unless the attendant marks it.
        let group = worded("A+, O+", "");
        assert_eq!(result_of(&group, "o+", false).expect("an answer").flag, None);
        assert_eq!(
            result_of(&group, "A+", true).expect("an answer").flag,
            Some(ResultFlag::Abnormal)
        );
        // Free words stay free.
        let urine = worded("", "");
        assert_eq!(
            result_of(&urine, "Trace protein", false).expect("words").value,
            "Trace protein"
        );
    }

    #[test]
    fn the_catalogue_checks_a_tests_answers() {
        let form = |answers: &str, normal: &str, range: &str| LabTestForm {
            answers: answers.into(),
            normal_answers: normal.into(),
            male_low: range.into(),
            female_low: range.into(),
            ..catalogue_form(&[])
        };
        let saved = form("Negative ,positive,", "NEGATIVE", "").validate(2).expect("valid");
        assert_eq!(
            (saved.answers.as_str(), saved.normal_answers.as_str()),
            ("Negative, positive", "Negative")
        );
        let cases = [
            (form("Negative", "", ""), "answers", "List at least two answers"),
            (
                form("Negative, negative", "", ""),
                "answers",
                "negative is written twice.",
            ),
            (
                form("Negative, Positive", "Reactive", ""),
                "normal_answers",
                "Reactive is not one of the answers.",
            ),
            (
                form("Negative, Positive", "", "4"),
                "answers",
                "A test with a usual range is read as a number",
            ),
            (
                form("", "Negative", ""),
                "normal_answers",
                "Negative is not one of the answers.",
            ),
        ];
        for (form, field, message) in cases {
            let errors = form.validate(2).expect_err(message);
            let said = errors.get(field).unwrap_or_default();
            assert!(said.starts_with(message), "{field}: {said}");
        }
        let label = worded("Negative, Positive", "Negative").answers_label();
        assert_eq!(label, "Negative (normal), Positive");
    }

    fn catalogue_form(pairs: &[(&str, &str)]) -> LabTestForm {
        let mut form = LabTestForm {
            name: "Haemoglobin".into(),
            specimen: "Blood".into(),
            unit: "g/dL".into(),
            price: "1500".into(),
            ..LabTestForm::default()
        };
        for (field, value) in pairs {
            let value = (*value).to_owned();
            match *field {
                "name" => form.name = value,
                "specimen" => form.specimen = value,
                "male_low" => form.male_low = value,
                "male_high" => form.male_high = value,
                "female_low" => form.female_low = value,
                "female_high" => form.female_high = value,
                "price" => form.price = value,
                "about" => form.about = value,
                other => panic!("no field {other}"),
            }
        }
        form
    }

    #[test]
    fn what_a_test_looks_for_is_one_plain_line_or_nothing() {
        let said = catalogue_form(&[("about", "  The sugar in your blood.  ")]).validate(2);
        assert_eq!(said.map(|d| d.about).ok().as_deref(), Some("The sugar in your blood."));
        assert_eq!(
            catalogue_form(&[]).validate(2).map(|d| d.about).ok().as_deref(),
            Some("")
        );
        let long = "a".repeat(ABOUT_MAX + 1);
        let errors = catalogue_form(&[("about", &long)]).validate(2).unwrap_err();
        assert!(errors.get("about").is_some_and(|m| m.contains("300")), "{errors:?}");
        let errors = catalogue_form(&[("about", "Two\nlines")]).validate(2).unwrap_err();
        assert!(errors.get("about").is_some());
    }

    #[test]
    fn a_catalogue_test_has_a_name_a_specimen_ranges_in_order_and_a_price() {
        let details = catalogue_form(&[
            ("male_low", "13"),
            ("male_high", "17.5"),
            ("female_low", "12"),
            ("female_high", "15,5"),
            ("price", "1,500.50"),
        ])
        .validate(2)
        .unwrap();
        assert_eq!(
            details.male,
            Range {
                low: Some(13.0),
                high: Some(17.5)
            }
        );
        assert_eq!(details.female.high, Some(15.5));
        assert_eq!(details.price, Money(150_050));
        assert!(!details.active);

        let errors = catalogue_form(&[("name", " "), ("specimen", ""), ("male_low", "abc"), ("price", "-5")])
            .validate(2)
            .unwrap_err();
        assert_eq!(errors.get("name"), Some("The name is required."));
        assert_eq!(errors.get("specimen"), Some("The specimen is required."));
        assert!(errors.get("male_low").is_some());
        assert!(errors.get("price").is_some());

        let errors = catalogue_form(&[("female_low", "16"), ("female_high", "12")])
            .validate(2)
            .unwrap_err();
        assert_eq!(
            errors.get("female_high"),
            Some("The high end of the range must not be below the low end.")
        );
        // A price with more decimals than the currency has is refused.
        assert!(catalogue_form(&[("price", "10.5")]).validate(0).is_err());
    }

    #[test]
    fn decimals_are_read_strictly() {
        assert_eq!(parse_decimal("13.5"), Some(13.5));
        assert_eq!(parse_decimal(" -2 "), Some(-2.0));
        assert_eq!(parse_decimal("0,25"), Some(0.25));
        for bad in ["", "1e3", "NaN", "inf", "1.2.3", ".", "12a", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(number(13.0), "13");
        assert_eq!(number(13.50), "13.5");
        assert_eq!(number(0.001), "0.001");
    }

    #[test]
    fn a_number_is_flagged_against_its_range() {
        let range = Range {
            low: Some(13.0),
            high: Some(17.0),
        };
        assert_eq!(flag(&ResultValue::Number(12.9), range, false), Some(ResultFlag::Low));
        assert_eq!(flag(&ResultValue::Number(13.0), range, false), Some(ResultFlag::Normal));
        assert_eq!(flag(&ResultValue::Number(17.0), range, false), Some(ResultFlag::Normal));
        assert_eq!(flag(&ResultValue::Number(17.1), range, false), Some(ResultFlag::High));
        // Open-ended ranges.
        let below = Range {
            low: None,
            high: Some(5.6),
        };
        assert_eq!(flag(&ResultValue::Number(7.0), below, false), Some(ResultFlag::High));
        assert_eq!(flag(&ResultValue::Number(-1.0), below, false), Some(ResultFlag::Normal));
        // Words get no flag unless marked abnormal.
        let words = ResultValue::Text("Negative".into());
        assert_eq!(flag(&words, Range::default(), false), None);
        assert_eq!(
            flag(&ResultValue::Text("Positive".into()), Range::default(), true),
            Some(ResultFlag::Abnormal)
        );
    }

    #[test]
    fn the_range_follows_the_patients_sex() {
        let hb = test((Some(13.0), Some(17.0)), (Some(12.0), Some(15.0)));
        assert_eq!(hb.range_for(Some(Sex::Male)).low, Some(13.0));
        assert_eq!(hb.range_for(Some(Sex::Female)).high, Some(15.0));
        // Sex not recorded: read against both ranges together, so 9 is low whichever, and 16 (high for a woman,
        // normal for a man) is not flagged.
        assert_eq!(hb.range_for(None).label(), "12–17");
        assert!(
            hb.value_help(None)
                .contains("12–17, the men's and women's ranges together")
        );
        let read = |value: &str| {
            let form = ResultForm {
                value: value.into(),
                ..ResultForm::default()
            };
            form.validate(&hb, None).unwrap().flag
        };
        assert_eq!(read("9"), Some(ResultFlag::Low));
        assert_eq!(read("16"), Some(ResultFlag::Normal));
        // A limit only one sex has leaves that side open.
        let psa = test((None, Some(4.0)), (None, None));
        assert!(psa.range_for(None).is_empty());
        let sugar = test((Some(3.9), Some(5.6)), (Some(3.9), Some(5.6)));
        assert_eq!(sugar.range_for(None).high, Some(5.6));
        assert!(
            sugar
                .value_help(None)
                .contains("Read against 3.9–5.6 for the patient's sex")
        );

        let result = ResultForm {
            value: "12.5".into(),
            comment: "Repeat in a month.".into(),
            ..ResultForm::default()
        }
        .validate(&hb, Some(Sex::Male))
        .unwrap();
        assert_eq!(result.flag, Some(ResultFlag::Low));
        assert_eq!(result.unit, "g/dL");
        assert_eq!(result.range.label(), "13–17");
        let female = ResultForm {
            value: "12.5".into(),
            ..ResultForm::default()
        }
        .validate(&hb, Some(Sex::Female))
        .unwrap();
        assert_eq!(female.flag, Some(ResultFlag::Normal));
        // A test with a range takes a number.
        let errors = ResultForm {
            value: "low".into(),
            ..ResultForm::default()
        }
        .validate(&hb, Some(Sex::Male))
        .unwrap_err();
        assert!(errors.get("value").is_some());
        let errors = ResultForm::default().validate(&hb, None).unwrap_err();
        assert_eq!(errors.get("value"), Some("The result is required."));
        // A test read in words takes words.
        let malaria = test((None, None), (None, None));
        let words = ResultForm {
            value: "Parasites seen (++)".into(),
            abnormal: Some("1".into()),
            ..ResultForm::default()
        }
        .validate(&malaria, Some(Sex::Male))
        .unwrap();
        assert_eq!(words.flag, Some(ResultFlag::Abnormal));
        assert_eq!(words.value, "Parasites seen (++)");
    }

    #[test]
    fn a_number_far_outside_its_range_is_asked_about_until_confirmed() {
        let range = Range {
            low: Some(12.0),
            high: Some(15.0),
        };
        assert!(far_outside(140.0, range) && far_outside(2.0, range));
        assert!(!far_outside(4.2, range) && !far_outside(60.0, range) && !far_outside(14.0, range));
        assert!(!far_outside(1_000.0, Range::default()), "no range, no question");
        let hb = test((Some(13.0), Some(17.0)), (Some(12.0), Some(15.0)));
        let slip = ResultForm {
            value: "140".into(),
            ..ResultForm::default()
        };
        let errors = slip.validate(&hb, Some(Sex::Female)).unwrap_err();
        assert_eq!(
            errors.get("value"),
            Some("140 g/dL is far outside the usual 12–15 g/dL: check the value (a slip of the decimal point?).")
        );
        assert!(errors.get("sure").is_some() && slip.asks_if_sure(&errors));
        let confirmed = ResultForm {
            sure: Some("1".into()),
            ..slip
        };
        assert_eq!(
            confirmed.validate(&hb, Some(Sex::Female)).unwrap().flag,
            Some(ResultFlag::High)
        );
    }

    #[test]
    fn a_critical_value_is_saved_only_with_whom_the_lab_told() {
        let limits = Range {
            low: Some(7.0),
            high: Some(20.0),
        };
        assert!(is_critical(6.9, limits) && is_critical(20.5, limits));
        assert!(!is_critical(7.0, limits) && !is_critical(20.0, limits) && !is_critical(9.0, limits));
        assert!(!is_critical(1.0, Range::default()), "no limits, nothing critical");
        let hb = LabTest {
            critical_low: Some(7.0),
            critical_high: Some(20.0),
            ..test((Some(13.0), Some(17.0)), (Some(12.0), Some(15.0)))
        };
        assert_eq!(hb.critical_label(), "< 7 or > 20");
        assert!(
            hb.value_help(Some(Sex::Male))
                .ends_with("Critical < 7 or > 20: phone the doctor at once.")
        );
        let low = ResultForm {
            value: "5.1".into(),
            ..ResultForm::default()
        };
        let errors = low.validate(&hb, Some(Sex::Female)).unwrap_err();
        assert_eq!(
            errors.get("told"),
            Some("A critical value (critical < 7 or > 20): phone the doctor now, then write whom you told.")
        );
        assert!(low.asks_whom_told(&errors) && errors.get("value").is_none());
        let told = ResultForm {
            told: "  Dr Ibrahim, by phone ".into(),
            ..low
        };
        let saved = told.validate(&hb, Some(Sex::Female)).unwrap();
        assert!(saved.critical && saved.told == "Dr Ibrahim, by phone");
        assert_eq!(saved.flag, Some(ResultFlag::Low));
        assert_eq!(saved.noticed("Haemoglobin"), "Haemoglobin CRITICAL 5.1 g/dL");
        // A value inside the limits asks nothing, and keeps no note of a call.
        let usual = ResultForm {
            value: "12.5".into(),
            told: "Dr Ibrahim".into(),
            ..ResultForm::default()
        };
        let saved = usual.validate(&hb, Some(Sex::Female)).unwrap();
        assert!(!saved.critical && saved.told.is_empty());
        // A critical result waits for the doctor, whoever the clinic lets release the others.
        for releaser in [Releaser::Lab, Releaser::DoctorIfAbnormal, Releaser::OrderingDoctor] {
            assert!(releaser.waits_for_doctor(true, true), "{releaser:?}");
        }
        assert!(!Releaser::Lab.waits_for_doctor(true, false));
    }

    #[test]
    fn critical_limits_lie_beyond_the_usual_range_of_a_numeric_test() {
        let form = |low: &str, high: &str| LabTestForm {
            name: "Potassium".into(),
            specimen: "Blood".into(),
            male_low: "3.5".into(),
            male_high: "5.1".into(),
            female_low: "3.5".into(),
            female_high: "5.1".into(),
            critical_low: low.into(),
            critical_high: high.into(),
            ..LabTestForm::default()
        };
        let saved = form("2.5", "6.5").validate(2).unwrap();
        assert_eq!(
            saved.critical,
            Range {
                low: Some(2.5),
                high: Some(6.5)
            }
        );
        assert_eq!(form("", "").validate(2).unwrap().critical, Range::default());
        let errors = form("4", "").validate(2).unwrap_err();
        assert_eq!(
            errors.get("critical_low"),
            Some("The critical low must be below the usual range.")
        );
        let errors = form("", "5").validate(2).unwrap_err();
        assert_eq!(
            errors.get("critical_high"),
            Some("The critical high must be above the usual range.")
        );
        assert!(form("x", "").validate(2).unwrap_err().get("critical_low").is_some());
        let worded = LabTestForm {
            male_low: String::new(),
            male_high: String::new(),
            female_low: String::new(),
            female_high: String::new(),
            ..form("", "3")
        };
        assert_eq!(
            worded.validate(2).unwrap_err().get("critical_high"),
            Some("Only a test read against a usual range has critical limits.")
        );
    }

    #[test]
    fn an_order_moves_forward_only() {
        use OrderMove::*;
        use OrderStatus::*;
        assert!(Ordered.can(Cancel) && Ordered.can(Record) && !Ordered.can(Release));
        assert!(!Resulted.can(Cancel) && Resulted.can(Record) && Resulted.can(Release));
        assert!(!Released.can(Cancel) && !Released.can(Record) && !Released.can(Release));
        assert!(!Cancelled.can(Cancel) && !Cancelled.can(Record) && !Cancelled.can(Release));
        assert!(Ordered.can(Collect) && !Resulted.can(Collect) && !Released.can(Collect) && !Cancelled.can(Collect));
    }

    #[test]
    fn an_order_waits_for_its_sample_then_its_result() {
        let taken = Some(Timestamp(1));
        assert_eq!(OrderStage::of(OrderStatus::Ordered, None), OrderStage::AwaitingSample);
        assert_eq!(OrderStage::of(OrderStatus::Ordered, taken), OrderStage::SampleTaken);
        assert_eq!(OrderStage::of(OrderStatus::Resulted, taken), OrderStage::Resulted);
        assert_eq!(OrderStage::of(OrderStatus::Cancelled, None), OrderStage::Cancelled);
        // The patient is told where each test still to come stands, and nothing of one released or cancelled.
        assert_eq!(
            OrderStage::AwaitingSample.for_patient(),
            Some("Your sample is still to be taken at the lab")
        );
        assert_eq!(
            OrderStage::Resulted.for_patient(),
            Some("With your doctor, who releases it to you")
        );
        assert_eq!(OrderStage::Released.for_patient(), None);
        assert_eq!(OrderStage::Cancelled.for_patient(), None);
        let view = |collected_at| OrderView {
            id: 1,
            visit_id: 1,
            test_id: 1,
            test_name: "Haemoglobin".into(),
            specimen: "Blood (EDTA)".into(),
            status: OrderStatus::Ordered,
            note: String::new(),
            ordered_at: Timestamp(0),
            result_value: None,
            result_unit: None,
            range_low: None,
            range_high: None,
            flag: None,
            result_comment: String::new(),
            collected_at,
            resulted_at: None,
            released_at: None,
            seen_at: None,
            critical: false,
            critical_told: String::new(),
            acted_on: String::new(),
            test_about: String::new(),
            read_by_patient_at: None,
        };
        assert!(view(None).can(OrderMove::Collect) && view(None).can(OrderMove::Record));
        assert!(!view(taken).can(OrderMove::Collect), "a sample is taken once");
        assert!(view(taken).can(OrderMove::Record) && view(taken).can(OrderMove::Cancel));
    }

    #[test]
    fn a_screening_needs_an_outcome_and_takes_vitals_when_given() {
        let form = HealthRecordForm {
            eye_left: "6/6".into(),
            eye_right: "6/12".into(),
            outcome: "not_fit".into(),
            ..HealthRecordForm::default()
        };
        let details = form.validate().unwrap();
        assert_eq!(details.outcome, Outcome::NotFit);
        assert_eq!(details.vitals, None);

        let form = HealthRecordForm {
            temperature: "36.6".into(),
            weight: "61.5".into(),
            outcome: "fit".into(),
            ..HealthRecordForm::default()
        };
        let vitals = form.validate().unwrap().vitals.unwrap();
        assert_eq!(vitals.temperature_tenths, Some(366));

        let form = HealthRecordForm {
            temperature: "60".into(),
            eye_left: "<b>".into(),
            outcome: "maybe".into(),
            ..HealthRecordForm::default()
        };
        let errors = form.validate().unwrap_err();
        assert!(errors.get("temperature").is_some());
        assert!(errors.get("eye_left").is_some());
        assert_eq!(errors.get("outcome"), Some("Choose the outcome: fit or not fit."));
    }

    #[test]
    fn a_results_sheet_is_read_order_by_order() {
        let fields: Vec<(String, String)> = [
            ("csrf_token", "x"),
            ("value_7", "12.5"),
            ("comment_7", "Haemolysed"),
            ("value_9", "Positive"),
            ("abnormal_9", "1"),
            ("value_7", "99"),
            ("value_x", "1"),
            ("value_0", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let sheet = result_sheet(&fields);
        let ids: Vec<i64> = sheet.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [7, 9], "the first value of an order counts; a bad id is no order");
        assert_eq!(
            (
                sheet[0].1.value.as_str(),
                sheet[0].1.comment.as_str(),
                sheet[0].1.abnormal.is_some()
            ),
            ("12.5", "Haemolysed", false)
        );
        assert_eq!((sheet[1].1.comment.as_str(), sheet[1].1.abnormal.is_some()), ("", true));
        assert!(!ResultForm::default().is_typed());
    }

    #[test]
    fn a_result_waits_for_the_doctor_only_where_the_doctor_releases_it() {
        let view = |status, flag, seen_at| OrderView {
            id: 1,
            visit_id: 2,
            test_id: 3,
            test_name: "Haemoglobin".into(),
            specimen: "Blood".into(),
            status,
            note: String::new(),
            ordered_at: Timestamp(0),
            result_value: Some("12".into()),
            result_unit: None,
            range_low: None,
            range_high: None,
            flag,
            result_comment: String::new(),
            collected_at: None,
            resulted_at: Some(Timestamp(1)),
            released_at: None,
            seen_at,
            critical: false,
            critical_told: String::new(),
            acted_on: String::new(),
            test_about: String::new(),
            read_by_patient_at: None,
        };
        let unseen = view(OrderStatus::Resulted, Some(ResultFlag::Normal), None);
        assert!(unseen.lab_may_release(Releaser::Lab) && !unseen.awaits_doctor(Releaser::Lab));
        assert!(!unseen.lab_may_release(Releaser::OrderingDoctor) && unseen.awaits_doctor(Releaser::OrderingDoctor));
        assert!(unseen.lab_may_release(Releaser::DoctorIfAbnormal));
        let seen = view(OrderStatus::Resulted, Some(ResultFlag::Normal), Some(Timestamp(2)));
        assert!(seen.lab_may_release(Releaser::OrderingDoctor) && !seen.awaits_doctor(Releaser::OrderingDoctor));
        let released = view(OrderStatus::Released, None, None);
        assert!(!released.lab_may_release(Releaser::Lab) && !released.awaits_doctor(Releaser::OrderingDoctor));

        for flag in [ResultFlag::Low, ResultFlag::High, ResultFlag::Abnormal] {
            let abnormal = view(OrderStatus::Resulted, Some(flag), None);
            assert!(abnormal.awaits_doctor(Releaser::DoctorIfAbnormal), "{flag:?}");
            assert!(abnormal.lab_may_release(Releaser::Lab), "{flag:?}");
            let seen = view(OrderStatus::Resulted, Some(flag), Some(Timestamp(2)));
            assert!(seen.lab_may_release(Releaser::DoctorIfAbnormal), "{flag:?}");
        }
        let unflagged = view(OrderStatus::Resulted, None, None);
        assert!(
            unflagged.lab_may_release(Releaser::DoctorIfAbnormal),
            "words with no flag are not abnormal"
        );
    }

    #[test]
    fn a_result_is_new_to_the_patient_until_they_open_it_or_it_grows_old() {
        let day = 24 * 3_600_000;
        let now = Timestamp(100 * day);
        let view = |status, released_at: Option<i64>, read: Option<i64>| OrderView {
            id: 1,
            visit_id: 2,
            test_id: 3,
            test_name: "Malaria parasite".into(),
            specimen: "Blood".into(),
            status,
            note: String::new(),
            ordered_at: Timestamp(0),
            result_value: Some("Not seen".into()),
            result_unit: None,
            range_low: None,
            range_high: None,
            flag: None,
            result_comment: String::new(),
            collected_at: None,
            resulted_at: Some(Timestamp(1)),
            released_at: released_at.map(Timestamp),
            seen_at: None,
            critical: false,
            critical_told: String::new(),
            acted_on: String::new(),
            test_about: String::new(),
            read_by_patient_at: read.map(Timestamp),
        };
        assert!(view(OrderStatus::Released, Some(99 * day), None).is_new_to_patient(now));
        assert!(view(OrderStatus::Released, Some(100 * day - NEW_RESULT_DAYS * day), None).is_new_to_patient(now));
        assert!(
            !view(OrderStatus::Released, Some(99 * day), Some(99 * day + 5)).is_new_to_patient(now),
            "opened"
        );
        assert!(
            !view(OrderStatus::Released, Some(100 * day - NEW_RESULT_DAYS * day - 1), None).is_new_to_patient(now),
            "too old to be news"
        );
        assert!(
            !view(OrderStatus::Resulted, None, None).is_new_to_patient(now),
            "not released"
        );
    }

    #[test]
    fn what_the_doctor_did_about_a_critical_result_is_one_required_line() {
        assert_eq!(
            acted_on("  Phoned her, coming in now "),
            Ok("Phoned her, coming in now".to_owned())
        );
        assert!(acted_on("   ").is_err_and(|m| m.starts_with("A critical result: write what you did")));
        assert!(acted_on("Phoned\nher").is_err());
        assert!(acted_on(&"x".repeat(TOLD_MAX + 1)).is_err_and(|m| m.contains("at most 200")));
    }

    #[test]
    fn every_releaser_has_its_words_and_its_stored_name() {
        for releaser in Releaser::ALL {
            assert_eq!(releaser.as_str().parse::<Releaser>().ok(), Some(*releaser));
            assert!(releaser.label().starts_with("The "), "{releaser:?}");
        }
    }

    #[test]
    fn a_result_is_stored_when_value_comment_and_flag_are_the_orders() {
        let hb = test((Some(12.0), Some(17.0)), (Some(12.0), Some(17.0)));
        let result = result_of(&hb, "12.5", false).expect("a number");
        let order = |status, value: &str, flag| OrderView {
            id: 1,
            visit_id: 1,
            test_id: 1,
            test_name: "Haemoglobin".into(),
            specimen: "Blood".into(),
            status,
            note: String::new(),
            ordered_at: Timestamp::now(),
            result_value: Some(value.to_owned()),
            result_unit: Some("g/dL".into()),
            range_low: None,
            range_high: None,
            flag,
            result_comment: String::new(),
            collected_at: None,
            resulted_at: None,
            released_at: None,
            seen_at: None,
            critical: false,
            critical_told: String::new(),
            acted_on: String::new(),
            test_about: String::new(),
            read_by_patient_at: None,
        };
        assert_eq!(result.flag, Some(ResultFlag::Normal));
        assert!(result.is_stored_in(&order(OrderStatus::Resulted, "12.5", Some(ResultFlag::Normal))));
        assert!(!result.is_stored_in(&order(OrderStatus::Resulted, "12.6", Some(ResultFlag::Normal))));
        assert!(!result.is_stored_in(&order(OrderStatus::Resulted, "12.5", Some(ResultFlag::Low))));
        assert!(!result.is_stored_in(&order(OrderStatus::Ordered, "12.5", Some(ResultFlag::Normal))));
        let stored = ResultForm::of(&order(OrderStatus::Resulted, "12.5", Some(ResultFlag::Abnormal)));
        assert_eq!((stored.value.as_str(), stored.abnormal.is_some()), ("12.5", true));
        let mut saved = order(OrderStatus::Resulted, "12.5", Some(ResultFlag::Normal));
        let filled = ResultForm::of(&saved);
        assert_eq!(filled.seen, "0");
        assert!(!filled.is_stale(&saved));
        saved.resulted_at = Some(Timestamp(1_700_000_000_000));
        assert!(filled.is_stale(&saved), "saved again since the form was filled");
        assert!(
            !ResultForm::default().is_stale(&saved),
            "a form without a version is not checked"
        );
    }
}
