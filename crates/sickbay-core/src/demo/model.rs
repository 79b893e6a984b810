//! The demo clinic as data, decided by a seed and the day: the university's faculties and departments, the
//! staff, the doctors' weekly hours, the students, which slots are booked by whom with what outcome, and the
//! shape of today's queue. Plain functions, so the same seed on the same day gives the same clinic; `mod.rs`
//! stores it through the features' services, and `repo.rs` writes the bulk of the history.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Datelike, Duration as Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use regex::Regex;

use crate::audit::AuditEntry;
use crate::db::types::InvalidValue;
use crate::db::{Date, Timestamp};
use crate::identity::Actor;
use crate::identity::Role;
use crate::patients::model::{BloodGroup, Genotype, MatricNumber, PatientDetails, PatientKind, Sex, fold, parse_phone};
use crate::queue::model::{Priority, TicketStatus, ticket_code};
use crate::scheduling::model::{AppointmentStatus, SlotSpec};
use crate::staff::model::parse_email;

/// The seed used unless `--seed` says otherwise.
pub const DEFAULT_SEED: u64 = 1948;
/// The password of every demo account, staff and students alike.
pub const PASSWORD: &str = "sickbay-demo";
/// The staff member who cancels, books for patients, checks in and adds walk-ins in the history.
pub const RECEPTIONIST: usize = 1;
/// `STAFF[PHARMACIST]` dispenses.
pub const PHARMACIST: usize = 2;
/// The lab attendant's place in [`STAFF`].
pub const LAB: usize = 3;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

// ---- size --------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Small,
    Large,
}

impl FromStr for Size {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Size::Small),
            "large" => Ok(Size::Large),
            other => Err(InvalidValue(format!("unknown size {other:?}; use small or large"))),
        }
    }
}

/// How big and how busy the clinic is.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    pub students: usize,
    /// Days of history before today; `None` for "since last week's Monday".
    history_days: Option<i64>,
    /// The share of seats taken on past days, today, the rest of this week and next week.
    pub past_fill: f64,
    pub today_fill: f64,
    pub this_week_fill: f64,
    pub next_week_fill: f64,
    /// The chance that a slot also holds a booking that was cancelled.
    pub cancelled: f64,
    /// Walk-ins seen on a past working day, across the clinic.
    pub walk_ins_per_day: usize,
    /// How many of [`MORE_DOCTORS`] work beside the six of [`DOCTORS`].
    pub more_doctors: usize,
}

impl Scale {
    /// The clinic's doctors: the six of [`DOCTORS`], then as many of [`MORE_DOCTORS`] as the size has.
    pub fn doctors(&self) -> impl Iterator<Item = &'static DoctorSpec> {
        DOCTORS.iter().chain(MORE_DOCTORS.iter().take(self.more_doctors))
    }
}

impl Size {
    pub fn scale(self) -> Scale {
        match self {
            // A few hundred students: a couple of dozen appointments a day.
            Size::Small => Scale {
                students: 500,
                history_days: None,
                past_fill: 0.1,
                today_fill: 0.3,
                this_week_fill: 0.2,
                next_week_fill: 0.06,
                cancelled: 0.03,
                walk_ins_per_day: 6,
                more_doctors: 0,
            },
            // A large university: 24 doctors with about 1,160 weekday seats, and some 300,000 visits a year.
            Size::Large => Scale {
                students: 50_000,
                history_days: Some(365),
                past_fill: 0.85,
                today_fill: 0.8,
                this_week_fill: 0.6,
                next_week_fill: 0.25,
                cancelled: 0.07,
                walk_ins_per_day: 280,
                more_doctors: MORE_DOCTORS.len(),
            },
        }
    }
}

/// The days the demo fills: history (before today), today, and the days ahead up to next week's Sunday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    pub today: NaiveDate,
    pub history_from: NaiveDate,
    pub ahead_until: NaiveDate,
}

impl Calendar {
    pub fn new(today: NaiveDate, scale: &Scale) -> Self {
        let history_from = match scale.history_days {
            Some(days) => today - Days::days(days),
            None => monday_of(today) - Days::days(7),
        };
        Calendar {
            today,
            history_from,
            ahead_until: monday_of(today) + Days::days(13),
        }
    }

    /// The share of seats booked ahead on `day`: this week fills more than next.
    fn ahead_fill(&self, day: NaiveDate, scale: &Scale) -> f64 {
        if monday_of(day) == monday_of(self.today) {
            scale.this_week_fill
        } else {
            scale.next_week_fill
        }
    }
}

pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Nigeria's public holidays on fixed dates, when the clinic is closed. Easter and the two Eids move with
/// their calendars and are left out.
const HOLIDAYS: [(u32, u32, &str); 6] = [
    (1, 1, "New Year's Day"),
    (5, 1, "Workers' Day"),
    (6, 12, "Democracy Day"),
    (10, 1, "Independence Day"),
    (12, 25, "Christmas Day"),
    (12, 26, "Boxing Day"),
];

/// The public holidays from `from` to `to`, with their names.
pub fn holidays(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, &'static str)> {
    from.iter_days()
        .take_while(|day| *day <= to)
        .filter_map(|day| {
            HOLIDAYS
                .iter()
                .find(|(month, date, _)| day.month() == *month && day.day() == *date)
                .map(|(_, _, name)| (day, *name))
        })
        .collect()
}

/// One random stream per part of the clinic, so adding choices to one part leaves the others as they were.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Students = 1,
    History = 2,
    Ahead = 3,
    Queue = 4,
    Billing = 5,
}

pub fn rng(seed: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream as u64)
}

// ---- the university ----------------------------------------------------------------------------------

pub struct Faculty {
    pub name: &'static str,
    pub code: &'static str,
    /// Years of the first degree (a 100L student is in year 1).
    pub years: usize,
    /// How many of the students study here, relative to the other faculties.
    weight: u32,
    pub departments: &'static [(&'static str, &'static str)],
}

pub const FACULTIES: &[Faculty] = &[
    Faculty {
        name: "Faculty of Science",
        code: "SCI",
        years: 4,
        weight: 18,
        departments: &[
            ("Computer Science", "CSC"),
            ("Microbiology", "MCB"),
            ("Biochemistry", "BCH"),
            ("Physics", "PHY"),
            ("Mathematics", "MTH"),
        ],
    },
    Faculty {
        name: "Faculty of Engineering",
        code: "ENG",
        years: 5,
        weight: 14,
        departments: &[
            ("Civil Engineering", "CVE"),
            ("Electrical and Electronic Engineering", "EEE"),
            ("Mechanical Engineering", "MEE"),
            ("Chemical Engineering", "CHE"),
        ],
    },
    Faculty {
        name: "Faculty of Arts",
        code: "ART",
        years: 4,
        weight: 10,
        departments: &[
            ("English", "ENG"),
            ("History and International Studies", "HIS"),
            ("Linguistics and African Languages", "LAL"),
            ("Philosophy", "PHL"),
        ],
    },
    Faculty {
        name: "Faculty of Social Sciences",
        code: "SSC",
        years: 4,
        weight: 14,
        departments: &[
            ("Economics", "ECO"),
            ("Political Science", "POL"),
            ("Sociology", "SOC"),
            ("Psychology", "PSY"),
        ],
    },
    Faculty {
        name: "Faculty of Management Sciences",
        code: "MSC",
        years: 4,
        weight: 12,
        departments: &[
            ("Accounting", "ACC"),
            ("Business Administration", "BUS"),
            ("Banking and Finance", "BFN"),
        ],
    },
    Faculty {
        name: "College of Medicine",
        code: "COM",
        years: 6,
        weight: 9,
        departments: &[
            ("Medicine and Surgery", "MBS"),
            ("Nursing Science", "NSC"),
            ("Physiotherapy", "PTH"),
            ("Medical Laboratory Science", "MLS"),
        ],
    },
    Faculty {
        name: "Faculty of Law",
        code: "LAW",
        years: 5,
        weight: 6,
        departments: &[("Public Law", "PUL"), ("Private and Property Law", "PPL")],
    },
    Faculty {
        name: "Faculty of Agriculture",
        code: "AGR",
        years: 5,
        weight: 7,
        departments: &[
            ("Agricultural Economics", "AEC"),
            ("Animal Science", "ANS"),
            ("Crop Science", "CRS"),
        ],
    },
    Faculty {
        name: "Faculty of Education",
        code: "EDU",
        years: 4,
        weight: 10,
        departments: &[
            ("Educational Management", "EDM"),
            ("Guidance and Counselling", "GCE"),
            ("Science Education", "SED"),
        ],
    },
];

/// The levels, in order; a student in year N of a first degree is at `LEVELS[N - 1]`.
pub const LEVELS: &[(&str, i64)] = &[
    ("100L", 100),
    ("200L", 200),
    ("300L", 300),
    ("400L", 400),
    ("500L", 500),
    ("600L", 600),
    ("Postgraduate", 700),
];
const POSTGRADUATE: usize = 6;

/// An academic session: `2025/2026`, from September to August.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The year the session running on `today` began.
pub fn session_year(today: NaiveDate) -> i32 {
    if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// The sessions of the students still studying, oldest first; the last is the current one.
pub fn sessions(today: NaiveDate) -> Vec<Session> {
    let current = session_year(today);
    (current - 5..=current)
        .filter_map(|year| {
            Some(Session {
                name: format!("{year}/{}", year + 1),
                starts_on: NaiveDate::from_ymd_opt(year, 9, 1)?,
                ends_on: NaiveDate::from_ymd_opt(year + 1, 8, 31)?,
            })
        })
        .collect()
}

// ---- staff ---------------------------------------------------------------------------------------------

pub struct StaffSpec {
    pub username: &'static str,
    pub full_name: &'static str,
    pub role: Role,
    /// What to try when logged in as them (printed beside the login).
    pub try_this: &'static str,
}

/// Everyone but the doctors; `STAFF[RECEPTIONIST]` works the front desk.
pub const STAFF: [StaffSpec; 4] = [
    StaffSpec {
        username: "admin",
        full_name: "Kemi Adesanya",
        role: Role::Admin,
        try_this: "staff, academic data, settings, audit log (/admin)",
    },
    StaffSpec {
        username: "ngozi.eze",
        full_name: "Ngozi Eze",
        role: Role::Reception,
        try_this: "today's queue board: check in, walk-ins, call next (/queue); the cashier's desk (/billing)",
    },
    StaffSpec {
        username: "tunde.bakare",
        full_name: "Tunde Bakare",
        role: Role::Pharmacist,
        try_this: "alerts (/pharmacy), prescriptions to dispense (/pharmacy/prescriptions), stock and counts",
    },
    StaffSpec {
        username: "halima.yusuf",
        full_name: "Halima Yusuf",
        role: Role::Lab,
        try_this: "the live worklist: record and release results, take vitals (/lab)",
    },
];

/// Weekly hours on some weekdays (ISO: 1 is Monday).
pub struct Hours {
    pub weekdays: &'static [i64],
    pub start: i64,
    pub end: i64,
    pub slot_minutes: i64,
    pub capacity: i64,
}

pub struct DoctorSpec {
    pub username: &'static str,
    pub full_name: &'static str,
    pub room: &'static str,
    pub code: &'static str,
    pub hours: &'static [Hours],
}

const WEEKDAYS: &[i64] = &[1, 2, 3, 4, 5];

const fn hours(weekdays: &'static [i64], start: i64, end: i64, slot_minutes: i64, capacity: i64) -> Hours {
    Hours {
        weekdays,
        start: start * 60,
        end: end * 60,
        slot_minutes,
        capacity,
    }
}

/// The clinic's procedures and their prices, in the clinic's currency's major unit.
pub const PROCEDURES: [(&str, &str); 10] = [
    ("Wound dressing", "1500"),
    ("Injection (intramuscular)", "500"),
    ("Suturing of a laceration", "5000"),
    ("Nebulisation", "2500"),
    ("Incision and drainage of an abscess", "7500"),
    ("Ear syringing", "3000"),
    ("Removal of sutures", "1000"),
    ("Intravenous cannulation", "2000"),
    ("Urinary catheterisation", "4000"),
    ("Foreign body removal (eye, ear or nose)", "3500"),
];

/// The doctors' profiles (specialty, qualifications, a note for patients), in the order of [`DOCTORS`].
pub const PROFILES: [(&str, &str, &str); 6] = [
    (
        "Family medicine",
        "MBBS (Ibadan), FWACP",
        "Sees students for everyday illness, check-ups and long-term conditions.",
    ),
    (
        "Internal medicine",
        "MBBS (Nsukka), FMCP",
        "Hypertension, diabetes and asthma reviews.",
    ),
    (
        "Obstetrics and gynaecology",
        "MBBS (ABU Zaria), FWACS",
        "Women's health, family planning and antenatal booking.",
    ),
    (
        "General practice",
        "MBBS (Lagos)",
        "Minor procedures: wound care, sutures, abscesses.",
    ),
    (
        "Psychiatry",
        "MBBS (Benin), FMCPsych",
        "Stress, sleep, low mood and exam anxiety, in confidence.",
    ),
    ("General practice", "MBBS (Ilorin), MPH", ""),
];

/// Six doctors, each in a room of their own, most of them every weekday with a break for lunch; two keep a
/// Saturday morning clinic, one takes two patients per slot, one works three days a week and keeps a
/// Sunday afternoon duty clinic.
pub const DOCTORS: [DoctorSpec; 6] = [
    DoctorSpec {
        username: "dr.adebayo",
        full_name: "Dr Folake Adebayo",
        room: "Room 1",
        code: "A",
        hours: &[
            hours(WEEKDAYS, 8, 13, 10, 1),
            hours(WEEKDAYS, 14, 17, 10, 1),
            hours(&[6], 9, 13, 15, 1),
        ],
    },
    DoctorSpec {
        username: "dr.okonkwo",
        full_name: "Dr Chinedu Okonkwo",
        room: "Room 2",
        code: "B",
        hours: &[hours(WEEKDAYS, 8, 13, 10, 1), hours(WEEKDAYS, 14, 17, 10, 1)],
    },
    DoctorSpec {
        username: "dr.ibrahim",
        full_name: "Dr Aisha Ibrahim",
        room: "Room 3",
        code: "C",
        hours: &[hours(WEEKDAYS, 8, 13, 10, 1), hours(WEEKDAYS, 14, 16, 10, 1)],
    },
    DoctorSpec {
        username: "dr.nwosu",
        full_name: "Dr Emeka Nwosu",
        room: "Room 4",
        code: "D",
        hours: &[
            hours(WEEKDAYS, 9, 13, 10, 1),
            hours(WEEKDAYS, 14, 18, 10, 1),
            hours(&[6], 9, 13, 15, 1),
        ],
    },
    DoctorSpec {
        username: "dr.etim",
        full_name: "Dr Idara Etim",
        room: "Room 5",
        code: "E",
        hours: &[hours(&[1, 2, 3, 4], 8, 13, 15, 2), hours(&[1, 2, 3, 4], 14, 17, 15, 2)],
    },
    DoctorSpec {
        username: "dr.danjuma",
        full_name: "Dr Musa Danjuma",
        room: "Room 6",
        code: "F",
        hours: &[
            hours(&[1, 3, 5], 8, 13, 10, 1),
            hours(&[1, 3, 5], 14, 17, 10, 1),
            hours(&[7], 13, 18, 10, 1),
        ],
    },
];

/// The large clinic's other doctors, every weekday from 8 to 5 with a break for lunch, in rooms 7 to 24 (ticket
/// prefixes H to Y: G is the general queue's).
pub const MORE_DOCTORS: [DoctorSpec; 18] = [
    full_timer("dr.bello", "Dr Hauwa Bello", "Room 7", "H"),
    full_timer("dr.okafor", "Dr Ifeoma Okafor", "Room 8", "I"),
    full_timer("dr.adeyemi", "Dr Tunde Adeyemi", "Room 9", "J"),
    full_timer("dr.eze", "Dr Ngozi Eze", "Room 10", "K"),
    full_timer("dr.lawal", "Dr Kabiru Lawal", "Room 11", "L"),
    full_timer("dr.uche", "Dr Chiamaka Uche", "Room 12", "M"),
    full_timer("dr.ogunleye", "Dr Bisi Ogunleye", "Room 13", "N"),
    full_timer("dr.abubakar", "Dr Sani Abubakar", "Room 14", "O"),
    full_timer("dr.effiong", "Dr Ekaette Effiong", "Room 15", "P"),
    full_timer("dr.olawale", "Dr Kunle Olawale", "Room 16", "Q"),
    full_timer("dr.nnamdi", "Dr Obiora Nnamdi", "Room 17", "R"),
    full_timer("dr.yusuf", "Dr Zainab Yusuf", "Room 18", "S"),
    full_timer("dr.akpan", "Dr Imaobong Akpan", "Room 19", "T"),
    full_timer("dr.fashola", "Dr Dapo Fashola", "Room 20", "U"),
    full_timer("dr.obi", "Dr Adaeze Obi", "Room 21", "V"),
    full_timer("dr.garba", "Dr Fatima Garba", "Room 22", "W"),
    full_timer("dr.ajayi", "Dr Seun Ajayi", "Room 23", "X"),
    full_timer("dr.umeh", "Dr Kelechi Umeh", "Room 24", "Y"),
];

const FULL_TIME: &[Hours] = &[hours(WEEKDAYS, 8, 13, 10, 1), hours(WEEKDAYS, 14, 17, 10, 1)];

const fn full_timer(
    username: &'static str,
    full_name: &'static str,
    room: &'static str,
    code: &'static str,
) -> DoctorSpec {
    DoctorSpec {
        username,
        full_name,
        room,
        code,
        hours: FULL_TIME,
    }
}

pub fn staff_email(username: &str) -> String {
    format!("{username}@health.example.org")
}

// ---- students ----------------------------------------------------------------------------------------

/// Given names and surnames of one of Nigeria's large language groups (each list separated by spaces), so a
/// student's names go together.
struct Names {
    weight: u32,
    female: &'static str,
    male: &'static str,
    surnames: &'static str,
}

const NAMES: [Names; 4] = [
    Names {
        weight: 35,
        female: "Folake Adebimpe Temitope Oluwaseun Funmilayo Yetunde Bukola Titilayo Damilola Omotola Adenike \
            Morenike Kehinde Abimbola Ayomide Moyosore Tolulope Oreoluwa",
        male: "Adewale Olumide Babatunde Oluwaseyi Ayodeji Olamide Temidayo Kayode Segun Femi Gbenga Ifeoluwa \
            Opeyemi Damilare Oluwatobi Akinwale Taiwo",
        surnames: "Adeyemi Ogunleye Olaniyan Ogundipe Adeleke Akinola Oyelaran Balogun Ojo Afolabi Ayodele Okunola \
            Oladipo Ajayi Salami Oyewole Adekunle Ogunbiyi",
    },
    Names {
        weight: 30,
        female: "Chiamaka Ngozi Adaeze Chinonso Obiageli Ifeoma Nneka Chioma Amarachi Onyinyechi Ebere Kosisochukwu \
            Chidinma Uchenna Somtochukwu",
        male: "Chinedu Emeka Obinna Ikechukwu Chukwuemeka Nnamdi Chidi Uchechukwu Tochukwu Kelechi Ebuka Chibuzor \
            Arinze Kenechukwu",
        surnames: "Okafor Okonkwo Eze Nwosu Obi Chukwu Okeke Nwachukwu Umeh Ibe Anyanwu Onuoha Agu Nnadi Okoro Uzor \
            Obiora Ugwu",
    },
    Names {
        weight: 20,
        female: "Aisha Fatima Zainab Hauwa Maryam Amina Halima Khadija Hadiza Rukayya Safiya Bilkisu",
        male: "Abdullahi Ibrahim Musa Usman Aliyu Yusuf Sani Bashir Umar Mustapha Suleiman Abubakar Kabiru",
        surnames: "Bello Abubakar Mohammed Danjuma Lawal Garba Aliyu Yakubu Shehu Adamu Usman Tanko Bala Idris",
    },
    Names {
        weight: 15,
        female: "Ese Efe Blessing Grace Favour Precious Ekaette Idara Nengi Tamuno Itoro",
        male: "Oghenekaro Tamunoemi Ekemini Ubong Edidiong Samuel Daniel Emmanuel Victor Osaro Efosa",
        surnames: "Etim Bassey Okon Effiong Akpan Ekpo Edet Ogbeide Omoregie Eromosele Briggs Amadi Oghene \
            Igbinedion",
    },
];

/// Yoruba names as some students write them, with their tone marks (search finds them without).
const TONE_MARKED: &[(&str, &str)] = &[
    ("Adewale", "Adéwálé"),
    ("Funmilayo", "Fúnmiláyọ̀"),
    ("Oluwaseun", "Olúwáṣeun"),
    ("Adeyemi", "Adéyẹmí"),
    ("Ogunleye", "Ògúnlẹ́yẹ"),
    ("Ajayi", "Àjàyí"),
    ("Afolabi", "Afọlábí"),
    ("Ayodele", "Ayọ̀délé"),
];

const HALLS: &[&str] = &[
    "Moremi Hall",
    "Jaja Hall",
    "Queen Amina Hall",
    "Mariere Hall",
    "Sodeinde Hall",
    "Kofo Ademola Hall",
    "Eni Njoku Hall",
    "Fagunwa Hall",
    "Madam Tinubu Hall",
    "Biobaku Hall",
];

const PHONE_PREFIXES: &str =
    "0803 0806 0813 0816 0703 0706 0810 0814 0903 0805 0807 0815 0905 0802 0808 0812 0701 0902 0809 0817 0818 0909";

const ALLERGIES: &[&str] = &[
    "Penicillin",
    "Sulfonamides",
    "Groundnuts",
    "Dust and pollen",
    "Aspirin",
    "Shellfish",
];
const CONDITIONS: &[&str] = &["Asthma", "Peptic ulcer disease", "Migraine", "Eczema", "Hypertension"];

/// A student as the demo makes them; `faculty`, `department` and `level` index [`FACULTIES`] and [`LEVELS`].
#[derive(Clone, Debug, PartialEq)]
pub struct Student {
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: Sex,
    pub date_of_birth: NaiveDate,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: &'static str,
    pub blood_group: BloodGroup,
    pub genotype: Genotype,
    pub allergies: &'static str,
    pub chronic_conditions: &'static str,
    pub faculty: usize,
    pub department: usize,
    pub level: usize,
    pub matric: String,
    /// The year they came to the university, and registered at the clinic.
    pub entry_year: i32,
}

/// `count` students of the session running on `today`, with matric numbers `CSC/23/0042` (department, year of
/// entry, running number), unique and in the default matric format.
pub fn students(seed: u64, count: usize, today: NaiveDate) -> Vec<Student> {
    let mut rng = rng(seed, Stream::Students);
    let mut numbers: BTreeMap<(usize, usize, i32), u32> = BTreeMap::new();
    let current = session_year(today);
    (0..count)
        .map(|_| {
            let mut student = student(&mut rng, current);
            let number = numbers
                .entry((student.faculty, student.department, student.entry_year))
                .or_insert(0);
            *number += 1;
            let code = FACULTIES[student.faculty].departments[student.department].1;
            student.matric = format!("{code}/{:02}/{number:04}", student.entry_year % 100);
            student
        })
        .collect()
}

fn student(rng: &mut StdRng, session_year: i32) -> Student {
    let names = weighted(rng, &NAMES, |n| n.weight);
    let sex = if rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
    let given: Vec<&str> = if sex == Sex::Female { names.female } else { names.male }
        .split_whitespace()
        .collect();
    let surnames: Vec<&str> = names.surnames.split_whitespace().collect();
    let (given_name, family_name) = (pick(rng, &given), pick(rng, &surnames));
    let first_name = spelled(rng, given_name);
    let surname = spelled(rng, family_name);
    let other_names = if rng.random_bool(0.6) {
        pick(rng, &given).to_owned()
    } else {
        String::new()
    };
    let faculty_index = weighted_index(rng, FACULTIES, |f| f.weight);
    let faculty = &FACULTIES[faculty_index];
    let level = if rng.random_bool(0.05) {
        POSTGRADUATE
    } else {
        rng.random_range(0..faculty.years)
    };
    let years_in = if level == POSTGRADUATE {
        rng.random_range(0..2)
    } else {
        level as i32
    };
    let entry_year = session_year - years_in;
    let age_at_entry = rng.random_range(16..=20) + if level == POSTGRADUATE { 6 } else { 0 };
    let email_name = format!("{}.{}", fold(&first_name), fold(&surname));
    // The contact's title and relationship agree ("Mrs Okafor (Mother)", never "(Father)").
    let (title, relationships): (&str, &[&'static str]) = if rng.random_bool(0.6) {
        ("Mrs", &["Mother", "Aunt", "Sister", "Guardian"])
    } else {
        ("Mr", &["Father", "Uncle", "Brother", "Guardian"])
    };
    Student {
        date_of_birth: NaiveDate::from_ymd_opt(
            entry_year - age_at_entry,
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap_or(NaiveDate::MIN),
        phone: phone(rng),
        email: format!("{email_name}{}@students.example.org", rng.random_range(1..100)),
        address: format!("Room {}, {}", rng.random_range(101..=428), pick(rng, HALLS)),
        emergency_name: format!("{title} {surname}"),
        emergency_phone: phone(rng),
        emergency_relationship: pick(rng, relationships),
        blood_group: weighted(
            rng,
            &[
                (BloodGroup::OPos, 50),
                (BloodGroup::APos, 22),
                (BloodGroup::BPos, 20),
                (BloodGroup::AbPos, 3),
                (BloodGroup::ONeg, 3),
                (BloodGroup::ANeg, 1),
                (BloodGroup::BNeg, 1),
            ],
            |(_, w)| *w,
        )
        .0,
        genotype: weighted(
            rng,
            &[
                (Genotype::AA, 70),
                (Genotype::AS, 25),
                (Genotype::AC, 2),
                (Genotype::SS, 2),
                (Genotype::SC, 1),
            ],
            |(_, w)| *w,
        )
        .0,
        allergies: if rng.random_bool(0.06) {
            pick(rng, ALLERGIES)
        } else {
            ""
        },
        chronic_conditions: if rng.random_bool(0.04) {
            pick(rng, CONDITIONS)
        } else {
            ""
        },
        first_name,
        surname,
        other_names,
        sex,
        faculty: faculty_index,
        department: rng.random_range(0..faculty.departments.len()),
        level,
        matric: String::new(),
        entry_year,
    }
}

/// The ids the academic data got, in the order of [`FACULTIES`] (and their departments) and [`LEVELS`], and
/// the current session.
#[derive(Clone, Debug, Default)]
pub struct AcademicIds {
    pub faculties: Vec<i64>,
    pub departments: Vec<Vec<i64>>,
    pub levels: Vec<i64>,
    pub session: i64,
}

impl Student {
    /// The student as a patient record (checked like the registration form checks it).
    pub fn details(&self, ids: &AcademicIds, matric_pattern: &Regex) -> Result<PatientDetails, InvalidValue> {
        Ok(PatientDetails {
            matric_number: Some(MatricNumber::parse(&self.matric, matric_pattern)?),
            other_names: self.other_names.clone(),
            sex: Some(self.sex),
            date_of_birth: Some(Date(self.date_of_birth)),
            phone: parse_phone(&self.phone)?,
            email: parse_email(&self.email)?,
            address: self.address.clone(),
            emergency_name: self.emergency_name.clone(),
            emergency_phone: self.emergency_phone.clone(),
            emergency_relationship: self.emergency_relationship.to_owned(),
            blood_group: Some(self.blood_group),
            genotype: Some(self.genotype),
            allergies: self.allergies.to_owned(),
            chronic_conditions: self.chronic_conditions.to_owned(),
            faculty_id: ids.faculties.get(self.faculty).copied(),
            department_id: ids
                .departments
                .get(self.faculty)
                .and_then(|d| d.get(self.department))
                .copied(),
            level_id: ids.levels.get(self.level).copied(),
            session_id: Some(ids.session),
            ..PatientDetails::new(PatientKind::Student, self.first_name.clone(), self.surname.clone())
        })
    }
}

/// The name, or now and then its tone-marked spelling.
fn spelled(rng: &mut StdRng, name: &str) -> String {
    match TONE_MARKED.iter().find(|(plain, _)| *plain == name) {
        Some((_, marked)) if rng.random_bool(0.15) => (*marked).to_owned(),
        _ => name.to_owned(),
    }
}

fn phone(rng: &mut StdRng) -> String {
    let prefixes: Vec<&str> = PHONE_PREFIXES.split_whitespace().collect();
    format!("{}{:07}", pick(rng, &prefixes), rng.random_range(0..10_000_000))
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    *items.choose(rng).unwrap_or(&items[0])
}

fn weighted_index<T>(rng: &mut StdRng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    let mut left = rng.random_range(0..total.max(1));
    for (i, item) in items.iter().enumerate() {
        if left < weight(item) {
            return i;
        }
        left -= weight(item);
    }
    0
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    &items[weighted_index(rng, items, weight)]
}

/// A walk-in registered at the desk today: not a student, just a name and a phone number.
pub const VISITOR: (&str, &str, &str) = ("Oluchi", "Nwankwo", "08134567890");

// ---- who did what in the history ------------------------------------------------------------------------

/// Someone who acts in the history: their id, how the audit log names them, and the address they use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub label: String,
    pub ip: String,
}

impl Person {
    /// The staff member as the services see a logged-in user.
    pub fn as_user(&self, role: Role) -> crate::identity::StaffUser {
        crate::identity::StaffUser {
            id: self.id,
            username: self.label.clone(),
            full_name: self.label.clone(),
            role,
            extra_roles: Default::default(),
            must_change_password: false,
            active: true,
            session_version: 1,
        }
    }

    pub fn as_staff(&self) -> Actor {
        Actor::staff_account(self.id, &self.label, &self.ip)
    }

    pub fn as_patient(&self) -> Actor {
        Actor::patient_account(self.id, &self.label, &self.ip)
    }
}

/// The address a student's phone has on the campus network.
pub fn student_ip(index: usize) -> String {
    format!("10.64.{}.{}", (index / 250) % 250, index % 250 + 2)
}

/// The address of a desk or consulting room.
pub fn desk_ip(desk: usize) -> String {
    format!("10.20.1.{}", desk + 10)
}

#[derive(Clone, Debug)]
pub struct Doctor {
    pub person: Person,
    pub room_id: i64,
    pub room_name: String,
    pub room_code: String,
}

#[derive(Clone, Debug)]
pub struct Staffing {
    pub reception: Person,
    pub pharmacist: Person,
    pub lab: Person,
    pub doctors: Vec<Doctor>,
}

impl Staffing {
    fn doctor(&self, id: i64) -> Option<&Doctor> {
        self.doctors.iter().find(|d| d.person.id == id)
    }
}

/// Which patients are booked on which days, so that nobody holds two bookings a day nor more upcoming ones than
/// the clinic allows (the booking rules' limits, kept by the history as well as by the service).
pub struct Ledger {
    today: NaiveDate,
    max_upcoming: usize,
    days: Vec<Vec<NaiveDate>>,
}

impl Ledger {
    pub fn new(patients: usize, today: NaiveDate, max_upcoming: i64) -> Self {
        Ledger {
            today,
            max_upcoming: usize::try_from(max_upcoming).unwrap_or(1),
            days: vec![Vec::new(); patients],
        }
    }

    /// A patient free on `day`, now booked on it; `None` when a few tries found nobody.
    pub fn draw(&mut self, rng: &mut StdRng, day: NaiveDate) -> Option<usize> {
        if self.days.is_empty() {
            return None;
        }
        for _ in 0..20 {
            let patient = rng.random_range(0..self.days.len());
            if self.is_free(patient, day) {
                self.days[patient].push(day);
                return Some(patient);
            }
        }
        None
    }

    fn is_free(&self, patient: usize, day: NaiveDate) -> bool {
        let days = &self.days[patient];
        let upcoming = days.iter().filter(|d| **d >= self.today).count();
        !days.contains(&day) && (day < self.today || upcoming < self.max_upcoming)
    }

    pub fn days_of(&self, patient: usize) -> &[NaiveDate] {
        self.days.get(patient).map_or(&[], Vec::as_slice)
    }
}

// ---- the history: past days and today's bookings -------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct SlotRow {
    pub id: i64,
    pub spec: SlotSpec,
    pub booked: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppointmentRow {
    pub id: i64,
    pub patient: usize,
    pub patient_id: i64,
    pub slot_id: i64,
    pub doctor_id: i64,
    pub day: Date,
    pub starts_at: Timestamp,
    pub status: AppointmentStatus,
    pub reason: &'static str,
    pub booked_by_staff_id: Option<i64>,
    pub cancel_reason: &'static str,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A finished visit of a past day: the patient came, was called, seen and sent off.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    pub day: Date,
    pub code: String,
    pub patient_id: i64,
    pub appointment_id: Option<i64>,
    pub doctor_id: i64,
    pub room_id: i64,
    pub priority: Priority,
    pub order_at: Timestamp,
    pub checked_in_at: Timestamp,
    pub called_at: Timestamp,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub created_by: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssignmentRow {
    pub day: Date,
    pub doctor_id: i64,
    pub room_id: i64,
    pub created_at: Timestamp,
}

pub use crate::audit::model::AuditWrite as AuditRow;

/// The ids the history's rows start from (the tables are empty, so the history can number its own rows
/// and link them without reading them back).
#[derive(Clone, Copy, Debug)]
pub struct FirstIds {
    pub slot: i64,
    pub appointment: i64,
    pub ticket: i64,
}

#[derive(Debug, Default)]
pub struct History {
    pub slots: Vec<SlotRow>,
    pub appointments: Vec<AppointmentRow>,
    pub tickets: Vec<TicketRow>,
    pub assignments: Vec<AssignmentRow>,
    /// In the order things happened.
    pub audit: Vec<AuditRow>,
}

const REASONS: &[&str] = &[
    "Fever and headache",
    "Malaria symptoms",
    "Cough for a week",
    "Stomach pain",
    "Follow-up visit",
    "Medical fitness certificate for sports",
    "Skin rash",
    "Eye irritation",
    "Routine check-up",
    "Allergy flare-up",
    "Sore throat",
    "Back pain",
    "Blood pressure check",
    "Diarrhoea",
    "Sports injury",
    "Trouble sleeping before exams",
    "Review of test results",
    "Catarrh and sneezing",
    "",
];

const STAFF_CANCEL_REASONS: &[&str] = &[
    "The doctor was called to an emergency",
    "The patient phoned to cancel",
    "Booked twice by mistake",
];

/// The clinic the history is made for: its days, its size, who works there and the patients.
#[derive(Clone, Copy)]
pub struct Clinic<'a> {
    pub calendar: &'a Calendar,
    pub scale: &'a Scale,
    pub staffing: &'a Staffing,
    pub patients: &'a [Person],
}

/// Plans the bookings of `specs` (the slots the hours called for from the history's first day to today, in
/// day order): past ones completed (with their visit's ticket), missed or cancelled, today's booked; past slots
/// nobody booked are left out, as the slot job removes them.
pub fn plan_history(
    rng: &mut StdRng,
    specs: &[SlotSpec],
    clinic: Clinic<'_>,
    ledger: &mut Ledger,
    first: FirstIds,
) -> History {
    let mut planner = Planner {
        calendar: clinic.calendar,
        scale: clinic.scale,
        staffing: clinic.staffing,
        patients: clinic.patients,
        next: first,
        history: History::default(),
    };
    for day in specs.chunk_by(|a, b| a.day == b.day) {
        planner.plan_day(rng, ledger, day);
    }
    planner.history.audit.sort_by_key(|row| row.at);
    planner.history
}

struct Planner<'a> {
    calendar: &'a Calendar,
    scale: &'a Scale,
    staffing: &'a Staffing,
    patients: &'a [Person],
    next: FirstIds,
    history: History,
}

/// A patient who came on a past day: with an appointment (its index) or as a walk-in.
struct Visit {
    appointment: Option<usize>,
    patient: usize,
    doctor_id: i64,
    priority: Priority,
    arrived: Timestamp,
    /// When the appointment was due, or the arrival of a walk-in.
    order_at: Timestamp,
}

impl Planner<'_> {
    fn plan_day(&mut self, rng: &mut StdRng, ledger: &mut Ledger, specs: &[SlotSpec]) {
        let day = specs[0].day.0;
        let past = day < self.calendar.today;
        let fill = if past {
            self.scale.past_fill
        } else {
            self.scale.today_fill
        };
        let mut visits = Vec::new();
        for spec in specs {
            let mut outcomes = Vec::new();
            for _ in 0..spec.capacity {
                if rng.random_bool(fill)
                    && let Some(patient) = ledger.draw(rng, day)
                {
                    outcomes.push((patient, live_outcome(rng, past)));
                }
            }
            if rng.random_bool(self.scale.cancelled) {
                outcomes.push((rng.random_range(0..self.patients.len()), AppointmentStatus::Cancelled));
            }
            if outcomes.is_empty() && past {
                continue;
            }
            let slot_id = self.slot(spec, &outcomes);
            for (patient, status) in outcomes {
                let index = self.appointment(rng, slot_id, spec, patient, status);
                if status == AppointmentStatus::Completed {
                    visits.push(Visit {
                        appointment: Some(index),
                        patient,
                        doctor_id: spec.doctor_id,
                        priority: Priority::Normal,
                        arrived: Timestamp(spec.starts_at.0 - rng.random_range(0..30) * MINUTE),
                        order_at: spec.starts_at,
                    });
                }
            }
        }
        if past {
            visits.extend(self.walk_ins(rng, ledger, specs));
            self.tickets(rng, Date(day), visits);
        }
    }

    fn slot(&mut self, spec: &SlotSpec, outcomes: &[(usize, AppointmentStatus)]) -> i64 {
        let id = self.next.slot;
        self.next.slot += 1;
        let booked = outcomes
            .iter()
            .filter(|(_, status)| *status != AppointmentStatus::Cancelled)
            .count();
        self.history.slots.push(SlotRow {
            id,
            spec: spec.clone(),
            booked: booked as i64,
        });
        id
    }

    /// Books `patient` into the slot days before it, then settles the booking as `status`. Returns its index.
    fn appointment(
        &mut self,
        rng: &mut StdRng,
        slot_id: i64,
        spec: &SlotSpec,
        patient: usize,
        status: AppointmentStatus,
    ) -> usize {
        let id = self.next.appointment;
        self.next.appointment += 1;
        let patients = self.patients;
        let person = &patients[patient];
        let booked_at = Timestamp(spec.starts_at.0 - DAY - rng.random_range(0..7 * DAY));
        let by_reception = rng.random_bool(0.2);
        let booker = if by_reception {
            self.staffing.reception.as_staff()
        } else {
            person.as_patient()
        };
        self.audit(booked_at, booker, "appointment.book", id, person.id, String::new());
        let mut row = AppointmentRow {
            id,
            patient,
            patient_id: person.id,
            slot_id,
            doctor_id: spec.doctor_id,
            day: spec.day,
            starts_at: spec.starts_at,
            status,
            reason: pick(rng, REASONS),
            booked_by_staff_id: by_reception.then_some(self.staffing.reception.id),
            cancel_reason: "",
            created_at: booked_at,
            updated_at: booked_at,
        };
        match status {
            AppointmentStatus::Cancelled => self.cancel(rng, &mut row),
            AppointmentStatus::NoShow => {
                // The no-show job marks it once the slot ended and the grace time passed.
                row.updated_at = Timestamp(spec.ends_at.0 + 30 * MINUTE + rng.random_range(0..MINUTE));
                let job = Actor::system("no-show job");
                self.audit(row.updated_at, job, "appointment.no_show", id, person.id, String::new());
            }
            _ => {}
        }
        self.history.appointments.push(row);
        self.history.appointments.len() - 1
    }

    fn cancel(&mut self, rng: &mut StdRng, row: &mut AppointmentRow) {
        // A booking of today was cancelled a day ahead at the latest, so that no cancellation is dated after the
        // moment the demo is made.
        let notice = if row.day.0 < self.calendar.today { 2 * HOUR } else { DAY };
        let latest = row.starts_at.0 - notice;
        row.updated_at = Timestamp(row.created_at.0 + rng.random_range(0..(latest - row.created_at.0).max(1)));
        let patients = self.patients;
        let person = &patients[row.patient];
        let (actor, detail) = if rng.random_bool(0.7) {
            (person.as_patient(), "by the patient".to_owned())
        } else {
            row.cancel_reason = pick(rng, STAFF_CANCEL_REASONS);
            (
                self.staffing.reception.as_staff(),
                format!("by staff: {}", row.cancel_reason),
            )
        };
        self.audit(row.updated_at, actor, "appointment.cancel", row.id, person.id, detail);
    }

    fn audit(
        &mut self,
        at: Timestamp,
        actor: Actor,
        action: &'static str,
        appointment: i64,
        patient: i64,
        detail: String,
    ) {
        let entry = AuditEntry::new(action)
            .record("appointment", appointment)
            .patient(patient)
            .detail(detail);
        self.history.audit.push(AuditRow { at, actor, entry });
    }

    /// The day's walk-ins, each to a doctor working that day, arriving during their hours.
    fn walk_ins(&self, rng: &mut StdRng, ledger: &mut Ledger, specs: &[SlotSpec]) -> Vec<Visit> {
        let mut visits = Vec::new();
        for _ in 0..self.scale.walk_ins_per_day {
            let spec = pick_ref(rng, specs);
            let Some(patient) = ledger.draw(rng, spec.day.0) else {
                continue;
            };
            let arrived = Timestamp(spec.starts_at.0 + rng.random_range(0..10) * MINUTE);
            let priority = match rng.random_range(0..100) {
                0..3 => Priority::Emergency,
                3..15 => Priority::Urgent,
                _ => Priority::Normal,
            };
            visits.push(Visit {
                appointment: None,
                patient,
                doctor_id: spec.doctor_id,
                priority,
                arrived,
                order_at: arrived,
            });
        }
        visits
    }

    /// The tickets of a past day's visits, numbered per room in the order patients arrived, with the audit rows
    /// of checking in, calling, starting and completing each, and the doctors' rooms that day.
    fn tickets(&mut self, rng: &mut StdRng, day: Date, mut visits: Vec<Visit>) {
        visits.sort_by_key(|v| v.arrived);
        let mut numbers: BTreeMap<i64, i64> = BTreeMap::new();
        for visit in visits {
            let Some(doctor) = self.staffing.doctor(visit.doctor_id).cloned() else {
                continue;
            };
            let number = numbers.entry(doctor.person.id).or_insert(0);
            *number += 1;
            if *number == 1 {
                self.history.assignments.push(AssignmentRow {
                    day,
                    doctor_id: doctor.person.id,
                    room_id: doctor.room_id,
                    created_at: Timestamp(visit.arrived.0 - 5 * MINUTE),
                });
            }
            let code = ticket_code(&doctor.room_code, *number);
            self.ticket(rng, day, code, &visit, &doctor);
        }
    }

    fn ticket(&mut self, rng: &mut StdRng, day: Date, code: String, visit: &Visit, doctor: &Doctor) {
        let id = self.next.ticket;
        self.next.ticket += 1;
        let called_at = Timestamp(visit.order_at.0.max(visit.arrived.0) + rng.random_range(1..25) * MINUTE);
        let started_at = Timestamp(called_at.0 + rng.random_range(1..4) * MINUTE);
        let finished_at = Timestamp(started_at.0 + rng.random_range(5..20) * MINUTE);
        let appointment = visit.appointment.map(|i| &mut self.history.appointments[i]);
        let appointment_id = appointment.map(|a| {
            a.updated_at = finished_at;
            a.id
        });
        let patient_id = self.patients[visit.patient].id;
        let reception = self.staffing.reception.as_staff();
        let (arrival, arrival_detail) = match appointment_id {
            Some(a) => ("ticket.check_in", format!("{code} for appointment {a}")),
            None => ("ticket.walk_in", code.clone()),
        };
        let by_doctor = doctor.person.as_staff();
        for (at, actor, action, detail) in [
            (visit.arrived, reception, arrival, arrival_detail),
            (
                called_at,
                by_doctor.clone(),
                "ticket.call",
                format!("{code} to {}", doctor.room_name),
            ),
            (started_at, by_doctor.clone(), "ticket.start", code.clone()),
            (finished_at, by_doctor, "ticket.complete", code.clone()),
        ] {
            let entry = AuditEntry::new(action)
                .record("ticket", id)
                .patient(patient_id)
                .detail(detail);
            self.history.audit.push(AuditRow { at, actor, entry });
        }
        self.history.tickets.push(TicketRow {
            id,
            day,
            code,
            patient_id,
            appointment_id,
            doctor_id: doctor.person.id,
            room_id: doctor.room_id,
            priority: visit.priority,
            order_at: visit.order_at,
            checked_in_at: visit.arrived,
            called_at,
            started_at,
            finished_at,
            created_by: self.staffing.reception.id,
        });
    }
}

/// How a live booking ended: on a past day most patients came and some did not; today's are still booked.
fn live_outcome(rng: &mut StdRng, past: bool) -> AppointmentStatus {
    match (past, rng.random_bool(0.88)) {
        (false, _) => AppointmentStatus::Booked,
        (true, true) => AppointmentStatus::Completed,
        (true, false) => AppointmentStatus::NoShow,
    }
}

fn pick_ref<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

// ---- bookings ahead ----------------------------------------------------------------------------------

/// A slot of the days ahead with seats left, as generated by the scheduling service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSlot {
    pub id: i64,
    pub day: NaiveDate,
    pub seats: i64,
}

/// A booking to make through the booking service, by the patient on their phone or by reception for them,
/// and perhaps cancelled by the patient afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AheadBooking {
    pub slot_id: i64,
    pub patient: usize,
    pub by_reception: bool,
    pub reason: &'static str,
    pub cancelled: bool,
}

/// Bookings for the days after today, thinning out towards next week, within the patients' limits.
pub fn plan_ahead(rng: &mut StdRng, slots: &[OpenSlot], clinic: Clinic<'_>, ledger: &mut Ledger) -> Vec<AheadBooking> {
    let mut bookings = Vec::new();
    for slot in slots {
        let fill = clinic.calendar.ahead_fill(slot.day, clinic.scale);
        for _ in 0..slot.seats {
            if !rng.random_bool(fill) {
                continue;
            }
            let Some(patient) = ledger.draw(rng, slot.day) else {
                continue;
            };
            bookings.push(AheadBooking {
                slot_id: slot.id,
                patient,
                by_reception: rng.random_bool(0.2),
                reason: pick(rng, REASONS),
                cancelled: rng.random_bool(clinic.scale.cancelled),
            });
        }
    }
    bookings
}

// ---- today's queue ---------------------------------------------------------------------------------------

/// What became of a doctor's last call so far today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastCall {
    /// The patient is with the doctor.
    Consulting,
    /// Called to the room, not come in yet.
    Called,
    /// Nobody called at the moment.
    None,
}

/// A doctor's morning so far: patients checked in for their appointments, seen, missed, and the last call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoctorDay {
    pub checked_in: usize,
    pub completed: usize,
    pub no_shows: usize,
    pub last: LastCall,
}

const fn doctor_day(checked_in: usize, completed: usize, no_shows: usize, last: LastCall) -> DoctorDay {
    DoctorDay {
        checked_in,
        completed,
        no_shows,
        last,
    }
}

/// Today at each doctor's (in the order of [`DOCTORS`]). A doctor with fewer bookings today than patients
/// checked in here (on a weekend, or a day off) sees walk-ins instead.
pub const TODAY: [DoctorDay; 6] = [
    doctor_day(8, 3, 0, LastCall::Consulting),
    doctor_day(7, 2, 1, LastCall::Called),
    doctor_day(6, 3, 0, LastCall::Consulting),
    doctor_day(5, 1, 0, LastCall::Called),
    doctor_day(6, 2, 1, LastCall::Consulting),
    doctor_day(4, 0, 0, LastCall::None),
];

/// A walk-in of today: to a doctor's queue (an index of [`DOCTORS`]) or the general queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkIn {
    pub doctor: Option<usize>,
    pub priority: Priority,
    /// Registered at the desk on arrival (see [`VISITOR`]) rather than found among the students.
    pub new_patient: bool,
}

const fn walk_in(doctor: Option<usize>, priority: Priority, new_patient: bool) -> WalkIn {
    WalkIn {
        doctor,
        priority,
        new_patient,
    }
}

/// Walk-ins who came before the doctors started calling: their priority puts them first.
pub const EARLY_WALK_INS: [WalkIn; 2] = [
    walk_in(None, Priority::Emergency, false),
    walk_in(Some(2), Priority::Urgent, false),
];

/// Walk-ins who arrived since, all still waiting.
pub const LATE_WALK_INS: [WalkIn; 5] = [
    walk_in(None, Priority::Normal, false),
    walk_in(Some(0), Priority::Normal, false),
    walk_in(Some(3), Priority::Normal, false),
    walk_in(None, Priority::Urgent, false),
    walk_in(None, Priority::Normal, true),
];

/// A ticket of today as the queue service left it: the demo makes every move within a second or two.
#[derive(Clone, Copy, Debug)]
pub struct TodayTicket {
    pub id: i64,
    pub room_id: Option<i64>,
    pub status: TicketStatus,
    pub walk_in: bool,
    pub called: bool,
    pub started: bool,
    pub finished: bool,
}

/// A ticket's times on a morning that took a morning: what [`spread_over_the_morning`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MorningTimes {
    pub id: i64,
    pub checked_in_at: Timestamp,
    /// A walk-in's place in the queue is its arrival; a booking's stays its appointment's start.
    pub order_at: Option<Timestamp>,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// Minutes before now, as the timeline is built backwards from the present.
#[derive(Clone, Copy, Default)]
struct Ago {
    checked_in: i64,
    called: Option<i64>,
    started: Option<i64>,
    finished: Option<i64>,
}

/// Today's queue as if the morning had happened at its own pace, so the waits, the medians and the students'
/// estimates read as on a real day: each room's patients seen one after another up to now (8 to 14 minutes a
/// consultation, a no-show given 3 minutes), each having waited 10 to 32 minutes for the call, the patients still
/// waiting arrived two minutes apart, the last just now. A morning longer than the day so far is squeezed into it.
pub fn spread_over_the_morning(tickets: &[TodayTicket], now: Timestamp, day_start: Timestamp) -> Vec<MorningTimes> {
    let mut ago: BTreeMap<i64, Ago> = BTreeMap::new();
    let mut rooms: BTreeMap<Option<i64>, Vec<&TodayTicket>> = BTreeMap::new();
    for t in tickets.iter().filter(|t| t.called) {
        rooms.entry(t.room_id).or_default().push(t);
    }
    for mut line in rooms.into_values() {
        // The demo's doctors complete their patients, then mark the no-shows, then call the one they are on.
        line.sort_by_key(|t| (call_rank(t.status), t.id));
        let mut cursor = 0;
        for (k, t) in line.iter().enumerate().rev() {
            let k = i64::try_from(k).unwrap_or(0);
            let a = room_moves(t, k, &mut cursor);
            ago.insert(t.id, a);
        }
    }
    let mut waiting: Vec<i64> = tickets.iter().filter(|t| !t.called).map(|t| t.id).collect();
    waiting.sort_unstable();
    let last = i64::try_from(waiting.len()).unwrap_or(0) - 1;
    for (i, id) in waiting.into_iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        ago.insert(
            id,
            Ago {
                checked_in: 1 + (last - i) * 2,
                ..Ago::default()
            },
        );
    }
    let earliest = ago.values().map(|a| a.checked_in).max().unwrap_or(0) * MINUTE;
    let day_so_far = (now.0 - day_start.0 - MINUTE).max(0);
    let at = |minutes: i64| {
        let ms = minutes * MINUTE;
        let ms = if earliest > day_so_far {
            ms * day_so_far / earliest
        } else {
            ms
        };
        Timestamp(now.0 - ms)
    };
    tickets
        .iter()
        .filter_map(|t| {
            let a = ago.get(&t.id)?;
            let checked_in_at = at(a.checked_in);
            Some(MorningTimes {
                id: t.id,
                checked_in_at,
                order_at: t.walk_in.then_some(checked_in_at),
                called_at: a.called.map(at),
                started_at: a.started.filter(|_| t.started).map(at),
                finished_at: a.finished.filter(|_| t.finished).map(at),
            })
        })
        .collect()
}

fn call_rank(status: TicketStatus) -> u8 {
    match status {
        TicketStatus::Completed => 0,
        TicketStatus::NoShow => 1,
        _ => 2,
    }
}

/// One called ticket of a room, the `k`th called, placed before `cursor` (minutes ago), which moves back to
/// its call.
fn room_moves(t: &TodayTicket, k: i64, cursor: &mut i64) -> Ago {
    let mut a = Ago::default();
    let called = match t.status {
        TicketStatus::WithDoctor => {
            let started = *cursor + 4;
            a.started = Some(started);
            started + 1
        }
        TicketStatus::Completed => {
            let finished = *cursor + 1;
            let started = finished + 8 + (k * 5) % 7;
            a.finished = Some(finished);
            a.started = Some(started);
            started + 1
        }
        TicketStatus::NoShow => {
            let finished = *cursor + 1;
            a.finished = Some(finished);
            finished + 3
        }
        _ => *cursor + 2,
    };
    a.called = Some(called);
    a.checked_in = called + 10 + (k * 7) % 23;
    *cursor = called;
    a
}

// ---- the logins printed at the end --------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    pub login: String,
    pub role: String,
    pub try_this: String,
}

/// The logins as a table with aligned columns, every one with the demo password.
pub fn logins_table(logins: &[Login]) -> String {
    let header = Login {
        login: "login".into(),
        role: "role".into(),
        try_this: "what to try".into(),
    };
    let width = |f: fn(&Login) -> &str| {
        logins
            .iter()
            .chain([&header])
            .map(|l| f(l).chars().count())
            .max()
            .unwrap_or(0)
    };
    let (login_width, role_width) = (width(|l| &l.login), width(|l| &l.role));
    let password_width = PASSWORD.len().max("password".len());
    std::iter::once((&header, "password"))
        .chain(logins.iter().map(|l| (l, PASSWORD)))
        .map(|(l, password)| {
            format!(
                "  {:login_width$}  {password:password_width$}  {:role_width$}  {}\n",
                l.login, l.role, l.try_this
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::Weekday;

    use super::*;
    use crate::settings::Settings;

    fn day(text: &str) -> NaiveDate {
        Date::parse(text).unwrap().0
    }

    #[test]
    fn sizes_parse_and_scale() {
        assert_eq!("small".parse::<Size>().unwrap(), Size::Small);
        assert_eq!(" Large ".parse::<Size>().unwrap(), Size::Large);
        assert!("huge".parse::<Size>().is_err());
        assert_eq!(Size::Small.scale().students, 500);
        assert_eq!(Size::Large.scale().students, 50_000);
    }

    #[test]
    fn the_calendar_spans_last_week_to_next_week_or_a_year_back() {
        let thursday = day("2026-03-12");
        let small = Calendar::new(thursday, &Size::Small.scale());
        assert_eq!(small.history_from, day("2026-03-02"));
        assert_eq!(small.history_from.weekday(), Weekday::Mon);
        assert_eq!(small.ahead_until, day("2026-03-22"));
        assert_eq!(small.ahead_until.weekday(), Weekday::Sun);
        let large = Calendar::new(thursday, &Size::Large.scale());
        assert_eq!(large.history_from, day("2025-03-12"));
        let scale = Size::Small.scale();
        assert_eq!(small.ahead_fill(day("2026-03-15"), &scale), scale.this_week_fill);
        assert_eq!(small.ahead_fill(day("2026-03-16"), &scale), scale.next_week_fill);
    }

    #[test]
    fn holidays_fall_on_their_dates() {
        let found = holidays(day("2025-12-20"), day("2026-01-05"));
        let dates: Vec<String> = found.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2025-12-25", "2025-12-26", "2026-01-01"]);
        assert_eq!(found[0].1, "Christmas Day");
        assert!(holidays(day("2026-03-02"), day("2026-03-22")).is_empty());
    }

    #[test]
    fn sessions_run_from_september_and_the_last_is_current() {
        let spring = sessions(day("2026-03-12"));
        assert_eq!(spring.len(), 6);
        assert_eq!(spring.last().unwrap().name, "2025/2026");
        assert_eq!(spring[0].name, "2020/2021");
        let autumn = sessions(day("2026-09-01"));
        assert_eq!(autumn.last().unwrap().name, "2026/2027");
        assert!(autumn.iter().all(|s| s.starts_on < s.ends_on));
    }

    #[test]
    fn academic_codes_are_unique_and_valid() {
        let mut departments = HashSet::new();
        let mut faculties = HashSet::new();
        for faculty in FACULTIES {
            assert!(faculties.insert(faculty.code));
            crate::academic::model::FacultyInput::validate(faculty.name, faculty.code).unwrap();
            for (name, code) in faculty.departments {
                assert!(departments.insert(*code), "{code} twice");
                crate::academic::model::parse_name(name).unwrap();
                crate::academic::model::parse_code(code).unwrap();
            }
            assert!(
                faculty.years <= POSTGRADUATE,
                "{} has more years than levels",
                faculty.name
            );
        }
    }

    #[test]
    fn students_are_the_same_for_the_same_seed_and_differ_for_another() {
        let today = day("2026-03-12");
        assert_eq!(students(7, 50, today), students(7, 50, today));
        assert_ne!(students(7, 50, today), students(8, 50, today));
    }

    #[test]
    fn students_have_valid_unique_matric_numbers_and_details() {
        let today = day("2026-03-12");
        let pattern = Settings::default().matric_regex();
        let all = students(1, 5_000, today);
        let matrics: HashSet<&str> = all.iter().map(|s| s.matric.as_str()).collect();
        assert_eq!(matrics.len(), all.len());
        for s in &all {
            crate::patients::model::MatricNumber::parse(&s.matric, &pattern).unwrap();
            crate::patients::model::parse_phone(&s.phone).unwrap().unwrap();
            crate::staff::model::parse_email(&s.email).unwrap().unwrap();
            crate::patients::model::parse_date_of_birth(&s.date_of_birth.to_string(), today).unwrap();
            assert!(s.email.is_ascii(), "{}", s.email);
            let faculty = &FACULTIES[s.faculty];
            assert!(s.department < faculty.departments.len());
            assert!(s.level < faculty.years || s.level == POSTGRADUATE);
            assert!(s.entry_year <= session_year(today) && s.entry_year > session_year(today) - 6);
        }
        // Some write their Yoruba names with tone marks.
        assert!(all.iter().any(|s| !s.surname.is_ascii() || !s.first_name.is_ascii()));
        assert!(all.iter().any(|s| s.sex == Sex::Female) && all.iter().any(|s| s.sex == Sex::Male));
    }

    #[test]
    fn a_student_becomes_a_patient_record_in_their_department() {
        let today = day("2026-03-12");
        let student = students(2, 1, today).remove(0);
        let ids = AcademicIds {
            faculties: (1..=FACULTIES.len() as i64).collect(),
            departments: FACULTIES
                .iter()
                .enumerate()
                .map(|(f, faculty)| {
                    (0..faculty.departments.len() as i64)
                        .map(|d| f as i64 * 100 + d)
                        .collect()
                })
                .collect(),
            levels: (1..=LEVELS.len() as i64).collect(),
            session: 9,
        };
        let details = student.details(&ids, &Settings::default().matric_regex()).unwrap();
        assert_eq!(details.kind, PatientKind::Student);
        assert_eq!(details.matric_number.unwrap().as_str(), student.matric);
        assert_eq!(details.faculty_id, Some(student.faculty as i64 + 1));
        assert_eq!(
            details.department_id,
            Some(student.faculty as i64 * 100 + student.department as i64)
        );
        assert_eq!(details.session_id, Some(9));
        assert!(student.details(&ids, &Regex::new("^X$").unwrap()).is_err());
    }

    #[test]
    fn staff_and_doctors_are_valid_accounts_with_rooms_of_their_own() {
        let mut usernames = HashSet::new();
        for (username, name, role) in STAFF.iter().map(|s| (s.username, s.full_name, s.role)).chain(
            Size::Large
                .scale()
                .doctors()
                .map(|d| (d.username, d.full_name, Role::Doctor)),
        ) {
            assert!(usernames.insert(username));
            crate::staff::model::NewStaff::validate(username, name, &staff_email(username), role.as_str()).unwrap();
            crate::auth::password::check_new(PASSWORD, username).unwrap();
        }
        assert_eq!(STAFF[RECEPTIONIST].role, Role::Reception);
        let doctors: Vec<&DoctorSpec> = Size::Large.scale().doctors().collect();
        assert_eq!(doctors.len(), DOCTORS.len() + MORE_DOCTORS.len());
        assert_eq!(Size::Small.scale().doctors().count(), DOCTORS.len());
        let codes: HashSet<&str> = doctors.iter().map(|d| d.code).collect();
        assert_eq!(codes.len(), doctors.len());
        for doctor in doctors {
            crate::queue::model::parse_room_code(doctor.code).unwrap();
            crate::queue::model::parse_room_name(doctor.room).unwrap();
        }
    }

    fn weekday_hours(
        doctor_id: i64,
        slot_minutes: i64,
        capacity: i64,
        from: NaiveDate,
    ) -> Vec<crate::scheduling::model::Hours> {
        (1..=5)
            .map(|weekday| crate::scheduling::model::Hours {
                id: 0,
                doctor_id,
                weekday,
                start_minute: 8 * 60,
                end_minute: 12 * 60,
                slot_minutes,
                capacity,
                valid_from: Date(from),
                valid_until: None,
                active: true,
            })
            .collect()
    }

    fn staffing() -> Staffing {
        let person = |id: i64, label: &str| Person {
            id,
            label: label.into(),
            ip: desk_ip(0),
        };
        Staffing {
            reception: person(1, "desk"),
            pharmacist: person(4, "pharm"),
            lab: person(5, "lab"),
            doctors: vec![
                Doctor {
                    person: person(2, "dr.a"),
                    room_id: 1,
                    room_name: "Room 1".into(),
                    room_code: "A".into(),
                },
                Doctor {
                    person: person(3, "dr.b"),
                    room_id: 2,
                    room_name: "Room 2".into(),
                    room_code: "B".into(),
                },
            ],
        }
    }

    fn patients(n: usize) -> Vec<Person> {
        (0..n)
            .map(|i| Person {
                id: 100 + i as i64,
                label: format!("SB-2026-{i:05}"),
                ip: student_ip(i),
            })
            .collect()
    }

    fn history(seed: u64, patients_count: usize) -> (History, Calendar) {
        let today = day("2026-03-12");
        let scale = Scale {
            past_fill: 0.7,
            today_fill: 0.5,
            cancelled: 0.2,
            ..Size::Small.scale()
        };
        let calendar = Calendar::new(today, &scale);
        let mut hours = weekday_hours(2, 10, 1, calendar.history_from);
        hours.extend(weekday_hours(3, 15, 2, calendar.history_from));
        let specs = crate::scheduling::model::generate(
            &hours,
            &Default::default(),
            calendar.history_from,
            today,
            chrono_tz::Africa::Lagos,
        );
        let mut ledger = Ledger::new(patients_count, today, 3);
        let first = FirstIds {
            slot: 1,
            appointment: 10,
            ticket: 5,
        };
        let (staffing, patients) = (staffing(), patients(patients_count));
        let clinic = Clinic {
            calendar: &calendar,
            scale: &scale,
            staffing: &staffing,
            patients: &patients,
        };
        let plan = plan_history(&mut rng(seed, Stream::History), &specs, clinic, &mut ledger, first);
        (plan, calendar)
    }

    #[test]
    fn history_is_the_same_for_the_same_seed() {
        let (a, _) = history(3, 40);
        let (b, _) = history(3, 40);
        assert_eq!(a.slots, b.slots);
        assert_eq!(a.appointments, b.appointments);
        assert_eq!(a.tickets, b.tickets);
        let (c, _) = history(4, 40);
        assert_ne!(a.appointments, c.appointments);
    }

    #[test]
    fn history_keeps_the_booking_rules_and_seat_counts() {
        let (plan, calendar) = history(3, 40);
        let today = calendar.today;
        let mut per_patient_day = HashSet::new();
        for a in plan
            .appointments
            .iter()
            .filter(|a| a.status != AppointmentStatus::Cancelled)
        {
            assert!(per_patient_day.insert((a.patient_id, a.day)), "two live bookings a day");
            let past = a.day.0 < today;
            assert_eq!(past, a.status != AppointmentStatus::Booked, "{a:?}");
            assert!(a.created_at < a.starts_at && a.updated_at >= a.created_at);
        }
        for slot in &plan.slots {
            let live = plan
                .appointments
                .iter()
                .filter(|a| a.slot_id == slot.id && a.status != AppointmentStatus::Cancelled)
                .count() as i64;
            assert_eq!(slot.booked, live);
            assert!(slot.booked <= slot.spec.capacity);
            let any = plan.appointments.iter().any(|a| a.slot_id == slot.id);
            assert!(any || slot.spec.day.0 == today, "an empty past slot was kept");
        }
        assert!(
            plan.appointments
                .iter()
                .any(|a| a.status == AppointmentStatus::Cancelled)
        );
        assert!(plan.appointments.iter().any(|a| a.status == AppointmentStatus::NoShow));
        assert!(plan.slots.windows(2).all(|w| w[1].id == w[0].id + 1));
        assert_eq!(plan.appointments[0].id, 10);
    }

    #[test]
    fn every_completed_past_appointment_has_one_finished_ticket_numbered_per_room_and_day() {
        let (plan, _) = history(5, 40);
        let completed: Vec<i64> = plan
            .appointments
            .iter()
            .filter(|a| a.status == AppointmentStatus::Completed)
            .map(|a| a.id)
            .collect();
        let ticketed: Vec<i64> = plan.tickets.iter().filter_map(|t| t.appointment_id).collect();
        assert_eq!(completed.len(), ticketed.len());
        assert!(completed.iter().all(|id| ticketed.contains(id)));
        assert!(plan.tickets.iter().any(|t| t.appointment_id.is_none()), "walk-ins too");
        let codes: HashSet<(Date, &str)> = plan.tickets.iter().map(|t| (t.day, t.code.as_str())).collect();
        assert_eq!(codes.len(), plan.tickets.len());
        for t in &plan.tickets {
            assert!(t.checked_in_at < t.called_at && t.called_at < t.started_at && t.started_at < t.finished_at);
            let prefix = if t.doctor_id == 2 { "A-" } else { "B-" };
            assert!(t.code.starts_with(prefix), "{}", t.code);
        }
        let days_worked: HashSet<(Date, i64)> = plan.tickets.iter().map(|t| (t.day, t.doctor_id)).collect();
        assert_eq!(plan.assignments.len(), days_worked.len());
    }

    #[test]
    fn the_audit_trail_is_in_order_and_tells_each_step() {
        let (plan, _) = history(6, 40);
        assert!(plan.audit.windows(2).all(|w| w[0].at <= w[1].at));
        let count = |action: &str| plan.audit.iter().filter(|r| r.entry.action == action).count();
        assert_eq!(count("appointment.book"), plan.appointments.len());
        assert_eq!(count("ticket.complete"), plan.tickets.len());
        assert_eq!(
            count("appointment.no_show"),
            plan.appointments
                .iter()
                .filter(|a| a.status == AppointmentStatus::NoShow)
                .count()
        );
        assert_eq!(
            count("appointment.cancel"),
            plan.appointments
                .iter()
                .filter(|a| a.status == AppointmentStatus::Cancelled)
                .count()
        );
    }

    #[test]
    fn the_ledger_keeps_one_booking_a_day_and_the_upcoming_limit() {
        let today = day("2026-03-12");
        let mut ledger = Ledger::new(1, today, 2);
        let mut rng = rng(1, Stream::Ahead);
        assert_eq!(ledger.draw(&mut rng, day("2026-03-01")), Some(0));
        assert_eq!(ledger.draw(&mut rng, day("2026-03-01")), None);
        assert_eq!(ledger.draw(&mut rng, day("2026-03-02")), Some(0));
        assert_eq!(ledger.draw(&mut rng, day("2026-03-13")), Some(0));
        assert_eq!(ledger.draw(&mut rng, day("2026-03-14")), Some(0));
        assert_eq!(ledger.draw(&mut rng, day("2026-03-15")), None, "two upcoming at most");
        assert_eq!(ledger.days_of(0).len(), 4);
        assert_eq!(Ledger::new(0, today, 3).draw(&mut rng, today), None);
    }

    #[test]
    fn bookings_ahead_fill_this_week_more_and_respect_the_seats() {
        let today = day("2026-03-12");
        let scale = Size::Large.scale();
        let calendar = Calendar::new(today, &scale);
        let slots: Vec<OpenSlot> = (0..400)
            .map(|i| OpenSlot {
                id: i,
                day: if i < 200 { day("2026-03-13") } else { day("2026-03-18") },
                seats: 1,
            })
            .collect();
        let mut ledger = Ledger::new(10_000, today, 3);
        let staffing = staffing();
        let clinic = Clinic {
            calendar: &calendar,
            scale: &scale,
            staffing: &staffing,
            patients: &[],
        };
        let plan = plan_ahead(&mut rng(1, Stream::Ahead), &slots, clinic, &mut ledger);
        let this_week = plan.iter().filter(|b| b.slot_id < 200).count();
        assert!(this_week > plan.len() - this_week);
        let ids: HashSet<i64> = plan.iter().map(|b| b.slot_id).collect();
        assert_eq!(ids.len(), plan.len(), "one booking per one-seat slot");
    }

    #[test]
    fn todays_queue_leaves_someone_waiting_at_every_doctor() {
        for day in TODAY {
            let called = day.completed + day.no_shows + usize::from(day.last != LastCall::None);
            assert!(called < day.checked_in);
        }
        assert!(LATE_WALK_INS.iter().any(|w| w.new_patient));
        assert!(
            EARLY_WALK_INS
                .iter()
                .chain(&LATE_WALK_INS)
                .all(|w| w.doctor.is_none_or(|d| d < DOCTORS.len()))
        );
    }

    fn today_ticket(id: i64, room_id: Option<i64>, status: TicketStatus) -> TodayTicket {
        let called = status != TicketStatus::Waiting;
        TodayTicket {
            id,
            room_id,
            status,
            walk_in: room_id.is_none(),
            called,
            started: matches!(status, TicketStatus::Completed | TicketStatus::WithDoctor),
            finished: matches!(status, TicketStatus::Completed | TicketStatus::NoShow),
        }
    }

    fn a_morning() -> Vec<TodayTicket> {
        use TicketStatus::*;
        let room = Some(1);
        vec![
            today_ticket(1, room, Completed),
            today_ticket(2, room, Completed),
            today_ticket(3, room, NoShow),
            today_ticket(4, room, Completed),
            today_ticket(5, room, WithDoctor),
            today_ticket(6, Some(2), Completed),
            today_ticket(7, Some(2), Called),
            today_ticket(8, None, Waiting),
            today_ticket(9, None, Waiting),
        ]
    }

    #[test]
    fn the_morning_sees_each_rooms_patients_one_after_another_up_to_now() {
        use crate::queue::model::{DayStats, TicketTimes};
        let now = Timestamp(1_000 * DAY + 11 * HOUR);
        let tickets = a_morning();
        let times = spread_over_the_morning(&tickets, now, Timestamp(1_000 * DAY));
        assert_eq!(times.len(), tickets.len());
        let of = |id: i64| {
            times
                .iter()
                .find(|t| t.id == id)
                .copied()
                .expect("every ticket gets times")
        };
        // Room 1 in call order: 1, 2, 4 (completed), 3 (no-show), 5 (with the doctor).
        let order = [1, 2, 4, 3, 5].map(|id| of(id).called_at.expect("called"));
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert_eq!(of(5).started_at, Some(now.minus_minutes(4)));
        assert_eq!(
            of(7).called_at,
            Some(now.minus_minutes(2)),
            "a call still on the display"
        );
        for t in &times {
            assert!(t.checked_in_at < now && t.called_at.is_none_or(|c| t.checked_in_at < c));
            assert!(t.started_at.is_none_or(|s| t.called_at.is_some_and(|c| c < s)));
            assert!(
                t.finished_at
                    .is_none_or(|f| f > t.started_at.or(t.called_at).unwrap_or(f))
            );
        }
        assert_eq!(of(3).started_at, None, "a no-show was never seen");
        assert_eq!(
            (of(8).order_at, of(1).order_at),
            (Some(of(8).checked_in_at), None),
            "walk-ins queue by arrival"
        );
        assert_eq!(of(9).checked_in_at, now.minus_minutes(1));
        let stats = DayStats::of(tickets.iter().zip(&times).map(|(t, m)| TicketTimes {
            doctor_id: None,
            status: t.status,
            checked_in_at: m.checked_in_at,
            called_at: m.called_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }));
        let wait = stats.median_wait_minutes.expect("waits");
        let consultation = stats.median_consultation_minutes.expect("consultations");
        assert!(
            (10..=32).contains(&wait) && (8..=14).contains(&consultation),
            "{stats:?}"
        );
    }

    #[test]
    fn a_morning_longer_than_the_day_so_far_is_squeezed_into_it() {
        let midnight = Timestamp(1_000 * DAY);
        let now = midnight.plus_minutes(20);
        let times = spread_over_the_morning(&a_morning(), now, midnight);
        assert!(
            times
                .iter()
                .all(|t| t.checked_in_at > midnight && t.checked_in_at < now)
        );
        let first = times.iter().map(|t| t.checked_in_at).min().expect("tickets");
        assert_eq!(first, midnight.plus_minutes(1));
    }

    #[test]
    fn the_logins_table_aligns_its_columns() {
        let logins = [
            Login {
                login: "admin".into(),
                role: "Administrator".into(),
                try_this: "everything".into(),
            },
            Login {
                login: "CSC/23/0001".into(),
                role: "Student".into(),
                try_this: "the portal".into(),
            },
        ];
        let table = logins_table(&logins);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("password") && lines[1].contains(PASSWORD));
        let column = |line: &str| line.find(PASSWORD).or_else(|| line.find("password"));
        assert_eq!(column(lines[0]), column(lines[1]));
        assert_eq!(column(lines[1]), column(lines[2]));
    }
}
