//! Visits and what a consultation records, as rules: who may read and write a visit, the kinds of notes, and
//! vital signs with their possible and usual ranges.

use crate::tone::Tone;
use serde::Deserialize;

use crate::db::{Date, Timestamp};
use crate::identity::{Role, StaffUser};
use crate::text_enum;
use crate::validation::{FieldErrors, forbidden_character, forbidden_message, parse_scaled};

text_enum! {
    pub enum VisitStatus {
        Open => "open",
        Completed => "completed",
    }
}

impl VisitStatus {
    pub fn label(self) -> &'static str {
        match self {
            VisitStatus::Open => "Open",
            VisitStatus::Completed => "Completed",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            VisitStatus::Open => Tone::Info,
            VisitStatus::Completed => Tone::Quiet,
        }
    }
}

/// A visit as the consultation and its sections see it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Visit {
    pub id: i64,
    pub patient_id: i64,
    pub doctor_id: i64,
    pub doctor_name: String,
    pub ticket_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub day: Date,
    pub status: VisitStatus,
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// What a staff member may do with a visit's clinical record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read the whole record (doctors and admins).
    Read,
    /// Write notes, diagnoses, prescriptions and orders, and complete it: the visit's doctor, while it is open.
    Write,
    /// Record vitals: the visit's doctor or a lab attendant, while it is open.
    Vitals,
    /// Sign an addendum: the visit's doctor, once it is completed.
    Amend,
}

impl Visit {
    pub fn is_open(&self) -> bool {
        self.status == VisitStatus::Open
    }

    /// Whether `user` may do `access` to this visit now.
    pub fn allows(&self, user: &StaffUser, access: Access) -> bool {
        // Administration is not a clinical qualification: an admin reads the record but never writes in it.
        let own = user.holds(Role::Doctor) && user.id == self.doctor_id;
        match access {
            Access::Read => user.holds_any(&[Role::Admin, Role::Doctor]),
            Access::Write => own && self.is_open(),
            Access::Vitals => (own || user.holds(Role::Lab)) && self.is_open(),
            Access::Amend => own && !self.is_open(),
        }
    }

    /// Why `access` is refused, in words for the user.
    pub fn refusal(&self, access: Access) -> &'static str {
        match (access, self.is_open()) {
            (Access::Amend, true) => "An addendum is written once the visit is completed; add a note instead.",
            (_, false) => "This visit is completed and can't be changed. Write an addendum to correct it.",
            _ => "Only the visit's doctor can change this visit.",
        }
    }
}

text_enum! {
    pub enum NoteKind {
        Complaint => "complaint",
        History => "history",
        Examination => "examination",
        Plan => "plan",
        Addendum => "addendum",
    }
}

impl NoteKind {
    /// The kinds written while the visit is open, in the order the page shows them.
    pub const OPEN: [NoteKind; 4] = [
        NoteKind::Complaint,
        NoteKind::History,
        NoteKind::Examination,
        NoteKind::Plan,
    ];

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Complaint => "Complaints",
            NoteKind::History => "History",
            NoteKind::Examination => "Examination",
            NoteKind::Plan => "Plan",
            NoteKind::Addendum => "Addendum",
        }
    }

    pub fn from_path(text: &str) -> Option<NoteKind> {
        text.parse().ok()
    }
}

/// The longest note or draft, in characters.
pub const NOTE_MAX_CHARS: usize = 20_000;

/// A note's text as typed: line breaks allowed, not empty, not huge.
pub fn parse_note(body: &str) -> Result<String, String> {
    let body = body.trim();
    if body.is_empty() {
        return Err("Write the note before saving it.".into());
    }
    parse_draft(body)
}

/// A draft may be empty (the doctor cleared the box), but is otherwise held to a note's rules. Line breaks are
/// kept as LF, whether a form posted CR LF or a script LF, so one text is stored one way.
pub fn parse_draft(body: &str) -> Result<String, String> {
    let body = body.replace("\r\n", "\n");
    if body.chars().count() > NOTE_MAX_CHARS {
        return Err(format!("A note holds at most {NOTE_MAX_CHARS} characters."));
    }
    if let Some(c) = forbidden_character(&body, true) {
        return Err(forbidden_message("The note", c));
    }
    Ok(body)
}

/// Whether a draft holds nothing to sign (a box cleared down to spaces).
pub fn is_blank(body: &str) -> bool {
    body.trim().is_empty()
}

/// What the doctor chose, on the review before completing a visit, for a note typed and not signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftChoice {
    Sign,
    Discard,
}

impl DraftChoice {
    /// The choice as the review's form sends it (`sign`, `discard`).
    pub fn parse(text: &str) -> Option<DraftChoice> {
        match text {
            "sign" => Some(DraftChoice::Sign),
            "discard" => Some(DraftChoice::Discard),
            _ => None,
        }
    }
}

/// An unsigned note as the review showed it to the doctor, and what they chose for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewed {
    pub kind: NoteKind,
    pub body: String,
    pub choice: DraftChoice,
}

/// The same text, whatever line breaks the browser sent (a form posts CR LF; a script may post LF).
fn same_text(a: &str, b: &str) -> bool {
    a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
}

/// The kinds in `kinds`, in words: "plan", "complaints and plan".
fn kinds_in_words(kinds: &[NoteKind]) -> String {
    let words: Vec<String> = kinds.iter().map(|k| k.label().to_lowercase()).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether a visit may be completed with the notes its doctor typed and did not sign (`drafts`: their kind and
/// text now). Without a review (`None`: the queue's "Complete", a form of an older page) there must be none;
/// after one, the review must have shown exactly these drafts, each with the text it has now, so nothing is
/// signed or discarded that the doctor did not see. The message says what to do.
pub fn check_review(drafts: &[(NoteKind, &str)], reviewed: Option<&[Reviewed]>) -> Result<(), String> {
    let pending: Vec<(NoteKind, &str)> = drafts.iter().copied().filter(|(_, body)| !is_blank(body)).collect();
    let Some(reviewed) = reviewed else {
        if pending.is_empty() {
            return Ok(());
        }
        let kinds: Vec<NoteKind> = pending.iter().map(|(kind, _)| *kind).collect();
        return Err(format!(
            "Notes typed in this visit are not signed yet ({}). Sign or discard them on the visit's review \
             before completing it.",
            kinds_in_words(&kinds)
        ));
    };
    let changed: Vec<NoteKind> = NoteKind::OPEN
        .into_iter()
        .chain([NoteKind::Addendum])
        .filter(|kind| {
            let now = pending.iter().find(|(k, _)| k == kind).map(|(_, body)| *body);
            let seen = reviewed.iter().find(|r| r.kind == *kind).map(|r| r.body.as_str());
            match (now, seen) {
                (None, None) => false,
                (Some(now), Some(seen)) => !same_text(now, seen),
                _ => true,
            }
        })
        .collect();
    match changed.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "A note changed after you reviewed it ({}). Check what will be signed below and confirm again.",
            kinds_in_words(&changed)
        )),
    }
}

/// What the review before completing a visit warns is missing from its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Notes,
    Diagnosis,
    Vitals,
}

impl Missing {
    /// What the review lists: a note (signed, or typed and signed with the visit), a diagnosis, and vitals taken
    /// in this visit.
    pub fn of(notes: usize, diagnoses: usize, vitals: usize) -> Vec<Missing> {
        [
            (notes, Missing::Notes),
            (diagnoses, Missing::Diagnosis),
            (vitals, Missing::Vitals),
        ]
        .into_iter()
        .filter(|(count, _)| *count == 0)
        .map(|(_, missing)| missing)
        .collect()
    }

    /// The warning's id on the review, and the section of the visit that fixes it.
    pub fn id(self) -> &'static str {
        match self {
            Missing::Notes => "notes",
            Missing::Diagnosis => "diagnoses",
            Missing::Vitals => "vitals",
        }
    }

    pub fn warning(self) -> &'static str {
        match self {
            Missing::Notes => "No note is written in this visit (complaints, history, examination or plan).",
            Missing::Diagnosis => "No diagnosis is recorded in this visit.",
            Missing::Vitals => "No vitals were taken in this visit.",
        }
    }

    pub fn fix(self) -> &'static str {
        match self {
            Missing::Notes => "Write a note",
            Missing::Diagnosis => "Add a diagnosis",
            Missing::Vitals => "Record vitals",
        }
    }
}

/// What the doctor is told once the visit is completed: which notes were signed with it and which discarded.
pub fn completed_message(signed: &[NoteKind], discarded: &[NoteKind]) -> String {
    let mut message = "The visit is completed.".to_owned();
    let note = |kinds: &[NoteKind]| match kinds.len() {
        1 => "note was",
        _ => "notes were",
    };
    if !signed.is_empty() {
        message.push_str(&format!(
            " The {} {} signed with it.",
            kinds_in_words(signed),
            note(signed)
        ));
    }
    if !discarded.is_empty() {
        message.push_str(&format!(
            " The {} {} discarded.",
            kinds_in_words(discarded),
            note(discarded)
        ));
    }
    message
}

/// Whether a reading is below, within or above its usual range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    Low,
    Usual,
    High,
}

impl Reading {
    fn of(value: i64, usual: (i64, i64)) -> Reading {
        if value < usual.0 {
            Reading::Low
        } else if value > usual.1 {
            Reading::High
        } else {
            Reading::Usual
        }
    }

    pub fn is_abnormal(self) -> bool {
        self != Reading::Usual
    }

    pub fn label(self) -> &'static str {
        match self {
            Reading::Low => "low",
            Reading::Usual => "",
            Reading::High => "high",
        }
    }

    /// How the patient reads it on their own visit: words, not a clinician's flag.
    pub fn plain_words(self) -> &'static str {
        match self {
            Reading::Low => "below the usual range",
            Reading::Usual => "",
            Reading::High => "above the usual range",
        }
    }
}

/// One set of vital signs, in stored units: tenths of a degree Celsius, tenths of a kilogram, millimetres.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Vitals {
    pub systolic: Option<i64>,
    pub diastolic: Option<i64>,
    pub temperature_tenths: Option<i64>,
    pub pulse: Option<i64>,
    pub respiratory_rate: Option<i64>,
    pub spo2: Option<i64>,
    pub weight_tenths: Option<i64>,
    pub height_mm: Option<i64>,
}

/// A vital sign: its field, label, unit, stored scale (decimals), the values a living patient can have, the
/// values past which a reading is more likely a slip of the finger than the patient (saved only once confirmed),
/// and the usual adult range.
struct Sign {
    field: &'static str,
    label: &'static str,
    unit: &'static str,
    decimals: u32,
    possible: (i64, i64),
    plausible: (i64, i64),
    usual: (i64, i64),
}

const SYSTOLIC: Sign = Sign {
    field: "systolic",
    label: "Systolic pressure",
    unit: "mmHg",
    decimals: 0,
    possible: (50, 300),
    plausible: (70, 220),
    usual: (90, 139),
};
const DIASTOLIC: Sign = Sign {
    field: "diastolic",
    label: "Diastolic pressure",
    unit: "mmHg",
    decimals: 0,
    possible: (20, 200),
    plausible: (40, 130),
    usual: (60, 89),
};
const TEMPERATURE: Sign = Sign {
    field: "temperature",
    label: "Temperature",
    unit: "°C",
    decimals: 1,
    possible: (250, 450),
    plausible: (340, 415),
    usual: (355, 374),
};
const PULSE: Sign = Sign {
    field: "pulse",
    label: "Pulse",
    unit: "beats/min",
    decimals: 0,
    possible: (20, 250),
    plausible: (40, 160),
    usual: (60, 100),
};
const RESPIRATORY_RATE: Sign = Sign {
    field: "respiratory_rate",
    label: "Respiratory rate",
    unit: "breaths/min",
    decimals: 0,
    possible: (4, 80),
    plausible: (8, 40),
    usual: (12, 20),
};
const SPO2: Sign = Sign {
    field: "spo2",
    label: "SpO2",
    unit: "%",
    decimals: 0,
    possible: (50, 100),
    plausible: (85, 100),
    usual: (95, 100),
};
const WEIGHT: Sign = Sign {
    field: "weight",
    label: "Weight",
    unit: "kg",
    decimals: 1,
    possible: (5, 4000),
    plausible: (5, 4000),
    usual: (5, 4000),
};
const HEIGHT: Sign = Sign {
    field: "height",
    label: "Height",
    unit: "cm",
    decimals: 1,
    possible: (300, 2500),
    plausible: (300, 2500),
    usual: (300, 2500),
};

impl Sign {
    /// The value typed in the sign's unit, in stored units (a height typed in cm is stored in mm). A comma is
    /// read as the decimal mark ("37,5"), as many keyboards and staff write it; no vital sign runs to thousands.
    fn parse(&self, text: &str, errors: &mut FieldErrors) -> Option<i64> {
        let text = text.trim().replace(',', ".");
        if text.is_empty() {
            return None;
        }
        let Some(value) = parse_scaled(&text, self.decimals) else {
            let example = if self.decimals == 0 {
                "a whole number"
            } else {
                "a number such as 36.8"
            };
            errors.add(self.field, format!("{} is {example} in {}.", self.label, self.unit));
            return None;
        };
        if value < self.possible.0 || value > self.possible.1 {
            errors.add(
                self.field,
                format!(
                    "{} must be between {} and {} {}; check the reading.",
                    self.label,
                    scaled(self.possible.0, self.decimals),
                    scaled(self.possible.1, self.decimals),
                    self.unit
                ),
            );
            return None;
        }
        Some(value)
    }
}

/// `368` with one decimal → `36.8`.
fn scaled(value: i64, decimals: u32) -> String {
    match decimals {
        0 => value.to_string(),
        _ => {
            let scale = 10_i64.pow(decimals);
            format!(
                "{}.{:0width$}",
                value / scale,
                (value % scale).abs(),
                width = decimals as usize
            )
        }
    }
}

/// The vitals form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct VitalsForm {
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
    /// "1" once the user has confirmed readings past the plausible (see [`VitalsForm::validate`]).
    #[serde(default)]
    pub unusual_ok: String,
    /// The form's one-time id (`db::form_ids`).
    #[serde(default)]
    pub form_id: String,
}

impl VitalsForm {
    /// An empty form, with a fresh one-time id.
    pub fn fresh() -> Self {
        VitalsForm {
            form_id: crate::db::form_ids::FormKey::mint().to_string(),
            ..VitalsForm::default()
        }
    }

    /// The readings, refusing impossible values, half a blood pressure, a diastolic above the systolic, and an
    /// empty form.
    pub fn validate(&self) -> Result<Vitals, FieldErrors> {
        let mut errors = FieldErrors::default();
        let vitals = Vitals {
            systolic: SYSTOLIC.parse(&self.systolic, &mut errors),
            diastolic: DIASTOLIC.parse(&self.diastolic, &mut errors),
            temperature_tenths: TEMPERATURE.parse(&self.temperature, &mut errors),
            pulse: PULSE.parse(&self.pulse, &mut errors),
            respiratory_rate: RESPIRATORY_RATE.parse(&self.respiratory_rate, &mut errors),
            spo2: SPO2.parse(&self.spo2, &mut errors),
            weight_tenths: WEIGHT.parse(&self.weight, &mut errors),
            // Typed in centimetres with one decimal: tenths of a centimetre are millimetres.
            height_mm: HEIGHT.parse(&self.height, &mut errors),
        };
        match (vitals.systolic, vitals.diastolic) {
            (Some(_), None) if self.diastolic.trim().is_empty() => {
                errors.add("diastolic", "Give both numbers of the blood pressure.")
            }
            (None, Some(_)) if self.systolic.trim().is_empty() => {
                errors.add("systolic", "Give both numbers of the blood pressure.")
            }
            (Some(high), Some(low)) if low >= high => {
                errors.add("diastolic", "The diastolic pressure must be below the systolic.")
            }
            _ => {}
        }
        if errors.is_empty() && vitals == Vitals::default() {
            errors.add("systolic", "Record at least one reading.");
        }
        if errors.is_empty() && self.unusual_ok != "1" {
            ask_about_unusual(&vitals, &mut errors);
        }
        if errors.is_empty() { Ok(vitals) } else { Err(errors) }
    }

    /// A weight far from the patient's last (`last_weight_tenths`, recorded in the last [`WEIGHT_SINCE_DAYS`]
    /// days) is asked about as an unusual reading is, unless the form confirms the readings: 68.0 kg typed for
    /// 86.0, or a loss the doctor should look at.
    pub fn check_weight_change(&self, vitals: &Vitals, last_weight_tenths: Option<i64>) -> Result<(), FieldErrors> {
        let (Some(now), Some(last)) = (vitals.weight_tenths, last_weight_tenths) else {
            return Ok(());
        };
        if self.unusual_ok == "1" || (now - last).abs() <= WEIGHT_CHANGE_KG_TENTHS.max(last / 10) {
            return Ok(());
        }
        let mut errors = FieldErrors::default();
        let (change, direction) = match now > last {
            true => (now - last, "more"),
            false => (last - now, "less"),
        };
        errors.add(
            WEIGHT.field,
            format!(
                "Weight {} kg is {} kg {direction} than last time ({} kg): check the reading.",
                scaled(now, 1),
                scaled(change, 1),
                scaled(last, 1)
            ),
        );
        errors.add(UNUSUAL_OK, "Tick this if the weight is right, then save again.");
        Err(errors)
    }

    /// Whether the form asks to confirm unusual readings (it did, or they were confirmed).
    pub fn asks_about_unusual(&self, errors: &FieldErrors) -> bool {
        errors.get(UNUSUAL_OK).is_some() || self.unusual_ok == "1"
    }
}

/// A weight change asked about: more than 5 kg and more than a tenth of the last weight.
const WEIGHT_CHANGE_KG_TENTHS: i64 = 50;
/// How far back the last weight is looked for: a change over a longer time is no slip of the hand.
pub const WEIGHT_SINCE_DAYS: i64 = 180;

/// The field that confirms readings past the plausible.
pub const UNUSUAL_OK: &str = "unusual_ok";

/// A message beside each reading past the plausible (300 mmHg typed for 130), and one asking to confirm them.
fn ask_about_unusual(vitals: &Vitals, errors: &mut FieldErrors) {
    let mut any = false;
    for (sign, value) in vitals.readings() {
        if value < sign.plausible.0 || value > sign.plausible.1 {
            any = true;
            errors.add(
                sign.field,
                format!(
                    "{} {} {} is unusual: check the reading.",
                    sign.label,
                    scaled(value, sign.decimals),
                    sign.unit
                ),
            );
        }
    }
    if any {
        errors.add(
            UNUSUAL_OK,
            "Tick this if the unusual readings are right, then save again.",
        );
    }
}

/// One reading as shown: its label, value with unit, and whether it is outside the usual range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub label: &'static str,
    pub value: String,
    pub reading: Reading,
}

impl Vitals {
    /// Body-mass index in tenths (`224` is 22.4), from weight and height.
    pub fn bmi_tenths(&self) -> Option<i64> {
        let (weight, height) = (self.weight_tenths?, self.height_mm?);
        // kg / m² = (weight / 10) / (height / 1000)² = weight * 100_000 / height²; tenths of it, rounded.
        let squared = height.checked_mul(height)?;
        (squared > 0).then(|| (weight * 1_000_000 + squared / 2) / squared)
    }

    /// The readings present, in the page's order, with blood pressure as one reading.
    /// Each reading present with its sign.
    fn readings(&self) -> impl Iterator<Item = (&'static Sign, i64)> {
        [
            (&SYSTOLIC, self.systolic),
            (&DIASTOLIC, self.diastolic),
            (&TEMPERATURE, self.temperature_tenths),
            (&PULSE, self.pulse),
            (&RESPIRATORY_RATE, self.respiratory_rate),
            (&SPO2, self.spo2),
            (&WEIGHT, self.weight_tenths),
            (&HEIGHT, self.height_mm),
        ]
        .into_iter()
        .filter_map(|(sign, value)| value.map(|value| (sign, value)))
    }

    pub fn shown(&self) -> Vec<Shown> {
        let mut shown = Vec::new();
        if let (Some(high), Some(low)) = (self.systolic, self.diastolic) {
            let reading = match (Reading::of(high, SYSTOLIC.usual), Reading::of(low, DIASTOLIC.usual)) {
                (Reading::High, _) | (_, Reading::High) => Reading::High,
                (Reading::Low, _) | (_, Reading::Low) => Reading::Low,
                _ => Reading::Usual,
            };
            shown.push(Shown {
                label: "Blood pressure",
                value: format!("{high}/{low} mmHg"),
                reading,
            });
        }
        let one = |sign: &Sign, value: Option<i64>, shown: &mut Vec<Shown>| {
            if let Some(value) = value {
                shown.push(Shown {
                    label: sign.label,
                    value: format!("{} {}", scaled(value, sign.decimals), sign.unit),
                    reading: Reading::of(value, sign.usual),
                });
            }
        };
        one(&TEMPERATURE, self.temperature_tenths, &mut shown);
        one(&PULSE, self.pulse, &mut shown);
        one(&RESPIRATORY_RATE, self.respiratory_rate, &mut shown);
        one(&SPO2, self.spo2, &mut shown);
        one(&WEIGHT, self.weight_tenths, &mut shown);
        if let Some(height) = self.height_mm {
            shown.push(Shown {
                label: HEIGHT.label,
                value: format!("{} cm", scaled(height, 1)),
                reading: Reading::Usual,
            });
        }
        if let Some(bmi) = self.bmi_tenths() {
            shown.push(Shown {
                label: "BMI",
                value: scaled(bmi, 1),
                reading: Reading::of(bmi, (185, 249)),
            });
        }
        shown
    }
}

/// A small line chart of a series of readings, oldest first, as an SVG path within `width` x `height`:
/// the points scaled between the series' own lowest and highest values. None with fewer than two readings.
pub fn trend_path(values: &[i64], width: i64, height: i64) -> Option<String> {
    if values.len() < 2 {
        return None;
    }
    let (low, high) = values
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = (high - low).max(1);
    let step = width as f64 / (values.len() - 1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = step * i as f64;
            let y = height as f64 - 2.0 - ((v - low) as f64 / span as f64) * (height as f64 - 4.0);
            format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
        })
        .collect();
    Some(points.join(" "))
}

/// A visit in a list (a patient's past visits, a doctor's open ones).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VisitLine {
    pub id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub doctor_id: i64,
    pub doctor_name: String,
    pub day: Date,
    pub status: VisitStatus,
    pub started_at: Timestamp,
}

impl VisitLine {
    pub fn is_open(&self) -> bool {
        self.status == VisitStatus::Open
    }

    /// Open with a doctor other than `doctor_id`: a new visit of theirs would be a second open record, so they
    /// are told before they start one (their own open visit is continued instead).
    pub fn open_with_another(&self, doctor_id: i64) -> bool {
        self.status == VisitStatus::Open && self.doctor_id != doctor_id
    }
}

/// A set of vitals as recorded.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Recorded {
    pub id: i64,
    pub visit_id: Option<i64>,
    pub health_record_id: Option<i64>,
    #[sqlx(flatten)]
    pub vitals: Vitals,
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}

impl Recorded {
    /// Whether the reading is the visit's own: taken at it, or on its day (`day`: from its start to the next
    /// day's), at the lab's triage say. One from another day is another visit's, and must not read as this one's.
    pub fn is_of_visit(&self, visit_id: i64, day: (Timestamp, Timestamp)) -> bool {
        self.visit_id == Some(visit_id) || (day.0 <= self.recorded_at && self.recorded_at < day.1)
    }
}

/// The start of `text` on one line, at most `max_chars` characters, cut at a word with "…" when longer.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max_chars {
        return line;
    }
    let cut: String = line.chars().take(max_chars).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.']))
}

/// The qualifiers of the ICD-10 wording that tell a coder, not a patient, what was left open.
const CODERS_WORDS: [&str; 4] = [", unspecified", ", not elsewhere classified", " unspecified", " NOS"];

/// A diagnosis as its patient reads it: the classification's wording without the coder's qualifiers
/// ("Headache, unspecified" and "Unspecified headache" are "Headache"). Other words are kept as written.
pub fn diagnosis_in_plain_words(description: &str) -> String {
    let mut words = description.trim();
    while let Some(shorter) = CODERS_WORDS.iter().find_map(|tail| {
        let cut = words.len().checked_sub(tail.len())?;
        let rest = words.get(cut..)?;
        (rest.eq_ignore_ascii_case(tail) && cut > 0).then(|| words[..cut].trim_end())
    }) {
        words = shorter;
    }
    let lead = "Unspecified ";
    match words.get(..lead.len()) {
        Some(start) if start.eq_ignore_ascii_case(lead) && words.len() > lead.len() => {
            crate::validation::capitalized(words[lead.len()..].trim_start())
        }
        _ => words.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_open_with_another_doctor_is_told_before_a_new_one() {
        let line = |doctor_id, status| VisitLine {
            id: 1,
            patient_id: 2,
            patient_name: "Amaka Obi".into(),
            doctor_id,
            doctor_name: "Dr Bello".into(),
            day: Date(chrono::NaiveDate::default()),
            status,
            started_at: Timestamp(0),
        };
        assert!(line(7, VisitStatus::Open).open_with_another(8));
        assert!(
            !line(8, VisitStatus::Open).open_with_another(8),
            "one's own is continued"
        );
        assert!(!line(7, VisitStatus::Completed).open_with_another(8));
    }

    #[test]
    fn a_patient_reads_a_diagnosis_without_the_coders_qualifiers() {
        assert_eq!(diagnosis_in_plain_words("Headache, unspecified"), "Headache");
        assert_eq!(
            diagnosis_in_plain_words("Reaction to severe stress, unspecified"),
            "Reaction to severe stress"
        );
        assert_eq!(diagnosis_in_plain_words("Malaria NOS"), "Malaria");
        assert_eq!(diagnosis_in_plain_words("Unspecified malaria"), "Malaria");
        assert_eq!(diagnosis_in_plain_words("Typhoid fever, Unspecified"), "Typhoid fever");
        assert_eq!(
            diagnosis_in_plain_words("Tension-type headache"),
            "Tension-type headache"
        );
        // Nothing left but the qualifier: kept as written.
        assert_eq!(diagnosis_in_plain_words("Unspecified"), "Unspecified");
        assert_eq!(diagnosis_in_plain_words(" NOS"), "NOS");
    }

    #[test]
    fn an_excerpt_is_one_line_cut_at_a_word() {
        assert_eq!(excerpt("Fever  since\nyesterday", 40), "Fever since yesterday");
        assert_eq!(
            excerpt("Fever since yesterday, with chills", 24),
            "Fever since yesterday…"
        );
        assert_eq!(excerpt("Supercalifragilistic", 5), "Super…");
        assert_eq!(excerpt("", 10), "");
    }

    #[test]
    fn a_reading_is_the_visits_own_when_taken_at_it_or_on_its_day() {
        let day = (Timestamp(1_000_000), Timestamp(2_000_000));
        let reading = |visit_id: Option<i64>, at: i64| Recorded {
            id: 1,
            visit_id,
            health_record_id: None,
            vitals: Vitals::default(),
            recorded_by: "Dr A".into(),
            recorded_at: Timestamp(at),
        };
        assert!(reading(Some(7), 10).is_of_visit(7, day), "taken at the visit");
        assert!(reading(None, 1_000_000).is_of_visit(7, day), "at triage that morning");
        assert!(!reading(Some(3), 999_999).is_of_visit(7, day), "an earlier visit's");
        assert!(!reading(None, 10).is_of_visit(7, day), "an earlier day's triage");
        assert!(!reading(Some(9), 2_000_000).is_of_visit(7, day), "a later visit's");
    }

    fn form(pairs: &[(&str, &str)]) -> VitalsForm {
        let mut form = VitalsForm::default();
        for (field, value) in pairs {
            let value = (*value).to_owned();
            match *field {
                "systolic" => form.systolic = value,
                "diastolic" => form.diastolic = value,
                "temperature" => form.temperature = value,
                "pulse" => form.pulse = value,
                "respiratory_rate" => form.respiratory_rate = value,
                "spo2" => form.spo2 = value,
                "weight" => form.weight = value,
                "height" => form.height = value,
                other => panic!("no field {other}"),
            }
        }
        form
    }

    #[test]
    fn vitals_are_stored_in_small_units() {
        let vitals = form(&[
            ("systolic", "120"),
            ("diastolic", "80"),
            ("temperature", "36.8"),
            ("weight", "70"),
            ("height", "175.5"),
        ])
        .validate()
        .unwrap();
        assert_eq!(vitals.temperature_tenths, Some(368));
        assert_eq!(vitals.weight_tenths, Some(700));
        assert_eq!(vitals.height_mm, Some(1755));
        // 70 / 1.755^2 = 22.73
        assert_eq!(vitals.bmi_tenths(), Some(227));
    }

    #[test]
    fn a_comma_is_read_as_the_decimal_mark() {
        let vitals = form(&[("temperature", "37,5"), ("weight", "70,2")]).validate().unwrap();
        assert_eq!(vitals.temperature_tenths, Some(375));
        assert_eq!(vitals.weight_tenths, Some(702));
        let errors = form(&[("weight", "1,234")]).validate().unwrap_err();
        assert_eq!(errors.get("weight"), Some("Weight is a number such as 36.8 in kg."));
    }

    #[test]
    fn impossible_readings_are_refused_with_a_message() {
        for (field, value) in [
            ("temperature", "50"),
            ("temperature", "20.0"),
            ("temperature", "36.85"),
            ("systolic", "400"),
            ("pulse", "fast"),
            ("spo2", "101"),
            ("height", "0"),
        ] {
            let mut pairs = vec![(field, value)];
            if field == "systolic" {
                pairs.push(("diastolic", "80"));
            }
            let errors = form(&pairs).validate().unwrap_err();
            assert!(errors.get(field).is_some(), "{field}={value}");
        }
    }

    #[test]
    fn blood_pressure_needs_both_numbers_in_order() {
        let errors = form(&[("systolic", "120")]).validate().unwrap_err();
        assert_eq!(
            errors.get("diastolic"),
            Some("Give both numbers of the blood pressure.")
        );
        let errors = form(&[("systolic", "80"), ("diastolic", "120")])
            .validate()
            .unwrap_err();
        assert!(errors.get("diastolic").is_some());
        let errors = form(&[]).validate().unwrap_err();
        assert_eq!(errors.get("systolic"), Some("Record at least one reading."));
    }

    #[test]
    fn unusual_readings_are_saved_only_once_confirmed() {
        let typed = [
            ("systolic", "300"),
            ("diastolic", "80"),
            ("pulse", "72"),
            ("temperature", "39.5"),
        ];
        let errors = form(&typed).validate().unwrap_err();
        assert_eq!(
            errors.get("systolic"),
            Some("Systolic pressure 300 mmHg is unusual: check the reading.")
        );
        assert!(errors.get(UNUSUAL_OK).is_some());
        assert!(
            errors.get("pulse").is_none() && errors.get("temperature").is_none(),
            "a fever is not unusual"
        );
        let mut confirmed = form(&typed);
        confirmed.unusual_ok = "1".into();
        assert_eq!(confirmed.validate().unwrap().systolic, Some(300));
        assert!(confirmed.asks_about_unusual(&FieldErrors::default()));
        assert!(form(&[("spo2", "84")]).validate().is_err());
        assert!(form(&[("spo2", "85"), ("temperature", "34.0")]).validate().is_ok());
    }

    #[test]
    fn a_weight_far_from_the_last_is_asked_about_until_confirmed() {
        let typed = form(&[("weight", "68.0")]);
        let vitals = typed.validate().unwrap();
        let errors = typed.check_weight_change(&vitals, Some(860)).unwrap_err();
        assert_eq!(
            errors.get("weight"),
            Some("Weight 68.0 kg is 18.0 kg less than last time (86.0 kg): check the reading.")
        );
        assert!(errors.get(UNUSUAL_OK).is_some());
        let gained = form(&[("weight", "60.5")]);
        assert!(
            gained
                .check_weight_change(&gained.validate().unwrap(), Some(540))
                .is_err()
        );
        // Within 5 kg, or within a tenth of a heavy patient's weight, or no weight before: no question.
        assert!(typed.check_weight_change(&vitals, Some(720)).is_ok());
        let heavy = form(&[("weight", "128.0")]);
        assert!(
            heavy
                .check_weight_change(&heavy.validate().unwrap(), Some(1_200))
                .is_ok()
        );
        assert!(typed.check_weight_change(&vitals, None).is_ok());
        let mut confirmed = form(&[("weight", "68.0")]);
        confirmed.unusual_ok = "1".into();
        assert!(confirmed.check_weight_change(&vitals, Some(860)).is_ok());
    }

    #[test]
    fn readings_outside_the_usual_range_are_flagged() {
        let vitals = form(&[
            ("systolic", "160"),
            ("diastolic", "95"),
            ("temperature", "38.5"),
            ("pulse", "72"),
            ("spo2", "91"),
        ])
        .validate()
        .unwrap();
        let shown = vitals.shown();
        let reading = |label: &str| shown.iter().find(|s| s.label == label).unwrap().reading;
        assert_eq!(reading("Blood pressure"), Reading::High);
        assert_eq!(reading("Temperature"), Reading::High);
        assert_eq!(reading("Pulse"), Reading::Usual);
        assert_eq!(reading("SpO2"), Reading::Low);
        assert_eq!(shown[1].value, "38.5 °C");
    }

    #[test]
    fn a_trend_needs_two_readings_and_spans_the_box() {
        assert_eq!(trend_path(&[370], 100, 20), None);
        let path = trend_path(&[360, 380, 370], 100, 20).unwrap();
        assert_eq!(path, "M0.0,18.0 L50.0,2.0 L100.0,10.0");
    }

    #[test]
    fn notes_keep_line_breaks_and_refuse_control_characters() {
        assert_eq!(parse_note("  cough\nfor 3 days \n").unwrap(), "cough\nfor 3 days");
        assert!(parse_note("   ").is_err());
        assert!(parse_note("bad\u{1b}[31m").is_err());
        assert_eq!(parse_draft("").unwrap(), "");
        assert_eq!(parse_note("cough\r\nfor 3 days").unwrap(), "cough\nfor 3 days");
    }

    fn reviewed(kind: NoteKind, body: &str, choice: DraftChoice) -> Reviewed {
        Reviewed {
            kind,
            body: body.into(),
            choice,
        }
    }

    #[test]
    fn a_visit_completes_without_review_only_when_nothing_typed_is_unsigned() {
        assert_eq!(check_review(&[], None), Ok(()));
        assert_eq!(check_review(&[(NoteKind::Plan, "  \n ")], None), Ok(()));
        let refused = check_review(&[(NoteKind::Complaint, "Cough"), (NoteKind::Plan, "Rest")], None).unwrap_err();
        assert!(refused.contains("(complaints and plan)"), "{refused}");
    }

    #[test]
    fn a_review_must_have_shown_every_draft_with_its_text_now() {
        let drafts = [(NoteKind::Plan, "Rest\nFluids"), (NoteKind::History, "Two days")];
        let seen = [
            reviewed(NoteKind::History, "Two days", DraftChoice::Discard),
            reviewed(NoteKind::Plan, "Rest\r\nFluids", DraftChoice::Sign),
        ];
        assert_eq!(check_review(&drafts, Some(&seen)), Ok(()));
        // Typed on after the review, or a draft the review never showed, or one that is gone.
        let older = [seen[0].clone(), reviewed(NoteKind::Plan, "Rest", DraftChoice::Sign)];
        assert!(check_review(&drafts, Some(&older)).unwrap_err().contains("(plan)"));
        assert!(check_review(&drafts, Some(&seen[..1])).unwrap_err().contains("(plan)"));
        assert!(
            check_review(&drafts[..1], Some(&seen))
                .unwrap_err()
                .contains("(history)")
        );
        assert_eq!(check_review(&[], Some(&[])), Ok(()));
    }

    #[test]
    fn the_review_warns_of_missing_notes_diagnosis_and_vitals() {
        assert_eq!(
            Missing::of(0, 0, 0),
            [Missing::Notes, Missing::Diagnosis, Missing::Vitals]
        );
        assert_eq!(Missing::of(1, 1, 0), [Missing::Vitals]);
        assert_eq!(Missing::of(0, 1, 1), [Missing::Notes]);
        assert!(Missing::of(3, 2, 1).is_empty());
        assert_eq!(DraftChoice::parse("sign"), Some(DraftChoice::Sign));
        assert_eq!(DraftChoice::parse("discard"), Some(DraftChoice::Discard));
        assert_eq!(DraftChoice::parse("keep"), None);
    }

    #[test]
    fn the_completion_says_what_was_signed_and_discarded() {
        assert_eq!(completed_message(&[], &[]), "The visit is completed.");
        assert_eq!(
            completed_message(
                &[NoteKind::Complaint, NoteKind::Examination, NoteKind::Plan],
                &[NoteKind::History]
            ),
            "The visit is completed. The complaints, examination and plan notes were signed with it. The history \
             note was discarded."
        );
    }

    fn user(id: i64, role: Role) -> StaffUser {
        StaffUser {
            id,
            username: "u".into(),
            full_name: "U".into(),
            role,
            extra_roles: Default::default(),
            must_change_password: false,
            active: true,
            session_version: 1,
        }
    }

    #[test]
    fn only_the_visits_doctor_writes_and_only_while_open() {
        let mut visit = Visit {
            id: 1,
            patient_id: 2,
            doctor_id: 10,
            doctor_name: "Dr".into(),
            ticket_id: None,
            appointment_id: None,
            day: Date::parse("2026-11-23").unwrap(),
            status: VisitStatus::Open,
            started_at: Timestamp(0),
            completed_at: None,
        };
        assert!(visit.allows(&user(10, Role::Doctor), Access::Write));
        assert!(!visit.allows(&user(1, Role::Admin), Access::Write));
        assert!(!visit.allows(&user(1, Role::Admin), Access::Vitals));
        assert!(visit.allows(&user(1, Role::Admin), Access::Read));
        let reception_with_lab = StaffUser {
            extra_roles: crate::identity::Roles::of(Role::Lab),
            ..user(7, Role::Reception)
        };
        assert!(visit.allows(&reception_with_lab, Access::Vitals));
        assert!(!visit.allows(&reception_with_lab, Access::Read));
        assert!(!visit.allows(&user(11, Role::Doctor), Access::Write));
        assert!(visit.allows(&user(11, Role::Doctor), Access::Read));
        assert!(visit.allows(&user(5, Role::Lab), Access::Vitals));
        assert!(!visit.allows(&user(5, Role::Lab), Access::Read));
        assert!(!visit.allows(&user(6, Role::Pharmacist), Access::Read));
        assert!(!visit.allows(&user(10, Role::Doctor), Access::Amend));
        visit.status = VisitStatus::Completed;
        assert!(!visit.allows(&user(10, Role::Doctor), Access::Write));
        assert!(!visit.allows(&user(5, Role::Lab), Access::Vitals));
        assert!(visit.allows(&user(10, Role::Doctor), Access::Amend));
        assert!(!visit.allows(&user(11, Role::Doctor), Access::Amend));
    }
}
